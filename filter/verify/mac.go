package verify

import (
	"crypto/hmac"
	"hash"

	"github.com/hookguard/hookguard/filter/verify/internal/sha"
)

// keyedMAC makes HMACs under one secret. With the module's own hashes the
// padded key's state is computed once, here, rather than per request, and
// a MAC can live in its caller's storage; with the standard library's
// (native builds, SHA-512) it is crypto/hmac.
type keyedMAC struct {
	keyed   *sha.Keyed // nil: crypto/hmac
	newHash func() hash.Hash
	secret  []byte
}

func newKeyedMAC(newHash func() hash.Hash, secret []byte) keyedMAC {
	return keyedMAC{keyed: sha.NewKeyed(newHash, secret), newHash: newHash, secret: secret}
}

// new returns a MAC ready for the message, in slot when it can be.
func (k keyedMAC) new(slot *sha.MAC) hash.Hash {
	if k.keyed == nil {
		return hmac.New(k.newHash, k.secret)
	}
	if slot == nil {
		slot = new(sha.MAC)
	}
	k.keyed.Init(slot)
	return slot
}
