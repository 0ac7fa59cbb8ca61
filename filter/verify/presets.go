package verify

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
	"time"
)

// SecretEncoding is how a configured secret string becomes key bytes.
type SecretEncoding string

// Secret encodings.
const (
	// UTF8 uses the string's bytes as they are (Stripe's whsec_… too).
	UTF8 SecretEncoding = "utf8"
	// Base64Secret decodes standard base64, padded or not.
	Base64Secret SecretEncoding = "base64"
	// HexSecret decodes hex.
	HexSecret SecretEncoding = "hex"
	// Whsec strips an optional "whsec_" and decodes the rest as base64, as
	// Standard Webhooks and Svix do.
	Whsec SecretEncoding = "whsec"
)

// DecodeSecret turns a configured secret into key bytes. Errors never
// quote the secret.
func DecodeSecret(enc SecretEncoding, s string) ([]byte, error) {
	var b []byte
	var err error
	switch enc {
	case UTF8, "":
		b = []byte(s)
	case Base64Secret, Whsec:
		if enc == Whsec {
			s = strings.TrimPrefix(s, "whsec_")
		}
		e := base64.StdEncoding
		if !strings.HasSuffix(s, "=") {
			e = e.WithPadding(base64.NoPadding)
		}
		b, err = e.DecodeString(s)
	case HexSecret:
		b, err = hex.DecodeString(s)
	default:
		return nil, errorf(ErrInvalidScheme, "secret encoding %q (want utf8, base64, hex or whsec)", string(enc))
	}
	if err != nil {
		return nil, errorf(ErrInvalidScheme, "secret is not valid %s", string(enc))
	}
	if len(b) == 0 {
		return nil, ErrEmptySecret
	}
	return b, nil
}

// Options configure a preset.
type Options struct {
	// Keys are the secrets as configured: each preset decodes them as its
	// provider issues them (see PresetInfo.SecretEncoding).
	Keys []Key
	// Tolerance overrides the provider's timestamp tolerance; nil keeps it.
	Tolerance *time.Duration
	// PublicURL is the scheme and authority the sender signed, for presets
	// that sign the URL, when a proxy rewrote them (see HMAC.PublicURL).
	PublicURL string
	// AllowSHA1 lets the github and square presets accept their legacy
	// HMAC-SHA1 header (X-Hub-Signature, X-Square-Signature) when the
	// current one is absent.
	AllowSHA1 bool
}

// PresetInfo describes a preset for documentation and configuration.
type PresetInfo struct {
	Name string
	// Kind is "hmac", "public-key", "url-form", "body-field" or "token".
	Kind string
	// HMAC is the preset written out in the generic model (for kind
	// "hmac"), without the provider's quirks below.
	HMAC HMAC
	// SecretEncoding is how the provider's secrets are decoded.
	SecretEncoding SecretEncoding
	// Quirks says what the generic model does not express.
	Quirks string
	// ExampleKey, for kind "public-key", is a valid public key in the form
	// the provider shows (no sender holds its private key): for examples,
	// and to build a route whose key is not set yet.
	ExampleKey string
	// DeliveryIDHeaders are where the provider puts a delivery's id, the
	// same on every retry, for replay de-duplication; the first present is
	// used. None for providers that put it only in the body.
	DeliveryIDHeaders []string
	// SignatureHeaders are every header the preset reads its signature (or
	// token) from, the current one first; none for Mailgun, which signs in
	// the body.
	SignatureHeaders []string
}

// exampleKeys are the public-key presets' ExampleKey values, made by
// PublicKeyFor from seeds no sender uses.
var exampleKeys = map[string]string{
	"discord":  "e089eb85f5008937d4761b46f5b0197bbc7171afceaae06fdbf687024ef4007f",
	"telnyx":   "Y7EKTp0vVxU/Qg7D+0plurUX9iCOMCmalb93CQ4wyRU=",
	"sendgrid": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtqiE2kD4nyrUeXTLuQPXc6IMe3aWcKfKVA2qv5wduekJ1z6aTwFNpqyQLFWmEwAMPGPEVYGscyoBjsRTac4VCQ==",
}

type preset struct {
	info    PresetInfo
	build   func(p preset, o Options) (Scheme, error)
	keyForm string // how the provider shows a public key: hex, base64, spki (base64 DER) or whpk
}

