package verify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PipesSignatureHeader is the header Pipes.bot signs with.
const PipesSignatureHeader = "X-Pipes-Signature"

// SignPipes returns the X-Pipes-Signature value for body under secret: the
// lower-case hex HMAC-SHA256. It exists for tests and fixtures.
func SignPipes(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// TestID is the delivery id Sign puts in an id header the request lacks.
const TestID = "msg_hookguard_test"

// Sign returns the headers a sender using the named preset adds to req to
// sign body at time now with secret (as the provider issues it): the
// signature and, where the preset signs them, the timestamp and id. It is
// for tests, fixtures and trying a route by hand. A public-key preset
// (and standard-webhooks given a whsk_ key, for v1a) takes the private key
// in secret (DecodePrivateKey); PublicKeyFor gives the route's key. A
// preset that signs inside the body (Mailgun) needs SignRequest.
func Sign(preset, secret string, req *Request, body []byte, now time.Time) ([]Field, error) {
	hdr, signed, err := SignRequest(preset, secret, req, body, now)
	if err == nil && !bytes.Equal(signed, body) {
		return nil, errorf(ErrInvalidScheme, "%s signs inside the body: use SignRequest", preset)
	}
	return hdr, err
}

// SignRequest is Sign for every preset: the headers to add, and the body
// to send, which for a preset that signs inside the body (Mailgun) carries
// the signature.
func SignRequest(preset, secret string, req *Request, body []byte, now time.Time) ([]Field, []byte, error) {
	info, ok := LookupPreset(preset)
	if !ok {
		_, err := Preset(preset, Options{})
		return nil, nil, err
	}
	if info.JWKS != nil {
		return nil, nil, errorf(ErrInvalidScheme, "%s is signed with its provider's own keys: nothing here can sign for it", preset)
	}
	if sign := kindSigner(info.Kind); sign != nil {
		return sign(info, secret, req, body, now)
	}
	hdr, err := signHMAC(info, secret, req, body, now)
	return hdr, body, err
}

// A signer signs as the presets of a kind that is not the generic model
// do: the headers to add and the body to send.
type signer func(info PresetInfo, secret string, req *Request, body []byte, now time.Time) ([]Field, []byte, error)

// kindSigner returns the signer of kind k, each in the kind's file where
// it has one; nil for the generic model. size: a switch, not a table
// filled at init, so that only SignRequest reaches the signers and the
// module, which never signs, links none of them.
func kindSigner(k PresetKind) signer {
	switch k {
	case KindToken:
		return func(info PresetInfo, secret string, _ *Request, body []byte, _ time.Time) ([]Field, []byte, error) {
			return []Field{{Name: info.SignatureHeaders[0], Value: secret}}, body, nil
		}
	case KindBasic:
		return func(_ PresetInfo, secret string, _ *Request, body []byte, _ time.Time) ([]Field, []byte, error) {
			return []Field{{Name: "authorization", Value: "Basic " + base64.StdEncoding.EncodeToString([]byte(secret))}}, body, nil
		}
	case KindURLForm:
		return func(info PresetInfo, secret string, req *Request, body []byte, _ time.Time) ([]Field, []byte, error) {
			return signURLForm(info, secret, req, body), body, nil
		}
	case KindBodyField:
		return signMailgunBody
	case KindJWT:
		return signJWTPreset
	case KindAdyen:
		return signAdyen
	case KindBraintree:
		return signBraintree
	case KindHook0:
		return signHook0
	case KindContentful:
		return signContentful
	case KindPlivo:
		return signPlivo
	case KindPersona:
		return signPersona
	case KindClientState:
		return signClientState
	}
	return nil
}

// signMailgunBody signs as Mailgun does, inside the body: a signature
// object of its own (the body given is not used).
func signMailgunBody(_ PresetInfo, secret string, _ *Request, _ []byte, now time.Time) ([]Field, []byte, error) {
	ts, token := strconv.FormatInt(now.Unix(), 10), "token-"+strconv.FormatInt(now.UnixNano(), 36)
	body := `{"signature":{"timestamp":"` + ts + `","token":"` + token + `","signature":"` + SignMailgun(secret, ts, token) + `"},"event-data":{}}`
	return nil, []byte(body), nil
}

// signHMAC signs as a preset of the generic model does.
func signHMAC(info PresetInfo, secret string, req *Request, body []byte, now time.Time) ([]Field, error) {
	h := info.HMAC
	if info.Quirks&QuirkV1aPublicKeys != 0 && strings.HasPrefix(secret, "whsk_") {
		h = v1a(h)
	}
	decode := func(s string) ([]byte, error) { return DecodeSecret(info.SecretEncoding, s) }
	if h.Algorithm.IsPublicKey() {
		decode = func(s string) ([]byte, error) { return DecodePrivateKey(h.Algorithm, s) }
	}
	key, err := decode(secret)
	if err != nil {
		return nil, err
	}
	h.Keys = []Key{{Secret: key}}
	h.quirks = info.Quirks
	signed := *req
	signed.Header = append([]Field(nil), req.Header...)
	var out []Field
	ts := formatTimestamp(h.TimestampFormat, now)
	if h.TimestampHeader != "" {
		out = append(out, Field{Name: h.TimestampHeader, Value: ts})
	}
	if h.IDHeader != "" {
		if _, n := req.Single(h.IDHeader); n == 0 {
			out = append(out, Field{Name: h.IDHeader, Value: TestID})
		}
	}
	signed.Header = append(signed.Header, out...)
	sig, err := h.Sign(&signed, body, ts)
	if err != nil {
		return nil, err
	}
	return append(out, Field{Name: h.SignatureHeaders[0], Value: sig}), nil
}

func formatTimestamp(f TimestampFormat, now time.Time) string {
	switch f {
	case UnixMillis:
		return strconv.FormatInt(now.UnixMilli(), 10)
	case RFC3339:
		return now.UTC().Format(time.RFC3339)
	}
	return strconv.FormatInt(now.Unix(), 10)
}

// signURLForm signs as KindURLForm's senders do (HMAC-SHA1): the URL as
// rebuilt from req, then the sorted form parameters of a form body.
func signURLForm(info PresetInfo, secret string, req *Request, body []byte) []Field {
	u := RequestURL(req, "")
	var params string
	q, _ := url.ParseQuery(req.Query())
	contentType, _ := req.Single("content-type")
	if !(info.Quirks&QuirkBodySHA256 != 0 && q.Has("bodySHA256")) && isForm(contentType) {
		values, _ := url.ParseQuery(string(body))
		params = sortedParams(values, info.Quirks&QuirkAllFormValues != 0)
	}
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(u + params))
	return []Field{{Name: info.SignatureHeaders[0], Value: base64.StdEncoding.EncodeToString(m.Sum(nil))}}
}

