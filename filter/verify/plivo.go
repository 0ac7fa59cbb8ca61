package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// KindPlivo is Plivo's V3 signatures: the base64 HMAC-SHA256, under the
// Auth Token, of the URL Plivo called with its query parameters decoded
// and sorted, then, for a POST, the form parameters' names and values
// sorted by name, then "." and the nonce of X-Plivo-Signature-V3-Nonce
// (plivo's Node SDK, validateV3Signature). X-Plivo-Signature-V3 carries
// the (sub)account's signature, X-Plivo-Signature-Ma-V3 the main
// account's, each a comma-separated list. The body is buffered.
const KindPlivo PresetKind = "plivo"

// Plivo's headers.
const (
	plivoSignatureHeader   = "x-plivo-signature-v3"
	plivoMainAccountHeader = "x-plivo-signature-ma-v3"
	plivoNonceHeader       = "x-plivo-signature-v3-nonce"
)

func init() {
	kindBuilders[KindPlivo] = func(p PresetInfo, o Options) (Scheme, error) { return newPlivo(p.SecretEncoding, o) }
}

// plivo verifies Plivo's V3 signatures (KindPlivo).
type plivo struct {
	keys      []Key // decoded
	publicURL string
}

func newPlivo(enc SecretEncoding, o Options) (Scheme, error) {
	if err := checkKeys(o.Keys); err != nil {
		return nil, err
	}
	keys, err := DecodeKeys(o.Keys, enc)
	if err != nil {
		return nil, err
	}
	return &plivo{keys: keys, publicURL: o.PublicURL}, nil
}

func (p *plivo) Begin(req *Request, _ time.Time) (Check, error) {
	sigs, err := plivoSignatures(req)
	if err != nil {
		return nil, err
	}
	nonce, n := req.Single(plivoNonceHeader)
	if n != 1 || !plivoNonce(nonce) {
		return nil, ErrMalformedSignature
	}
	if req.Method != "GET" && req.Method != "POST" {
		// Plivo calls with GET or POST only, and its SDK signs nothing
		// else: no signature can match another method.
		return nil, ErrSignatureMismatch
	}
	contentType, _ := req.Single("content-type")
	return &plivoCheck{p: p, req: req, sigs: sigs, nonce: nonce, form: req.Method == "POST" && isForm(contentType)}, nil
}

// plivoSignatures reads both signature headers, each a comma-separated
// list of base64 signatures. A header sent twice, or an entry that is not
// a SHA-256 MAC in base64, fails the request.
func plivoSignatures(req *Request) ([][]byte, error) {
	var sigs [][]byte
	for _, name := range [...]string{plivoSignatureHeader, plivoMainAccountHeader} {
		v, n := req.Single(name)
		switch {
		case n > 1:
			return nil, ErrMalformedSignature
		case n == 0 || strings.TrimSpace(v) == "":
			continue
		}
		for entry := range strings.SplitSeq(v, ",") {
			if len(sigs) == maxSignatures {
				return nil, ErrMalformedSignature
			}
			sig, ok := Base64.decode(strings.TrimSpace(entry), sha256.Size)
			if !ok {
				return nil, ErrMalformedSignature
			}
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		return nil, ErrMissingSignature
	}
	return sigs, nil
}

// plivoNonce reports whether a nonce is what Plivo sends (digits), or at
// least letters and digits: a '.' in it would let the end of the signed
// string move between the last parameter and the nonce.
func plivoNonce(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		default:
			return false
		}
	}
	return true
}

type plivoCheck struct {
	p     *plivo
	req   *Request
	sigs  [][]byte
	nonce string
	form  bool
	bufferedBody
	signed string // what the signature covered, once it verified
}

func (c *plivoCheck) wants() (bool, string) { return false, "" }

// identity is the signed string's, nonce included: the form's bytes are
// not what is signed (its parameters may be reordered or escaped
// otherwise), and Plivo signs no timestamp.
func (c *plivoCheck) identity(*[32]byte, []byte) (Identity, bool) {
	if c.signed == "" {
		return Identity{}, false
	}
	return sumOf(IdentitySignedContent, []byte(c.signed)), true
}