// publicKeyPreset is a preset whose sender signs with a private key; the
// route holds the public key, shown by the provider as keyForm says.
func publicKeyPreset(h HMAC, keyForm, example, quirks string) preset {
	return preset{info: PresetInfo{Kind: "public-key", HMAC: h, SecretEncoding: PublicKeyEncoding, ExampleKey: example, Quirks: quirks},
		build: buildHMAC, keyForm: keyForm}
}

func hmacPreset(h HMAC, enc SecretEncoding, quirks string) preset {
	return preset{info: PresetInfo{Kind: "hmac", HMAC: h, SecretEncoding: enc, Quirks: quirks}, build: buildHMAC}
}

func buildHMAC(p preset, o Options) (Scheme, error) {
	h, err := p.withOptions(o)
	if err != nil {
		return nil, err
	}
	return compileHMAC(h)
}

// withOptions returns the preset's HMAC with o's keys and settings.
func (p preset) withOptions(o Options) (HMAC, error) {
	h := p.info.HMAC
	decode := func(keys []Key) ([]Key, error) { return DecodeKeys(keys, p.info.SecretEncoding) }
	if h.Algorithm.IsPublicKey() {
		decode = func(keys []Key) ([]Key, error) { return DecodePublicKeys(keys, h.Algorithm) }
	}
	keys, err := decode(o.Keys)
	if err != nil {
		return HMAC{}, err
	}
	h.Keys = keys
	if o.Tolerance != nil {
		h.Tolerance = *o.Tolerance
	}
	h.PublicURL = o.PublicURL
	return h, nil
}

// DecodeKeys returns keys with each secret decoded as enc says. Errors
// name the key's id, never its secret.
func DecodeKeys(keys []Key, enc SecretEncoding) ([]Key, error) {
	out := make([]Key, len(keys))
	for i, k := range keys {
		b, err := DecodeSecret(enc, string(k.Secret))
		if err != nil {
			return nil, errorf(err, "key %q", k.ID)
		}
		out[i] = Key{ID: k.ID, Secret: b}
	}
	return out, nil
}

// DecodePublicKeys is DecodeKeys for a public-key algorithm's keys
// (DecodePublicKey).
func DecodePublicKeys(keys []Key, alg Algorithm) ([]Key, error) {
	out := make([]Key, len(keys))
	for i, k := range keys {
		b, err := DecodePublicKey(alg, string(k.Secret))
		if err != nil {
			return nil, errorf(err, "key %q", k.ID)
		}
		out[i] = Key{ID: k.ID, Secret: b}
	}
	return out, nil
}

// hubspotURL decodes the escapes HubSpot's v3 signature decodes in the
// URI before signing.
var hubspotURL = strings.NewReplacer(
	"%3A", ":", "%2F", "/", "%3F", "?", "%40", "@", "%21", "!", "%24", "$", "%27", "'",
	"%28", "(", "%29", ")", "%2A", "*", "%2C", ",", "%3B", ";",
	"%3a", ":", "%2f", "/", "%3f", "?", "%2a", "*", "%2c", ",", "%3b", ";",
).Replace

