package verify

import (
	"slices"
	"strings"
	"time"
)

// A preset is one row of the table in presets.go: a provider's scheme
// written out as data over the generic model, with what the generic fields
// do not express named by flags (Quirks) whose behaviour is implemented
// once, here and in the checks. Adding a provider adds a row, not code.

// PresetKind is the family of verifier a preset is built as.
type PresetKind string

// Preset kinds.
const (
	// KindHMAC is the generic model (HMAC) with shared secrets.
	KindHMAC PresetKind = "hmac"
	// KindPublicKey is the generic model with a public-key algorithm: the
	// route holds the provider's public key.
	KindPublicKey PresetKind = "public-key"
	// KindURLForm is an HMAC-SHA1, base64, over the URL then each form
	// parameter's name and value sorted by name (Twilio, Mandrill). The body
	// is buffered.
	KindURLForm PresetKind = "url-form"
	// KindBodyField is Mailgun's signature object inside the body: the hex
	// HMAC-SHA256 of its timestamp and token. The body is buffered.
	KindBodyField PresetKind = "body-field"
	// KindToken is a static token: the signature header's value must equal
	// a secret (Token).
	KindToken PresetKind = "token"
	// KindBasic is HTTP Basic credentials: the route's secrets are
	// user:password pairs (Basic).
	KindBasic PresetKind = "basic"
	// KindJWT is a JWT the provider signs with the route's shared secret
	// (HS256), as PresetInfo.JWT describes: its header, claims, and what of
	// the request its claims bind (the body's hash, the URL).
	KindJWT PresetKind = "jwt"
)

// kindBuilders build the presets of kinds that are not the generic model,
// each implemented in a file of its own.
var kindBuilders = map[PresetKind]func(p PresetInfo, o Options) (Scheme, error){
	KindToken: func(p PresetInfo, o Options) (Scheme, error) {
		return NewToken(Token{Header: p.SignatureHeaders[0], Keys: o.Keys})
	},
	KindBasic:     func(p PresetInfo, o Options) (Scheme, error) { return NewBasic(Basic{Keys: o.Keys}) },
	KindURLForm:   func(p PresetInfo, o Options) (Scheme, error) { return newURLForm(p.SignatureHeaders[0], p.Quirks, o) },
	KindBodyField: func(p PresetInfo, o Options) (Scheme, error) { return newMailgun(p.HMAC.Tolerance, o) },
}

// Quirks are a provider's behaviours that the generic fields do not
// express, as flags: each names a behaviour implemented once, for every
// preset that sets it.
type Quirks uint8

// Quirk flags.
const (
	// QuirkDecodedURL: {url} is also tried with %3A %2F %3F %40 %21 %24 %27
	// %28 %29 %2A %2C %3B decoded, as HubSpot's v3 signature documents
	// (and as received, as its Node SDK computes it).
	QuirkDecodedURL Quirks = 1 << iota
	// QuirkV1aPublicKeys: a route's whpk_ public keys verify the signature
	// list's "v1a" entries with Ed25519, and its secrets the scheme's own
	// entries; a route may hold both (Standard Webhooks).
	QuirkV1aPublicKeys
	// QuirkSignatureSettings, for KindURLForm: the header
	// X-Twilio-Webhooks-Signature-Settings' algorithm=HMAC_SHA256 selects
	// HMAC-SHA256 instead of HMAC-SHA1.
	QuirkSignatureSettings
	// QuirkBodySHA256, for KindURLForm: with ?bodySHA256= in the URL only
	// the URL is signed, and the body's SHA-256 must match the parameter
	// (Twilio's JSON bodies).
	QuirkBodySHA256
	// QuirkAllFormValues, for KindURLForm: a repeated form parameter signs
	// each of its values, sorted and de-duplicated (Twilio); without it only
	// its last value (Mandrill).
	QuirkAllFormValues
)

// HandshakeKind names a challenge a provider sends to an endpoint, which
// the filter can answer itself ("handshake": true) so the application
// never needs the secret. The plugin implements each kind.
type HandshakeKind string

