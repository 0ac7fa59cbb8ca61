package host

import "testing"

func TestLinearMemory(t *testing.T) {
	const max = 16 << 20
	m := newLinearMemory(64<<10, max)
	if _, ok := m.(*mappedMemory); !ok {
		t.Fatalf("linear memory is %T, want a mapping", m)
	}
	if grows(t, m, max) {
		t.Error("a mapped memory moved when it grew")
	}
	m.Free()
	m.Free() // twice is harmless
	// A reservation that cannot be made falls back to the heap.
	if m := newLinearMemory(64<<10, 1<<40); m == nil {
		t.Fatal("no memory for a refused reservation")
	} else if _, ok := m.(*heapMemory); !ok {
		t.Fatalf("memory past 4 GiB is %T, want the heap's", m)
	}
}
