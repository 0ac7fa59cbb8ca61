// Package verify checks signed webhook requests over their raw bytes.
//
// It knows nothing of proxy-wasm or net/http, so the same code runs natively
// in Go programs and tests and inside the hookguard WebAssembly filter.
//
// A [Scheme] is one way of proving a request came from its sender: a
// provider's HMAC signature ([HMAC], and the presets [Preset] returns),
// a static token or Basic credentials ([Token], [Basic]). Begin sees the
// request's headers and the current time and returns a [Check]; a check
// that needs the body is fed it chunk by chunk as it streams and decides in
// Verify. Most schemes hash the body as it passes and never hold it; the few
// that sign parsed form fields (Twilio, Mandrill, Mailgun) buffer it up to
// the caller's cap, and say so in their documentation.
//
//	s, err := verify.Preset("stripe", verify.Options{Keys: []verify.Key{{ID: "k1", Secret: secret}}})
//	c, err := s.Begin(req, time.Now())   // header-only errors come back here
//	c.Write(chunk)                       // for every body chunk
//	keyID, err := c.Verify()             // ErrSignatureMismatch on a forged body
//
// Every error a request can cause is one of the sentinel errors below, so
// callers test them with errors.Is and can log them: none carries request
// data or a secret.
//
// Where each part lives: verify.go (Scheme, Check, the errors); the
// generic model in hmac.go (HMAC and its validation), types.go (its
// vocabulary), template.go (the signed content), sigheader.go (the
// signature header's formats), check.go (a request's check) and pubkey.go
// (its public-key algorithms); keys.go (decoding secrets and keys);
// preset.go (what a preset is, and how one is built) and presets.go (the
// table of presets); either.go (presets made of several schemes); form.go,
// mailgun.go, token.go and jwt.go (the other schemes); sign.go (signing,
// for tests and fixtures).
package verify

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors a request can cause. Each says why the request is rejected and none
// carries request data, so they are safe to log. Test with errors.Is.
var (
	// ErrMissingSignature means the request carries no signature (or no
	// credentials, for a token or Basic scheme).
	ErrMissingSignature = errors.New("missing signature")
	// ErrMalformedSignature means the signature is not in the scheme's
	// format or encoding, or its header appears more than once.
	ErrMalformedSignature = errors.New("malformed signature")
	// ErrSignatureMismatch means the signature is well formed but matches
	// the request under none of the keys.
	ErrSignatureMismatch = errors.New("signature mismatch")
	// ErrMissingTimestamp means the scheme signs a timestamp and the
	// request carries none.
	ErrMissingTimestamp = errors.New("missing timestamp")
	// ErrMalformedTimestamp means the timestamp is not in the scheme's
	// format.
	ErrMalformedTimestamp = errors.New("malformed timestamp")
	// ErrTimestampOutOfTolerance means the signed timestamp is further from
	// now than the tolerance, in either direction.
	ErrTimestampOutOfTolerance = errors.New("timestamp out of tolerance")
	// ErrUnauthorized means a token or Basic credential matched none of
	// the configured ones.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrBodyTooLarge means the body exceeded the cap. It is returned as
	// soon as the cap is crossed.
	ErrBodyTooLarge = errors.New("body too large")
	// ErrMalformedBody means a scheme that reads the body (form fields,
	// a JSON field) could not parse it.
	ErrMalformedBody = errors.New("malformed body")
	// ErrKeysUnavailable means a JWT scheme's remote JWK Set has not been
	// fetched yet: the request is refused, and may be retried.
	ErrKeysUnavailable = errors.New("JWK Set not fetched yet")
)

// Errors in building a scheme. They name fields, never secret values.
var (
	// ErrNoKeys means a scheme was built without a key. A verifier that
	// accepts anything is never built.
	ErrNoKeys = errors.New("no keys")
	// ErrEmptySecret means a key has an empty secret.
	ErrEmptySecret = errors.New("empty secret")
	// ErrInvalidScheme means a scheme's settings are inconsistent; the
	// wrapped text says which.
	ErrInvalidScheme = errors.New("invalid scheme")
	// ErrUnknownPreset means Preset was given a name it does not know.
	ErrUnknownPreset = errors.New("unknown preset")
)

// DefaultMaxBodyBytes is the default body cap, 1 MiB: Envoy's default
// per-connection buffer limit, past which Envoy itself answers 413.
const DefaultMaxBodyBytes = 1 << 20

// DefaultTolerance is how far a signed timestamp may be from now, in
// either direction, unless a preset or its configuration says otherwise:
// Stripe's, Slack's and Standard Webhooks' five minutes.
const DefaultTolerance = 5 * time.Minute

// maxSignatures bounds the signatures one request may carry, so a header
// of thousands of entries cannot multiply the work of a check.
const maxSignatures = 16

// maxKeys bounds the keys of one scheme for the same reason.
const maxKeys = 16

// Key is one secret a scheme accepts, with an id that is reported when it
// matches, so operators can tell when an old key is no longer used. The id
// is not secret; the secret never leaves the scheme.
type Key struct {
	ID     string
	Secret []byte
}

// Field is one request header. Names are lower-case, as proxy-wasm and
// HTTP/2 carry them.
type Field struct{ Name, Value string }

// Request is what a scheme sees of a request before its body: the
// pseudo-headers and the other headers, in order.
type Request struct {
	Method    string // :method
	Scheme    string // :scheme, "http" or "https"
	Authority string // :authority (the Host header)
	Path      string // :path, with the query string
	Header    []Field
}

