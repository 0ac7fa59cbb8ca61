package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"hash"
	"net/url"
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
	// twilio: HMAC-SHA256 when X-Twilio-Webhooks-Signature-Settings says
	// algorithm=HMAC_SHA256, and the bodySHA256 variant for JSON bodies.
	twilio bool
}

func newURLForm(header string, o Options, twilio bool) (Scheme, error) {
	keys, err := ownKeys(o.Keys)
	if err != nil {
		return nil, err
	}
	return &urlForm{header: header, keys: keys, publicURL: o.PublicURL, twilio: twilio}, nil
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
	if u.twilio {
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
	body    []byte
}

func (c *urlFormCheck) NeedsBody() bool { return true }

func (c *urlFormCheck) Write(p []byte) (int, error) {
	c.body = append(c.body, p...)
	return len(p), nil
}

func (c *urlFormCheck) Release() {}

func (c *urlFormCheck) Verify() (string, error) {
	base := RequestURL(c.req, c.u.publicURL)
	var params string
	bodyOK := 1
	q, _ := url.ParseQuery(c.req.Query())
	switch {
	case c.u.twilio && q.Has("bodySHA256"):
		// Only the URL is signed; it carries the body's SHA-256.
		h := newSHA256()
		h.Write(c.body)
		bodyOK = subtle.ConstantTimeCompare([]byte(hex.EncodeToString(h.Sum(nil))), []byte(strings.ToLower(q.Get("bodySHA256"))))
	case c.form:
		values, err := url.ParseQuery(string(c.body))
		if err != nil {
			return "", ErrMalformedBody
		}
		params = sortedParams(values, c.u.twilio)
	case len(c.body) > 0:
		// A body that is neither a form nor covered by bodySHA256 is not
		// signed at all: never let it through as if it were.
		return "", ErrMalformedBody
	}
	var sums [][]byte
	var keys []Key
	for _, candidate := range portVariants(base) {
		for _, k := range c.u.keys {
			m := hmac.New(c.newHash, k.Secret)
			m.Write([]byte(candidate))
			m.Write([]byte(params))
			sums = append(sums, m.Sum(nil))
			keys = append(keys, k)
		}
	}
	id, ok := match(keys, sums, [][]byte{c.sig})
	if !ok || bodyOK != 1 {
		return "", ErrSignatureMismatch
	}
	return id, nil
}

// sortedParams concatenates each name and value, sorted by name. Twilio
// also sorts (and de-duplicates) the values of a repeated name; Mandrill's
// parameters are never repeated, and its last value wins.
func sortedParams(values url.Values, twilio bool) string {
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		vs := values[k]
		if !twilio {
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

// mailgun verifies Mailgun's body-embedded signature: the hex HMAC-SHA256
// of timestamp+token under the webhook signing key, in the JSON body's
// "signature" object (or, for legacy form posts, the form fields). Mailgun
// does not sign the event data, only that Mailgun sent this token at this
// time; the check buffers the body to read the fields.
type mailgun struct {
	keys      []Key
	tolerance time.Duration
}

func (m *mailgun) Begin(_ *Request, now time.Time) (Check, error) {
	return &mailgunCheck{m: m, now: now}, nil
}

type mailgunCheck struct {
	m    *mailgun
	now  time.Time
	body []byte
}

func (c *mailgunCheck) NeedsBody() bool { return true }

func (c *mailgunCheck) Write(p []byte) (int, error) {
	c.body = append(c.body, p...)
	return len(p), nil
}

func (c *mailgunCheck) Release() {}

func (c *mailgunCheck) Verify() (string, error) {
	var f struct {
		Signature struct {
			Timestamp string `json:"timestamp"`
			Token     string `json:"token"`
			Signature string `json:"signature"`
		} `json:"signature"`
	}
	if err := json.Unmarshal(c.body, &f); err != nil {
		values, ferr := url.ParseQuery(string(c.body))
		if ferr != nil {
			return "", ErrMalformedBody
		}
		f.Signature.Timestamp, f.Signature.Token, f.Signature.Signature = values.Get("timestamp"), values.Get("token"), values.Get("signature")
	}
	s := f.Signature
	if s.Signature == "" {
		return "", ErrMissingSignature
	}
	sig, ok := Hex.decode(s.Signature, sha256.Size)
	if !ok || s.Token == "" {
		return "", ErrMalformedSignature
	}
	if err := checkTimestamp(s.Timestamp, UnixSeconds, c.m.tolerance, c.now); err != nil {
		return "", err
	}
	sums := make([][]byte, len(c.m.keys))
	for i, k := range c.m.keys {
		mac := hmac.New(newSHA256, k.Secret)
		mac.Write([]byte(s.Timestamp + s.Token))
		sums[i] = mac.Sum(nil)
	}
	id, ok := match(c.m.keys, sums, [][]byte{sig})
	if !ok {
		return "", ErrSignatureMismatch
	}
	return id, nil
}
