package verify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/hookguard/hookguard/filter/verify/internal/sha"
)

// Algorithm is an HMAC's hash function, or a public-key algorithm
// (Ed25519, ECDSAP256SHA256).
type Algorithm string

// Algorithms.
const (
	SHA1   Algorithm = "sha1"
	SHA256 Algorithm = "sha256"
	SHA512 Algorithm = "sha512"
)

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

// HMAC is the generic shared-secret scheme: a superset of AWS EventBridge's
// model, and what every HMAC preset is built from. The zero value is not
// usable: set at least SignatureHeaders and Keys, and pass it to NewHMAC.
type HMAC struct {
	// Algorithm is the hash; default SHA256.
	Algorithm Algorithm
	// Encoding is the signature's encoding; default Hex.
	Encoding Encoding
	// SignatureHeaders are the lower-case names the signature may come
	// in (Shopify has two spellings). Exactly one of them may be present,
	// once.
	SignatureHeaders []string
	// SignaturePrefix, for Plain, must precede the signature ("sha256=").
	// It is matched without regard to case.
	SignaturePrefix string
	// SignatureFormat is the header's shape; default Plain.
	SignatureFormat Format
	// SignatureKey names the signature entries: the key for KeyValue
	// ("v1", "h1", "s"), the version for List ("v1").
	SignatureKey string
	// TimestampKey, for KeyValue, names the timestamp entry ("t", "ts").
	TimestampKey string
	// Separators, for KeyValue, are the characters between pairs;
	// default ",". For List, VersionSeparator sits between version and
	// signature; default ",".
	Separators       string
	VersionSeparator string
	// Template is the signed content, over {id}, {timestamp}, {body},
	// {method}, {path}, {url}, {header:NAME} and literal text; default
	// "{body}". It must contain {body} exactly once.
	Template string
	// IDHeader and TimestampHeader name the headers {id} and {timestamp}
	// come from (unless TimestampKey takes the timestamp from the
	// signature header).
	IDHeader        string
	TimestampHeader string
	// TimestampFormat is how the timestamp is written; default UnixSeconds.
	TimestampFormat TimestampFormat
	// Tolerance is how far the timestamp may be from now, either way. It
	// is used as given: zero accepts only the current second (for
	// UnixSeconds). Presets default it to the provider's value.
	Tolerance time.Duration
	// PublicURL, when set, is the URL the sender signed in {url}, as
	// configured at the provider (see RequestURL).
	PublicURL string
	// Keys are the accepted secrets, already decoded (see DecodeSecret);
	// for a public-key Algorithm, the accepted public keys
	// (DecodePublicKey).
	Keys []Key

	// Provider quirks, set only by presets.
	urlQuirk           func(string) string // another form of {url} the sender may sign (HubSpot decodes some escapes)
	bodyTimestampField string              // the timestamp is a JSON number in the body (Linear, ms)
}

// compiledHMAC is a validated HMAC, ready for requests.
type compiledHMAC struct {
	HMAC
	newHash  func() hash.Hash
	macs     []keyedMAC  // one per key, with its padded key state computed once
	pubs     []publicKey // instead, for a public-key algorithm
	size     int         // of a signature; negative: at most -size (DER)
	prefix   []part      // signed before the body
	suffix   []part      // signed after it
	needsTS  bool
	needsURL bool
}

// part is one piece of a template: literal text or a variable.
type part struct {
	literal string
	name    string // id, timestamp, method, path, url, header:NAME
}

var templateVars = map[string]bool{"id": true, "timestamp": true, "body": true, "method": true, "path": true, "url": true}