// Handshake kinds.
const (
	// HandshakeZoom answers a signed endpoint.url_validation event with
	// the plainToken and its HMAC-SHA256 under the secret token.
	HandshakeZoom HandshakeKind = "zoom"
	// HandshakeSlack echoes a signed url_verification event's challenge.
	HandshakeSlack HandshakeKind = "slack"
	// HandshakeTwitterCRC answers the X/Twitter CRC GET (crc_token) with
	// the token's HMAC-SHA256 under the consumer secret.
	HandshakeTwitterCRC HandshakeKind = "twitter"
	// HandshakeDropbox echoes the challenge of Dropbox's verification GET
	// (?challenge=), as text/plain with nosniff.
	HandshakeDropbox HandshakeKind = "dropbox"
	// HandshakeMeta echoes hub.challenge of Meta's verification GET
	// (hub.mode=subscribe) when hub.verify_token is the route's verify
	// token ("verify_token_env").
	HandshakeMeta HandshakeKind = "meta"
	// HandshakeTwitch answers a signed EventSub webhook_callback_verification
	// with its challenge, as text/plain.
	HandshakeTwitch HandshakeKind = "twitch"
	// HandshakeOkta answers Okta's one-time verification GET with its
	// X-Okta-Verification-Challenge header, as {"verification": …}.
	HandshakeOkta HandshakeKind = "okta"
	// HandshakeGraph answers Microsoft Graph's subscription validation, a
	// POST with ?validationToken=…, by echoing the token as text/plain.
	HandshakeGraph HandshakeKind = "microsoft-graph"
	// HandshakeBraintree answers Braintree's destination check, a GET with
	// ?bt_challenge=<hex>, with "<public key>|<hex HMAC-SHA1 of the
	// challenge under SHA-1 of the private key>".
	HandshakeBraintree HandshakeKind = "braintree"
	// HandshakeAdobe echoes the challenge of Adobe I/O Events' registration
	// GET (?challenge=) as {"challenge": …}.
	HandshakeAdobe HandshakeKind = "adobe-io"
	// HandshakeEBay answers eBay's endpoint check, a GET with
	// ?challenge_code=, with {"challengeResponse": hex SHA-256 of the code,
	// the route's verification token and the endpoint's URL}.
	HandshakeEBay HandshakeKind = "ebay"
	// HandshakeMonday echoes monday.com's URL challenge, a POST whose JSON
	// body is {"challenge": <token>} alone, unsigned, as {"challenge": …}.
	HandshakeMonday HandshakeKind = "monday"
	// HandshakeSNS confirms a verified AWS SNS SubscriptionConfirmation at
	// the edge by fetching its SubscribeURL (a pinned AWS host) through the
	// route's key_cluster, and answers 200.
	HandshakeSNS HandshakeKind = "aws-sns"
)

// Handshake is a preset's challenge: its kind and the HTTP method it comes
// with (a route whose methods leave that out would never see it).
type Handshake struct {
	Kind   HandshakeKind
	Method string
}

// JWKSSource is where a provider publishes its JWK Set: the authority and
// path a route's cluster is asked for.
type JWKSSource struct{ Authority, Path string }

// KeyForm is how a provider shows its public key.
type KeyForm string

// Key forms.
const (
	KeyHex    KeyForm = "hex"    // Discord
	KeyBase64 KeyForm = "base64" // Telnyx
	KeySPKI   KeyForm = "spki"   // base64 DER SubjectPublicKeyInfo (SendGrid)
	KeyWhpk   KeyForm = "whpk"   // whpk_ and base64 (Standard Webhooks)
)

