package proxywasm

import "unsafe"

// scratchSize bounds the reusable allocation area. Body reads are windowed
// to this size, so streaming a body never grows guest memory with it.
const scratchSize = 64 << 10

var (
	scratch = make([]byte, scratchSize)
	// lastAlloc keeps a larger-than-scratch block reachable until the next
	// allocation, so the GC cannot free it while the host fills it.
	lastAlloc []byte
)

// allocate serves proxy_on_memory_allocate. The host allocates at most once
// per host call (proxy-wasm-cpp-host keeps that property, and so does our
// host), and every wrapper in this package consumes the result before its
// next host call, so one reusable area is enough.
//
// It never blocks, sleeps or polls: Envoy runs it under restricted callbacks.
func allocate(size uint32) unsafe.Pointer {
	if size == 0 {
		size = 1
	}
	if size <= scratchSize {
		lastAlloc = nil
		return unsafe.Pointer(&scratch[0])
	}
	lastAlloc = make([]byte, size)
	return unsafe.Pointer(&lastAlloc[0])
}

// hostBytes returns the size bytes at ptr that the host just wrote into a
// block from allocate. Rather than trust an address, it finds the block:
// a pointer outside the blocks this package handed out yields nil. The
// result is valid only until the next host call.
func hostBytes(ptr, size uint32) []byte {
	if size == 0 || ptr == 0 {
		return nil
	}
	for _, block := range [][]byte{scratch, lastAlloc} {
		if len(block) == 0 {
			continue
		}
		base := uint32(uintptr(unsafe.Pointer(&block[0])))
		if ptr >= base && uint64(ptr)+uint64(size) <= uint64(base)+uint64(len(block)) {
			off := ptr - base
			return block[off : off+size : off+size]
		}
	}
	return nil
}

func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

func stringPtr(s string) unsafe.Pointer {
	if s == "" {
		return nil
	}
	return unsafe.Pointer(unsafe.StringData(s))
}
