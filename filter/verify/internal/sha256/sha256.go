// Package sha256 is SHA-256 written for Go's WebAssembly code generation:
// its block function (block.go, made by gen.go) has every round and the
// message schedule unrolled, so the compiled module runs no loop per round
// and crosses few loop headers, each of which costs a round trip to the
// host when call deadlines are on. The module uses it; native builds keep
// crypto/sha256. Its tests check it against FIPS 180-2's examples, RFC
// 4231's HMAC cases and, differentially, crypto/sha256.
package sha256

//go:generate go run gen.go

import (
	"encoding/binary"
	"hash"
)

// Size and BlockSize are SHA-256's, in bytes.
const (
	Size      = 32
	BlockSize = 64
)

var initial = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}

type digest struct {
	h   [8]uint32
	x   [BlockSize]byte // a partial block
	nx  int
	len uint64
}

// New returns a SHA-256 hash.
func New() hash.Hash {
	d := new(digest)
	d.Reset()
	return d
}

func (d *digest) Reset() {
	d.h, d.nx, d.len = initial, 0, 0
}

func (d *digest) Size() int      { return Size }
func (d *digest) BlockSize() int { return BlockSize }

func (d *digest) Write(p []byte) (int, error) {
	n := len(p)
	d.len += uint64(n)
	if d.nx > 0 {
		c := copy(d.x[d.nx:], p)
		d.nx += c
		if d.nx == BlockSize {
			block(&d.h, d.x[:])
			d.nx = 0
		}
		p = p[c:]
	}
	if len(p) >= BlockSize {
		whole := len(p) &^ (BlockSize - 1)
		block(&d.h, p[:whole])
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
	sum := c.checkSum()
	return append(b, sum[:]...)
}

func (d *digest) checkSum() [Size]byte {
	n := d.len
	var pad [BlockSize + 8]byte
	pad[0] = 0x80
	t := 56 - n%64
	if n%64 >= 56 {
		t += 64
	}
	binary.BigEndian.PutUint64(pad[t:], n<<3)
	d.Write(pad[:t+8])
	var out [Size]byte
	for i, v := range d.h {
		binary.BigEndian.PutUint32(out[4*i:], v)
	}
	return out
}

// Sum256 returns the SHA-256 of data.
func Sum256(data []byte) [Size]byte {
	var d digest
	d.Reset()
	d.Write(data)
	return d.checkSum()
}
