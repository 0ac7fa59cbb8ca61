package verify

import (
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
// in secret (DecodePrivateKey); PublicKeyFor gives the route's key. Mailgun
// signs inside the body: use SignMailgun.
func Sign(preset, secret string, req *Request, body []byte, now time.Time) ([]Field, error) {
	info, ok := LookupPreset(preset)
	if !ok {
		_, err := Preset(preset, Options{})
		return nil, err
	}
	switch info.Kind {
	case "token":
		return []Field{{Name: "x-gitlab-token", Value: secret}}, nil
	case "url-form":
		return signURLForm(preset, secret, req, body), nil
	case "body-field":
		return nil, errorf(ErrInvalidScheme, "%s signs inside the body: use SignMailgun", preset)
	}
	h := info.HMAC
	if preset == "standard-webhooks" && strings.HasPrefix(secret, "whsk_") {
		h = standardWebhooksV1a("webhook-")
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
	if preset == "hubspot" {
		h.urlQuirk = hubspotURL
	}
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

// signURLForm signs as Twilio (HMAC-SHA1) and Mandrill do: the URL as
// rebuilt from req, then the sorted form parameters of a form body.
func signURLForm(preset, secret string, req *Request, body []byte) []Field {
	u := RequestURL(req, "")
	var params string
	q, _ := url.ParseQuery(req.Query())
	twilio := preset == "twilio"
	contentType, _ := req.Single("content-type")
	if !(twilio && q.Has("bodySHA256")) && isForm(contentType) {
		values, _ := url.ParseQuery(string(body))
		params = sortedParams(values, twilio)
	}
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(u + params))
	header := "x-mandrill-signature"
	if twilio {
		header = "x-twilio-signature"
	}
	return []Field{{Name: header, Value: base64.StdEncoding.EncodeToString(m.Sum(nil))}}
}

// SignMailgun returns Mailgun's signature for timestamp and token.
func SignMailgun(key, timestamp, token string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(timestamp + token))
	return hex.EncodeToString(m.Sum(nil))
}
