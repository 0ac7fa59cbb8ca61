package host

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/tetratelabs/wazero/experimental"
)

// grows checks the wazero contract a linear memory keeps: each size asked
// for is returned, zeroed beyond what was written, with what was written
// kept; and a size past the maximum is refused.
func grows(t *testing.T, m experimental.LinearMemory, max uint64) (moved bool) {
	t.Helper()
	b := m.Reallocate(64 << 10)
	if len(b) != 64<<10 {
		t.Fatalf("Reallocate(64 KiB) gave %d bytes", len(b))
	}
	copy(b, "written before growing")
	first := unsafe.SliceData(b)
	b = m.Reallocate(1 << 20)
	if len(b) != 1<<20 {
		t.Fatalf("Reallocate(1 MiB) gave %d bytes", len(b))
	}
	if !bytes.HasPrefix(b, []byte("written before growing")) {
		t.Fatal("growing lost what the module had written")
	}
	if bytes.ContainsFunc(b[64<<10:], func(r rune) bool { return r != 0 }) {
		t.Fatal("the grown part is not zero")
	}
	if got := m.Reallocate(max + 64<<10); got != nil {
		t.Fatalf("Reallocate past the maximum gave %d bytes, want a refusal", len(got))
	}
	return unsafe.SliceData(b) != first
}

func TestHeapMemory(t *testing.T) {
	const max = 16 << 20
	m := &heapMemory{buf: make([]byte, 0, 64<<10), max: max}
	grows(t, m, max)
	m.Free()
}
