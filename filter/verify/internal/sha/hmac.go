package sha

import "hash"

// Keyed is HMAC (RFC 2104) under one key, with the hash states after the
// inner and outer padded keys computed once: each MAC starts from a copy of
// them, two blocks and an allocation fewer per request than crypto/hmac.New.
type Keyed struct {
	inner, outer digest
}

// NewKeyed returns HMAC under key with a hash from this package, or nil if
// newHash is not one of them.
func NewKeyed(newHash func() hash.Hash, key []byte) *Keyed {
	d, ok := newHash().(*digest)
	if !ok {
		return nil
	}
	if len(key) > BlockSize {
		h := *d
		h.Write(key)
		key = h.checkSum(nil)
	}
	var ipad, opad [BlockSize]byte
	copy(ipad[:], key)
	copy(opad[:], key)
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	k := &Keyed{inner: *d, outer: *d}
	k.inner.Write(ipad[:])
	k.outer.Write(opad[:])
	return k
}

// New returns a MAC under k's key, ready for the message.
func (k *Keyed) New() hash.Hash {
	m := new(MAC)
	k.Init(m)
	return m
}

// Init makes m a MAC under k's key, ready for the message: New without the
// allocation, for a caller that keeps MACs in its own storage.
func (k *Keyed) Init(m *MAC) { *m = MAC{inner: k.inner, k: k} }

// MAC is one HMAC computation; it is a hash.Hash.
type MAC struct {
	inner digest
	k     *Keyed
}

func (m *MAC) Write(p []byte) (int, error) { return m.inner.Write(p) }
func (m *MAC) Reset()                      { m.inner = m.k.inner }
func (m *MAC) Size() int                   { return m.inner.size }
func (m *MAC) BlockSize() int              { return BlockSize }

// Sum appends the MAC of what was written to b, leaving m unchanged.
func (m *MAC) Sum(b []byte) []byte {
	in := m.inner
	var sum [32]byte
	inner := in.checkSum(sum[:0])
	out := m.k.outer
	out.Write(inner)
	return out.checkSum(b)
}
