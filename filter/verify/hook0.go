package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// KindHook0 is Hook0's signature, which Coinbase CDP's webhooks carry:
// X-Hook0-Signature: t=<unix seconds>,h=<header names, space-separated>,
// v1=<hex>, the HMAC-SHA256 (key: the secret's UTF-8 bytes) of
// "{t}.{h}.{the named headers' values joined by '.'}.{body}". The headers a
// signature covers are named in the request, so the check reads them from
// the request; the body streams. The legacy v0 entry (over "{t}.{body}",
// without the headers) is never verified: a request that carries v0 alone
// is refused, and a v0 beside a v1 is not looked at.
const KindHook0 PresetKind = "hook0"

// maxSignedHeaders bounds the headers one signature may name (Hook0's h,
// Contentful's x-contentful-signed-headers), so a long list cannot
// multiply the work of a check.
const maxSignedHeaders = 32

// maxHook0Parts bounds the comma-separated entries of X-Hook0-Signature.
const maxHook0Parts = 16

func init() {
	kindBuilders[KindHook0] = func(p PresetInfo, o Options) (Scheme, error) { return newHook0(p, o) }
}

// hook0 verifies Hook0's v1 signatures (KindHook0).
type hook0 struct {
	header    string // the signature header
	keys      []Key  // ids only: the secrets are in macs
	macs      []keyedMAC
	tolerance time.Duration
}

// macKeys decodes a kind's keys into MACs under each secret, and checks
// the tolerance: what newHook0 and newContentful share.
func macKeys(p PresetInfo, o Options) (ids []Key, macs []keyedMAC, tolerance time.Duration, err error) {
	if err := checkKeys(o.Keys); err != nil {
		return nil, nil, 0, err
	}
	keys, err := DecodeKeys(o.Keys, p.SecretEncoding)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, k := range keys {
		ids = append(ids, Key{ID: k.ID})
		macs = append(macs, newKeyedMAC(newSHA256, k.Secret))
	}
	tolerance = o.tolerance(p.HMAC.Tolerance)
	if tolerance < 0 {
		return nil, nil, 0, errorf(ErrInvalidScheme, "negative tolerance")
	}
	return ids, macs, tolerance, nil
}

func newHook0(p PresetInfo, o Options) (Scheme, error) {
	ids, macs, tolerance, err := macKeys(p, o)
	if err != nil {
		return nil, err
	}
	return &hook0{header: p.SignatureHeaders[0], keys: ids, macs: macs, tolerance: tolerance}, nil
}

// hook0Signature is X-Hook0-Signature, parsed.
type hook0Signature struct {
	t, h  string   // as signed
	names []string // h's names, in order
	v1    []byte
}

// parseHook0 reads X-Hook0-Signature: comma-separated key=value entries,
// each trimmed of spaces and tabs (as Hook0's client trims them), keys t,
// h, v0 and v1 at most once each (Hook0's client keeps the last of a
// repeated key and Coinbase's documented verifier the first, so a repeat
// is refused), other keys ignored. header is the signature header's own
// name, which h may not name.
func parseHook0(value, header string) (s hook0Signature, err error) {
	var seen [4]bool // t, h, v0, v1
	var v1 string
	n := 0
	for part := range strings.SplitSeq(value, ",") {
		if n++; n > maxHook0Parts {
			return s, errorf(ErrMalformedSignature, "more than %d entries", maxHook0Parts)
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return s, errorf(ErrMalformedSignature, "an entry without '='")
		}
		k, v = strings.Trim(k, " \t"), strings.Trim(v, " \t")
		var i int
		switch k {
		case "t":
			i, s.t = 0, v
		case "h":
			i, s.h = 1, v
		case "v0":
			i = 2
		case "v1":
			i, v1 = 3, v
		default:
			continue // another key: ignored, as Hook0's client ignores it
		}
		if seen[i] {
			return s, errorf(ErrMalformedSignature, "an entry twice")
		}
		seen[i] = true
	}
	switch {
	case !seen[3] && seen[2]:
		return s, errorf(ErrMalformedSignature, "only a v0 signature, which does not cover the headers: hookguard verifies v1")
	case !seen[3]:
		return s, errorf(ErrMalformedSignature, "no v1 signature")
	case !seen[0] || s.t == "":
		return s, ErrMissingTimestamp
	case s.t[0] == '0':
		// Hook0's client signs the number it parsed, Coinbase's documented
		// verifier the text: with a leading zero the two differ.
		return s, ErrMalformedTimestamp
	}
	var ok bool
	if s.v1, ok = Hex.decode(v1, sha256.Size); !ok {
		return s, errorf(ErrMalformedSignature, "v1 is not %d hex digits", 2*sha256.Size)
	}
	if seen[1] {
		if s.names, err = signedHeaderNames(strings.Split(s.h, " "), header, true); err != nil {
			return s, err
		}
	}
	return s, nil
}

// signedHeaderNames checks the names a signature says it covers: at most
// maxSignedHeaders, each a lower-case header name (the request's names
// are lower-case, so a name in another case could never be found as its
// sender meant it), none twice, none the signature header itself, and,
// for Hook0 (noDot), none with a '.', the separator of what it signs.
func signedHeaderNames(names []string, signatureHeader string, noDot bool) ([]string, error) {
	if len(names) > maxSignedHeaders {
		return nil, errorf(ErrMalformedSignature, "%d signed headers; at most %d", len(names), maxSignedHeaders)
	}
	for i, name := range names {
		switch {
		case !lowerToken(name) || noDot && strings.Contains(name, "."):
			return nil, errorf(ErrMalformedSignature, "a signed header name that is empty, not lower-case or not a header name")
		case name == signatureHeader:
			return nil, errorf(ErrMalformedSignature, "the signature header names itself as signed")
		}
		for _, prev := range names[:i] {
			if prev == name {
				return nil, errorf(ErrMalformedSignature, "a signed header named twice")
			}
		}
	}
	return names, nil
}

