package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
)

// KindContentful is Contentful's request verification (webhooks, app
// events and app actions): x-contentful-signature, the hex HMAC-SHA256
// (key: the signing secret's UTF-8 bytes) of the canonical request
// "METHOD\nPATH\nname:value;name:value…\nBODY", where the headers are
// those x-contentful-signed-headers names (comma-separated) and always
// x-contentful-signed-headers and x-contentful-timestamp (milliseconds),
// sorted by name, and PATH is the request's path and query as
// @contentful/node-apps-toolkit's verifyRequest encodes them. The body
// streams.
const KindContentful PresetKind = "contentful"

// Contentful's headers.
const (
	contentfulSignature     = "x-contentful-signature"
	contentfulTimestamp     = "x-contentful-timestamp"
	contentfulSignedHeaders = "x-contentful-signed-headers"
)

// contentfulMinTimestamp is the oldest timestamp the toolkit takes
// (TimestampValidator: more than 2020-01-01T00:00:00Z, in milliseconds).
const contentfulMinTimestamp = 1577836800000

// contentfulMethods are the methods the toolkit signs and verifies
// (MethodValidator).
var contentfulMethods = []string{"GET", "PATCH", "HEAD", "POST", "DELETE", "OPTIONS", "PUT"}

func init() {
	kindBuilders[KindContentful] = func(p PresetInfo, o Options) (Scheme, error) { return newContentful(p, o) }
}

// contentful verifies Contentful's signed requests (KindContentful).
type contentful struct {
	keys      []Key
	macs      []keyedMAC
	tolerance time.Duration
}

func newContentful(p PresetInfo, o Options) (Scheme, error) {
	ids, macs, tolerance, err := macKeys(p, o)
	if err != nil {
		return nil, err
	}
	return &contentful{keys: ids, macs: macs, tolerance: tolerance}, nil
}

func (s *contentful) Begin(req *Request, now time.Time) (Check, error) {
	value, n := req.Single(contentfulSignature)
	switch {
	case n == 0 || value == "":
		return nil, ErrMissingSignature
	case n > 1:
		return nil, ErrMalformedSignature
	}
	sig, ok := Hex.decode(value, sha256.Size)
	if !ok {
		return nil, errorf(ErrMalformedSignature, "not %d hex digits", 2*sha256.Size)
	}
	ts, n := req.Single(contentfulTimestamp)
	if n > 1 {
		return nil, ErrMalformedTimestamp
	}
	if err := checkTimestamp(ts, UnixMillis, s.tolerance, now); err != nil {
		return nil, err
	}
	if ts[0] == '0' {
		// The toolkit signs the number it parsed, Contentful's other
		// published verifiers the text: with a leading zero they differ.
		return nil, ErrMalformedTimestamp
	}
	if ms, _ := strconv.ParseInt(ts, 10, 64); ms <= contentfulMinTimestamp {
		return nil, ErrMalformedTimestamp
	}
	prefix, err := contentfulPrefix(req, ts)
	if err != nil {
		return nil, err
	}
	return newPrefixCheck(s.keys, s.macs, prefix, sig), nil
}

// contentfulPrefix is the canonical request up to its body:
// "METHOD\nPATH\nHEADERS\n", for a request whose timestamp is ts.
func contentfulPrefix(req *Request, ts string) ([]byte, error) {
	if !slices.Contains(contentfulMethods, req.Method) {
		return nil, errorf(ErrSignatureMismatch, "a method Contentful does not sign")
	}
	path, err := contentfulPath(req.Path)
	if err != nil {
		return nil, err
	}
	list, n := req.Single(contentfulSignedHeaders)
	switch {
	case n == 0 || list == "":
		return nil, errorf(ErrMalformedSignature, "no %s", contentfulSignedHeaders)
	case n > 1:
		return nil, errorf(ErrMalformedSignature, "%s appears more than once", contentfulSignedHeaders)
	}
	names, err := signedHeaderNames(strings.Split(list, ","), contentfulSignature, false)
	if err != nil {
		return nil, err
	}
	// The toolkit signs the headers the list names that the request
	// carries, and always the list and the timestamp, sorted by name; the
	// list as it signs it is those names, joined by commas.
	names = slices.Clone(names)
	for _, own := range []string{contentfulSignedHeaders, contentfulTimestamp} {
		if !slices.Contains(names, own) {
			names = append(names, own)
		}
	}
	slices.Sort(names)
	signedList := strings.Join(names, ",")
	out := make([]byte, 0, 256)
	out = append(append(append(append(out, req.Method...), '\n'), path...), '\n')
	for i, name := range names {
		if i > 0 {
			out = append(out, ';')
		}
		out = append(append(out, name...), ':')
		switch name {
		case contentfulSignedHeaders:
			out = append(out, signedList...)
			continue
		case contentfulTimestamp:
			out = append(out, ts...)
			continue
		}
		v, err := signedHeader(req, name)
		if err != nil {
			return nil, err
		}
		v = jsTrim(v)
		// Nothing separates a value from the next header but
		// ";name:", and the headers from the body but "\n": a value
		// that holds either could be read as another split of the same
		// signed bytes.
		if strings.ContainsAny(v, "\r\n") {
			return nil, errorf(ErrMalformedSignature, "a signed header's value holds a line break")
		}
		for _, other := range names {
			if strings.Contains(v, ";"+other+":") {
				return nil, errorf(ErrMalformedSignature, "a signed header's value holds another's name")
			}
		}
		out = appendLatin1(out, v)
	}
	return append(out, '\n'), nil
}

