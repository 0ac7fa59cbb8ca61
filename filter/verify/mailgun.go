package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"net/url"
	"time"
)

// mailgun verifies Mailgun's body-embedded signature: the hex HMAC-SHA256
// of timestamp+token under the webhook signing key, in the JSON body's
// "signature" object (or, for legacy form posts, the form fields). Mailgun
// does not sign the event data, only that Mailgun sent this token at this
// time; the check buffers the body to read the fields.
type mailgun struct {
	keys      []Key
	tolerance time.Duration
}

// newMailgun builds KindBodyField's scheme: Mailgun's.
func newMailgun(tolerance time.Duration, o Options) (Scheme, error) {
	keys, err := ownKeys(o.Keys)
	if err != nil {
		return nil, err
	}
	return &mailgun{keys: keys, tolerance: o.tolerance(tolerance)}, nil
}

func (m *mailgun) Begin(_ *Request, now time.Time) (Check, error) {
	return &mailgunCheck{m: m, now: now}, nil
}

type mailgunCheck struct {
	m   *mailgun
	now time.Time
	bufferedBody
	signed string // the timestamp and token the signature covered
}

func (c *mailgunCheck) wants() (bool, string) { return false, "" }

// identity is the signed timestamp's and token's: Mailgun signs nothing
// else of the body.
func (c *mailgunCheck) identity(*[32]byte, []byte) (Identity, bool) {
	if c.signed == "" {
		return Identity{}, false
	}
	return sumOf(IdentitySignedContent, []byte(c.signed)), true
}

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
	i := match(sums, [][]byte{sig})
	if i < 0 {
		return "", ErrSignatureMismatch
	}
	c.signed = s.Timestamp + s.Token
	return c.m.keys[i].ID, nil
}