// PresetInfo is one preset: a row of the table in presets.go, which the
// documentation, the configuration and the sign tool read too.
type PresetInfo struct {
	Name string
	Kind PresetKind
	// HMAC is the preset in the generic model, for KindHMAC and
	// KindPublicKey, without the quirks below. For KindBodyField only its
	// Tolerance is used.
	HMAC HMAC
	// SecretEncoding is how the provider's secrets are decoded; UTF8 when
	// the table leaves it empty.
	SecretEncoding SecretEncoding
	// Quirks are what the generic fields do not express.
	Quirks Quirks
	// BodyTimestampField, when set, is a JSON number of milliseconds in the
	// body that is the signed timestamp, checked against HMAC.Tolerance
	// once the signature matches (Linear's webhookTimestamp). The body is
	// buffered.
	BodyTimestampField string
	// Fallback is the scheme under other headers, verified when a request
	// lacks HMAC's signature header (Svix's webhook-… headers).
	Fallback *HMAC
	// LegacySHA1 is the provider's legacy HMAC-SHA1 header, verified with
	// Options.AllowSHA1 ("allow_sha1") when the current one is absent.
	LegacySHA1 *HMAC
	// SignatureHeaders are every header the preset reads its signature (or
	// token) from, the current one first; none for Mailgun, which signs in
	// the body. The table sets them for the kinds without an HMAC;
	// LookupPreset fills them from HMAC, Fallback and LegacySHA1.
	SignatureHeaders []string
	// DeliveryIDHeaders are where the provider puts a delivery's id, the
	// same on every retry, for replay de-duplication; the first present is
	// used. None for providers that put it only in the body. Only Standard
	// Webhooks' and Svix's ids are signed.
	DeliveryIDHeaders []string
	// JWT, for KindJWT, is the provider's token: where it is, its claims
	// and what they bind; its Keys come from the route's secrets, or with
	// JWKS from the provider's JWK Set.
	JWT *JWT
	// JWKS, for a KindJWT preset whose provider signs with keys of its
	// own (Google), is where the provider publishes them: a route fetches
	// the set through a cluster ("jwks_cluster"), or holds it ("jwks",
	// "jwks_env"). BindClaims are the claims such a route must pin with
	// "require_claims" (the service account), and a route must name its
	// "audiences".
	JWKS       *JWKSSource
	BindClaims []string
	// RemoteKey, for a kind whose keys are fetched from the provider per
	// delivery (aws-sns, paypal, plaid), is where they may come from.
	RemoteKey *RemoteKeyInfo
	// Handshake is the provider's endpoint challenge the filter can
	// answer; zero for none.
	Handshake Handshake
	// KeyForm and ExampleKey, for a preset with public keys, are how the
	// provider shows a key and a valid one in that form (made by
	// PublicKeyFor from a seed no sender uses): for examples.
	KeyForm    KeyForm
	ExampleKey string
	// StandInKey is a key the preset's scheme can be built with, so that a
	// route whose secrets are unset is still checked at start: ExampleKey,
	// or one valid in every SecretEncoding. LookupPreset fills it.
	StandInKey string
	// Notes say, for people, what the generic model does not express.
	Notes string
	// DocHeaders and DocSigned describe, for the reference, the headers
	// and the signed content of a kind the generic model does not express.
	DocHeaders, DocSigned string
}

// TakesPublicKeys reports whether routes of the preset hold public keys:
// all of them (KindPublicKey) or some (QuirkV1aPublicKeys).
func (p PresetInfo) TakesPublicKeys() bool {
	return p.Kind == KindPublicKey || p.Quirks&QuirkV1aPublicKeys != 0
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
	// AllowSHA1 lets a preset with a LegacySHA1 header (github, square)
	// accept it when the current one is absent.
	AllowSHA1 bool
	// Bind is what a remote-key preset's deliveries must name (the row's
	// RemoteKey.BindField): AWS SNS's topic ARNs, PayPal's webhook ids.
	Bind []string
	// KeyAuthority picks the key endpoint's host among the row's
	// RemoteKey.Hosts (Plaid's sandbox), "" for the row's Authority.
	KeyAuthority string
}

// tolerance is o's tolerance, or def when o keeps the provider's.
func (o Options) tolerance(def time.Duration) time.Duration {
	if o.Tolerance != nil {
		return *o.Tolerance
	}
	return def
}

// Preset returns the named provider's scheme. Its secrets, tolerance and
// URL come from o.
func Preset(name string, o Options) (Scheme, error) {
	p, ok := LookupPreset(name)
	if !ok {
		return nil, errorf(ErrUnknownPreset, "%q (known: %s)", name, strings.Join(Presets(), ", "))
	}
	return p.build(o)
}

// Presets returns the preset names, sorted.
func Presets() []string {
	out := make([]string, len(presets))
	for i := range presets {
		out[i] = presets[i].Name
	}
	slices.Sort(out)
	return out
}

// LookupPreset describes the named preset.
func LookupPreset(name string) (PresetInfo, bool) {
	i := slices.IndexFunc(presets, func(p PresetInfo) bool { return p.Name == name })
	if i < 0 {
		return PresetInfo{Name: name}, false
	}
	p := presets[i]
	if p.SecretEncoding == "" {
		p.SecretEncoding = UTF8
	}
	if p.SignatureHeaders == nil {
		p.SignatureHeaders = slices.Clone(p.HMAC.SignatureHeaders)
		for _, alt := range []*HMAC{p.Fallback, p.LegacySHA1} {
			if alt != nil {
				p.SignatureHeaders = append(p.SignatureHeaders, alt.SignatureHeaders...)
			}
		}
	}
	if p.StandInKey == "" {
		p.StandInKey = p.ExampleKey
	}
	if p.StandInKey == "" && p.Kind == KindBasic {
		p.StandInKey = "stand-in:stand-in"
	}
	if p.StandInKey == "" && p.JWKS != nil {
		p.StandInKey = StandInJWKS
	}
	if p.StandInKey == "" {
		p.StandInKey = StandInKey(p.HMAC.Algorithm)
	}
	return p, true
}