// jsTrim trims what JavaScript's String.prototype.trim trims from a
// header value Node has read as Latin-1: tab, line feed, vertical tab,
// form feed, carriage return, space and no-break space (byte 0xA0).
func jsTrim(s string) string {
	isSpace := func(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' || c == 0xA0 }
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// appendLatin1 appends s as the toolkit signs a header value: Node reads
// each of its bytes as a Latin-1 character, and the HMAC takes the string
// as UTF-8, so a byte above 0x7F becomes two.
func appendLatin1(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x80 {
			out = append(out, c)
		} else {
			out = append(out, 0xC0|c>>6, 0x80|c&0x3F)
		}
	}
	return out
}

// contentfulPath is the path as the toolkit's getNormalizedEncodedURI
// writes it: split at '?', the query escaped by Node's
// querystring.escape, then the whole by encodeURI (so the query's
// escapes' '%' become "%25"). The toolkit drops what follows a second
// '?', which would be unsigned: such a path is refused, as is one that is
// not printable ASCII (Node's reading of other bytes is not the bytes).
func contentfulPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", errorf(ErrSignatureMismatch, "a path that does not begin with '/'")
	}
	for i := 0; i < len(p); i++ {
		if p[i] <= ' ' || p[i] >= 0x7F {
			return "", errorf(ErrSignatureMismatch, "a path that is not printable ASCII")
		}
	}
	path, query, _ := strings.Cut(p, "?")
	if strings.Contains(query, "?") {
		return "", errorf(ErrSignatureMismatch, "a second '?' in the path, after which the signature covers nothing")
	}
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		if c := path[i]; uriUnescaped(c) || strings.IndexByte(";,/?:@&=+$#", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	if query == "" {
		return b.String(), nil // the toolkit drops an empty query with its '?'
	}
	b.WriteByte('?')
	for i := 0; i < len(query); i++ {
		if c := query[i]; uriUnescaped(c) {
			b.WriteByte(c)
		} else {
			b.WriteString("%25" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String(), nil
}

// uriUnescaped reports whether encodeURI and querystring.escape both
// leave c as it is: ASCII letters and digits and -_.!~*'().
func uriUnescaped(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0
}

// signContentful signs as Contentful does: every header of req it can
// (lower-case names, each once, up to maxSignedHeaders with its own two),
// the timestamp now in milliseconds, and the list of what it signed.
func signContentful(info PresetInfo, secret string, req *Request, body []byte, now time.Time) ([]Field, []byte, error) {
	key, err := DecodeSecret(info.SecretEncoding, secret)
	if err != nil {
		return nil, nil, err
	}
	names := []string{contentfulSignedHeaders, contentfulTimestamp}
	for _, f := range req.Header {
		if _, n := req.Single(f.Name); n != 1 || len(names) == maxSignedHeaders || !lowerToken(f.Name) ||
			f.Name == contentfulSignature || f.Name == contentfulSignedHeaders || f.Name == contentfulTimestamp ||
			strings.ContainsAny(f.Value, "\r\n;") {
			continue
		}
		names = append(names, f.Name)
	}
	slices.Sort(names)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	out := []Field{{Name: contentfulTimestamp, Value: ts}, {Name: contentfulSignedHeaders, Value: strings.Join(names, ",")}}
	signed := *req
	signed.Header = nil
	for _, f := range req.Header {
		if f.Name != contentfulSignature && f.Name != contentfulSignedHeaders && f.Name != contentfulTimestamp {
			signed.Header = append(signed.Header, f)
		}
	}
	signed.Header = append(signed.Header, out...)
	prefix, err := contentfulPrefix(&signed, ts)
	if err != nil {
		return nil, nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write(prefix)
	m.Write(body)
	return append(out, Field{Name: contentfulSignature, Value: hex.EncodeToString(m.Sum(nil))}), body, nil
}
