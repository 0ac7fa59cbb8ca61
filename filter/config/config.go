// Package config parses hookguard's plugin configuration: the JSON that
// Envoy passes to the filter as a google.protobuf.StringValue, and that our
// host passes the same way.
//
//	{
//	  "routes": [
//	    {"name": "github", "match": {"path": "/hooks/github"}, "scheme": "github",
//	     "secrets": [{"id": "2026-11", "env": "GITHUB_WEBHOOK_SECRET"}]},
//	    {"name": "stripe", "match": {"path_prefix": "/hooks/stripe"}, "scheme": "stripe",
//	     "secrets": [{"id": "live", "env": "STRIPE_WEBHOOK_SECRET"}], "mode": "detect"}
//	  ]
//	}
//
// The flat form of the first release ({"secret_env": …, "max_body_bytes":
// …, "hold_headers": …}) still works: it is one Pipes.bot route for every
// request. README.md's configuration reference lists every field.
//
// Parse is a pure function: the environment comes in as a lookup function,
// so it is tested natively and the filter fails plugin start on any error.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// MinSecretLen is the shortest secret accepted without a warning: Pipes.bot
// advises "at least 32 random hex characters".
const MinSecretLen = 32

// SchemePipes is the Pipes.bot scheme, and the default.
const SchemePipes = "pipes"

// Schemes that are not provider presets.
const (
	SchemeHMAC  = "hmac"  // the generic model, with its fields on the route
	SchemeToken = "token" // a static token: token_header, token_bearer or token_query
	SchemeBasic = "basic" // HTTP Basic; each secret is "user:password"
	SchemeJWT   = "jwt"   // a bearer JWT checked against a JWK Set: jwks or jwks_env
)

// Errors returned by Parse, wrapped with detail. None carries a secret.
var (
	ErrSyntax          = errors.New("configuration is not valid JSON")
	ErrUnknownField    = errors.New("unknown configuration field")
	ErrNoSecret        = errors.New("no secret configured")
	ErrSecretTwice     = errors.New(`set only one of "secret" and "secret_env"`)
	ErrSecretEnvUnset  = errors.New("secret environment variable is unset or empty")
	ErrBlankSecret     = errors.New("secret is only whitespace")
	ErrUnknownScheme   = errors.New("unknown scheme")
	ErrInvalidBodySize = errors.New("max_body_bytes must be a positive number of bytes")
	ErrInvalidRoute    = errors.New("invalid route")
	ErrMixedForms      = errors.New(`"routes" cannot be combined with the flat "scheme", "secret" or "secret_env"`)
)

// Mode is what a route does with a request's verdict.
type Mode string

// Modes.
const (
	// Enforce rejects a request that fails verification (the default).
	Enforce Mode = "enforce"
	// Detect verifies, logs and counts, and lets every request through:
	// for rolling a route out. Only verified requests are marked verified.
	Detect Mode = "detect"
	// Off lets requests through unverified.
	Off Mode = "off"
)

// Unmatched says what happens to a request no route matches.
const (
	UnmatchedReject = "reject" // 404, reason no_route (the default: fail closed)
	UnmatchedAllow  = "allow"  // let through, unverified and unmarked
)

// Config is a parsed, validated configuration.
type Config struct {
	// Routes are tried in order; the first that matches decides.
	Routes []Route
	// Unmatched is UnmatchedReject or UnmatchedAllow.
	Unmatched string
	// HoldHeaders keeps the request headers from the upstream until the
	// verdict (the default). It needs Envoy's allow_on_headers_stop_iteration;
	// where that cannot be set (Istio's WasmPlugin), false lets the headers
	// go on at once while the body is still held until the verdict.
	HoldHeaders bool
}

// Route is one class of requests and how they are verified.
type Route struct {
	// Name names the route in logs, metrics and X-Hookguard-Verified.
	Name  string
	Match Match
	// SchemeName is the preset, "hmac", "token" or "basic".
	SchemeName string
	// Scheme verifies the route's requests; nil when Mode is Off.
	Scheme verify.Scheme
	Mode   Mode
	// MaxBodyBytes caps the body; over it the filter answers 413.
	MaxBodyBytes int64
	// KeyIDs are the ids of the route's secrets, in order.
	KeyIDs []string
	// SecretSources say where each secret came from ("env:NAME" or
	// "inline"), for log lines.
	SecretSources []string
	// StripHeaders are removed before the request goes upstream, when
	// strip_signature_headers is set.
	StripHeaders []string
	// Basic is set for scheme basic: a 401 carries WWW-Authenticate.
	Basic bool
	// Unconfigured is set when every secret of the route was optional and
	// unset: the route matches, and its requests are refused with 500.
	Unconfigured bool
	// Dedupe, when set, answers a delivery the upstream already accepted
	// without passing it on (see Dedupe).
	Dedupe *Dedupe
	// Handshake is the provider challenge the filter answers itself
	// ("handshake": true), so the application never needs the secret:
	// HandshakeZoom, HandshakeSlack or HandshakeTwitterCRC; "" for none.
	Handshake string
	// ForwardClaims, for scheme jwt, are the verified claims that go
	// upstream and the header each goes in, sorted by claim; a client's own
	// copies of those headers are removed from every request of the route
	// first.
	ForwardClaims []ForwardClaim
	// RemoteJWKS, for a jwt route with jwks_cluster, is where its JWK Set
	// is fetched from; the plugin fills RemoteJWKS.Keys.
	RemoteJWKS *RemoteJWKS
	// SourceCIDRs, when set, are the only client addresses the route
	// accepts (defence in depth beside the signature): the connection's
	// source.address, or with TrustedProxyHops the X-Forwarded-For entry
	// that many from the right.
	SourceCIDRs      []netip.Prefix
	TrustedProxyHops int
	// HandshakeKeys are the route's secrets as configured, by key id, for
	// the handshakes that prove them: Zoom's answer uses the key that
	// verified the challenge, X's CRC (unsigned) the route's first key.
	HandshakeKeys map[string][]byte
}