// parseTemplate splits t around its one {body}.
func parseTemplate(t string) (prefix, suffix []part, err error) {
	bodies := 0
	cur := &prefix
	for len(t) > 0 {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			*cur = append(*cur, part{literal: t})
			break
		}
		if i > 0 {
			*cur = append(*cur, part{literal: t[:i]})
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			return nil, nil, errorf(ErrInvalidScheme, "template: unclosed {")
		}
		name := t[i+1 : i+j]
		t = t[i+j+1:]
		switch {
		case name == "body":
			bodies++
			cur = &suffix
		case templateVars[name]:
			*cur = append(*cur, part{name: name})
		case strings.HasPrefix(name, "header:") && len(name) > len("header:"):
			*cur = append(*cur, part{name: "header:" + strings.ToLower(name[len("header:"):])})
		default:
			return nil, nil, errorf(ErrInvalidScheme, "template: unknown variable {%s} (known: {id} {timestamp} {body} {method} {path} {url} {header:NAME})", name)
		}
	}
	if bodies != 1 {
		return nil, nil, errorf(ErrInvalidScheme, "template must contain {body} exactly once, has %d", bodies)
	}
	return prefix, suffix, nil
}

// NewHMAC validates h and returns it as a Scheme.
func NewHMAC(h HMAC) (Scheme, error) { return compileHMAC(h) }

func compileHMAC(h HMAC) (*compiledHMAC, error) {
	if h.Algorithm == "" {
		h.Algorithm = SHA256
	}
	if h.Encoding == "" {
		h.Encoding = Hex
	}
	if h.SignatureFormat == "" {
		h.SignatureFormat = Plain
	}
	if h.Template == "" {
		h.Template = "{body}"
	}
	if h.TimestampFormat == "" {
		h.TimestampFormat = UnixSeconds
	}
	if h.Separators == "" {
		h.Separators = ","
	}
	if h.VersionSeparator == "" {
		h.VersionSeparator = ","
	}
	c := &compiledHMAC{HMAC: h}
	switch h.Algorithm {
	case Ed25519:
		c.size = ed25519.SignatureSize
	case ECDSAP256SHA256:
		c.size = -maxSignatureSize
	default:
		newHash, err := h.Algorithm.new()
		if err != nil {
			return nil, err
		}
		c.newHash, c.size = newHash, newHash().Size()
	}
	var err error
	if !h.Encoding.valid() {
		return nil, errorf(ErrInvalidScheme, "encoding %q (want hex, base64 or base64url)", string(h.Encoding))
	}
	if !h.TimestampFormat.valid() {
		return nil, errorf(ErrInvalidScheme, "timestamp format %q (want unix, unix_ms or rfc3339)", string(h.TimestampFormat))
	}
	if len(h.SignatureHeaders) == 0 {
		return nil, errorf(ErrInvalidScheme, "no signature header")
	}
	c.SignatureHeaders = make([]string, len(h.SignatureHeaders))
	for i, name := range h.SignatureHeaders {
		if name == "" {
			return nil, errorf(ErrInvalidScheme, "empty signature header name")
		}
		c.SignatureHeaders[i] = strings.ToLower(name)
	}
	switch h.SignatureFormat {
	case Plain:
	case KeyValue, List:
		if h.SignatureKey == "" {
			return nil, errorf(ErrInvalidScheme, "signature format %q needs a signature key", string(h.SignatureFormat))
		}
	default:
		return nil, errorf(ErrInvalidScheme, "signature format %q (want plain, kv or list)", string(h.SignatureFormat))
	}
	if h.TimestampKey != "" && h.SignatureFormat != KeyValue {
		return nil, errorf(ErrInvalidScheme, "a timestamp key needs signature format kv")
	}
	if h.Tolerance < 0 {
		return nil, errorf(ErrInvalidScheme, "negative tolerance")
	}
	if c.prefix, c.suffix, err = parseTemplate(h.Template); err != nil {
		return nil, err
	}
	for _, p := range append(append([]part(nil), c.prefix...), c.suffix...) {
		switch p.name {
		case "timestamp":
			c.needsTS = true
		case "url":
			c.needsURL = true
		case "id":
			if h.IDHeader == "" {
				return nil, errorf(ErrInvalidScheme, "template signs {id} but no id header is set")
			}
		}
	}
	if c.needsTS && h.TimestampHeader == "" && h.TimestampKey == "" {
		return nil, errorf(ErrInvalidScheme, "template signs {timestamp} but neither a timestamp header nor a timestamp key is set")
	}
	if (h.TimestampHeader != "" || h.TimestampKey != "") && !c.needsTS {
		// A timestamp that is checked but not signed could be replaced.
		return nil, errorf(ErrInvalidScheme, "a timestamp is read but the template does not sign {timestamp}")
	}
	c.IDHeader, c.TimestampHeader = strings.ToLower(h.IDHeader), strings.ToLower(h.TimestampHeader)
	if c.Keys, err = ownKeys(h.Keys); err != nil {
		return nil, err
	}
	if h.Algorithm.IsPublicKey() {
		c.pubs = make([]publicKey, len(c.Keys))
		for i, k := range c.Keys {
			if c.pubs[i], err = newPublicKey(h.Algorithm, k.Secret); err != nil {
				return nil, err
			}
		}
		return c, nil
	}
	c.macs = make([]keyedMAC, len(c.Keys))
	for i, k := range c.Keys {
		c.macs[i] = newKeyedMAC(c.newHash, k.Secret)
	}
	return c, nil
}

