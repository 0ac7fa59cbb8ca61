// Package testwasm gives tests the hookguard module they must exercise:
// the file named by $HOOKGUARD_WASM (make test sets it to the
// build/hookguard.wasm it just built, so what is tested is what ships), or
// else a module built once per test binary from ./filter.
package testwasm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
)

var (
	once  sync.Once
	bytes []byte
	err   error
)

// Root returns the repository root.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Module returns the module's bytes, failing t if it cannot be had.
func Module(t testing.TB) []byte {
	t.Helper()
	once.Do(func() {
		if path := os.Getenv("HOOKGUARD_WASM"); path != "" {
			bytes, err = os.ReadFile(path)
			return
		}
		dir, derr := os.MkdirTemp("", "hookguard-wasm")
		if derr != nil {
			err = derr
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "hookguard.wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, "./filter")
		cmd.Dir = Root()
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if msg, berr := cmd.CombinedOutput(); berr != nil {
			err = &buildError{msg: string(msg), err: berr}
			return
		}
		bytes, err = os.ReadFile(out)
	})
	if err != nil {
		t.Fatalf("hookguard module: %v", err)
	}
	return bytes
}

type buildError struct {
	msg string
	err error
}

func (e *buildError) Error() string { return "go build ./filter: " + e.err.Error() + "\n" + e.msg }

// CacheDir is a compilation cache shared by every test binary, so the
// module is compiled once per machine rather than once per test (a
// compile takes about a second, and fifteen under -race). wazero keys
// entries by module hash; the directory name carries wazero's version,
// since in tests wazero cannot tell its own.
func CacheDir() string {
	version := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/tetratelabs/wazero" {
				version = dep.Version
			}
		}
	}
	return filepath.Join(os.TempDir(), "hookguard-test-wazero-"+version)
}

// MustModule is Module for runnable examples, which have no testing.TB.
func MustModule() []byte {
	var tb panicTB
	return Module(&tb)
}

type panicTB struct{ testing.TB }

func (*panicTB) Helper()                        {}
func (*panicTB) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