// StandInKey returns a key a scheme with algorithm alg can be built with,
// to check a route whose secrets are unset: for a public-key algorithm a
// preset's example public key, else a secret valid in every
// SecretEncoding.
func StandInKey(alg Algorithm) string {
	for _, p := range presets {
		if p.Kind == KindPublicKey && p.HMAC.Algorithm == alg {
			return p.ExampleKey
		}
	}
	return "AAAA"
}

// build makes the preset's scheme with o's keys and settings.
func (p PresetInfo) build(o Options) (Scheme, error) {
	if build, ok := kindBuilders[p.Kind]; ok {
		return build(p, o)
	}
	if p.Quirks&QuirkV1aPublicKeys != 0 {
		return p.buildVersions(o)
	}
	primary, err := p.compile(p.HMAC, o.Keys, o)
	if err != nil {
		return nil, err
	}
	schemes := firstPresent{primary}
	if p.Fallback != nil {
		fallback, err := p.compile(*p.Fallback, o.Keys, o)
		if err != nil {
			return nil, err
		}
		schemes = append(schemes, fallback)
	}
	if p.LegacySHA1 != nil && o.AllowSHA1 {
		legacy, err := p.compile(*p.LegacySHA1, o.Keys, o)
		if err != nil {
			return nil, err
		}
		schemes = append(schemes, legacy)
	}
	if len(schemes) == 1 {
		return primary, nil
	}
	return schemes, nil
}

// buildVersions, for QuirkV1aPublicKeys, verifies the scheme's entries
// with the route's secrets and v1a entries with its whpk_ public keys.
func (p PresetInfo) buildVersions(o Options) (Scheme, error) {
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
		s, err := p.compile(p.HMAC, secrets, o)
		if err != nil {
			return nil, err
		}
		either = append(either, s)
	}
	if len(publics) > 0 {
		s, err := p.compile(v1a(p.HMAC), publics, o)
		if err != nil {
			return nil, err
		}
		either = append(either, s)
	}
	if len(either) == 1 {
		return either[0], nil
	}
	return either, nil
}

// v1a is h's asymmetric variant (QuirkV1aPublicKeys): the same headers and
// signed content, Ed25519 signatures listed as v1a.
func v1a(h HMAC) HMAC {
	h.Algorithm, h.SignatureKey = Ed25519, "v1a"
	return h
}

// compile builds h, one of the preset's schemes, with keys decoded as the
// preset's provider issues them and o's settings.
func (p PresetInfo) compile(h HMAC, keys []Key, o Options) (*compiledHMAC, error) {
	var err error
	if h.Algorithm.IsPublicKey() {
		h.Keys, err = DecodePublicKeys(keys, h.Algorithm)
	} else {
		h.Keys, err = DecodeKeys(keys, p.SecretEncoding)
	}
	if err != nil {
		return nil, err
	}
	if o.Tolerance != nil {
		h.Tolerance = *o.Tolerance
	}
	h.PublicURL = o.PublicURL
	h.quirks, h.bodyTimestampField = p.Quirks, p.BodyTimestampField
	return compileHMAC(h)
}

// Identity is how replay de-duplication identifies the preset's
// deliveries (verify.Identified), strongest first: a delivery whose body
// lacks the event id falls back to the next.
func (p PresetInfo) Identity() []IdentityKind {
	switch {
	case !p.SignsBody():
		return []IdentityKind{IdentityBody}
	case p.Kind != KindHMAC && p.Kind != KindPublicKey:
		return []IdentityKind{IdentitySignedContent}
	case p.HMAC.IDHeader != "":
		return []IdentityKind{IdentitySignedID}
	case p.HMAC.EventIDField != "":
		return []IdentityKind{IdentityEventID, IdentitySignedContent}
	}
	return []IdentityKind{IdentitySignedContent}
}

// SignsBody reports whether the preset's credentials cover the body: a
// static token, Basic credentials, Graph's clientState and a JWT that
// binds no body hash do not.
func (p PresetInfo) SignsBody() bool {
	switch p.Kind {
	case KindToken, KindBasic, KindClientState:
		return false
	case KindJWT:
		return p.JWT.BindsBody()
	}
	return true
}

// SignsTimestamp reports whether the preset's senders sign a timestamp
// (or Plivo's nonce, new for every request), which a retry they sign
// again changes.
func (p PresetInfo) SignsTimestamp() bool {
	h := p.HMAC
	return h.TimestampHeader != "" || h.TimestampKey != "" || h.SignatureFormat == Positional || p.Kind == KindBodyField ||
		p.Kind == KindJWT && p.JWT.SignsTime() || p.Kind == KindPlivo
}
