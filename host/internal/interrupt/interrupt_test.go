package interrupt_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/hookguard/hookguard/host/internal/interrupt"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// module assembles a module of one type () -> (i32), with the given extra
// sections (imports or globals, in the order the format wants them), and
// one exported function "run" with body.
func module(extra [][]byte, body []byte) []byte {
	m := []byte("\x00asm\x01\x00\x00\x00")
	sec := func(id byte, payload ...byte) {
		m = append(m, id, byte(len(payload)))
		m = append(m, payload...)
	}
	sec(1, 1, 0x60, 0, 1, 0x7f) // type 0: () -> i32
	for _, s := range extra {
		if s[0] < 3 {
			m = append(m, s...)
		}
	}
	sec(3, 1, 0)       // function 0: type 0
	sec(5, 1, 0x00, 1) // memory 0: one page
	for _, s := range extra {
		if s[0] > 3 {
			m = append(m, s...)
		}
	}
	sec(7, 1, 3, 'r', 'u', 'n', 0, 0)  // export "run" func 0
	code := append([]byte{0}, body...) // no locals
	sec(10, append([]byte{1, byte(len(code))}, code...)...)
	return m
}

var (
	// (loop (br 0)) (i32.const 0): never returns on its own.
	spin = []byte{0x03, 0x40, 0x0c, 0x00, 0x0b, 0x41, 0x00, 0x0b}
	// (loop (block (br_if 1 (i32.const 1)))) (i32.const 0): the back edge
	// is a br_if from a block inside the loop.
	spinBrIf = []byte{0x03, 0x40, 0x02, 0x40, 0x41, 0x01, 0x0d, 0x01, 0x0b, 0x0b, 0x41, 0x00, 0x0b}
	// (loop (block (br_table 0 1 (i32.const 1)))) (i32.const 0): the back
	// edge is one of a br_table's targets.
	spinBrTable = []byte{0x03, 0x40, 0x02, 0x40, 0x41, 0x01, 0x0e, 0x01, 0x00, 0x01, 0x0b, 0x0b, 0x41, 0x00, 0x0b}
	// (global.get 0): reads the first global, to check indices did not move.
	readGlobal0 = []byte{0x23, 0x00, 0x0b}
	// (loop (result i32) (i32.const 7)): a loop that falls through.
	loopOnce = []byte{0x03, 0x7f, 0x41, 0x07, 0x0b, 0x0b}
)

func instantiate(t *testing.T, wasm []byte) api.Module {
	t.Helper()
	ctx := context.Background()
	out, err := interrupt.Instrument(wasm)
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntime(ctx)
	t.Cleanup(func() { rt.Close(ctx) })
	mod, err := rt.Instantiate(ctx, out)
	if err != nil {
		t.Fatalf("instrumented module does not instantiate: %v", err)
	}
	return mod
}

func TestInterruptStopsALoop(t *testing.T) {
	for name, body := range map[string][]byte{"br": spin, "br_if from a block": spinBrIf, "br_table": spinBrTable} {
		t.Run(name, func(t *testing.T) { interruptStops(t, body) })
	}
}

