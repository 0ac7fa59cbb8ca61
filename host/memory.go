package host

import (
	"encoding/binary"

	"github.com/tetratelabs/wazero/api"
)

// Guest memory helpers. Every pointer and length a module passes is checked
// here; a bad one becomes the ABI's INVALID_MEMORY_ACCESS status, never a
// host panic.

// readBytes copies size bytes at ptr out of guest memory. A copy, because
// a view goes stale as soon as the guest grows its memory.
func readBytes(mem api.Memory, ptr, size uint32) ([]byte, bool) {
	if size == 0 {
		return nil, true
	}
	b, ok := mem.Read(ptr, size)
	if !ok {
		return nil, false
	}
	return append([]byte(nil), b...), true
}

func readString(mem api.Memory, ptr, size uint32) (string, bool) {
	if size == 0 {
		return "", true
	}
	b, ok := mem.Read(ptr, size)
	if !ok {
		return "", false
	}
	return string(b), true
}

func writeU32(mem api.Memory, ptr, v uint32) bool { return mem.WriteUint32Le(ptr, v) }

func writeU64(mem api.Memory, ptr uint32, v uint64) bool {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	return mem.Write(ptr, b[:])
}

// copyOut hands data to the guest the way proxy-wasm-cpp-host does: one
// call to the module's allocator (never more in one host call, which keeps
// a Go guest's freshly allocated block safe from its GC), a copy, and the
// pointer and size written to the guest's out-parameters. Empty data is
// ptr=0, size=0 with no allocation.
func (v *vm) copyOut(mod api.Module, data []byte, retPtr, retSize uint32) uint32 {
	mem := mod.Memory()
	if len(data) == 0 {
		if !writeU32(mem, retPtr, 0) || !writeU32(mem, retSize, 0) {
			return statusInvalidMemoryAccess
		}
		return statusOK
	}
	p, err := v.allocate(uint32(len(data)))
	if err != nil || p == 0 {
		return statusInvalidMemoryAccess
	}
	if !mem.Write(p, data) || !writeU32(mem, retPtr, p) || !writeU32(mem, retSize, uint32(len(data))) {
		return statusInvalidMemoryAccess
	}
	return statusOK
}
