package verify

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// The generic model's vocabulary: what a signature is computed with
// (Algorithm), how it is written (Encoding), the shape of its header
// (Format) and how a signed timestamp is written (TimestampFormat).

// Algorithm is an HMAC's hash function, or a public-key algorithm
// (Ed25519, ECDSAP256SHA256).
type Algorithm string

// Algorithms.
const (
	SHA1   Algorithm = "sha1"
	SHA256 Algorithm = "sha256"
	SHA512 Algorithm = "sha512"
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

// IsPublicKey reports whether a is a public-key algorithm, whose keys are
// public keys rather than shared secrets.
func (a Algorithm) IsPublicKey() bool { return a == Ed25519 || a == ECDSAP256SHA256 }

// maxSignatureSize bounds a decoded signature: SHA-512's 64 bytes, an
// Ed25519 signature's 64, a DER ECDSA P-256 signature's at most 72.
const maxSignatureSize = 72

// new returns an HMAC algorithm's hash.
func (a Algorithm) new() (func() hash.Hash, error) {
	switch a {
	case SHA1:
		return newSHA1, nil
	case SHA256:
		return newSHA256, nil
	case SHA512:
		return sha512.New, nil
	}
	return nil, errorf(ErrInvalidScheme, "algorithm %q (want sha1, sha256, sha512, ed25519 or ecdsa-p256-sha256)", string(a))
}

// Encoding is how a signature's bytes are written in its header.
type Encoding string

// Encodings. Hex is accepted in either case; base64 with or without
// padding.
const (
	Hex       Encoding = "hex"
	Base64    Encoding = "base64"
	Base64URL Encoding = "base64url"
)

// decode decodes s into exactly size bytes (a negative size: 1 to -size
// bytes, for DER signatures), or fails.
func (e Encoding) decode(s string, size int) ([]byte, bool) { return e.decodeInto(nil, s, size) }

// decodeInto is decode writing into dst's storage when it is large enough,
// so a request's signatures need no allocation.
func (e Encoding) decodeInto(dst []byte, s string, size int) ([]byte, bool) {
	src := unsafe.Slice(unsafe.StringData(s), len(s)) // read only
	switch e {
	case Hex:
		n := size
		if size < 0 { // any length up to -size
			if n = len(s) / 2; n == 0 || n > -size {
				return nil, false
			}
		}
		if len(s) != 2*n {
			return nil, false
		}
		if cap(dst) < n {
			dst = make([]byte, n)
		}
		m, err := hex.Decode(dst[:n], src)
		return dst[:m], err == nil && m == n
	case Base64, Base64URL:
		enc := base64.StdEncoding
		if e == Base64URL {
			enc = base64.URLEncoding
		}
		if !strings.HasSuffix(s, "=") {
			enc = enc.WithPadding(base64.NoPadding)
		}
		enc = enc.Strict()
		if max := enc.DecodedLen(len(s)); cap(dst) < max {
			dst = make([]byte, max)
		}
		n, err := enc.Decode(dst[:cap(dst)], src)
		return dst[:n], err == nil && (n == size || size < 0 && n > 0 && n <= -size)
	}
	return nil, false
}

// encode writes sum as e writes it: lower-case hex, padded base64.
func (e Encoding) encode(sum []byte) string {
	switch e {
	case Base64:
		return base64.StdEncoding.EncodeToString(sum)
	case Base64URL:
		return base64.URLEncoding.EncodeToString(sum)
	}
	return hex.EncodeToString(sum)
}

func (e Encoding) valid() bool { return e == Hex || e == Base64 || e == Base64URL }

// Format is the shape of a signature header.
type Format string

// Formats.
const (
	// Plain is one signature, after an optional prefix: "sha256=<hex>".
	Plain Format = "plain"
	// KeyValue is "t=<ts>,v1=<sig>[,v1=<sig>]…", pairs separated by any of
	// HMAC.Separators, keys repeatable. Entries with other keys (Stripe's
	// v0) are ignored.
	KeyValue Format = "kv"
	// List is space-separated "<version><sep><sig>" entries, such as
	// Standard Webhooks' "v1,<b64> v1,<b64>". Other versions are ignored.
	List Format = "list"
	// Positional is "<ts>,<sig>[,<sig>]…": the signed timestamp first,
	// then the signatures, separated by any of HMAC.Separators (Recurly).
	Positional Format = "positional"
)

// TimestampFormat is how a signed timestamp is written.
type TimestampFormat string

// Timestamp formats.
const (
	UnixSeconds TimestampFormat = "unix"
	UnixMillis  TimestampFormat = "unix_ms"
	// RFC3339 also accepts a time without a zone as UTC (Orb sends
	// "2024-01-02T03:04:05.678901").
	RFC3339 TimestampFormat = "rfc3339"
)

// parse reads a timestamp. Only plain digits are numbers: a sign, a space
// or a fraction is malformed, so "NaN" can never slip past a comparison.
func (f TimestampFormat) parse(s string) (time.Time, error) {
	switch f {
	case UnixSeconds, UnixMillis:
		if s == "" || len(s) > 16 || strings.TrimLeft(s, "0123456789") != "" {
			return time.Time{}, ErrMalformedTimestamp
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, ErrMalformedTimestamp
		}
		if f == UnixMillis {
			return time.UnixMilli(n), nil
		}
		return time.Unix(n, 0), nil
	case RFC3339:
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, nil
		}
		if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, ErrMalformedTimestamp
}

func (f TimestampFormat) valid() bool { return f == UnixSeconds || f == UnixMillis || f == RFC3339 }

// resolution is the unit a timestamp is written in: tolerance is checked
// at that resolution, so a tolerance of 0 accepts the current second.
func (f TimestampFormat) resolution() time.Duration {
	switch f {
	case UnixSeconds:
		return time.Second
	case UnixMillis:
		return time.Millisecond
	}
	return time.Nanosecond
}

// checkTimestamp checks ts against now and the tolerance.
func checkTimestamp(ts string, format TimestampFormat, tolerance time.Duration, now time.Time) error {
	if ts == "" {
		return ErrMissingTimestamp
	}
	t, err := format.parse(ts)
	if err != nil {
		return WithHint(err, "timestamp is not "+format.describe())
	}
	// Compared as instants, not as a difference, which would saturate
	// for a timestamp centuries away and pass.
	now = now.Truncate(format.resolution())
	if t.Before(now.Add(-tolerance)) || t.After(now.Add(tolerance)) {
		return WithHint(ErrTimestampOutOfTolerance, skewHint(ts, t, now, tolerance, format))
	}
	return nil
}

// skewHint says how far a timestamp is from the clock against the
// tolerance, and whether its unit looks wrong (milliseconds where seconds
// are expected, or the other way).
func skewHint(ts string, t, now time.Time, tolerance time.Duration, format TimestampFormat) string {
	var skew string
	switch d := now.Sub(t); {
	case d > 100*365*24*time.Hour || d < -100*365*24*time.Hour:
		skew = "timestamp is over a century from the clock"
	case d > 0:
		skew = "timestamp is " + d.Truncate(time.Second).String() + " behind the clock"
	default:
		skew = "timestamp is " + (-d).Truncate(time.Second).String() + " ahead of the clock"
	}
	hint := skew + "; tolerance " + tolerance.String()
	digits := len(ts)
	switch {
	case format == UnixSeconds && digits >= 13:
		hint += "; it looks like milliseconds where seconds are expected"
	case format == UnixMillis && digits <= 10:
		hint += "; it looks like seconds where milliseconds are expected"
	}
	return hint
}

// describe names the format for a hint.
func (f TimestampFormat) describe() string {
	switch f {
	case UnixSeconds:
		return "Unix seconds (digits only)"
	case UnixMillis:
		return "Unix milliseconds (digits only)"
	}
	return "an RFC 3339 time"
}
