package host

import (
	"context"
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// withLinearMemory has each VM's linear memory reserved as one anonymous
// mapping of its maximum size, which the kernel backs only where the module
// writes: growing it copies nothing, and pages the module never touches
// cost nothing. wazero's default, a Go slice grown by copying, made every
// page resident and left the old copies to the GC (RATIONALE.md). Where the
// reservation is refused, a VM gets wazero's kind of memory instead.
func withLinearMemory(ctx context.Context) context.Context {
	return experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(newLinearMemory))
}

func newLinearMemory(capacity, max uint64) experimental.LinearMemory {
	if max > 0 && max <= 1<<32 && uint64(int(max)) == max {
		b, err := syscall.Mmap(-1, 0, int(max), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
		if err == nil {
			return &mappedMemory{mapping: b}
		}
	}
	return &heapMemory{buf: make([]byte, 0, capacity), max: max}
}

// mappedMemory is a linear memory in its own mapping. Free unmaps it: the
// host touches a VM's memory only inside its calls, under vm.mu, and closes
// a VM under the same lock, after which no call starts.
type mappedMemory struct {
	mapping []byte // the whole reservation, as syscall.Munmap wants it back
}

func (m *mappedMemory) Reallocate(size uint64) []byte {
	if m.mapping == nil || size > uint64(len(m.mapping)) {
		return nil // wazero reports a failed memory.grow
	}
	return m.mapping[:size:size]
}

func (m *mappedMemory) Free() {
	if m.mapping != nil {
		syscall.Munmap(m.mapping)
		m.mapping = nil
	}
}