// Sign returns the signature header value for a request: what the sender
// puts in the first of SignatureHeaders, signed with the first key (for a
// public-key algorithm, a private key: see DecodePrivateKey). It is for
// tests and fixtures. For KeyValue with a TimestampKey, the timestamp is
// taken from req's header TimestampHeader if set, else from ts.
func (h HMAC) Sign(req *Request, body []byte, ts string) (string, error) {
	var priv []byte
	if h.Algorithm.IsPublicKey() && len(h.Keys) > 0 {
		priv = h.Keys[0].Secret
		pub, err := publicOf(h.Algorithm, priv)
		if err != nil {
			return "", err
		}
		h.Keys = []Key{{ID: h.Keys[0].ID, Secret: pub}}
	}
	c, err := compileHMAC(h)
	if err != nil {
		return "", err
	}
	vals := signedValues{timestamp: ts, url: c.urls(req)[0]}
	if c.IDHeader != "" {
		vals.id, _ = req.Single(c.IDHeader)
	}
	if c.TimestampHeader != "" {
		vals.timestamp, _ = req.Single(c.TimestampHeader)
	}
	var sum []byte
	if priv != nil {
		var msg bytes.Buffer
		writeParts(c, &msg, c.prefix, req, vals, nil)
		msg.Write(body)
		writeParts(c, &msg, c.suffix, req, vals, nil)
		if sum, err = signMessage(c.Algorithm, priv, msg.Bytes()); err != nil {
			return "", err
		}
	} else {
		m := hmac.New(c.newHash, c.Keys[0].Secret)
		writeParts(c, m, c.prefix, req, vals, nil)
		m.Write(body)
		writeParts(c, m, c.suffix, req, vals, nil)
		sum = m.Sum(nil)
	}
	sig := c.Encoding.encode(sum)
	switch c.SignatureFormat {
	case KeyValue:
		s := c.SignatureKey + "=" + sig
		if c.TimestampKey != "" {
			s = c.TimestampKey + "=" + vals.timestamp + c.Separators[:1] + s
		}
		return s, nil
	case List:
		return c.SignatureKey + c.VersionSeparator + sig, nil
	}
	return c.SignaturePrefix + sig, nil
}

// signedValues are the values a template signs besides the body.
type signedValues struct{ id, timestamp, url string }

// writeParts writes a template's pieces for one request, each copied into
// scratch first: a string converted for an interface's Write would be a
// new slice each time. It is generic so that a hash.Hash is written to as
// itself: converting it to io.Writer would look up an itab at run time.
func writeParts[W io.Writer](c *compiledHMAC, w W, parts []part, req *Request, vals signedValues, scratch []byte) {
	for _, p := range parts {
		var v string
		switch {
		case p.name == "":
			v = p.literal
		case p.name == "method":
			v = req.Method
		case p.name == "path":
			v = req.Path
		case p.name == "url":
			v = vals.url
		case strings.HasPrefix(p.name, "header:"):
			v, _ = req.Single(p.name[len("header:"):])
		case p.name == "id":
			v = vals.id
		default:
			v = vals.timestamp
		}
		scratch = append(scratch[:0], v...)
		w.Write(scratch)
	}
}

