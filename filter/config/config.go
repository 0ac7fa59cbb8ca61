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
// request. docs/configuration.md lists every field.
//
// Parse is a pure function: the environment comes in as a lookup function,
// so it is tested natively and the filter fails plugin start on any error.
//
// The files: config.go (the types, Parse), route.go (a route), schemes.go
// (what each scheme takes), match.go, secrets.go, jwt.go, dedupe.go and
// handshake.go.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

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
	// KeyIDs are the ids of the route's secrets, in order, and KeyLives
	// when each verifies ("not_before", "not_after"; zero times: always).
	KeyIDs   []string
	KeyLives []KeyLife
	// lives, when a secret has a life, rebuilds Scheme as they begin and
	// end (SchemeAt).
	lives *keyLives
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
	// KeyCluster, for a preset whose keys are fetched per delivery
	// (verify.KeyNeeded: aws-sns, paypal, plaid, adobe-io, ebay), is the cluster the
	// plugin fetches them through while the request waits.
	KeyCluster string
	// PublicURL is the route's public_url: the URL its senders sign, or
	// were told (eBay's endpoint), when a proxy rewrote it.
	PublicURL string
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
	// HandshakeToken is the verify token a handshake compares the
	// challenge's with (Meta's hub.verify_token), from verify_token_env.
	HandshakeToken []byte
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

// Parse parses and validates data. lookupEnv reads the environment the
// filter runs in (the VM's, through proxywasm.Getenv, in the module). It
// returns warnings a caller should log, such as a short secret; any error
// means the plugin must not start.
func Parse(data []byte, lookupEnv func(string) (string, bool)) (Config, []string, error) {
	raw, err := decode(data)
	if err != nil {
		return Config{}, nil, err
	}
	cfg, maxBody, err := parseTop(raw)
	if err != nil {
		return Config{}, nil, err
	}
	var warnings []string
	if raw.Routes == nil {
		route, w, err := flatRoute(raw, maxBody, lookupEnv)
		if err != nil {
			return Config{}, nil, err
		}
		cfg.Routes, warnings = []Route{route}, w
	} else if cfg.Routes, warnings, err = parseRoutes(raw, maxBody, lookupEnv); err != nil {
		return Config{}, nil, err
	}
	for _, rt := range cfg.Routes {
		// Both answer in the filter's place once the body is read: the
		// headers must not have gone upstream by then.
		if !cfg.HoldHeaders && (rt.Dedupe != nil || rt.Handshake == HandshakeZoom || rt.Handshake == HandshakeSlack || rt.Handshake == HandshakeTwitch) {
			return Config{}, nil, fmt.Errorf(`%w: route %q: "dedupe" and the zoom, slack and twitch "handshake" need "hold_headers" (the default)`, ErrInvalidRoute, rt.Name)
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

// decode reads data as one configuration object, knowing every field.
func decode(data []byte) (rawConfig, error) {
	var raw rawConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return raw, describeDecodeError(err, len(bytes.TrimSpace(data)) == 0)
	}
	if _, err := dec.Token(); err != io.EOF {
		return raw, fmt.Errorf("%w: data after the configuration object", ErrSyntax)
	}
	return raw, nil
}

// parseTop reads the top-level settings, and the body cap routes default to.
func parseTop(raw rawConfig) (Config, int64, error) {
	cfg := Config{HoldHeaders: true, Unmatched: UnmatchedReject}
	if raw.HoldHeaders != nil {
		cfg.HoldHeaders = *raw.HoldHeaders
	}
	maxBody := int64(verify.DefaultMaxBodyBytes)
	if raw.MaxBodyBytes != nil {
		if *raw.MaxBodyBytes <= 0 {
			return Config{}, 0, fmt.Errorf("%w, got %d", ErrInvalidBodySize, *raw.MaxBodyBytes)
		}
		maxBody = *raw.MaxBodyBytes
	}
	if raw.Unmatched != nil {
		switch *raw.Unmatched {
		case UnmatchedReject, UnmatchedAllow:
			cfg.Unmatched = *raw.Unmatched
		default:
			return Config{}, 0, fmt.Errorf(`%w: "unmatched" must be %q or %q`, ErrInvalidRoute, UnmatchedReject, UnmatchedAllow)
		}
	}
	return cfg, maxBody, nil
}

// parseRoutes reads "routes".
func parseRoutes(raw rawConfig, maxBody int64, lookupEnv func(string) (string, bool)) ([]Route, []string, error) {
	if raw.Scheme != nil || raw.Secret != nil || raw.SecretEnv != nil {
		return nil, nil, ErrMixedForms
	}
	if len(raw.Routes) == 0 {
		return nil, nil, fmt.Errorf(`%w: "routes" is empty`, ErrInvalidRoute)
	}
	var routes []Route
	var warnings []string
	seen := map[string]bool{}
	for i, rr := range raw.Routes {
		route, w, err := parseRoute(rr, maxBody, lookupEnv)
		if err != nil {
			return nil, nil, fmt.Errorf("route %d (%q): %w", i, rr.Name, err)
		}
		if seen[route.Name] {
			return nil, nil, fmt.Errorf("route %d: %w: name %q is used twice", i, ErrInvalidRoute, route.Name)
		}
		seen[route.Name] = true
		routes = append(routes, route)
		warnings = append(warnings, w...)
	}
	return routes, warnings, nil
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
