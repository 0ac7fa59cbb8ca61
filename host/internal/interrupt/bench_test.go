package interrupt_test

import (
	"testing"

	"github.com/hookguard/hookguard/host/internal/interrupt"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// BenchmarkInstrument is the rewrite's share of every Compile with
// deadlines on, the compilation cache's hit included.
func BenchmarkInstrument(b *testing.B) {
	wasm := testwasm.Module(b)
	b.SetBytes(int64(len(wasm)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := interrupt.Instrument(wasm); err != nil {
			b.Fatal(err)
		}
	}
}