// urls are the forms of {url} tried: the request URL, and the quirk's
// form of it when that differs.
func (c *compiledHMAC) urls(req *Request) []string {
	u := RequestURL(req, c.PublicURL)
	if c.urlQuirk != nil {
		if q := c.urlQuirk(u); q != u {
			return []string{q, u}
		}
	}
	return []string{u}
}

// RequestURL is the URL a sender signed. Without publicURL it is rebuilt
// from :scheme, :authority and :path. publicURL is the URL as configured at
// the provider, for when a proxy in front rewrote the scheme, host or path:
// with a path it is the whole URL, to which the request's query string is
// added when it has none of its own; with no path (or "/"), the request's
// path and query are appended to it.
func RequestURL(req *Request, publicURL string) string {
	if publicURL == "" {
		scheme := req.Scheme
		if scheme == "" {
			scheme = "http"
		}
		return scheme + "://" + req.Authority + req.Path
	}
	rest := publicURL
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	slash := strings.IndexByte(rest, '/')
	if slash < 0 || rest[slash:] == "/" {
		return strings.TrimSuffix(publicURL, "/") + req.Path
	}
	if strings.Contains(rest, "?") {
		return publicURL
	}
	if q := req.Query(); q != "" {
		return publicURL + "?" + q
	}
	return publicURL
}

// signatures finds the request's signatures and, for KeyValue, the
// timestamp inside the header.
// sigStore is room for a request's usual one or two signatures, inside its
// check.
type sigStore struct {
	bytes [2][maxSignatureSize]byte
	list  [2][]byte
	used  int
}

// decode decodes one signature into the store while it has room.
func (st *sigStore) decode(e Encoding, v string, size int) ([]byte, bool) {
	if st == nil || st.used == len(st.bytes) {
		return e.decode(v, size)
	}
	st.used++
	return e.decodeInto(st.bytes[st.used-1][:0], v, size)
}

