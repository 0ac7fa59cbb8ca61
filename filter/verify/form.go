package verify

import (
	"crypto/hmac"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// urlForm is the URL-signing family: an HMAC over the request URL followed
// by each form parameter's name and value, sorted by name (Twilio,
// Mandrill). It needs the parsed form, so its check buffers the body, up
// to the caller's cap (see Limit).
type urlForm struct {
	header    string
	keys      []Key
	publicURL string
	quirks    Quirks // QuirkSignatureSettings, QuirkBodySHA256, QuirkAllFormValues
}

func newURLForm(header string, quirks Quirks, o Options) (Scheme, error) {
	keys, err := ownKeys(o.Keys)
	if err != nil {
		return nil, err
	}
	return &urlForm{header: header, keys: keys, publicURL: o.PublicURL, quirks: quirks}, nil
}

func (u *urlForm) Begin(req *Request, _ time.Time) (Check, error) {
	value, n := req.Single(u.header)
	if n == 0 || value == "" {
		return nil, ErrMissingSignature
	}
	if n > 1 {
		return nil, ErrMalformedSignature
	}
	newHash := newSHA1
	if u.quirks&QuirkSignatureSettings != 0 {
		settings, _ := req.Single("x-twilio-webhooks-signature-settings")
		switch algo := twilioAlgorithm(settings); algo {
		case "HMAC_SHA1":
		case "HMAC_SHA256":
			newHash = newSHA256
		default:
			return nil, ErrMalformedSignature
		}
	}
	sig, ok := Base64.decode(value, newHash().Size())
	if !ok {
		return nil, ErrMalformedSignature
	}
	contentType, _ := req.Single("content-type")
	return &urlFormCheck{u: u, req: req, sig: sig, newHash: newHash, form: isForm(contentType)}, nil
}

// twilioAlgorithm reads algorithm= from Twilio's signature settings
// header; absent means the Auth Token's HMAC-SHA1.
func twilioAlgorithm(settings string) string {
	for _, p := range strings.Split(settings, ",") {
		if k, v, ok := strings.Cut(p, "="); ok && strings.TrimSpace(k) == "algorithm" && strings.TrimSpace(v) != "" {
			return strings.ToUpper(strings.TrimSpace(v))
		}
	}
	return "HMAC_SHA1"
}

func isForm(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded")
}

type urlFormCheck struct {
	u       *urlForm
	req     *Request
	sig     []byte
	newHash func() hash.Hash
	form    bool
	bufferedBody
	// signedURL and signedParams are what the signature covered, once
	// it verified: the form of the URL that matched, and the sorted
	// parameters.
	signedURL, signedParams string
}

func (c *urlFormCheck) wants() (bool, string) { return false, "" }

// identity is the signed string's: the body's bytes are not what is
// signed (a form's parameters may be reordered or escaped otherwise).
func (c *urlFormCheck) identity(*[32]byte, []byte) (Identity, bool) {
	if c.signedURL == "" {
		return Identity{}, false
	}
	return sumOf(IdentitySignedContent, []byte(c.signedURL), []byte(c.signedParams)), true
}

func (c *urlFormCheck) Verify() (string, error) {
	base := RequestURL(c.req, c.u.publicURL)
	var params string
	bodyOK := 1
	q, _ := url.ParseQuery(c.req.Query())
	switch {
	case c.u.quirks&QuirkBodySHA256 != 0 && q.Has("bodySHA256"):
		// Only the URL is signed; it carries the body's SHA-256.
		h := newSHA256()
		h.Write(c.body)
		bodyOK = subtle.ConstantTimeCompare([]byte(hex.EncodeToString(h.Sum(nil))), []byte(strings.ToLower(q.Get("bodySHA256"))))
	case c.form:
		values, err := url.ParseQuery(string(c.body))
		if err != nil {
			return "", ErrMalformedBody
		}
		params = sortedParams(values, c.u.quirks&QuirkAllFormValues != 0)
	case len(c.body) > 0:
		// A body that is neither a form nor covered by bodySHA256 is not
		// signed at all: never let it through as if it were.
		return "", ErrMalformedBody
	}
	var sums [][]byte
	var keys []Key
	var urls []string
	for _, candidate := range portVariants(base) {
		for _, k := range c.u.keys {
			m := hmac.New(c.newHash, k.Secret)
			m.Write([]byte(candidate))
			m.Write([]byte(params))
			sums = append(sums, m.Sum(nil))
			keys, urls = append(keys, k), append(urls, candidate)
		}
	}
	i := match(sums, [][]byte{c.sig})
	if i < 0 || bodyOK != 1 {
		return "", ErrSignatureMismatch
	}
	c.signedURL, c.signedParams = urls[i], params
	return keys[i].ID, nil
}

// sortedParams concatenates each name and value, sorted by name. With
// allValues (QuirkAllFormValues, Twilio) every value of a repeated name,
// sorted and de-duplicated; without (Mandrill, whose parameters are never
// repeated), its last value.
func sortedParams(values url.Values, allValues bool) string {
	names := slices.Sorted(maps.Keys(values))
	var b strings.Builder
	for _, k := range names {
		vs := values[k]
		if !allValues {
			vs = vs[len(vs)-1:]
		} else {
			vs = dedupeSorted(vs)
		}
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	return b.String()
}

func dedupeSorted(vs []string) []string {
	out := append([]string(nil), vs...)
	sort.Strings(out)
	n := 0
	for i, v := range out {
		if i == 0 || v != out[n-1] {
			out[n] = v
			n++
		}
	}
	return out[:n]
}

// portVariants returns u as sent, without its port, and with the scheme's
// default port: providers sign inconsistently (twilio's SDKs try both).
func portVariants(u string) []string {
	schemeEnd := strings.Index(u, "://")
	if schemeEnd < 0 {
		return []string{u}
	}
	scheme := strings.ToLower(u[:schemeEnd])
	rest := u[schemeEnd+3:]
	authEnd := strings.IndexAny(rest, "/?#")
	if authEnd < 0 {
		authEnd = len(rest)
	}
	authority, tail := rest[:authEnd], rest[authEnd:]
	host := authority
	if i := strings.LastIndexByte(authority, ':'); i > strings.LastIndexByte(authority, ']') {
		host = authority[:i]
	}
	port := ":80"
	if scheme == "https" {
		port = ":443"
	}
	without := u[:schemeEnd+3] + host + tail
	with := u[:schemeEnd+3] + host + port + tail
	if with == u {
		return []string{u, without}
	}
	if without == u {
		return []string{u, with}
	}
	return []string{u, without, with}
}