func (c *plivoCheck) Verify() (string, error) {
	var params url.Values
	switch {
	case c.form:
		var err error
		if params, err = url.ParseQuery(string(c.body)); err != nil {
			return "", ErrMalformedBody
		}
	case len(c.body) > 0:
		// A GET's body, or a POST's that is not a form, is not signed:
		// never let it through as if it were.
		return "", ErrMalformedBody
	}
	signed, ok := plivoSigned(RequestURL(c.req, c.p.publicURL), params, c.nonce)
	if !ok {
		return "", ErrMalformedBody
	}
	sums := make([][]byte, len(c.p.keys))
	for i, k := range c.p.keys {
		m := hmac.New(newSHA256, k.Secret)
		m.Write([]byte(signed))
		sums[i] = m.Sum(nil)
	}
	i := match(sums, c.sigs)
	if i < 0 {
		return "", ErrSignatureMismatch
	}
	c.signed = signed
	return c.p.keys[i].ID, nil
}

// plivoSigned is the string Plivo signs for a request to u with the form
// parameters params (none for a GET) and nonce, as the Node SDK's
// validateV3Signature builds it: the URL without its query; "?" and the
// query's parameters, decoded, as name=value sorted by name then value
// and joined by '&', when there are any or when the form has parameters;
// "." between the query's and the form's when both have some; each form
// parameter's name and value, sorted by name then value; "." and the
// nonce. ok is false when the query cannot be parsed.
func plivoSigned(u string, params url.Values, nonce string) (_ string, ok bool) {
	u, _, _ = strings.Cut(u, "#")
	base, rawQuery, _ := strings.Cut(u, "?")
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	b.WriteString(base)
	q := len(query) > 0
	if q || len(params) > 0 {
		b.WriteByte('?')
	}
	for i, kv := range plivoSorted(query) {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(kv[1])
	}
	if q && len(params) > 0 {
		b.WriteByte('.')
	}
	for _, kv := range plivoSorted(params) {
		b.WriteString(kv[0])
		b.WriteString(kv[1])
	}
	b.WriteByte('.')
	b.WriteString(nonce)
	return b.String(), true
}

// plivoSorted lists every name and value of v sorted by name, a name's
// values sorted too (none de-duplicated), in JavaScript's default order:
// by UTF-16 code units, as the SDK's sort() compares.
func plivoSorted(v url.Values) [][2]string {
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	slices.SortFunc(names, jsCompare)
	var out [][2]string
	for _, name := range names {
		vals := slices.Clone(v[name])
		slices.SortFunc(vals, jsCompare)
		for _, val := range vals {
			out = append(out, [2]string{name, val})
		}
	}
	return out
}

// jsCompare orders strings as JavaScript compares them: by UTF-16 code
// units, which differs from Go's byte order only past U+FFFF.
func jsCompare(a, b string) int {
	if isASCII(a) && isASCII(b) {
		return strings.Compare(a, b)
	}
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// signPlivo signs as Plivo does, under secret (an Auth Token), the request
// to req's URL with body (its form parameters, for a POST form), with a
// nonce of digits made from now.
func signPlivo(info PresetInfo, secret string, req *Request, body []byte, now time.Time) ([]Field, []byte, error) {
	key, err := DecodeSecret(info.SecretEncoding, secret)
	if err != nil {
		return nil, nil, err
	}
	var params url.Values
	if contentType, _ := req.Single("content-type"); req.Method == "POST" && isForm(contentType) {
		if params, err = url.ParseQuery(string(body)); err != nil {
			return nil, nil, errorf(ErrMalformedBody, "form body")
		}
	}
	nonce := strconv.FormatUint(uint64(now.UnixNano()), 10)
	signed, ok := plivoSigned(RequestURL(req, ""), params, nonce)
	if !ok {
		return nil, nil, errorf(ErrMalformedBody, "query")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signed))
	return []Field{
		{Name: plivoNonceHeader, Value: nonce},
		{Name: plivoSignatureHeader, Value: base64.StdEncoding.EncodeToString(m.Sum(nil))},
	}, body, nil
}