func interruptStops(t *testing.T, body []byte) {
	mod := instantiate(t, module(nil, body))
	g, ok := mod.ExportedGlobal(interrupt.ExportName).(api.MutableGlobal)
	if !ok {
		t.Fatalf("no mutable global exported as %q", interrupt.ExportName)
	}
	done := make(chan error, 1)
	go func() {
		_, err := mod.ExportedFunction("run").Call(context.Background())
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("spin returned before the interrupt: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	// A GC stops the world, which waits for every goroutine, the spinning
	// one too: without its visits to Go this would never return.
	runtime.GC()
	g.Set(1)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("err = %v, want an unreachable trap", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not stop within 5 s of the interrupt")
	}
}

func TestInstrumentKeepsSemantics(t *testing.T) {
	global := []byte{6, 6, 1, 0x7f, 0x00, 0x41, 0x2a, 0x0b} // (global i32 (i32.const 42))
	importGlobal := []byte{2, 8, 1, 1, 'm', 1, 'g', 0x03, 0x7f, 0x00}
	for _, tc := range []struct {
		name   string
		before [][]byte
		body   []byte
		want   uint64
	}{
		{"loop falls through", nil, loopOnce, 7},
		{"existing global keeps its index", [][]byte{global}, readGlobal0, 42},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := instantiate(t, module(tc.before, tc.body))
			res, err := mod.ExportedFunction("run").Call(context.Background())
			if err != nil || res[0] != tc.want {
				t.Fatalf("run() = %v, %v; want %d", res, err, tc.want)
			}
		})
	}
	t.Run("imported globals come first", func(t *testing.T) {
		ctx := context.Background()
		rt := wazero.NewRuntime(ctx)
		defer rt.Close(ctx)
		// Module "m" exports an immutable global "g" = 5.
		exporter := []byte("\x00asm\x01\x00\x00\x00")
		exporter = append(exporter, 6, 6, 1, 0x7f, 0x00, 0x41, 0x05, 0x0b)
		exporter = append(exporter, 7, 5, 1, 1, 'g', 0x03, 0x00)
		if _, err := rt.InstantiateWithConfig(ctx, exporter, wazero.NewModuleConfig().WithName("m")); err != nil {
			t.Fatal(err)
		}
		out, err := interrupt.Instrument(module([][]byte{importGlobal}, readGlobal0))
		if err != nil {
			t.Fatal(err)
		}
		mod, err := rt.Instantiate(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := mod.ExportedGlobal(interrupt.ExportName).(api.MutableGlobal); !ok {
			t.Fatal("the interrupt export is not the added mutable global")
		}
		if res, err := mod.ExportedFunction("run").Call(ctx); err != nil || res[0] != 5 {
			t.Fatalf("run() = %v, %v; want the imported 5", res, err)
		}
	})
}

func TestInstrumentRefusesMalformed(t *testing.T) {
	good := module(nil, spin)
	for name, wasm := range map[string][]byte{
		"empty":          nil,
		"not wasm":       []byte("\x7fELF\x01\x00\x00\x00"),
		"truncated":      good[:len(good)-3],
		"unknown opcode": module(nil, []byte{0xff, 0x0b}),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := interrupt.Instrument(wasm); !errors.Is(err, interrupt.ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

// TestInstrumentHookguard runs the rewrite over the real module: it must
// still compile, and every loop must have gained its check.
func TestInstrumentHookguard(t *testing.T) {
	wasm := testwasm.Module(t)
	out, err := interrupt.Instrument(wasm)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	if _, err := rt.CompileModule(ctx, out); err != nil {
		t.Fatalf("instrumented hookguard.wasm does not compile: %v", err)
	}
	if len(out) <= len(wasm) {
		t.Fatalf("instrumented module is %d bytes, original %d: no checks added", len(out), len(wasm))
	}
}

// FuzzInstrument: any input is refused with an error or rewritten, never a
// panic, and what it writes decodes again. (Compiling the inputs with wazero
// as well was tried: wazero allocates whatever vector length a fuzzed
// header claims and the fuzzer ran out of memory.)
func FuzzInstrument(f *testing.F) {
	f.Add(module(nil, spin))
	f.Add(module(nil, loopOnce))
	f.Add(module([][]byte{{6, 6, 1, 0x7f, 0x00, 0x41, 0x2a, 0x0b}}, readGlobal0))
	f.Fuzz(func(t *testing.T, wasm []byte) {
		out, err := interrupt.Instrument(wasm)
		if err != nil {
			return
		}
		if _, err := interrupt.Instrument(out); err != nil {
			t.Fatalf("Instrument's own output does not decode: %v", err)
		}
	})
}

// TestVersionNamesTheRewrite holds Instrument's output for fixed modules
// to Version: a change to the rewrite must change Version too, or hosts
// would keep using the output they cached for the old one.
func TestVersionNamesTheRewrite(t *testing.T) {
	h := sha256.New()
	for _, m := range [][]byte{module(nil, spin), module(nil, spinBrIf), module(nil, spinBrTable), module(nil, loopOnce),
		module([][]byte{{6, 6, 1, 0x7f, 0x00, 0x41, 0x2a, 0x0b}}, readGlobal0)} {
		out, err := interrupt.Instrument(m)
		if err != nil {
			t.Fatal(err)
		}
		h.Write(out)
	}
	const v1 = "2ac930a3ec2677c0342fe997ec74049aa86c91b3d443c17c7be00ecf6ae8d328"
	if got := hex.EncodeToString(h.Sum(nil)); interrupt.Version != "1" || got != v1 {
		t.Fatalf("Version %q, output %s: the rewrite changed; bump Version and record the new output here", interrupt.Version, got)
	}
}
