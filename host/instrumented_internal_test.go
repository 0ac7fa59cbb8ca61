package host

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookguard/hookguard/host/internal/interrupt"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// TestInstrumentedKeptInCache: with a cache directory the rewritten module
// is kept and read back; a damaged copy is not used but rewritten.
func TestInstrumentedKeptInCache(t *testing.T) {
	wasm := testwasm.Module(t)
	want, err := interrupt.Instrument(wasm)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cache") // not there yet, as on a first start
	if got, err := instrumented(wasm, dir); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("first start: %d bytes, %v; want the rewrite's %d", len(got), err, len(want))
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "hookguard-interrupt-v"+interrupt.Version+"-*.wasm"))
	if len(kept) != 1 {
		t.Fatalf("kept %v, want one file", kept)
	}
	if got, err := instrumented(wasm, dir); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read back: %d bytes, %v", len(got), err)
	}
	// A flipped byte in the kept module: the checksum refuses it.
	b, _ := os.ReadFile(kept[0])
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(kept[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := instrumented(wasm, dir); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("damaged copy: %d bytes, %v; want the rewrite again", len(got), err)
	}
	if b, _ := os.ReadFile(kept[0]); !bytes.Equal(b[32:], want) {
		t.Fatal("the damaged copy was not replaced")
	}
}
