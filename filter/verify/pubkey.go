package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"hash"
	"io"
	"math/big"
	"strings"
)

// Public-key algorithms of the generic model: the sender signs with a
// private key only it holds and the route holds the public key, so the
// edge never has anything that can sign.
const (
	// Ed25519 signs the whole message (Discord, Telnyx, Standard Webhooks
	// v1a). There is no hash to stream into: the body is buffered up to
	// the route's max_body_bytes.
	Ed25519 Algorithm = "ed25519"
	// ECDSAP256SHA256 signs the message's SHA-256 with P-256, the signature
	// DER-encoded (SendGrid). The body is hashed as it streams.
	ECDSAP256SHA256 Algorithm = "ecdsa-p256-sha256"
)

// PublicKeyEncoding is how public-key presets read their keys: hex,
// base64, Standard Webhooks' whpk_, PEM, or base64 DER
// (SubjectPublicKeyInfo), whichever the provider issues (DecodePublicKey).
const PublicKeyEncoding SecretEncoding = "public-key"

// IsPublicKey reports whether a is a public-key algorithm, whose keys are
// public keys rather than shared secrets.
func (a Algorithm) IsPublicKey() bool { return a == Ed25519 || a == ECDSAP256SHA256 }

// maxSignatureSize bounds a decoded signature: SHA-512's 64 bytes, an
// Ed25519 signature's 64, a DER ECDSA P-256 signature's at most 72.
const maxSignatureSize = 72

// The DER SubjectPublicKeyInfo prefixes of an Ed25519 key and of an
// uncompressed P-256 point: the rest is the key itself. Matching them
// avoids crypto/x509, which would add its whole parser to the module.
var (
	ed25519SPKI = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}
	p256SPKI    = []byte{0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00}
)

// DecodePublicKey turns a configured public key for alg into its raw
// bytes: an Ed25519 key's 32, a P-256 point's 65 (uncompressed). It takes
// hex, base64 (padded or not), whpk_ followed by base64, PEM "PUBLIC KEY",
// or base64 DER SubjectPublicKeyInfo. Errors say what was expected.
func DecodePublicKey(alg Algorithm, s string) ([]byte, error) {
	b, err := keyBytes(s, "PUBLIC KEY", "whpk_")
	if err != nil {
		return nil, err
	}
	switch alg {
	case Ed25519:
		if len(b) == len(ed25519SPKI)+ed25519.PublicKeySize && bytes.HasPrefix(b, ed25519SPKI) {
			b = b[len(ed25519SPKI):]
		}
		if len(b) != ed25519.PublicKeySize {
			return nil, errorf(ErrInvalidScheme, "public key is not an Ed25519 key (want 32 bytes in hex or base64, whpk_…, or PEM)")
		}
	case ECDSAP256SHA256:
		if len(b) == len(p256SPKI)+65 && bytes.HasPrefix(b, p256SPKI) {
			b = b[len(p256SPKI):]
		}
		if _, err := ecdh.P256().NewPublicKey(b); err != nil {
			return nil, errorf(ErrInvalidScheme, "public key is not a P-256 key (want base64 DER, PEM, or an uncompressed point)")
		}
	default:
		return nil, errorf(ErrInvalidScheme, "algorithm %q has no public keys", string(alg))
	}
	return append([]byte(nil), b...), nil
}

// DecodePrivateKey turns a private key for alg, for signing fixtures, into
// its 32-byte seed (Ed25519) or scalar (P-256): hex, base64, whsk_
// followed by base64 (Ed25519's 64-byte form, seed then public key, too).
func DecodePrivateKey(alg Algorithm, s string) ([]byte, error) {
	b, err := keyBytes(s, "PRIVATE KEY", "whsk_")
	if err != nil {
		return nil, err
	}
	if alg == Ed25519 && len(b) == ed25519.PrivateKeySize {
		b = b[:ed25519.SeedSize]
	}
	if len(b) != 32 || !alg.IsPublicKey() {
		return nil, errorf(ErrInvalidScheme, "private key is not a 32-byte %s key", string(alg))
	}
	if alg == ECDSAP256SHA256 {
		if _, err := ecdh.P256().NewPrivateKey(b); err != nil {
			return nil, errorf(ErrInvalidScheme, "private key is not a P-256 scalar")
		}
	}
	return b, nil
}

// keyBytes decodes a key written as PEM (of pemType), prefix+base64, hex
// or base64.
func keyBytes(s, pemType, prefix string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(s))
		if block == nil || block.Type != pemType {
			return nil, errorf(ErrInvalidScheme, "key is not PEM %q", pemType)
		}
		return block.Bytes, nil
	}
	if rest, ok := strings.CutPrefix(s, prefix); ok {
		s = rest
	} else if b, err := hex.DecodeString(s); err == nil && len(b) > 0 {
		return b, nil
	}
	e := base64.StdEncoding
	if !strings.HasSuffix(s, "=") {
		e = e.WithPadding(base64.NoPadding)
	}
	b, err := e.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errorf(ErrInvalidScheme, "key is neither hex, base64 nor PEM")
	}
	return b, nil
}

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

// PublicKeyFor returns the public key of privateKey (DecodePrivateKey's
// forms) as the named preset's provider shows it: hex for Discord, base64
// for Telnyx, base64 DER for SendGrid, whpk_… for Standard Webhooks. It
// is for fixtures and for trying a route by hand.
func PublicKeyFor(preset, privateKey string) (string, error) {
	p, ok := presets[preset]
	if !ok || p.info.SecretEncoding != PublicKeyEncoding && preset != "standard-webhooks" {
		return "", errorf(ErrInvalidScheme, "%s does not sign with a public key", preset)
	}
	alg := p.info.HMAC.Algorithm
	if !alg.IsPublicKey() {
		alg = Ed25519 // standard-webhooks' v1a
	}
	priv, err := DecodePrivateKey(alg, privateKey)
	if err != nil {
		return "", err
	}
	pub, err := publicOf(alg, priv)
	if err != nil {
		return "", err
	}
	switch p.keyForm {
	case "hex":
		return hex.EncodeToString(pub), nil
	case "spki":
		return base64.StdEncoding.EncodeToString(append(append([]byte(nil), p256SPKI...), pub...)), nil
	case "whpk":
		return "whpk_" + base64.StdEncoding.EncodeToString(pub), nil
	}
	return base64.StdEncoding.EncodeToString(pub), nil
}