func (c *compiledHMAC) signatures(req *Request, st *sigStore) (sigs [][]byte, ts string, err error) {
	if st != nil {
		sigs = st.list[:0]
	}
	var value string
	n := 0
	for _, name := range c.SignatureHeaders {
		v, k := req.Single(name)
		if k > 0 && n == 0 {
			value = v
		}
		n += k
	}
	if n == 0 || strings.TrimSpace(value) == "" {
		return nil, "", ErrMissingSignature
	}
	if n > 1 {
		// Two signature headers are ambiguous: which did the sender mean,
		// and which would a parser behind us see? Refuse both.
		return nil, "", ErrMalformedSignature
	}
	switch c.SignatureFormat {
	case Plain:
		if len(value) < len(c.SignaturePrefix) || !strings.EqualFold(value[:len(c.SignaturePrefix)], c.SignaturePrefix) {
			return nil, "", ErrMalformedSignature
		}
		sig, ok := st.decode(c.Encoding, value[len(c.SignaturePrefix):], c.size)
		if !ok {
			return nil, "", ErrMalformedSignature
		}
		return append(sigs, sig), "", nil
	case KeyValue:
		tsSeen := 0
		for pair := range strings.FieldsFuncSeq(value, func(r rune) bool { return strings.ContainsRune(c.Separators, r) }) {
			k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok {
				return nil, "", ErrMalformedSignature
			}
			switch k {
			case c.TimestampKey:
				ts = v
				tsSeen++
			case c.SignatureKey:
				sig, ok := st.decode(c.Encoding, v, c.size)
				if !ok {
					return nil, "", ErrMalformedSignature
				}
				sigs = append(sigs, sig)
			}
		}
		if c.TimestampKey != "" && tsSeen != 1 {
			if tsSeen == 0 {
				return nil, "", ErrMissingTimestamp
			}
			return nil, "", ErrMalformedTimestamp
		}
	case List:
		for entry := range strings.FieldsSeq(value) {
			version, v, ok := strings.Cut(entry, c.VersionSeparator)
			if !ok {
				return nil, "", ErrMalformedSignature
			}
			if version != c.SignatureKey {
				continue // another scheme's entry: v1a, v2 …
			}
			sig, ok := st.decode(c.Encoding, v, c.size)
			if !ok {
				return nil, "", ErrMalformedSignature
			}
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		return nil, "", errNoEntryOfVersion
	}
	if len(sigs) > maxSignatures {
		return nil, "", ErrMalformedSignature
	}
	return sigs, ts, nil
}

// errNoEntryOfVersion means a signature header listed entries, none of
// the scheme's version (a v1a-only list, for a v1 route).
var errNoEntryOfVersion = fmt.Errorf("%w: no entry of the expected version", ErrMalformedSignature)

// checkTimestamp checks ts against now and the tolerance.
func checkTimestamp(ts string, format TimestampFormat, tolerance time.Duration, now time.Time) error {
	if ts == "" {
		return ErrMissingTimestamp
	}
	t, err := format.parse(ts)
	if err != nil {
		return err
	}
	// Compared as instants, not as a difference, which would saturate
	// for a timestamp centuries away and pass.
	now = now.Truncate(format.resolution())
	if t.Before(now.Add(-tolerance)) || t.After(now.Add(tolerance)) {
		return ErrTimestampOutOfTolerance
	}
	return nil
}

// hmacChecks recycles checks (about 1 KiB each, with room for two keys'
// MAC state) for callers that Release them: in the module an allocation
// of that size costs more than hashing a small body (RATIONALE).
var hmacChecks = sync.Pool{New: func() any { return new(hmacCheck) }}

// Begin implements Scheme.
func (c *compiledHMAC) Begin(req *Request, now time.Time) (_ Check, err error) {
	k := hmacChecks.Get().(*hmacCheck)
	// Only what is read before it is written: the arrays a check keeps
	// room in, a KiB of them, are not cleared per request.
	k.c, k.req, k.now, k.sigs, k.msgs, k.body = c, req, now, nil, nil, nil
	k.macs, k.macVals, k.macKeys = nil, nil, nil
	k.sigStore.used = 0
	defer func() {
		if err != nil {
			k.Release()
		}
	}()
	sigs, ts, err := c.signatures(req, &k.sigStore)
	if err != nil {
		return nil, err
	}
	k.sigs = sigs
	var vals signedValues
	if c.needsTS {
		if c.TimestampHeader != "" {
			v, n := req.Single(c.TimestampHeader)
			if n > 1 {
				return nil, ErrMalformedTimestamp
			}
			ts = v
		}
		if err := checkTimestamp(ts, c.TimestampFormat, c.Tolerance, now); err != nil {
			return nil, err
		}
		vals.timestamp = ts
	}
	if c.IDHeader != "" {
		id, n := req.Single(c.IDHeader)
		if n != 1 || id == "" {
			return nil, ErrMalformedSignature
		}
		vals.id = id
	}
	k.macs, k.macVals, k.macKeys = k.macBuf[:0], k.valBuf[:0], k.keyBuf[:0]
	urls := []string{""}
	if c.needsURL {
		urls = c.urls(req)
	}
	// One MAC per key and form of the URL; macKeys says whose each is.
	for _, u := range urls {
		v := vals
		v.url = u
		if c.pubs != nil {
			m := newMessage(c.Algorithm)
			writeParts(c, m, c.prefix, req, v, k.scratch[:0])
			k.msgs, k.macVals = append(k.msgs, m), append(k.macVals, v)
			continue
		}
		for i, key := range c.Keys {
			var slot *sha.MAC
			if n := len(k.macs); n < len(k.macStore) {
				slot = &k.macStore[n]
			}
			m := c.macs[i].new(slot)
			writeParts(c, m, c.prefix, req, v, k.scratch[:0])
			k.macs, k.macVals, k.macKeys = append(k.macs, m), append(k.macVals, v), append(k.macKeys, key)
		}
	}
	return k, nil
}

// hmacCheck hashes one request's body under every key as it streams.
type hmacCheck struct {
	c       *compiledHMAC
	req     *Request
	sigs    [][]byte
	macs    []hash.Hash
	msgs    []io.Writer    // instead of macs, for a public-key algorithm: one per form of the URL
	macVals []signedValues // what each MAC (or message) signs besides the body
	macKeys []Key          // whose each MAC is
	now     time.Time
	body    []byte // only when the timestamp is in the body (Linear)

	// Room for the usual one or two keys, so a check is one allocation.
	sigStore sigStore
	macBuf   [2]hash.Hash
	macStore [2]sha.MAC
	valBuf   [2]signedValues
	keyBuf   [2]Key
	sumBuf   [2][sha512.Size]byte
	scratch  [256]byte // a template's pieces, on their way to the MACs
}

func (k *hmacCheck) NeedsBody() bool { return true }

// Release implements Check.
func (k *hmacCheck) Release() {
	k.req, k.body, k.msgs = nil, nil, nil // nothing kept alive from the request
	hmacChecks.Put(k)
}

func (k *hmacCheck) Write(p []byte) (int, error) {
	for _, m := range k.macs {
		m.Write(p)
	}
	for _, m := range k.msgs {
		m.Write(p)
	}
	if k.c.bodyTimestampField != "" {
		k.body = append(k.body, p...)
	}
	return len(p), nil
}

func (k *hmacCheck) Verify() (string, error) {
	if k.msgs != nil {
		return k.verifyPublic()
	}
	var sumsBuf [2][]byte
	sums := sumsBuf[:0]
	for i, m := range k.macs {
		writeParts(k.c, m, k.c.suffix, k.req, k.macVals[i], k.scratch[:0])
		var into []byte
		if i < len(k.sumBuf) {
			into = k.sumBuf[i][:0]
		}
		sums = append(sums, m.Sum(into))
	}
	id, ok := match(k.macKeys, sums, k.sigs)
	if !ok {
		return "", ErrSignatureMismatch
	}
	if err := k.checkBodyTimestamp(); err != nil {
		return "", err
	}
	return id, nil
}

// checkBodyTimestamp checks a timestamp inside the body, for the schemes
// that put it there (Linear), once the signature has matched.
func (k *hmacCheck) checkBodyTimestamp() error {
	if k.c.bodyTimestampField == "" {
		return nil
	}
	return checkBodyTimestamp(k.body, k.c.bodyTimestampField, k.c.Tolerance, k.now)
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
				return k.c.Keys[j].ID, nil
			}
		}
	}
	return "", ErrSignatureMismatch
}

// match compares every signature with every key's MAC in constant time,
// without stopping at a match, so the time taken tells nothing of which
// key or signature matched. It returns the id of the first key that did.
func match(keys []Key, sums, sigs [][]byte) (string, bool) {
	found := -1
	for i, sum := range sums {
		for _, sig := range sigs {
			if hmac.Equal(sum, sig) && found < 0 {
				found = i
			}
		}
	}
	if found < 0 {
		return "", false
	}
	return keys[found].ID, true
}

// checkBodyTimestamp reads a JSON number of milliseconds at field in body
// (Linear's webhookTimestamp), once the signature has matched.
func checkBodyTimestamp(body []byte, field string, tolerance time.Duration, now time.Time) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return ErrMalformedBody
	}
	raw, ok := doc[field]
	if !ok {
		return ErrMissingTimestamp
	}
	return checkTimestamp(string(bytes.TrimSpace(raw)), UnixMillis, tolerance, now)
}

// errorf wraps a sentinel with detail.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
