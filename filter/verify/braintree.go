package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"time"
)

// KindBraintree is Braintree's webhooks: a form body of bt_signature, one
// or more "public_key|hex HMAC-SHA1" pairs separated by '&', and
// bt_payload, the base64 XML notification, which the HMAC covers as sent
// (key: the SHA-1 of the private key). The body is buffered.
const KindBraintree PresetKind = "braintree"

// braintreeTestPublicKey is the public key signBraintree names when its
// secret is a private key alone.
const braintreeTestPublicKey = "hookguard_test"

func init() {
	kindBuilders[KindBraintree] = func(_ PresetInfo, o Options) (Scheme, error) { return newBraintree(o) }
}

// braintree verifies Braintree's webhooks (KindBraintree).
type braintree struct {
	keys []braintreeKey
}

// braintreeKey is one of the route's API key pairs: the public key that
// selects the signature pair (empty: any pair), and the HMAC key, the
// SHA-1 of the private key.
type braintreeKey struct {
	id, public string
	mac        []byte
}

// parseBraintreeSecret reads a route's secret, "public_key:private_key"
// or the private key alone. Errors never quote it.
func parseBraintreeSecret(s string) (public string, mac []byte, err error) {
	private := s
	if pub, priv, ok := strings.Cut(s, ":"); ok {
		if pub == "" || priv == "" || strings.ContainsAny(pub, "|&") {
			return "", nil, errorf(ErrInvalidScheme, "braintree secret: want the public key, a colon and the private key, or the private key alone")
		}
		public, private = pub, priv
	}
	if private == "" {
		return "", nil, ErrEmptySecret
	}
	sum := sha1.Sum([]byte(private))
	return public, sum[:], nil
}

func newBraintree(o Options) (Scheme, error) {
	if err := checkKeys(o.Keys); err != nil {
		return nil, err
	}
	b := &braintree{}
	for _, k := range o.Keys {
		public, mac, err := parseBraintreeSecret(string(k.Secret))
		if err != nil {
			return nil, errorf(err, "key %q", k.ID)
		}
		b.keys = append(b.keys, braintreeKey{id: k.ID, public: public, mac: mac})
	}
	return b, nil
}

func (b *braintree) Begin(*Request, time.Time) (Check, error) { return &braintreeCheck{b: b}, nil }

type braintreeCheck struct {
	b *braintree
	bufferedBody
	signed string // the payload as the matching signature covered it
}

func (c *braintreeCheck) wants() (bool, string) { return false, "" }

// identity is the signed payload's: the form around it may be reordered or
// escaped otherwise.
func (c *braintreeCheck) identity(*[32]byte, []byte) (Identity, bool) {
	if c.signed == "" {
		return Identity{}, false
	}
	return sumOf(IdentitySignedContent, []byte(c.signed)), true
}

func (c *braintreeCheck) Verify() (string, error) {
	values, err := url.ParseQuery(string(c.body))
	if err != nil {
		return "", ErrMalformedBody
	}
	for name, v := range values {
		// Only the two fields Braintree sends: anything else would reach
		// the application unsigned. Each once, so that hookguard and the
		// application read the same one.
		if name != "bt_signature" && name != "bt_payload" || len(v) != 1 {
			return "", ErrMalformedBody
		}
	}
	signature, payload := values.Get("bt_signature"), values.Get("bt_payload")
	if signature == "" {
		return "", ErrMissingSignature
	}
	if !braintreePayload(payload) {
		return "", ErrMalformedBody
	}
	pairs, err := braintreePairs(signature)
	if err != nil {
		return "", err
	}
	signed := [2]string{payload, payload + "\n"}
	for _, k := range c.b.keys {
		var sums [2][]byte
		for i, s := range signed {
			m := hmac.New(newSHA1, k.mac)
			m.Write([]byte(s))
			sums[i] = m.Sum(nil)
		}
		for _, p := range pairs {
			if k.public != "" && p.public != k.public {
				continue
			}
			for i := range signed {
				if p.sig != nil && hmac.Equal(sums[i], p.sig) {
					c.signed = signed[i]
					return k.id, nil
				}
			}
			if k.public != "" {
				break // the SDK checks only the first pair of its public key
			}
		}
	}
	return "", ErrSignatureMismatch
}

type braintreePair struct {
	public string
	sig    []byte // nil when not 40 hex digits
}

// braintreePairs splits bt_signature as the SDK does: on '&', keeping the
// pairs with a '|'.
func braintreePairs(signature string) ([]braintreePair, error) {
	var pairs []braintreePair
	for _, p := range strings.Split(signature, "&") {
		public, sig, ok := strings.Cut(p, "|")
		if !ok {
			continue
		}
		if strings.Contains(sig, "|") || len(pairs) == maxSignatures {
			return nil, ErrMalformedSignature
		}
		b, _ := Hex.decode(sig, sha1.Size)
		pairs = append(pairs, braintreePair{public: public, sig: b})
	}
	if len(pairs) == 0 {
		return nil, ErrMalformedSignature
	}
	return pairs, nil
}

// braintreePayload reports whether payload is what Braintree signs: base64
// (the SDK's alphabet, with newlines) of an XML document. That refuses a
// signature over anything else, such as the SDK's answer to a
// bt_challenge (the HMAC of a hex string under the same key), which an
// application answering the challenge would hand anyone.
func braintreePayload(payload string) bool {
	if payload == "" {
		return false
	}
	for i := 0; i < len(payload); i++ {
		switch c := payload[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=', c == '\n':
		default:
			return false // the SDK refuses these too
		}
	}
	xml, err := base64.StdEncoding.DecodeString(payload) // skips the newlines
	if err != nil {
		return false
	}
	s := strings.TrimLeft(strings.TrimPrefix(string(xml), "\ufeff"), " \t\r\n")
	return strings.HasPrefix(s, "<")
}

// signBraintree signs as Braintree does: the bt_payload of a form body,
// or, for any other body, a "check" notification at now. secret is
// "public_key:private_key" (or the private key, under a test public key).
func signBraintree(_ PresetInfo, secret string, _ *Request, body []byte, now time.Time) ([]Field, []byte, error) {
	public, mac, err := parseBraintreeSecret(secret)
	if err != nil {
		return nil, nil, err
	}
	if public == "" {
		public = braintreeTestPublicKey
	}
	values, err := url.ParseQuery(string(body))
	payload := values.Get("bt_payload")
	if err != nil || payload == "" {
		xml := "<notification>\n  <timestamp type=\"datetime\">" + now.UTC().Format(time.RFC3339) + "</timestamp>\n  <kind>check</kind>\n" +
			"  <subject>\n    <check type=\"boolean\">true</check>\n  </subject>\n</notification>\n"
		payload = base64.StdEncoding.EncodeToString([]byte(xml)) + "\n"
	}
	m := hmac.New(sha1.New, mac)
	m.Write([]byte(payload))
	out := url.Values{"bt_signature": {public + "|" + hex.EncodeToString(m.Sum(nil))}, "bt_payload": {payload}}
	return nil, []byte(out.Encode()), nil
}
