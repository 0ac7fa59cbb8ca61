package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// TestV8Harness runs bench/v8/run.mjs briefly against the module: the
// harness fails unless every request it sends is verified, so this keeps
// it in step with the module's ABI use.
func TestV8Harness(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found: the V8 harness is not checked here")
	}
	wasm := os.Getenv("HOOKGUARD_WASM")
	if wasm == "" {
		wasm = filepath.Join(t.TempDir(), "hookguard.wasm")
		if err := os.WriteFile(wasm, testwasm.Module(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	*benchtime = 50e6 // 50 ms a size
	got, err := runV8(wasm)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range sizes {
		if got[size] <= 0 {
			t.Errorf("no time for %d bytes: %v", size, got)
		}
	}
}