var presets = map[string]preset{
	"pipes": hmacPreset(HMAC{SignatureHeaders: []string{"x-pipes-signature"}}, UTF8, ""),
	"github": {
		info: PresetInfo{Kind: "hmac", SecretEncoding: UTF8,
			HMAC:             HMAC{SignatureHeaders: []string{"x-hub-signature-256"}, SignaturePrefix: "sha256="},
			SignatureHeaders: []string{"x-hub-signature-256", "x-hub-signature"},
			Quirks:           "with allow_sha1, X-Hub-Signature (sha1=<hex>, HMAC-SHA1) is accepted when X-Hub-Signature-256 is absent"},
		build: func(p preset, o Options) (Scheme, error) {
			return withSHA1Fallback(p, o, HMAC{Algorithm: SHA1, SignatureHeaders: []string{"x-hub-signature"}, SignaturePrefix: "sha1="})
		}},
	"gitlab": {
		info: PresetInfo{Kind: "token", SecretEncoding: UTF8, Quirks: "a token, not a signature: X-Gitlab-Token must equal the secret",
			SignatureHeaders: []string{"x-gitlab-token"}},
		build: func(_ preset, o Options) (Scheme, error) {
			return NewToken(Token{Header: "x-gitlab-token", Keys: o.Keys})
		}},
	"bitbucket": hmacPreset(HMAC{SignatureHeaders: []string{"x-hub-signature"}, SignaturePrefix: "sha256="}, UTF8, ""),
	"stripe": hmacPreset(HMAC{SignatureHeaders: []string{"stripe-signature"}, SignatureFormat: KeyValue,
		SignatureKey: "v1", TimestampKey: "t", Template: "{timestamp}.{body}", Tolerance: DefaultTolerance}, UTF8,
		"the whsec_ secret is used as literal bytes; v0 entries are ignored"),
	"standard-webhooks": {
		info: PresetInfo{Kind: "hmac", HMAC: standardWebhooks("webhook-"), SecretEncoding: Whsec,
			Quirks: "whsec_ secrets verify v1 (HMAC-SHA256) entries and whpk_ public keys v1a (Ed25519) entries; a route may hold both"},
		build: buildStandardWebhooks, keyForm: "whpk"},
	"discord": publicKeyPreset(HMAC{Algorithm: Ed25519, SignatureHeaders: []string{"x-signature-ed25519"}, Encoding: Hex,
		TimestampHeader: "x-signature-timestamp", Template: "{timestamp}{body}", Tolerance: DefaultTolerance}, "hex", exampleKeys["discord"],
		"the application's public key, in hex; Discord's own libraries do not check the timestamp's age, hookguard does (tolerance_seconds)"),
	"telnyx": publicKeyPreset(HMAC{Algorithm: Ed25519, SignatureHeaders: []string{"telnyx-signature-ed25519"}, Encoding: Base64,
		TimestampHeader: "telnyx-timestamp", Template: "{timestamp}|{body}", Tolerance: DefaultTolerance}, "base64", exampleKeys["telnyx"],
		"the account's public key, in base64"),
	"sendgrid": publicKeyPreset(HMAC{Algorithm: ECDSAP256SHA256, SignatureHeaders: []string{"x-twilio-email-event-webhook-signature"}, Encoding: Base64,
		TimestampHeader: "x-twilio-email-event-webhook-timestamp", Template: "{timestamp}{body}", Tolerance: DefaultTolerance}, "spki", exampleKeys["sendgrid"],
		"the verification key, base64 DER, as the dashboard shows it; SendGrid's libraries do not check the timestamp's age, hookguard does (tolerance_seconds)"),
	"svix": {
		info: PresetInfo{Kind: "hmac", HMAC: standardWebhooks("svix-"), SecretEncoding: Whsec,
			SignatureHeaders: []string{"svix-signature", "webhook-signature"},
			Quirks:           "webhook-id/-timestamp/-signature are accepted when the svix- headers are absent"},
		build: func(p preset, o Options) (Scheme, error) {
			svix, err := buildHMAC(p, o)
			if err != nil {
				return nil, err
			}
			sw := p
			sw.info.HMAC = standardWebhooks("webhook-")
			std, err := buildHMAC(sw, o)
			if err != nil {
				return nil, err
			}
			return firstPresent{svix.(*compiledHMAC), std.(*compiledHMAC)}, nil
		}},
	"slack": hmacPreset(HMAC{SignatureHeaders: []string{"x-slack-signature"}, SignaturePrefix: "v0=",
		TimestampHeader: "x-slack-request-timestamp", Template: "v0:{timestamp}:{body}", Tolerance: DefaultTolerance}, UTF8,
		"with \"handshake\": true hookguard echoes a signed url_verification challenge itself"),
	"shopify": hmacPreset(HMAC{SignatureHeaders: []string{"x-shopify-hmac-sha256", "shopify-hmac-sha256"}, Encoding: Base64}, UTF8, ""),
	"twilio": {
		info: PresetInfo{Kind: "url-form", SecretEncoding: UTF8, SignatureHeaders: []string{"x-twilio-signature"},
			Quirks: "HMAC-SHA1 (HMAC-SHA256 when X-Twilio-Webhooks-Signature-Settings says so), base64, over the URL and the form parameters sorted by name; with ?bodySHA256= only the URL is signed and the body's SHA-256 must match; the URL is tried as sent, without its port and with the default port; the body is buffered up to max_body_bytes"},
		build: func(_ preset, o Options) (Scheme, error) { return newURLForm("x-twilio-signature", o, true) }},
	"square": {
		info: PresetInfo{Kind: "hmac", SecretEncoding: UTF8,
			HMAC:             HMAC{SignatureHeaders: []string{"x-square-hmacsha256-signature"}, Encoding: Base64, Template: "{url}{body}"},
			SignatureHeaders: []string{"x-square-hmacsha256-signature", "x-square-signature"},
			Quirks:           "signs the notification URL: set public_url to it when a proxy rewrites the scheme, host or path; with allow_sha1, the legacy X-Square-Signature (HMAC-SHA1) is accepted when X-Square-Hmacsha256-Signature is absent"},
		build: func(p preset, o Options) (Scheme, error) {
			return withSHA1Fallback(p, o, HMAC{Algorithm: SHA1, SignatureHeaders: []string{"x-square-signature"}, Encoding: Base64, Template: "{url}{body}"})
		}},
	"hubspot": {
		info: PresetInfo{Kind: "hmac", SecretEncoding: UTF8,
			HMAC: HMAC{SignatureHeaders: []string{"x-hubspot-signature-v3"}, Encoding: Base64, Template: "{method}{url}{body}{timestamp}",
				TimestampHeader: "x-hubspot-request-timestamp", TimestampFormat: UnixMillis, Tolerance: DefaultTolerance},
			Quirks: "the signed URL is tried with %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B decoded, as HubSpot documents, and as received, as its Node SDK computes it; set public_url behind a proxy"},
		build: func(p preset, o Options) (Scheme, error) {
			h, err := p.withOptions(o)
			if err != nil {
				return nil, err
			}
			h.urlQuirk = hubspotURL
			return compileHMAC(h)
		}},
	"zendesk": hmacPreset(HMAC{SignatureHeaders: []string{"x-zendesk-webhook-signature"}, Encoding: Base64, Template: "{timestamp}{body}",
		TimestampHeader: "x-zendesk-webhook-signature-timestamp", TimestampFormat: RFC3339, Tolerance: DefaultTolerance}, UTF8, ""),
	"linear": {
		info: PresetInfo{Kind: "hmac", SecretEncoding: UTF8,
			HMAC:   HMAC{SignatureHeaders: []string{"linear-signature"}, Tolerance: time.Minute},
			Quirks: "freshness comes from webhookTimestamp (ms) inside the signed JSON body, within 60 s as Linear's SDK checks; the body is buffered up to max_body_bytes"},
		build: func(p preset, o Options) (Scheme, error) {
			h, err := p.withOptions(o)
			if err != nil {
				return nil, err
			}
			h.bodyTimestampField = "webhookTimestamp"
			return compileHMAC(h)
		}},
	"typeform": hmacPreset(HMAC{SignatureHeaders: []string{"typeform-signature"}, SignaturePrefix: "sha256=", Encoding: Base64}, UTF8, ""),
	"tiktok": hmacPreset(HMAC{SignatureHeaders: []string{"tiktok-signature"}, SignatureFormat: KeyValue, SignatureKey: "s", TimestampKey: "t",
		Template: "{timestamp}.{body}", Tolerance: DefaultTolerance}, UTF8, ""),
	"orb": hmacPreset(HMAC{SignatureHeaders: []string{"x-orb-signature"}, SignatureFormat: List, SignatureKey: "v1", VersionSeparator: "=",
		TimestampHeader: "x-orb-timestamp", TimestampFormat: RFC3339, Template: "v1:{timestamp}:{body}", Tolerance: DefaultTolerance}, UTF8,
		"the timestamp has no zone and is UTC"),
	"paddle": hmacPreset(HMAC{SignatureHeaders: []string{"paddle-signature"}, SignatureFormat: KeyValue, Separators: ";", SignatureKey: "h1", TimestampKey: "ts",
		Template: "{timestamp}:{body}", Tolerance: 5 * time.Second}, UTF8, "Paddle's SDK allows 5 s"),
	"woocommerce": hmacPreset(HMAC{SignatureHeaders: []string{"x-wc-webhook-signature"}, Encoding: Base64}, UTF8, ""),
	"xero": hmacPreset(HMAC{SignatureHeaders: []string{"x-xero-signature"}, Encoding: Base64}, UTF8,
		"Xero's Intent to Receive needs the 401 hookguard answers to a bad signature"),
	"zoom": hmacPreset(HMAC{SignatureHeaders: []string{"x-zm-signature"}, SignaturePrefix: "v0=", TimestampHeader: "x-zm-request-timestamp",
		Template: "v0:{timestamp}:{body}", Tolerance: DefaultTolerance}, UTF8,
		"with \"handshake\": true hookguard answers the endpoint.url_validation challenge itself"),
	"twitter": hmacPreset(HMAC{SignatureHeaders: []string{"x-twitter-webhooks-signature"}, SignaturePrefix: "sha256=", Encoding: Base64}, UTF8,
		"X (Twitter) Account Activity: the consumer secret; with \"handshake\": true hookguard answers the CRC GET (crc_token) itself"),
	"vercel":   hmacPreset(HMAC{SignatureHeaders: []string{"x-vercel-signature"}, Algorithm: SHA1}, UTF8, ""),
	"intercom": hmacPreset(HMAC{SignatureHeaders: []string{"x-hub-signature"}, SignaturePrefix: "sha1=", Algorithm: SHA1}, UTF8, ""),
	"calendly": hmacPreset(HMAC{SignatureHeaders: []string{"calendly-webhook-signature"}, SignatureFormat: KeyValue, SignatureKey: "v1", TimestampKey: "t",
		Template: "{timestamp}.{body}", Tolerance: 3 * time.Minute}, UTF8, "Calendly suggests 3 minutes"),
	"mandrill": {
		info: PresetInfo{Kind: "url-form", SecretEncoding: UTF8, SignatureHeaders: []string{"x-mandrill-signature"},
			Quirks: "HMAC-SHA1, base64, over the webhook URL and the POST parameters sorted by name; the body is buffered up to max_body_bytes"},
		build: func(_ preset, o Options) (Scheme, error) { return newURLForm("x-mandrill-signature", o, false) }},
	"mailgun": {
		info: PresetInfo{Kind: "body-field", SecretEncoding: UTF8,
			Quirks: "the signature is in the body (signature.timestamp, .token, .signature): hex HMAC-SHA256 of timestamp+token; it does not cover the event data; the body is buffered up to max_body_bytes"},
		build: func(_ preset, o Options) (Scheme, error) {
			keys, err := ownKeys(o.Keys)
			if err != nil {
				return nil, err
			}
			m := &mailgun{keys: keys, tolerance: DefaultTolerance}
			if o.Tolerance != nil {
				m.tolerance = *o.Tolerance
			}
			return m, nil
		}},
}