// SignMailgun returns Mailgun's signature for timestamp and token.
func SignMailgun(key, timestamp, token string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(timestamp + token))
	return hex.EncodeToString(m.Sum(nil))
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
	case Positional:
		return vals.timestamp + c.Separators[:1] + sig, nil
	}
	return c.SignaturePrefix + sig, nil
}

// PublicKeyFor returns the public key of privateKey (DecodePrivateKey's
// forms) as the named preset's provider shows it: hex for Discord, base64
// for Telnyx, base64 DER for SendGrid, whpk_… for Standard Webhooks. It
// is for fixtures and for trying a route by hand.
func PublicKeyFor(preset, privateKey string) (string, error) {
	p, ok := LookupPreset(preset)
	if !ok || !p.TakesPublicKeys() {
		return "", errorf(ErrInvalidScheme, "%s does not sign with a public key", preset)
	}
	alg := p.HMAC.Algorithm
	if !alg.IsPublicKey() {
		alg = v1a(p.HMAC).Algorithm
	}
	priv, err := DecodePrivateKey(alg, privateKey)
	if err != nil {
		return "", err
	}
	pub, err := publicOf(alg, priv)
	if err != nil {
		return "", err
	}
	switch p.KeyForm {
	case KeyHex:
		return hex.EncodeToString(pub), nil
	case KeySPKI:
		return base64.StdEncoding.EncodeToString(append(append([]byte(nil), p256SPKI...), pub...)), nil
	case KeyWhpk:
		return "whpk_" + base64.StdEncoding.EncodeToString(pub), nil
	}
	return base64.StdEncoding.EncodeToString(pub), nil
}
