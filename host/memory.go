package host

import (
	"encoding/binary"
	"strings"

	"github.com/tetratelabs/wazero/api"

	"github.com/hookguard/hookguard/internal/abi"
)

// hostCall is one host call in progress as its host function sees it: the
// VM, the module's memory and the call's arguments. Its methods are the
// one argument decoder and result encoder of every host function in
// imports_env.go. Every pointer and length a module passes is checked
// here: a bad one sets fault, which the host function answers with
// INVALID_MEMORY_ACCESS, never a host panic.
//
// A host function reads every argument first and checks fault once:
//
//	key, value := c.string(1), c.bytes(3) // (key_data, key_size), (value_data, value_size)
//	if c.fault {
//		return abi.StatusInvalidMemoryAccess
//	}
type hostCall struct {
	v   *vm
	mem api.Memory
	// stack is the call's wasm stack: its arguments, an i64 read from here.
	stack []uint64
	// args are the i32 arguments, decoded with api.DecodeU32: the upper
	// bits of a stack slot can be garbage.
	args [12]uint32
	// fault reports that an argument pointed outside the module's memory.
	fault bool
}

// u32 returns i32 argument i.
func (c *hostCall) u32(i int) uint32 { return c.args[i] }

// i64 returns i64 argument i.
func (c *hostCall) i64(i int) int64 { return int64(c.stack[i]) }

// view returns the bytes of the (pointer, size) pair at arguments i and
// i+1 without copying them: valid only until the module runs again or
// grows its memory, which the allocator may do within this very call. Size
// 0 is empty whatever the pointer.
func (c *hostCall) view(i int) []byte {
	ptr, size := c.args[i], c.args[i+1]
	if size == 0 {
		return nil
	}
	b, ok := c.mem.Read(ptr, size)
	if !ok {
		c.fault = true
	}
	return b
}

// bytes returns a copy of the (pointer, size) pair at arguments i and i+1.
func (c *hostCall) bytes(i int) []byte {
	if b := c.view(i); b != nil {
		return append([]byte(nil), b...)
	}
	return nil
}

// string returns the (pointer, size) pair at arguments i and i+1 as a
// string, a copy.
func (c *hostCall) string(i int) string { return string(c.view(i)) }

// propertyPath returns the property path at arguments i and i+1: the ABI's
// NUL-separated segments ("request\x00path\x00") joined with '.'.
func (c *hostCall) propertyPath(i int) string {
	return strings.ReplaceAll(strings.TrimRight(c.string(i), "\x00"), "\x00", ".")
}

// returnU32 writes v where the out-pointer argument i points.
func (c *hostCall) returnU32(i int, v uint32) abi.Status {
	if !c.mem.WriteUint32Le(c.args[i], v) {
		return abi.StatusInvalidMemoryAccess
	}
	return abi.StatusOK
}

// returnU64 writes v, little-endian, where the out-pointer argument i
// points.
func (c *hostCall) returnU64(i int, v uint64) abi.Status {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	if !c.mem.Write(c.args[i], b[:]) {
		return abi.StatusInvalidMemoryAccess
	}
	return abi.StatusOK
}

// returnBytes hands data to the module through the out-pointers at
// arguments i (the address) and i+1 (the size), the way
// proxy-wasm-cpp-host does: one call to the module's allocator (never more
// in one host call, which keeps a Go guest's freshly allocated block safe
// from its GC), a copy, and the address and size written. Empty data is
// address 0, size 0, with no allocation.
func (c *hostCall) returnBytes(i int, data []byte) abi.Status {
	if len(data) == 0 {
		if st := c.returnU32(i, 0); st != abi.StatusOK {
			return st
		}
		return c.returnU32(i+1, 0)
	}
	p, err := c.v.allocate(uint32(len(data)))
	if err != nil || p == 0 {
		return abi.StatusInvalidMemoryAccess
	}
	if !c.mem.Write(p, data) {
		return abi.StatusInvalidMemoryAccess
	}
	if st := c.returnU32(i, p); st != abi.StatusOK {
		return st
	}
	return c.returnU32(i+1, uint32(len(data)))
}

// beginHostCall returns the call record for a host call with n i32
// arguments on stack, its arguments decoded. The records are the VM's own,
// one per nesting level (a host call may run the allocator, which may call
// the host): one of the caller's would escape to the heap through the host
// function, an allocation per host call. endHostCall releases it.
func (v *vm) beginHostCall(mem api.Memory, stack []uint64, n int) *hostCall {
	v.callDepth++
	var c *hostCall
	if v.callDepth <= len(v.calls) {
		c = &v.calls[v.callDepth-1]
	} else {
		c = new(hostCall) // deeper than any host call nests in practice
	}
	c.v, c.mem, c.stack, c.fault = v, mem, stack, false
	for i := range n {
		c.args[i] = api.DecodeU32(stack[i])
	}
	return c
}

// endHostCall releases the record beginHostCall returned last.
func (v *vm) endHostCall() { v.callDepth-- }

// writeU32 writes v at ptr, for the WASI calls, which do not go through
// hostCall.
func writeU32(mem api.Memory, ptr, v uint32) bool { return mem.WriteUint32Le(ptr, v) }