// withSHA1Fallback builds p, and with o.AllowSHA1 also its provider's
// legacy HMAC-SHA1 header, used only when the current one is absent.
func withSHA1Fallback(p preset, o Options, legacy HMAC) (Scheme, error) {
	primary, err := buildHMAC(p, o)
	if err != nil || !o.AllowSHA1 {
		return primary, err
	}
	old := p
	old.info.HMAC = legacy
	fallback, err := buildHMAC(old, o)
	if err != nil {
		return nil, err
	}
	return firstPresent{primary.(*compiledHMAC), fallback.(*compiledHMAC)}, nil
}

// buildStandardWebhooks verifies v1 entries with the route's whsec_
// secrets and v1a entries with its whpk_ public keys.
func buildStandardWebhooks(p preset, o Options) (Scheme, error) {
	var secrets, publics []Key
	for _, k := range o.Keys {
		if strings.HasPrefix(strings.TrimSpace(string(k.Secret)), "whpk_") {
			publics = append(publics, k)
		} else {
			secrets = append(secrets, k)
		}
	}
	var either eitherVersion
	if len(secrets) > 0 || len(publics) == 0 {
		o.Keys = secrets
		s, err := buildHMAC(p, o)
		if err != nil {
			return nil, err
		}
		either = append(either, s.(*compiledHMAC))
	}
	if len(publics) > 0 {
		v1a := p
		v1a.info.HMAC = standardWebhooksV1a("webhook-")
		o.Keys = publics
		s, err := buildHMAC(v1a, o)
		if err != nil {
			return nil, err
		}
		either = append(either, s.(*compiledHMAC))
	}
	if len(either) == 1 {
		return either[0], nil
	}
	return either, nil
}

