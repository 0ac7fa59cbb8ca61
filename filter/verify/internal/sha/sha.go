// Package sha is SHA-256 and SHA-1 written for Go's WebAssembly code
// generation: their block functions (block256.go, block1.go, made by
// gen.go) have every round and the message schedule unrolled, so the
// compiled module runs no loop per round and crosses few loop headers, each
// of which costs a round trip to the host when call deadlines are on.
// Compiled to wasm, SHA-256's block function is assembly instead
// (block256_wasm.s, made by the same gen.go): 32-bit rotations as single
// instructions and the message schedule in registers rather than linear
// memory. The module uses them; native builds keep crypto/sha256 and
// crypto/sha1. The tests, run natively and inside WebAssembly, check them
// against FIPS 180-2's examples, RFC 4231's and RFC 2202's HMAC cases and,
// differentially, the standard library.
package sha

//go:generate go run gen.go

import (
	"encoding/binary"
	"hash"
)

// BlockSize is both hashes' block size, in bytes.
const BlockSize = 64

var (
	initial256 = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
	initial1   = [8]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0}
)

// digest is the Merkle–Damgård construction both hashes share: 32-bit
// big-endian words, 64-byte blocks, the bit length in the last 8 bytes.
type digest struct {
	h       [8]uint32
	x       [BlockSize]byte // a partial block
	nx      int
	len     uint64
	size    int // output bytes: 32 or 20
	initial *[8]uint32
}

// block hashes p's whole blocks into d.h. A direct call rather than a
// function value: escape analysis then sees that no digest, and no buffer
// passed in, outlives it, so copies of a digest stay on the stack (a
// function value made every Sum allocate, which in wasm costs dearly).
func (d *digest) block(p []byte) {
	if d.size == 20 {
		block1(&d.h, p)
	} else {
		block256(&d.h, p)
	}
}

// New256 returns a SHA-256 hash.
func New256() hash.Hash { return newDigest(32, &initial256) }

// New1 returns a SHA-1 hash.
func New1() hash.Hash { return newDigest(20, &initial1) }

func newDigest(size int, initial *[8]uint32) *digest {
	d := &digest{size: size, initial: initial}
	d.Reset()
	return d
}

func (d *digest) Reset() {
	d.h, d.nx, d.len = *d.initial, 0, 0
}

func (d *digest) Size() int      { return d.size }
func (d *digest) BlockSize() int { return BlockSize }

func (d *digest) Write(p []byte) (int, error) {
	n := len(p)
	d.len += uint64(n)
	if d.nx > 0 {
		c := copy(d.x[d.nx:], p)
		d.nx += c
		if d.nx == BlockSize {
			d.block(d.x[:])
			d.nx = 0
		}
		p = p[c:]
	}
	if len(p) >= BlockSize {
		whole := len(p) &^ (BlockSize - 1)
		d.block(p[:whole])
		p = p[whole:]
	}
	if len(p) > 0 {
		d.nx = copy(d.x[:], p)
	}
	return n, nil
}

// Sum appends the hash of what was written to b, leaving d unchanged.
func (d *digest) Sum(b []byte) []byte {
	c := *d
	return c.checkSum(b)
}

func (d *digest) checkSum(b []byte) []byte {
	n := d.len
	var pad [BlockSize + 8]byte
	pad[0] = 0x80
	t := 56 - n%64
	if n%64 >= 56 {
		t += 64
	}
	binary.BigEndian.PutUint64(pad[t:], n<<3)
	d.Write(pad[:t+8])
	for _, v := range d.h[:d.size/4] {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

// Sum256 returns the SHA-256 of data.
func Sum256(data []byte) [32]byte {
	d := newDigest(32, &initial256)
	d.Write(data)
	var out [32]byte
	d.checkSum(out[:0])
	return out
}
