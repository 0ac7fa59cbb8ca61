// Package pairs encodes and decodes proxy-wasm header maps, the one binary
// format both sides of the ABI share:
//
//	u32 N | N × (u32 key_len, u32 val_len) | N × (key, 0x00, value, 0x00)
//
// All integers are little-endian. Decoding follows proxy-wasm-cpp-host's
// PairsUtil::toPairs, which is what Envoy runs: a malformed buffer decodes as
// an empty map rather than an error, and so does one over the size or count
// limits.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#serialization
package pairs

import (
	"encoding/binary"
	"unsafe"

	"github.com/hookguard/hookguard/header"
)

const (
	// MaxBytes is the largest buffer Envoy decodes (limits.h PROXY_WASM_HOST_PAIRS_MAX_BYTES).
	MaxBytes = 1 << 20
	// MaxCount is the most pairs Envoy decodes (limits.h PROXY_WASM_HOST_PAIRS_MAX_COUNT).
	MaxCount = 1024
)

// Pair is one header field: a key and its value. It is header.Field, the
// type of package host's HeaderField too, so the host encodes and decodes
// its own headers with no copy.
type Pair = header.Field

// Size returns the number of bytes Encode writes for p.
func Size(p []Pair) int {
	n := 4
	for _, kv := range p {
		n += 8 + len(kv.Key) + 1 + len(kv.Value) + 1
	}
	return n
}

// Encode serializes p. An empty map encodes as the 4-byte count 0.
func Encode(p []Pair) []byte {
	buf := make([]byte, Size(p))
	binary.LittleEndian.PutUint32(buf, uint32(len(p)))
	off := 4
	for _, kv := range p {
		binary.LittleEndian.PutUint32(buf[off:], uint32(len(kv.Key)))
		binary.LittleEndian.PutUint32(buf[off+4:], uint32(len(kv.Value)))
		off += 8
	}
	for _, kv := range p {
		off += copy(buf[off:], kv.Key) + 1 // the NUL is already zero
		off += copy(buf[off:], kv.Value) + 1
	}
	return buf
}

// Decode parses buf. Like Envoy, it returns an empty map for any malformed
// buffer: too short, over the limits, lengths that overrun, a missing NUL
// terminator, or trailing bytes.
func Decode(buf []byte) []Pair { return DecodeInto(nil, buf) }

// DecodeInto is Decode appending to dst[:0], so a caller that decodes map
// after map can reuse one slice. The strings are one new copy of buf's.
func DecodeInto(dst []Pair, buf []byte) []Pair {
	sizes, data, n, ok := split(buf)
	if !ok {
		return nil
	}
	return decode(dst, sizes, string(data), n)
}

// DecodeArena is DecodeInto without allocating once *arena has grown to
// the maps it is given: the keys and values are appended to *arena and the
// strings point into it. They stay valid while the bytes of *arena they
// point into are left alone: the caller may append to *arena but must not
// overwrite or truncate it until no string decoded into it is in use. When
// *arena has no room an empty, larger one replaces it, and strings already
// decoded keep the old one alive.
func DecodeArena(dst []Pair, arena *[]byte, buf []byte) []Pair {
	sizes, data, n, ok := split(buf)
	if !ok {
		return nil
	}
	orig := *arena
	if cap(orig)-len(orig) < len(data) {
		// A new arena; the strings in the old one keep it alive.
		*arena = make([]byte, 0, 2*cap(orig)+len(data))
	}
	start := len(*arena)
	*arena = append(*arena, data...)
	out := decode(dst, sizes, unsafe.String(unsafe.SliceData((*arena)[start:]), len(data)), n)
	if out == nil {
		*arena = orig // nothing points into what was appended
	}
	return out
}

// split checks buf's count and sizes against Envoy's limits and returns the
// size table and the data after it.
func split(buf []byte) (sizes, data []byte, n uint32, ok bool) {
	if len(buf) < 4 || len(buf) > MaxBytes {
		return nil, nil, 0, false
	}
	n = binary.LittleEndian.Uint32(buf)
	if n == 0 || n > MaxCount || uint64(len(buf)) < 4+8*uint64(n) {
		return nil, nil, 0, false
	}
	return buf[4 : 4+8*n], buf[4+8*n:], n, true
}

// decode cuts data into n pairs by the size table; each Pair's strings are
// slices of data.
func decode(dst []Pair, sizes []byte, data string, n uint32) []Pair {
	out := dst[:0]
	if cap(out) < int(n) {
		out = make([]Pair, 0, n)
	}
	for i := uint32(0); i < n; i++ {
		klen := uint64(binary.LittleEndian.Uint32(sizes[8*i:]))
		vlen := uint64(binary.LittleEndian.Uint32(sizes[8*i+4:]))
		if uint64(len(data)) < klen+1+vlen+1 || data[klen] != 0 || data[klen+1+vlen] != 0 {
			return nil
		}
		out = append(out, Pair{Key: data[:klen], Value: data[klen+1 : klen+1+vlen]})
		data = data[klen+1+vlen+1:]
	}
	if len(data) != 0 {
		return nil
	}
	return out
}