// standardWebhooksV1a is Standard Webhooks' asymmetric variant: the same
// headers and signed content, Ed25519 signatures listed as v1a.
func standardWebhooksV1a(prefix string) HMAC {
	h := standardWebhooks(prefix)
	h.Algorithm, h.SignatureKey = Ed25519, "v1a"
	return h
}

// eitherVersion verifies with each scheme whose entries the signature
// header lists (Standard Webhooks' v1 and v1a): the request passes if any
// of them verifies.
type eitherVersion []*compiledHMAC

func (e eitherVersion) Begin(req *Request, now time.Time) (Check, error) {
	var first Check
	var checks eitherCheck // only when two versions have entries
	for _, s := range e {
		c, err := s.Begin(req, now)
		if errors.Is(err, errNoEntryOfVersion) {
			continue
		}
		if err != nil {
			if checks != nil {
				checks.Release() // first among them
			} else if first != nil {
				first.Release()
			}
			return nil, err // the same headers fail every version alike
		}
		switch {
		case first == nil:
			first = c
		case checks == nil:
			checks = eitherCheck{first, c}
		default:
			checks = append(checks, c)
		}
	}
	switch {
	case first == nil:
		return nil, ErrMalformedSignature
	case checks == nil:
		return first, nil // one version signed: its check, not a list of one
	}
	return checks, nil
}