// ForwardClaim is one claim a jwt route sends upstream, and its header.
type ForwardClaim struct{ Claim, Header string }

// RemoteJWKS is a JWK Set fetched with proxy_http_call from an upstream
// cluster (Envoy's, or the Go host's PluginConfig.Clusters) and refreshed.
type RemoteJWKS struct {
	Cluster, Path, Authority string
	Refresh                  time.Duration
	Keys                     *verify.KeySet
}

// Handshakes, by the preset that has one.
const (
	// HandshakeZoom answers a signed endpoint.url_validation event with
	// the plainToken and its HMAC-SHA256 under the secret token.
	HandshakeZoom = "zoom"
	// HandshakeSlack echoes a signed url_verification event's challenge.
	HandshakeSlack = "slack"
	// HandshakeTwitterCRC answers the X/Twitter CRC GET (crc_token) with
	// the token's HMAC-SHA256 under the consumer secret. The GET is not
	// signed: answering it proves the route holds the secret, as X asks.
	HandshakeTwitterCRC = "twitter"
)

// handshakes are the presets with a challenge the filter can answer, and
// the method the challenge comes with: a route whose methods leave it out
// would never see it.
var handshakes = map[string]struct{ kind, method string }{
	"zoom":    {HandshakeZoom, "POST"},
	"slack":   {HandshakeSlack, "POST"},
	"twitter": {HandshakeTwitterCRC, "GET"},
}

// MaxHandshakeToken bounds a challenge token a handshake answers; X's and
// Zoom's are a few dozen bytes.
const MaxHandshakeToken = 256

// OpaqueToken reports whether t can be a provider's challenge token: 1 to
// MaxHandshakeToken bytes of letters, digits and "._~+/=-" (UUIDs, hex,
// base64 and base64url). No JSON object or array, form or "v0:" string
// is one.
func OpaqueToken[T string | []byte](t T) bool {
	if len(t) == 0 || len(t) > MaxHandshakeToken {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._~+/=-", c) >= 0) {
			return false
		}
	}
	return true
}

// HandshakeMethod returns the method of preset's handshake challenge, or
// "" when the preset has none.
func HandshakeMethod(preset string) string { return handshakes[preset].method }

// Dedupe is a route's replay de-duplication: verified deliveries are
// remembered by id in the host's shared data (every VM, every Envoy
// worker), an id only once the upstream answered it 2xx.
type Dedupe struct {
	// IDHeaders are where the delivery id is read, the first present.
	IDHeaders []string
	// Window is how long an accepted id is remembered.
	Window time.Duration
	// InFlight is how long a delivery let through and not yet answered
	// holds its id; a duplicate meanwhile is told to retry.
	InFlight time.Duration
	// Slots is how many shared-data keys hold the ids; each holds at most
	// DedupeSlotEntries, so Slots × DedupeSlotEntries ids are remembered.
	Slots int
	// OnStoreFailure is what a verified delivery gets when the shared data
	// fails (a store that errs or times out): StoreFailureReject or
	// StoreFailureAllow.
	OnStoreFailure string
}

// What a route's "dedupe.on_store_failure" may say.
const (
	// StoreFailureReject answers 503 with Retry-After: the sender retries
	// and nothing goes on unrecorded. The default.
	StoreFailureReject = "reject"
	// StoreFailureAllow lets the verified delivery on without
	// de-duplication, counted and logged: the store's outage does not
	// stop deliveries, at the cost of a possible duplicate.
	StoreFailureAllow = "allow"
)

// DedupeSlotEntries is how many ids one shared-data slot holds.
const DedupeSlotEntries = 16

// Defaults of a route's "dedupe".
const (
	DefaultDedupeWindow   = 24 * time.Hour
	DefaultDedupeInFlight = time.Minute
	DefaultDedupeMaxIDs   = 65536
)

// Match selects requests. Empty fields match anything.
type Match struct {
	// Authority is a host, "host:port", or "*.example.com" for any
	// subdomain. A pattern without a port matches the host on any port.
	Authority string
	// Path matches the path exactly; PathPrefix matches its start. The
	// query string is not part of the path.
	Path       string
	PathPrefix string
	// Methods are upper-case HTTP methods.
	Methods []string
}

// Matches reports whether a request's method, authority and path (with
// or without its query string) match m.
func (m Match) Matches(method, authority, path string) bool {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if m.Path != "" && path != m.Path {
		return false
	}
	if m.PathPrefix != "" && !strings.HasPrefix(path, m.PathPrefix) {
		return false
	}
	if len(m.Methods) > 0 {
		found := false
		for _, x := range m.Methods {
			found = found || x == method
		}
		if !found {
			return false
		}
	}
	return m.Authority == "" || matchAuthority(m.Authority, authority)
}

func matchAuthority(pattern, authority string) bool {
	authority = strings.ToLower(authority)
	if !strings.Contains(pattern, ":") || strings.HasSuffix(pattern, "]") {
		authority = stripPort(authority)
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		return strings.HasSuffix(authority, "."+rest) && len(authority) > len(rest)+1
	}
	return authority == pattern
}

func stripPort(a string) string {
	if i := strings.LastIndexByte(a, ':'); i >= 0 && i > strings.LastIndexByte(a, ']') {
		return a[:i]
	}
	return a
}

// Route returns the first route that matches, or nil.
func (c *Config) Route(method, authority, path string) *Route {
	for i := range c.Routes {
		if c.Routes[i].Match.Matches(method, authority, path) {
			return &c.Routes[i]
		}
	}
	return nil
}

// Secret holds secret bytes and refuses to be printed by fmt or log.
type Secret []byte

// String returns a placeholder, never the secret.
func (Secret) String() string { return "[redacted]" }

// GoString returns a placeholder, never the secret.
func (Secret) GoString() string { return "[redacted]" }