// Single returns the first value of header name and how many times the
// header appears; the caller, which knows what it means, decides whether a
// repeat is an error.
func (r *Request) Single(name string) (value string, n int) {
	for _, f := range r.Header {
		if f.Name == name {
			if n == 0 {
				value = f.Value
			}
			n++
		}
	}
	return value, n
}

// Query returns the path's query string, without the '?'.
func (r *Request) Query() string {
	if i := strings.IndexByte(r.Path, '?'); i >= 0 {
		return r.Path[i+1:]
	}
	return ""
}

// A Scheme verifies requests of one kind. Schemes are safe for concurrent
// use; each request gets its own Check.
type Scheme interface {
	// Begin starts verifying one request at time now. Whatever can be
	// decided from the headers alone (a missing or malformed signature, a
	// stale timestamp, a wrong token) comes back here as an error.
	Begin(req *Request, now time.Time) (Check, error)
}

// A Check is one request's verification in progress. It is not safe for
// concurrent use.
type Check interface {
	// NeedsBody reports whether the verdict depends on the body. When it
	// does not (tokens, Basic), Verify can be called at once.
	NeedsBody() bool
	// Write feeds the next body bytes, exactly as received.
	Write(p []byte) (int, error)
	// Verify returns the id of the key that matched, or why none did.
	Verify() (keyID string, err error)
	// Release hands the check back once its caller is done with it, so
	// that the next Begin can reuse it instead of allocating (in the
	// module an allocation of a check's size costs more than hashing a
	// small body). After Release the check must not be used; a caller
	// that never calls it only leaves the check to the collector.
	Release()
}

// Limit returns c with a body cap: past max bytes, Write and Verify return
// ErrBodyTooLarge. A truncated body is never verified.
func Limit(c Check, max int64) Check {
	l := new(Limited)
	l.Reset(c, max)
	return l
}

// Limited is the Check Limit returns, for a caller that keeps it in its own
// storage: Reset makes it c under the cap max, without an allocation (in
// the module, an allocation per request costs a GC cycle now and then).
type Limited struct {
	Check
	n, max int64
}

// Reset makes l c with a body cap of max bytes, nothing written yet.
func (l *Limited) Reset(c Check, max int64) { *l = Limited{Check: c, max: max} }

// Release implements Check: the wrapped check is handed back.
func (l *Limited) Release() { l.Check.Release() }

func (l *Limited) Write(p []byte) (int, error) {
	l.n += int64(len(p))
	if l.n > l.max {
		return 0, ErrBodyTooLarge
	}
	return l.Check.Write(p)
}

func (l *Limited) Verify() (string, error) {
	if l.n > l.max {
		return "", ErrBodyTooLarge
	}
	return l.Check.Verify()
}

// Verify checks a whole request at once: Begin, Write and Verify.
func Verify(s Scheme, req *Request, body []byte, now time.Time) (keyID string, err error) {
	c, err := s.Begin(req, now)
	if err != nil {
		return "", err
	}
	if c.NeedsBody() {
		if _, err := c.Write(body); err != nil {
			return "", err
		}
	}
	return c.Verify()
}

// ownKeys validates keys for a scheme's constructor and returns a copy, so
// a caller changing its slices afterwards changes nothing.
func ownKeys(keys []Key) ([]Key, error) {
	if err := checkKeys(keys); err != nil {
		return nil, err
	}
	out := make([]Key, len(keys))
	for i, k := range keys {
		out[i] = Key{ID: k.ID, Secret: append([]byte(nil), k.Secret...)}
	}
	return out, nil
}

// checkKeys validates keys for a scheme's constructor.
func checkKeys(keys []Key) error {
	if len(keys) == 0 {
		return ErrNoKeys
	}
	if len(keys) > maxKeys {
		return errorf(ErrInvalidScheme, "%d keys; at most %d", len(keys), maxKeys)
	}
	for _, k := range keys {
		if len(k.Secret) == 0 {
			return errorf(ErrEmptySecret, "key %q", k.ID)
		}
	}
	return nil
}

// bufferedBody is the body a check that parses it keeps (forms, a
// signature inside the body), up to its caller's cap (Limit): its
// NeedsBody, Write and Release.
type bufferedBody struct{ body []byte }

func (b *bufferedBody) NeedsBody() bool { return true }

func (b *bufferedBody) Write(p []byte) (int, error) {
	b.body = append(b.body, p...)
	return len(p), nil
}

func (b *bufferedBody) Release() {}

// Refused returns a check that reads the body and then fails with err:
// for a request whose headers already failed, but whose body must still
// be read (a handshake in it may be answered first).
func Refused(err error) Check { return refused{err} }

type refused struct{ err error }

func (refused) NeedsBody() bool             { return true }
func (refused) Write(p []byte) (int, error) { return len(p), nil }
func (r refused) Verify() (string, error)   { return "", r.err }
func (refused) Release()                    {}

// decided is a Check whose verdict came from the headers.
type decided struct {
	keyID string
}

func (decided) NeedsBody() bool             { return false }
func (decided) Write(p []byte) (int, error) { return len(p), nil }
func (d decided) Verify() (string, error)   { return d.keyID, nil }
func (decided) Release()                    {}

// errorf wraps a sentinel with detail.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