// lowerToken reports whether s is a header name (RFC 9110's token) with
// no upper-case letter.
func lowerToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// signedHeader is the one value of a header a signature names: absent or
// repeated, the request is refused, since what hookguard verified and
// what the application reads could differ (Hook0's client refuses an
// absent one too; Coinbase's documented verifier would sign it as empty).
func signedHeader(req *Request, name string) (string, error) {
	v, n := req.Single(name)
	switch {
	case n == 0:
		return "", errorf(ErrMalformedSignature, "a header the signature names is absent")
	case n > 1:
		return "", errorf(ErrMalformedSignature, "a header the signature names appears more than once")
	}
	return v, nil
}

func (s *hook0) Begin(req *Request, now time.Time) (Check, error) {
	value, n := req.Single(s.header)
	switch {
	case n == 0 || value == "":
		return nil, ErrMissingSignature
	case n > 1:
		return nil, ErrMalformedSignature
	}
	sig, err := parseHook0(value, s.header)
	if err != nil {
		return nil, err
	}
	if err := checkTimestamp(sig.t, UnixSeconds, s.tolerance, now); err != nil {
		return nil, err
	}
	prefix := make([]byte, 0, 64+len(sig.h))
	prefix = append(append(append(append(prefix, sig.t...), '.'), sig.h...), '.')
	for i, name := range sig.names {
		v, err := signedHeader(req, name)
		if err != nil {
			return nil, err
		}
		if !utf8.ValidString(v) { // Hook0's client reads the values as UTF-8
			return nil, errorf(ErrMalformedSignature, "a signed header's value is not UTF-8")
		}
		if i > 0 {
			prefix = append(prefix, '.')
		}
		prefix = append(prefix, v...)
	}
	prefix = append(prefix, '.')
	return newPrefixCheck(s.keys, s.macs, prefix, sig.v1), nil
}

// prefixCheck is a check of an HMAC-SHA256 over a prefix made from the
// headers, then the body as it streams, under each of a scheme's keys
// (KindHook0, KindContentful).
type prefixCheck struct {
	keys    []Key
	macs    []hash.Hash
	prefix  []byte // what the signature covers before the body
	sig     []byte
	matched int
}

func newPrefixCheck(keys []Key, macs []keyedMAC, prefix, sig []byte) *prefixCheck {
	c := &prefixCheck{keys: keys, macs: make([]hash.Hash, len(macs)), prefix: prefix, sig: sig, matched: -1}
	for i, k := range macs {
		c.macs[i] = k.new(nil)
		c.macs[i].Write(prefix)
	}
	return c
}

func (c *prefixCheck) NeedsBody() bool { return true }

func (c *prefixCheck) Write(p []byte) (int, error) {
	for _, m := range c.macs {
		m.Write(p)
	}
	return len(p), nil
}

func (c *prefixCheck) Verify() (string, error) {
	var sum [sha256.Size]byte
	for i, m := range c.macs {
		if hmac.Equal(m.Sum(sum[:0]), c.sig) {
			c.matched = i
			return c.keys[i].ID, nil
		}
	}
	return "", ErrSignatureMismatch
}

func (c *prefixCheck) Release() {}

// wants implements identifier: the body's digest, which with the prefix
// is what the signature covers.
func (c *prefixCheck) wants() (bool, string) { return true, "" }

// identity implements identifier: SHA-256 over exactly what the signature
// covers, the prefix (its timestamp, header names and values) and the
// body.
func (c *prefixCheck) identity(body *[32]byte, _ []byte) (Identity, bool) {
	if c.matched < 0 {
		return Identity{}, false
	}
	return sumOf(IdentitySignedContent, c.prefix, body[:]), true
}

// signHook0 signs as Hook0 does for Coinbase CDP: a v0 and a v1 entry,
// the v1 naming every header of req that it can (lower-case names without
// a '.', each once, up to maxSignedHeaders), in req's order.
func signHook0(info PresetInfo, secret string, req *Request, body []byte, now time.Time) ([]Field, []byte, error) {
	key, err := DecodeSecret(info.SecretEncoding, secret)
	if err != nil {
		return nil, nil, err
	}
	header := info.SignatureHeaders[0]
	var names, values []string
	for _, f := range req.Header {
		if _, n := req.Single(f.Name); n != 1 || len(names) == maxSignedHeaders || f.Name == header ||
			!lowerToken(f.Name) || strings.Contains(f.Name, ".") || !utf8.ValidString(f.Value) {
			continue
		}
		names, values = append(names, f.Name), append(values, f.Value)
	}
	t := strconv.FormatInt(now.Unix(), 10)
	mac := func(parts ...string) string {
		m := hmac.New(sha256.New, key)
		for _, p := range parts {
			m.Write([]byte(p))
		}
		m.Write(body)
		return hex.EncodeToString(m.Sum(nil))
	}
	h := strings.Join(names, " ")
	v := "t=" + t + ",v0=" + mac(t, ".")
	if len(names) > 0 {
		v += ",h=" + h
	}
	v += ",v1=" + mac(t, ".", h, ".", strings.Join(values, "."), ".")
	return []Field{{Name: header, Value: v}}, body, nil
}