// Format prints a placeholder for every verb, so %x or %v cannot leak it.
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, "[redacted]") }

type rawConfig struct {
	// The flat form: one Pipes.bot route.
	Scheme    *string `json:"scheme"`
	Secret    *string `json:"secret"`
	SecretEnv *string `json:"secret_env"`

	MaxBodyBytes *int64     `json:"max_body_bytes"`
	HoldHeaders  *bool      `json:"hold_headers"`
	Routes       []rawRoute `json:"routes"`
	Unmatched    *string    `json:"unmatched"`
}

type rawRoute struct {
	Name                  string      `json:"name"`
	Match                 rawMatch    `json:"match"`
	Scheme                string      `json:"scheme"`
	Secrets               []rawSecret `json:"secrets"`
	PublicKeys            []rawSecret `json:"public_keys"` // the same as secrets, for public-key schemes, where the name reads better
	Mode                  string      `json:"mode"`
	ToleranceSeconds      *int64      `json:"tolerance_seconds"`
	MaxBodyBytes          *int64      `json:"max_body_bytes"`
	PublicURL             string      `json:"public_url"`
	AllowSHA1             bool        `json:"allow_sha1"`
	StripSignatureHeaders bool        `json:"strip_signature_headers"`
	Dedupe                *rawDedupe  `json:"dedupe"`
	Handshake             bool        `json:"handshake"`

	// A bearer JWT (scheme "jwt").
	JWKS             json.RawMessage   `json:"jwks"`
	JWKSEnv          string            `json:"jwks_env"`
	JWKSCluster      string            `json:"jwks_cluster"`
	JWKSPath         string            `json:"jwks_path"`
	JWKSAuthority    string            `json:"jwks_authority"`
	JWKSRefresh      *int64            `json:"jwks_refresh_seconds"`
	JWTHeader        string            `json:"jwt_header"`
	Issuer           string            `json:"issuer"`
	Audiences        []string          `json:"audiences"`
	LeewaySeconds    *int64            `json:"leeway_seconds"`
	ForwardClaims    map[string]string `json:"forward_claims"`
	SourceCIDRs      []string          `json:"source_cidrs"`
	TrustedProxyHops int               `json:"trusted_proxy_hops"`

	// The generic HMAC model (scheme "hmac").
	Algorithm        string `json:"algorithm"`
	Encoding         string `json:"encoding"`
	SignatureHeader  string `json:"signature_header"`
	SignaturePrefix  string `json:"signature_prefix"`
	SignatureFormat  string `json:"signature_format"`
	SignatureKey     string `json:"signature_key"`
	TimestampKey     string `json:"timestamp_key"`
	Separators       string `json:"separators"`
	VersionSeparator string `json:"version_separator"`
	Template         string `json:"template"`
	IDHeader         string `json:"id_header"`
	TimestampHeader  string `json:"timestamp_header"`
	TimestampFormat  string `json:"timestamp_format"`
	SecretEncoding   string `json:"secret_encoding"`

	// Static tokens (scheme "token").
	TokenHeader string `json:"token_header"`
	TokenBearer bool   `json:"token_bearer"`
	TokenQuery  string `json:"token_query"`
}

type rawDedupe struct {
	IDHeader        string `json:"id_header"`
	WindowSeconds   *int64 `json:"window_seconds"`
	InFlightSeconds *int64 `json:"in_flight_seconds"`
	MaxIDs          *int64 `json:"max_ids"`
	OnStoreFailure  string `json:"on_store_failure"`
}

type rawMatch struct {
	Authority  string   `json:"authority"`
	Path       string   `json:"path"`
	PathPrefix string   `json:"path_prefix"`
	Methods    []string `json:"methods"`
}

type rawSecret struct {
	ID    string  `json:"id"`
	Env   *string `json:"env"`
	Value *string `json:"value"`
	// Optional lets the plugin start when Env is unset: the secret is
	// skipped, and a route left without secrets answers 500 (fail closed).
	Optional bool `json:"optional"`
}

// Parse parses and validates data. lookupEnv reads the environment the
// filter runs in (the VM's, through proxywasm.Getenv, in the module). It returns warnings a
// caller should log, such as a short secret; any error means the plugin
// must not start.
func Parse(data []byte, lookupEnv func(string) (string, bool)) (Config, []string, error) {
	var raw rawConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Config{}, nil, describeDecodeError(err, len(bytes.TrimSpace(data)) == 0)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Config{}, nil, fmt.Errorf("%w: data after the configuration object", ErrSyntax)
	}

	cfg := Config{HoldHeaders: true, Unmatched: UnmatchedReject}
	if raw.HoldHeaders != nil {
		cfg.HoldHeaders = *raw.HoldHeaders
	}
	maxBody := int64(verify.DefaultMaxBodyBytes)
	if raw.MaxBodyBytes != nil {
		if *raw.MaxBodyBytes <= 0 {
			return Config{}, nil, fmt.Errorf("%w, got %d", ErrInvalidBodySize, *raw.MaxBodyBytes)
		}
		maxBody = *raw.MaxBodyBytes
	}
	if raw.Unmatched != nil {
		switch *raw.Unmatched {
		case UnmatchedReject, UnmatchedAllow:
			cfg.Unmatched = *raw.Unmatched
		default:
			return Config{}, nil, fmt.Errorf(`%w: "unmatched" must be %q or %q`, ErrInvalidRoute, UnmatchedReject, UnmatchedAllow)
		}
	}

	var warnings []string
	if raw.Routes == nil {
		route, w, err := flatRoute(raw, maxBody, lookupEnv)
		if err != nil {
			return Config{}, nil, err
		}
		cfg.Routes, warnings = []Route{route}, w
	} else {
		if raw.Scheme != nil || raw.Secret != nil || raw.SecretEnv != nil {
			return Config{}, nil, ErrMixedForms
		}
		if len(raw.Routes) == 0 {
			return Config{}, nil, fmt.Errorf(`%w: "routes" is empty`, ErrInvalidRoute)
		}
		seen := map[string]bool{}
		for i, rr := range raw.Routes {
			route, w, err := parseRoute(rr, maxBody, lookupEnv)
			if err != nil {
				return Config{}, nil, fmt.Errorf("route %d (%q): %w", i, rr.Name, err)
			}
			if seen[route.Name] {
				return Config{}, nil, fmt.Errorf("route %d: %w: name %q is used twice", i, ErrInvalidRoute, route.Name)
			}
			seen[route.Name] = true
			cfg.Routes = append(cfg.Routes, route)
			warnings = append(warnings, w...)
		}
	}
	for _, rt := range cfg.Routes {
		// Both answer in the filter's place once the body is read: the
		// headers must not have gone upstream by then.
		if !cfg.HoldHeaders && (rt.Dedupe != nil || rt.Handshake == HandshakeZoom || rt.Handshake == HandshakeSlack) {
			return Config{}, nil, fmt.Errorf(`%w: route %q: "dedupe" and the zoom and slack "handshake" need "hold_headers" (the default)`, ErrInvalidRoute, rt.Name)
		}
	}
	if !cfg.HoldHeaders {
		warnings = append(warnings, "hold_headers is false: request headers reach the upstream before the verdict (bodies still do not), and X-Hookguard-Verified cannot be added")
	}
	if cfg.Unmatched == UnmatchedAllow {
		warnings = append(warnings, `"unmatched" is "allow": requests no route matches reach the upstream unverified`)
	}
	return cfg, warnings, nil
}

