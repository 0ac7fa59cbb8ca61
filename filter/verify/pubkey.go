package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"hash"
	"io"
	"math/big"
)

// The generic model's public-key path: the route holds public keys, the
// check (check.go) accumulates the message, or its SHA-256, and each
// signature is verified against each key here.

// publicKey is one route key of a public-key scheme, ready to verify.
type publicKey struct {
	ed ed25519.PublicKey
	ec *ecdsa.PublicKey
}

// newPublicKey parses raw bytes from DecodePublicKey.
func newPublicKey(alg Algorithm, raw []byte) (publicKey, error) {
	switch alg {
	case Ed25519:
		if len(raw) != ed25519.PublicKeySize {
			return publicKey{}, errorf(ErrInvalidScheme, "Ed25519 public key of %d bytes", len(raw))
		}
		return publicKey{ed: ed25519.PublicKey(raw)}, nil
	default:
		if _, err := ecdh.P256().NewPublicKey(raw); err != nil {
			return publicKey{}, errorf(ErrInvalidScheme, "P-256 public key is not a point on the curve")
		}
		return publicKey{ec: &ecdsa.PublicKey{Curve: elliptic.P256(),
			X: new(big.Int).SetBytes(raw[1:33]), Y: new(big.Int).SetBytes(raw[33:])}}, nil
	}
}

// verify reports whether sig signs what w accumulated (newMessage): the
// message itself for Ed25519, its SHA-256 for ECDSA.
func (k publicKey) verify(w io.Writer, sig []byte) bool {
	if k.ed != nil {
		return ed25519.Verify(k.ed, w.(*bytes.Buffer).Bytes(), sig)
	}
	var sum [sha256.Size]byte
	return ecdsa.VerifyASN1(k.ec, w.(hash.Hash).Sum(sum[:0]), sig)
}

// newMessage returns where what alg signs is accumulated.
func newMessage(alg Algorithm) io.Writer {
	if alg == Ed25519 {
		return new(bytes.Buffer)
	}
	return newSHA256()
}

// verifyPublic checks the signatures against every public key. Nothing
// secret is compared, so it may stop at the first that verifies.
func (k *hmacCheck) verifyPublic() (string, error) {
	for i, m := range k.msgs {
		writeParts(k.c, m, k.c.suffix, k.req, k.macVals[i], k.scratch[:0])
		for j, pub := range k.c.pubs {
			for _, sig := range k.sigs {
				if !pub.verify(m, sig) {
					continue
				}
				if err := k.checkBodyTimestamp(); err != nil {
					return "", err
				}
				k.matched = i
				return k.c.Keys[j].ID, nil
			}
		}
	}
	return "", ErrSignatureMismatch
}

// publicOf returns the raw public key of the raw private key priv
// (DecodePrivateKey).
func publicOf(alg Algorithm, priv []byte) ([]byte, error) {
	if alg == Ed25519 {
		return ed25519.NewKeyFromSeed(priv).Public().(ed25519.PublicKey), nil
	}
	k, err := ecdh.P256().NewPrivateKey(priv)
	if err != nil {
		return nil, errorf(ErrInvalidScheme, "private key is not a P-256 scalar")
	}
	return k.PublicKey().Bytes(), nil
}

// signMessage signs msg with the raw private key priv, for fixtures.
func signMessage(alg Algorithm, priv, msg []byte) ([]byte, error) {
	if alg == Ed25519 {
		return ed25519.Sign(ed25519.NewKeyFromSeed(priv), msg), nil
	}
	pub, err := publicOf(alg, priv)
	if err != nil {
		return nil, err
	}
	pk, err := newPublicKey(alg, pub)
	if err != nil {
		return nil, err
	}
	k := &ecdsa.PrivateKey{PublicKey: *pk.ec, D: new(big.Int).SetBytes(priv)}
	sum := sha256.Sum256(msg)
	return k.Sign(nil, sum[:], crypto.SHA256) // nil: RFC 6979's deterministic nonce, so fixtures are stable
}