type eitherCheck []Check

func (e eitherCheck) NeedsBody() bool { return true }

func (e eitherCheck) Release() {
	for _, c := range e {
		c.Release()
	}
}

func (e eitherCheck) Write(p []byte) (int, error) {
	for _, c := range e {
		if _, err := c.Write(p); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (e eitherCheck) Verify() (string, error) {
	var first error
	for _, c := range e {
		id, err := c.Verify()
		if err == nil {
			return id, nil
		}
		if first == nil {
			first = err
		}
	}
	return "", first
}

func standardWebhooks(prefix string) HMAC {
	return HMAC{SignatureHeaders: []string{prefix + "signature"}, Encoding: Base64, SignatureFormat: List, SignatureKey: "v1",
		IDHeader: prefix + "id", TimestampHeader: prefix + "timestamp", Template: "{id}.{timestamp}.{body}", Tolerance: DefaultTolerance}
}

// Preset returns the named provider's scheme. Its secrets, tolerance and
// URL come from o.
func Preset(name string, o Options) (Scheme, error) {
	p, ok := presets[name]
	if !ok {
		return nil, errorf(ErrUnknownPreset, "%q (known: %s)", name, strings.Join(Presets(), ", "))
	}
	p.info.Name = name
	return p.build(p, o)
}

// Presets returns the preset names, sorted.
func Presets() []string {
	out := make([]string, 0, len(presets))
	for name := range presets {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// deliveryIDHeaders are the headers each provider documents as a
// delivery's id, kept across its retries. Only Standard Webhooks' and
// Svix's ids are signed.
var deliveryIDHeaders = map[string][]string{
	"standard-webhooks": {"webhook-id"},
	"svix":              {"svix-id", "webhook-id"},
	"github":            {"x-github-delivery"},
	"gitlab":            {"idempotency-key"},
	"bitbucket":         {"x-request-uuid"},
	"shopify":           {"x-shopify-webhook-id"},
	"linear":            {"linear-delivery"},
	"twilio":            {"i-twilio-idempotency-token"},
	"woocommerce":       {"x-wc-webhook-delivery-id"},
	"zendesk":           {"x-zendesk-webhook-invocation-id"},
}

// LookupPreset describes the named preset.
func LookupPreset(name string) (PresetInfo, bool) {
	p, ok := presets[name]
	p.info.Name = name
	p.info.DeliveryIDHeaders = deliveryIDHeaders[name]
	if p.info.SignatureHeaders == nil {
		p.info.SignatureHeaders = p.info.HMAC.SignatureHeaders
	}
	return p.info, ok
}

// firstPresent verifies with the first scheme whose signature header the
// request carries (GitHub's SHA-256 before SHA-1; Svix's headers before
// Standard Webhooks').
type firstPresent []*compiledHMAC

func (f firstPresent) Begin(req *Request, now time.Time) (Check, error) {
	for _, s := range f {
		for _, name := range s.SignatureHeaders {
			if _, n := req.Single(name); n > 0 {
				return s.Begin(req, now)
			}
		}
	}
	return nil, ErrMissingSignature
}