// flatRoute reads the first release's flat form as one Pipes.bot route
// that matches every request.
func flatRoute(raw rawConfig, maxBody int64, lookupEnv func(string) (string, bool)) (Route, []string, error) {
	if raw.Scheme != nil && *raw.Scheme != SchemePipes {
		return Route{}, nil, fmt.Errorf(`%w %q: the flat form verifies only %q; use "routes" for other schemes`, ErrUnknownScheme, *raw.Scheme, SchemePipes)
	}
	rr := rawRoute{Name: "default", Scheme: SchemePipes}
	switch {
	case raw.Secret != nil && raw.SecretEnv != nil:
		return Route{}, nil, ErrSecretTwice
	case raw.SecretEnv != nil:
		rr.Secrets = []rawSecret{{Env: raw.SecretEnv}}
	case raw.Secret != nil:
		rr.Secrets = []rawSecret{{Value: raw.Secret}}
	default:
		return Route{}, nil, fmt.Errorf(`%w: set "secret_env" (preferred) or "secret"`, ErrNoSecret)
	}
	return parseRoute(rr, maxBody, lookupEnv)
}

// validName is what route names and key ids may be: they appear in
// metric names and in X-Hookguard-Verified.
func validName(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '_' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func parseRoute(rr rawRoute, maxBody int64, lookupEnv func(string) (string, bool)) (Route, []string, error) {
	r := Route{Name: rr.Name, SchemeName: rr.Scheme, Mode: Enforce, MaxBodyBytes: maxBody}
	if !validName(r.Name) {
		return Route{}, nil, fmt.Errorf(`%w: "name" must be 1-64 letters, digits, '-' or '_', not starting with '_'`, ErrInvalidRoute)
	}
	if err := parseMatch(rr.Match, &r.Match); err != nil {
		return Route{}, nil, err
	}
	switch Mode(rr.Mode) {
	case "", Enforce:
	case Detect, Off:
		r.Mode = Mode(rr.Mode)
	default:
		return Route{}, nil, fmt.Errorf(`%w: "mode" must be "enforce", "detect" or "off", got %q`, ErrInvalidRoute, rr.Mode)
	}
	if rr.MaxBodyBytes != nil {
		if *rr.MaxBodyBytes <= 0 {
			return Route{}, nil, fmt.Errorf("%w, got %d", ErrInvalidBodySize, *rr.MaxBodyBytes)
		}
		r.MaxBodyBytes = *rr.MaxBodyBytes
	}
	if r.SchemeName == "" {
		r.SchemeName = SchemePipes
	}
	generic := rr.Algorithm != "" || rr.Encoding != "" || rr.SignatureHeader != "" || rr.SignaturePrefix != "" ||
		rr.SignatureFormat != "" || rr.SignatureKey != "" || rr.TimestampKey != "" || rr.Separators != "" ||
		rr.VersionSeparator != "" || rr.Template != "" || rr.IDHeader != "" || rr.TimestampHeader != "" ||
		rr.TimestampFormat != "" || rr.SecretEncoding != ""
	if generic && r.SchemeName != SchemeHMAC {
		return Route{}, nil, fmt.Errorf(`%w: the generic HMAC fields need "scheme": "hmac"`, ErrInvalidRoute)
	}
	token := rr.TokenHeader != "" || rr.TokenBearer || rr.TokenQuery != ""
	if token && r.SchemeName != SchemeToken {
		return Route{}, nil, fmt.Errorf(`%w: token_header, token_bearer and token_query need "scheme": "token"`, ErrInvalidRoute)
	}
	info, isPreset := verify.LookupPreset(r.SchemeName)
	if !isPreset && r.SchemeName != SchemeHMAC && r.SchemeName != SchemeToken && r.SchemeName != SchemeBasic && r.SchemeName != SchemeJWT {
		return Route{}, nil, fmt.Errorf("%w %q (presets: %s; or hmac, token, basic, jwt)", ErrUnknownScheme, r.SchemeName, strings.Join(verify.Presets(), ", "))
	}
	if rr.AllowSHA1 && r.SchemeName != "github" && r.SchemeName != "square" {
		return Route{}, nil, fmt.Errorf(`%w: "allow_sha1" is a github and square setting`, ErrInvalidRoute)
	}
	var tolerance *time.Duration
	if rr.ToleranceSeconds != nil {
		if *rr.ToleranceSeconds < 0 || *rr.ToleranceSeconds > 1<<40 {
			return Route{}, nil, fmt.Errorf(`%w: "tolerance_seconds" must be a non-negative number of seconds`, ErrInvalidRoute)
		}
		d := time.Duration(*rr.ToleranceSeconds) * time.Second
		tolerance = &d
	}
	if rr.PublicURL != "" && !strings.HasPrefix(rr.PublicURL, "http://") && !strings.HasPrefix(rr.PublicURL, "https://") {
		return Route{}, nil, fmt.Errorf(`%w: "public_url" must start with http:// or https://`, ErrInvalidRoute)
	}

	if len(rr.SourceCIDRs) == 0 && rr.TrustedProxyHops != 0 {
		return Route{}, nil, fmt.Errorf(`%w: "trusted_proxy_hops" needs "source_cidrs"`, ErrInvalidRoute)
	}
	if rr.TrustedProxyHops < 0 || rr.TrustedProxyHops > 16 {
		return Route{}, nil, fmt.Errorf(`%w: "trusted_proxy_hops" must be 0 to 16`, ErrInvalidRoute)
	}
	r.TrustedProxyHops = rr.TrustedProxyHops
	for _, c := range rr.SourceCIDRs {
		p, err := netip.ParsePrefix(strings.TrimSpace(c))
		if err != nil {
			a, aerr := netip.ParseAddr(strings.TrimSpace(c)) // a bare address is its own /32 or /128
			if aerr != nil {
				return Route{}, nil, fmt.Errorf(`%w: "source_cidrs": %q is not a CIDR or an address`, ErrInvalidRoute, c)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		r.SourceCIDRs = append(r.SourceCIDRs, p.Masked())
	}
	var warnings []string
	if r.Mode == Off {
		if len(rr.Secrets) > 0 {
			warnings = append(warnings, "route "+r.Name+": mode is off; its secrets are not used")
		}
		warnings = append(warnings, "route "+r.Name+": mode is off: its requests reach the upstream unverified")
		return r, warnings, nil
	}
	jwtFields := rr.JWKS != nil || rr.JWKSEnv != "" || rr.JWKSCluster != "" || rr.JWKSPath != "" || rr.JWKSAuthority != "" || rr.JWKSRefresh != nil || rr.JWTHeader != "" || rr.Issuer != "" || rr.Audiences != nil || rr.LeewaySeconds != nil || rr.ForwardClaims != nil
	if jwtFields && r.SchemeName != SchemeJWT {
		return Route{}, nil, fmt.Errorf(`%w: the JWT fields (jwks or jwks_env, jwt_header, issuer, audiences, leeway_seconds, forward_claims) go with "scheme": "jwt", which takes its keys from them`, ErrInvalidRoute)
	}
	if r.SchemeName == SchemeJWT {
		if len(rr.Secrets) > 0 || len(rr.PublicKeys) > 0 {
			return Route{}, nil, fmt.Errorf(`%w: a jwt route takes its keys from "jwks" or "jwks_env", not "secrets"`, ErrInvalidRoute)
		}
		sources := 0
		for _, set := range []bool{rr.JWKS != nil, rr.JWKSEnv != "", rr.JWKSCluster != ""} {
			if set {
				sources++
			}
		}
		switch {
		case sources != 1:
			return Route{}, nil, fmt.Errorf(`%w: set exactly one of "jwks" (the JWK Set, inline), "jwks_env" and "jwks_cluster"`, ErrNoSecret)
		case rr.JWKSCluster != "":
			remote := `{"remote":true}`
			rr.Secrets = []rawSecret{{ID: "jwks", Value: &remote}}
		case rr.JWKSEnv != "":
			rr.Secrets = []rawSecret{{ID: "jwks", Env: &rr.JWKSEnv}}
		default:
			inline := string(rr.JWKS)
			rr.Secrets = []rawSecret{{ID: "jwks", Value: &inline}}
		}
	}
	if len(rr.PublicKeys) > 0 {
		if !info.HMAC.Algorithm.IsPublicKey() && r.SchemeName != "standard-webhooks" && !verify.Algorithm(rr.Algorithm).IsPublicKey() {
			return Route{}, nil, fmt.Errorf(`%w: "public_keys" are for public-key schemes (discord, telnyx, sendgrid, standard-webhooks v1a, or hmac with algorithm ed25519 or ecdsa-p256-sha256)`, ErrInvalidRoute)
		}
		rr.Secrets = append(rr.Secrets, rr.PublicKeys...)
	}
	keys, w, err := readSecrets(&r, rr.Secrets, lookupEnv)
	if err != nil {
		return Route{}, nil, err
	}
	if rr.JWKSCluster != "" {
		w = nil // the stand-in for a remote JWK Set is no inline secret
	}
	warnings = append(warnings, w...)
	unconfigured := len(keys) == 0
	if unconfigured {
		// Build the scheme with a stand-in key all the same, so a mistake
		// in the route shows now, not when its secret is set.
		stand := "AAAA" // valid in every secret encoding
		switch {
		case r.SchemeName == SchemeBasic:
			stand = "a:b"
		case r.SchemeName == SchemeJWT:
			stand = `{"keys":[{"kty":"oct","alg":"HS256","k":"c3RhbmQtaW4ta2V5LXN0YW5kLWluLWtleS1zdGFuZC1pbg"}]}`
		case info.ExampleKey != "":
			stand = info.ExampleKey // a public key
		case verify.Algorithm(rr.Algorithm) == verify.Ed25519:
			stand = strings.Repeat("ab", 32)
		case verify.Algorithm(rr.Algorithm) == verify.ECDSAP256SHA256:
			stand = sendgridExampleKey()
		}
		keys = []verify.Key{{ID: "unset", Secret: []byte(stand)}}
	}
	if r.Mode == Detect {
		warnings = append(warnings, "route "+r.Name+": mode is detect: failed requests are logged and counted but let through")
	}
	if err := buildScheme(&r, rr, keys, tolerance, info); err != nil {
		return Route{}, nil, err
	}
	if unconfigured {
		r.Scheme, r.Unconfigured = nil, true
	}
	if !rr.StripSignatureHeaders {
		r.StripHeaders = nil
	}
	if rr.Dedupe != nil {
		if r.Dedupe, err = parseDedupe(*rr.Dedupe, r, info, rr.IDHeader); err != nil {
			return Route{}, nil, err
		}
	}
	if rr.Handshake {
		h, ok := handshakes[r.SchemeName]
		if !ok {
			return Route{}, nil, fmt.Errorf(`%w: "handshake" is for zoom, slack and twitter routes`, ErrInvalidRoute)
		}
		if len(r.Match.Methods) > 0 && !slices.Contains(r.Match.Methods, h.method) {
			return Route{}, nil, fmt.Errorf(`%w: the %s handshake comes as %s, which "match.methods" leaves out: add %q`, ErrInvalidRoute, r.SchemeName, h.method, h.method)
		}
		r.Handshake = h.kind
		if !unconfigured {
			r.HandshakeKeys = map[string][]byte{}
			for _, k := range keys {
				r.HandshakeKeys[k.ID] = k.Secret
			}
		}
	}
	return r, warnings, nil
}

// parseDedupe validates a route's "dedupe".
func parseDedupe(rd rawDedupe, r Route, info verify.PresetInfo, signedID string) (*Dedupe, error) {
	if r.Mode != Enforce {
		return nil, fmt.Errorf(`%w: "dedupe" needs mode "enforce": only verified deliveries are remembered`, ErrInvalidRoute)
	}
	d := &Dedupe{IDHeaders: info.DeliveryIDHeaders, Window: DefaultDedupeWindow, InFlight: DefaultDedupeInFlight, OnStoreFailure: StoreFailureReject}
	switch rd.OnStoreFailure {
	case "", StoreFailureReject:
	case StoreFailureAllow:
		d.OnStoreFailure = StoreFailureAllow
	default:
		return nil, fmt.Errorf(`%w: "dedupe.on_store_failure" must be %q or %q`, ErrInvalidRoute, StoreFailureReject, StoreFailureAllow)
	}
	if signedID != "" { // the generic model's id_header, which is signed
		d.IDHeaders = []string{strings.ToLower(signedID)}
	}
	if rd.IDHeader != "" {
		d.IDHeaders = []string{strings.ToLower(rd.IDHeader)}
	}
	if len(d.IDHeaders) == 0 {
		return nil, fmt.Errorf(`%w: "dedupe" needs "id_header": scheme %q names no delivery id header`, ErrInvalidRoute, r.SchemeName)
	}
	seconds := func(field string, v *int64, into *time.Duration) error {
		if v == nil {
			return nil
		}
		if *v <= 0 || *v > 1<<32 {
			return fmt.Errorf(`%w: "dedupe.%s" must be a positive number of seconds`, ErrInvalidRoute, field)
		}
		*into = time.Duration(*v) * time.Second
		return nil
	}
	if err := seconds("window_seconds", rd.WindowSeconds, &d.Window); err != nil {
		return nil, err
	}
	if err := seconds("in_flight_seconds", rd.InFlightSeconds, &d.InFlight); err != nil {
		return nil, err
	}
	maxIDs := int64(DefaultDedupeMaxIDs)
	if rd.MaxIDs != nil {
		if *rd.MaxIDs < DedupeSlotEntries || *rd.MaxIDs > 1<<24 {
			return nil, fmt.Errorf(`%w: "dedupe.max_ids" must be %d to %d`, ErrInvalidRoute, DedupeSlotEntries, 1<<24)
		}
		maxIDs = *rd.MaxIDs
	}
	d.Slots = int((maxIDs + DedupeSlotEntries - 1) / DedupeSlotEntries)
	return d, nil
}

// buildScheme builds r's scheme from its raw fields and keys, and the
// headers strip_signature_headers would remove.
func buildScheme(r *Route, rr rawRoute, keys []verify.Key, tolerance *time.Duration, info verify.PresetInfo) error {
	var err error
	switch r.SchemeName {
	case SchemeHMAC:
		h := verify.HMAC{
			Algorithm: verify.Algorithm(rr.Algorithm), Encoding: verify.Encoding(rr.Encoding),
			SignaturePrefix: rr.SignaturePrefix, SignatureFormat: verify.Format(rr.SignatureFormat),
			SignatureKey: rr.SignatureKey, TimestampKey: rr.TimestampKey, Separators: rr.Separators,
			VersionSeparator: rr.VersionSeparator, Template: rr.Template, IDHeader: rr.IDHeader,
			TimestampHeader: rr.TimestampHeader, TimestampFormat: verify.TimestampFormat(rr.TimestampFormat),
			Tolerance: verify.DefaultTolerance, PublicURL: rr.PublicURL,
		}
		if rr.SignatureHeader != "" {
			h.SignatureHeaders = []string{rr.SignatureHeader}
		}
		if tolerance != nil {
			h.Tolerance = *tolerance
		}
		if h.Algorithm.IsPublicKey() {
			if rr.SecretEncoding != "" && rr.SecretEncoding != string(verify.PublicKeyEncoding) {
				return fmt.Errorf(`%w: algorithm %q takes public keys: "secret_encoding" does not apply`, ErrInvalidRoute, rr.Algorithm)
			}
			h.Keys, err = verify.DecodePublicKeys(keys, h.Algorithm)
		} else {
			h.Keys, err = verify.DecodeKeys(keys, verify.SecretEncoding(rr.SecretEncoding))
		}
		if err == nil {
			r.Scheme, err = verify.NewHMAC(h)
		}
		r.StripHeaders = []string{strings.ToLower(rr.SignatureHeader)}
	case SchemeToken:
		r.Scheme, err = verify.NewToken(verify.Token{Header: rr.TokenHeader, Bearer: rr.TokenBearer, Query: rr.TokenQuery, Keys: keys})
		if rr.TokenHeader != "" {
			r.StripHeaders = []string{strings.ToLower(rr.TokenHeader)}
		} else if rr.TokenBearer {
			r.StripHeaders = []string{"authorization"}
		}
	case SchemeBasic:
		r.Scheme, err = verify.NewBasic(verify.Basic{Keys: keys})
		r.Basic, r.StripHeaders = true, []string{"authorization"}
	case SchemeJWT:
		err = buildJWT(r, rr, keys[0])
	default:
		r.Scheme, err = verify.Preset(r.SchemeName, verify.Options{Keys: keys, Tolerance: tolerance, PublicURL: rr.PublicURL, AllowSHA1: rr.AllowSHA1})
		r.StripHeaders = info.SignatureHeaders
	}
	return err
}

// sendgridExampleKey is a valid P-256 public key, to build a generic
// ECDSA route whose key is not set yet.
func sendgridExampleKey() string {
	info, _ := verify.LookupPreset("sendgrid")
	return info.ExampleKey
}

// buildJWT builds a jwt route's scheme from its JWK Set (jwks.Secret).
func buildJWT(r *Route, rr rawRoute, jwks verify.Key) error {
	j := verify.JWT{Header: rr.JWTHeader, Issuer: rr.Issuer, Audiences: rr.Audiences, Leeway: verify.DefaultJWTLeeway}
	var keys []verify.JWK
	if rr.JWKSCluster != "" {
		rj := &RemoteJWKS{Cluster: rr.JWKSCluster, Path: rr.JWKSPath, Authority: rr.JWKSAuthority, Refresh: 5 * time.Minute, Keys: &verify.KeySet{}}
		if rj.Path == "" {
			rj.Path = "/.well-known/jwks.json"
		}
		if rj.Authority == "" {
			rj.Authority = rj.Cluster
		}
		if !strings.HasPrefix(rj.Path, "/") {
			return fmt.Errorf(`%w: "jwks_path" must start with /`, ErrInvalidRoute)
		}
		if rr.JWKSRefresh != nil {
			if *rr.JWKSRefresh < 10 || *rr.JWKSRefresh > 86400 {
				return fmt.Errorf(`%w: "jwks_refresh_seconds" must be 10 to 86400`, ErrInvalidRoute)
			}
			rj.Refresh = time.Duration(*rr.JWKSRefresh) * time.Second
		}
		r.RemoteJWKS, j.Remote = rj, rj.Keys
	} else {
		var err error
		if keys, err = verify.ParseJWKS(jwks.Secret); err != nil {
			return err
		}
		j.Keys = keys
	}
	var err error
	if rr.LeewaySeconds != nil {
		if *rr.LeewaySeconds < 0 || *rr.LeewaySeconds > 86400 {
			return fmt.Errorf(`%w: "leeway_seconds" must be 0 to 86400`, ErrInvalidRoute)
		}
		j.Leeway = time.Duration(*rr.LeewaySeconds) * time.Second
	}
	for claim, header := range rr.ForwardClaims {
		h := strings.ToLower(header)
		if claim == "" || !validHeaderName(h) || h == "authorization" || h == "host" || h == "content-length" || strings.HasPrefix(h, "x-hookguard-") {
			return fmt.Errorf(`%w: "forward_claims": %q is not a header a claim may go in`, ErrInvalidRoute, header)
		}
		r.ForwardClaims = append(r.ForwardClaims, ForwardClaim{Claim: claim, Header: h})
		j.Claims = append(j.Claims, claim)
	}
	// Sorted once here, so requests add the headers in a stable order.
	sort.Slice(r.ForwardClaims, func(a, b int) bool { return r.ForwardClaims[a].Claim < r.ForwardClaims[b].Claim })
	sort.Strings(j.Claims)
	if r.Scheme, err = verify.NewJWT(j); err != nil {
		return err
	}
	// The kids name the keys in X-Hookguard-Verified, logs and metrics.
	source := r.SecretSources[0]
	r.KeyIDs, r.SecretSources = nil, nil
	if r.RemoteJWKS != nil {
		r.KeyIDs, r.SecretSources = []string{"jwks"}, []string{"cluster:" + r.RemoteJWKS.Cluster} // named by kid once fetched
	}
	for _, k := range keys {
		id := k.ID
		if id == "" {
			id = "jwks"
		}
		r.KeyIDs, r.SecretSources = append(r.KeyIDs, id), append(r.SecretSources, source)
	}
	r.StripHeaders = []string{"authorization"}
	if rr.JWTHeader != "" {
		r.StripHeaders = []string{strings.ToLower(rr.JWTHeader)}
	}
	return nil
}

// validHeaderName reports whether h is a lower-case HTTP token.
func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func parseMatch(rm rawMatch, m *Match) error {
	if rm.Path != "" && rm.PathPrefix != "" {
		return fmt.Errorf(`%w: set only one of "path" and "path_prefix"`, ErrInvalidRoute)
	}
	for _, p := range []string{rm.Path, rm.PathPrefix} {
		if p != "" && !strings.HasPrefix(p, "/") {
			return fmt.Errorf(`%w: a path must start with "/"`, ErrInvalidRoute)
		}
	}
	a := strings.ToLower(rm.Authority)
	if strings.Contains(strings.TrimPrefix(a, "*."), "*") {
		return fmt.Errorf(`%w: "authority" may only start with "*."`, ErrInvalidRoute)
	}
	*m = Match{Authority: a, Path: rm.Path, PathPrefix: rm.PathPrefix}
	for _, meth := range rm.Methods {
		if meth == "" || strings.ToUpper(meth) != meth {
			return fmt.Errorf(`%w: methods must be upper-case, got %q`, ErrInvalidRoute, meth)
		}
		m.Methods = append(m.Methods, meth)
	}
	return nil
}

// readSecrets reads a route's secrets from the environment or inline.
func readSecrets(r *Route, secrets []rawSecret, lookupEnv func(string) (string, bool)) ([]verify.Key, []string, error) {
	if len(secrets) == 0 {
		return nil, nil, fmt.Errorf(`%w: set "secrets": [{"id": …, "env": …}]`, ErrNoSecret)
	}
	var keys []verify.Key
	var warnings, unset []string
	ids := map[string]bool{}
	for i, s := range secrets {
		id := s.ID
		var value, source string
		switch {
		case s.Env != nil && s.Value != nil:
			return nil, nil, fmt.Errorf("secret %d: %w", i, errors.New(`set only one of "env" and "value"`))
		case s.Env != nil:
			if *s.Env == "" {
				return nil, nil, fmt.Errorf(`secret %d: %w: "env" is empty`, i, ErrNoSecret)
			}
			v, ok := lookupEnv(*s.Env)
			if (!ok || v == "") && s.Optional {
				unset = append(unset, *s.Env)
				continue
			}
			if !ok || v == "" {
				return nil, nil, fmt.Errorf("%w: %s (where the module runs: a host passes it only the variables it is given, as Envoy's host_env_keys)", ErrSecretEnvUnset, *s.Env)
			}
			value, source = v, "env:"+*s.Env
			if id == "" {
				id = *s.Env
			}
		case s.Value != nil:
			if *s.Value == "" {
				return nil, nil, fmt.Errorf(`secret %d: %w: "value" is empty`, i, ErrNoSecret)
			}
			value, source = *s.Value, "inline"
			if id == "" {
				id = "inline" + strconv.Itoa(i)
			}
			warnings = append(warnings, "route "+r.Name+": secret "+id+" is inline in the configuration; prefer \"env\"")
		default:
			return nil, nil, fmt.Errorf(`secret %d: %w: set "env" (preferred) or "value"`, i, ErrNoSecret)
		}
		if !validName(id) {
			return nil, nil, fmt.Errorf(`secret %d: %w: "id" must be 1-64 letters, digits, '-' or '_'`, i, ErrInvalidRoute)
		}
		// A blank secret would verify what anyone can sign; surrounding
		// whitespace is usually a file's newline that the provider's
		// secret does not have (PEM keys and JWK Sets may carry it).
		trimmed := strings.TrimSpace(value)
		if trimmed == "" {
			return nil, nil, fmt.Errorf("secret %s from %s: %w", id, source, ErrBlankSecret)
		}
		if trimmed != value && !strings.HasPrefix(trimmed, "-----BEGIN") && !strings.HasPrefix(trimmed, "{") {
			warnings = append(warnings, fmt.Sprintf("route %s: secret %s from %s begins or ends with whitespace (a newline from a file?), which is part of the secret", r.Name, id, source))
		}
		if ids[id] {
			return nil, nil, fmt.Errorf(`secret %d: %w: id %q is used twice`, i, ErrInvalidRoute, id)
		}
		ids[id] = true
		if len(value) < MinSecretLen && r.SchemeName != SchemeBasic {
			warnings = append(warnings, fmt.Sprintf("route %s: secret %s from %s is %d characters; use at least %d random characters", r.Name, id, source, len(value), MinSecretLen))
		}
		keys = append(keys, verify.Key{ID: id, Secret: Secret(value)})
		r.KeyIDs = append(r.KeyIDs, id)
		r.SecretSources = append(r.SecretSources, source)
	}
	if len(keys) == 0 && len(unset) > 0 {
		warnings = append(warnings, "route "+r.Name+": none of its optional secrets is set ("+strings.Join(unset, ", ")+"): its requests are refused with 500 until one is")
	}
	return keys, warnings, nil
}

// describeDecodeError turns a json error into one of ours that names fields
// and offsets, never values, so it is safe to log.
func describeDecodeError(err error, empty bool) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &syntaxErr):
		// The decoder's text quotes the offending character, which may sit
		// inside an inline secret: report only where it is.
		return fmt.Errorf("%w: syntax error at byte %d", ErrSyntax, syntaxErr.Offset)
	case errors.As(err, &typeErr):
		return fmt.Errorf("%w: field %q must be a %s, got %s", ErrSyntax, typeErr.Field, typeErr.Type, typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("%w %s", ErrUnknownField, strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.EOF) && empty:
		return fmt.Errorf("%w: configuration is empty", ErrSyntax)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: configuration ends early", ErrSyntax)
	default:
		return fmt.Errorf("%w: %v", ErrSyntax, err)
	}
}

// EnvNames returns every environment variable data names — the value of
// any field called "env" or ending in "_env" ("secret_env", "jwks_env",
// a secret's "env"), at any depth — in order, without reading them: a host
// passes exactly these to the module (Envoy's host_env_keys, the
// gateway's environment). Invalid JSON is Parse's to report; EnvNames
// returns what it found before the fault.
func EnvNames(data []byte) []string {
	// A frame is an open object or array; in an object, key is the field
	// whose value comes next, or "" while a key is awaited.
	type frame struct {
		object  bool
		key     string
		wantKey bool
	}
	stack := []frame{{}}
	var names []string
	seen := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return names
		}
		top := &stack[len(stack)-1]
		if k, ok := tok.(string); ok && top.object && top.wantKey {
			top.key, top.wantKey = k, false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, frame{object: tok == json.Delim('{'), wantKey: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			if len(stack) == 1 {
				return names
			}
			stack = stack[:len(stack)-1]
		default:
			if v, ok := tok.(string); ok && top.object && isEnvField(top.key) && v != "" && !seen[v] {
				seen[v] = true
				names = append(names, v)
			}
		}
		// A value ended: its object awaits the next key.
		if top := &stack[len(stack)-1]; top.object {
			top.wantKey = true
		}
	}
}

// isEnvField reports whether a configuration field names an environment
// variable.
func isEnvField(key string) bool { return key == "env" || strings.HasSuffix(key, "_env") }
