package verify

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"strings"
)

// Turning keys as configured into key bytes: shared secrets as their
// provider issues them (SecretEncoding), public keys, and, for fixtures,
// private keys. Errors never quote a key.

// SecretEncoding is how a configured secret string becomes key bytes.
type SecretEncoding string

// Secret encodings.
const (
	// UTF8 uses the string's bytes as they are (Stripe's whsec_… too).
	UTF8 SecretEncoding = "utf8"
	// Base64Secret decodes standard base64, padded or not.
	Base64Secret SecretEncoding = "base64"
	// HexSecret decodes hex.
	HexSecret SecretEncoding = "hex"
	// Whsec strips an optional "whsec_" and decodes the rest as base64, as
	// Standard Webhooks and Svix do.
	Whsec SecretEncoding = "whsec"
)

// DecodeSecret turns a configured secret into key bytes. Errors never
// quote the secret.
func DecodeSecret(enc SecretEncoding, s string) ([]byte, error) {
	var b []byte
	var err error
	switch enc {
	case UTF8, "":
		b = []byte(s)
	case Base64Secret, Whsec:
		if enc == Whsec {
			s = strings.TrimPrefix(s, "whsec_")
		}
		e := base64.StdEncoding
		if !strings.HasSuffix(s, "=") {
			e = e.WithPadding(base64.NoPadding)
		}
		b, err = e.DecodeString(s)
	case HexSecret:
		b, err = hex.DecodeString(s)
	default:
		return nil, errorf(ErrInvalidScheme, "secret encoding %q (want utf8, base64, hex or whsec)", string(enc))
	}
	if err != nil {
		return nil, errorf(ErrInvalidScheme, "secret is not valid %s", string(enc))
	}
	if len(b) == 0 {
		return nil, ErrEmptySecret
	}
	return b, nil
}

// DecodeKeys returns keys with each secret decoded as enc says. Errors
// name the key's id, never its secret.
func DecodeKeys(keys []Key, enc SecretEncoding) ([]Key, error) {
	out := make([]Key, len(keys))
	for i, k := range keys {
		b, err := DecodeSecret(enc, string(k.Secret))
		if err != nil {
			return nil, errorf(err, "key %q", k.ID)
		}
		out[i] = Key{ID: k.ID, Secret: b}
	}
	return out, nil
}

// DecodePublicKeys is DecodeKeys for a public-key algorithm's keys
// (DecodePublicKey).
func DecodePublicKeys(keys []Key, alg Algorithm) ([]Key, error) {
	out := make([]Key, len(keys))
	for i, k := range keys {
		b, err := DecodePublicKey(alg, string(k.Secret))
		if err != nil {
			return nil, errorf(err, "key %q", k.ID)
		}
		out[i] = Key{ID: k.ID, Secret: b}
	}
	return out, nil
}

// PublicKeyEncoding is how public-key presets read their keys: hex,
// base64, Standard Webhooks' whpk_, PEM, or base64 DER
// (SubjectPublicKeyInfo), whichever the provider issues (DecodePublicKey).
const PublicKeyEncoding SecretEncoding = "public-key"

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
