package verify

import (
	"crypto/hmac"
	"hash"

	"github.com/hookguard/hookguard/filter/verify/internal/sha"
)

// keyedMAC returns a constructor of HMACs under secret. With the module's
// own hashes the padded key's state is computed here, once per key, rather
// than per request; with the standard library's (native builds, SHA-512)
// it is crypto/hmac.
func keyedMAC(newHash func() hash.Hash, secret []byte) func() hash.Hash {
	if k := sha.NewKeyed(newHash, secret); k != nil {
		return k.New
	}
	return func() hash.Hash { return hmac.New(newHash, secret) }
}
