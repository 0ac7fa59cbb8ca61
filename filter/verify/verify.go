// Package verify checks webhook signatures over the raw bytes of a request.
//
// It knows nothing of proxy-wasm or net/http, so the same code runs natively
// in Go programs and tests and inside the hookguard WebAssembly filter. The
// body is hashed as it streams: a [Check] never holds the body.
//
// The first scheme is Pipes.bot's: X-Pipes-Signature is the hex HMAC-SHA256
// of the raw request body under a shared secret.
//
//	v, err := verify.NewPipes(secret, verify.DefaultMaxBodyBytes)
//	c, err := v.Begin(r.Header.Values(verify.PipesSignatureHeader))
//	io.Copy(c, r.Body)   // fails with ErrBodyTooLarge past the cap
//	err = c.Verify()     // ErrSignatureMismatch on a forged body
package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
)

// Errors returned by this package. Each says why a request is rejected and
// none carries request data, so they are safe to log. Test with errors.Is.
var (
	// ErrMissingSignature means the request carries no signature header.
	ErrMissingSignature = errors.New("missing signature")
	// ErrMalformedSignature means the signature header is not the scheme's
	// encoding (for Pipes.bot: 64 hex digits), or appears more than once.
	ErrMalformedSignature = errors.New("malformed signature")
	// ErrSignatureMismatch means the signature is well formed but does not
	// match the body under any configured secret.
	ErrSignatureMismatch = errors.New("signature mismatch")
	// ErrBodyTooLarge means the body exceeded the configured cap. It is
	// returned as soon as the cap is crossed.
	ErrBodyTooLarge = errors.New("body too large")
	// ErrEmptySecret means a verifier was built without a secret. A verifier
	// that accepts anything is never built.
	ErrEmptySecret = errors.New("empty secret")
	// ErrInvalidMaxBody means the body cap is not a positive number.
	ErrInvalidMaxBody = errors.New("max body bytes must be positive")
)

const (
	// PipesSignatureHeader is the header Pipes.bot signs with.
	PipesSignatureHeader = "X-Pipes-Signature"
	// DefaultMaxBodyBytes is the default body cap, 1 MiB: Envoy's default
	// per-connection buffer limit, past which Envoy itself answers 413.
	DefaultMaxBodyBytes = 1 << 20
)

// Pipes verifies the Pipes.bot scheme. It is safe for concurrent use.
type Pipes struct {
	secrets      [][]byte
	maxBodyBytes int64
}

// NewPipes returns a verifier for the Pipes.bot scheme. A request passes
// when its signature matches under any of secrets, which allows a secret to
// be rotated without dropping requests signed with the old one. Bodies over
// maxBodyBytes are rejected.
func NewPipes(maxBodyBytes int64, secrets ...[]byte) (*Pipes, error) {
	if maxBodyBytes <= 0 {
		return nil, ErrInvalidMaxBody
	}
	if len(secrets) == 0 {
		return nil, ErrEmptySecret
	}
	p := &Pipes{maxBodyBytes: maxBodyBytes}
	for _, s := range secrets {
		if len(s) == 0 {
			return nil, ErrEmptySecret
		}
		p.secrets = append(p.secrets, append([]byte(nil), s...))
	}
	return p, nil
}

// MaxBodyBytes returns the body cap.
func (p *Pipes) MaxBodyBytes() int64 { return p.maxBodyBytes }

// SignPipes returns the X-Pipes-Signature value for body under secret: the
// lower-case hex HMAC-SHA256. It exists for tests and fixtures.
func SignPipes(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Begin starts verifying one request. values are every value of the
// X-Pipes-Signature header, in order; the header must appear exactly once.
// Errors decided by the header alone come back here, before any body byte
// is read.
func (p *Pipes) Begin(values []string) (*Check, error) {
	want, err := parsePipesSignature(values)
	if err != nil {
		return nil, err
	}
	c := &Check{want: want, max: p.maxBodyBytes, macs: make([]hash.Hash, len(p.secrets))}
	for i, s := range p.secrets {
		c.macs[i] = hmac.New(sha256.New, s)
	}
	return c, nil
}

// Verify checks a whole body at once; it is Begin, Write and Check.Verify.
func (p *Pipes) Verify(values []string, body []byte) error {
	c, err := p.Begin(values)
	if err != nil {
		return err
	}
	if _, err := c.Write(body); err != nil {
		return err
	}
	return c.Verify()
}

func parsePipesSignature(values []string) ([]byte, error) {
	switch len(values) {
	case 0:
		return nil, ErrMissingSignature
	case 1:
	default:
		// Two signatures are ambiguous: which one did the sender mean, and
		// which one would a parser behind us see? Refuse both.
		return nil, ErrMalformedSignature
	}
	v := values[0]
	if v == "" {
		return nil, ErrMissingSignature
	}
	if len(v) != hex.EncodedLen(sha256.Size) {
		return nil, ErrMalformedSignature
	}
	sig := make([]byte, sha256.Size)
	if _, err := hex.Decode(sig, []byte(v)); err != nil {
		return nil, ErrMalformedSignature
	}
	return sig, nil
}

// Check verifies one request's body as it streams. It is not safe for
// concurrent use.
type Check struct {
	macs []hash.Hash
	want []byte
	n    int64
	max  int64
}

// Write hashes the next body bytes. Once the body exceeds the cap it
// returns ErrBodyTooLarge, and keeps returning it.
func (c *Check) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	if c.n > c.max {
		return 0, ErrBodyTooLarge
	}
	for _, m := range c.macs {
		m.Write(b)
	}
	return len(b), nil
}

// Len returns how many body bytes have been written.
func (c *Check) Len() int64 { return c.n }

// Verify reports whether the body written so far carries a valid signature.
// The MACs are compared in constant time, as decoded bytes.
func (c *Check) Verify() error {
	if c.n > c.max {
		return ErrBodyTooLarge
	}
	ok := 0
	for _, m := range c.macs {
		// Every secret is tried, matched or not, so the time taken does not
		// tell which secret matched.
		ok |= subtleEqual(m.Sum(nil), c.want)
	}
	if ok != 1 {
		return ErrSignatureMismatch
	}
	return nil
}

func subtleEqual(a, b []byte) int {
	if hmac.Equal(a, b) {
		return 1
	}
	return 0
}
