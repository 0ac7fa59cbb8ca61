package config

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// A route: its raw JSON, and how it is read into a Route. What each scheme
// takes is in schemes.go, the preset facts in verify's preset table.

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
	VerifyTokenEnv        string      `json:"verify_token_env"`

	// Keys fetched from the provider per delivery (aws-sns, paypal, plaid).
	KeyCluster    string   `json:"key_cluster"`
	KeyAuthority  string   `json:"key_authority"`
	TopicARNs     []string `json:"topic_arns"`
	TopicARNsEnv  string   `json:"topic_arns_env"`
	WebhookIDs    []string `json:"webhook_ids"`
	WebhookIDsEnv string   `json:"webhook_ids_env"`
	ClientIDs     []string `json:"client_ids"`
	ClientIDsEnv  string   `json:"client_ids_env"`

	// A bearer JWT (scheme "jwt").
	JWKS          json.RawMessage   `json:"jwks"`
	JWKSEnv       string            `json:"jwks_env"`
	JWKSCluster   string            `json:"jwks_cluster"`
	JWKSPath      string            `json:"jwks_path"`
	JWKSAuthority string            `json:"jwks_authority"`
	JWKSRefresh   *int64            `json:"jwks_refresh_seconds"`
	JWTHeader     string            `json:"jwt_header"`
	Issuer        string            `json:"issuer"`
	Audiences     []string          `json:"audiences"`
	LeewaySeconds *int64            `json:"leeway_seconds"`
	ForwardClaims map[string]string `json:"forward_claims"`
	RequireClaims map[string]string `json:"require_claims"`
	// What a token binds of the request: the claims holding the hex
	// SHA-256 of the body and of the URL (verify.JWT).
	BodyHashClaim    string   `json:"body_hash_claim"`
	URLHashClaim     string   `json:"url_hash_claim"`
	SourceCIDRs      []string `json:"source_cidrs"`
	TrustedProxyHops int      `json:"trusted_proxy_hops"`

	// The generic HMAC model (scheme "hmac").
	Algorithm       string `json:"algorithm"`
	Encoding        string `json:"encoding"`
	SignatureHeader string `json:"signature_header"`
	// SignatureHeaders and EverySignatureHeader: several headers, each
	// with a signature of its own (DocuSign's numbered ones).
	SignatureHeaders     []string `json:"signature_headers"`
	EverySignatureHeader bool     `json:"every_signature_header"`
	SignaturePrefix      string   `json:"signature_prefix"`
	SignatureFormat      string   `json:"signature_format"`
	SignatureKey         string   `json:"signature_key"`
	TimestampKey         string   `json:"timestamp_key"`
	Separators           string   `json:"separators"`
	VersionSeparator     string   `json:"version_separator"`
	Template             string   `json:"template"`
	IDHeader             string   `json:"id_header"`
	EventIDField         string   `json:"event_id_field"`
	TimestampHeader      string   `json:"timestamp_header"`
	TimestampFormat      string   `json:"timestamp_format"`
	SecretEncoding       string   `json:"secret_encoding"`

	// Static tokens (scheme "token").
	TokenHeader string `json:"token_header"`
	TokenBearer bool   `json:"token_bearer"`
	TokenQuery  string `json:"token_query"`
}

func parseRoute(rr rawRoute, maxBody int64, lookupEnv func(string) (string, bool)) (Route, []string, error) {
	r, s, info, err := parseRouteBasics(rr, maxBody)
	if err != nil {
		return Route{}, nil, err
	}
	tolerance, err := parseTolerance(rr)
	if err != nil {
		return Route{}, nil, err
	}
	if err := parseSources(&r, rr); err != nil {
		return Route{}, nil, err
	}
	r.PublicURL = rr.PublicURL
	var warnings []string
	if r.Mode == Off {
		if len(rr.Secrets) > 0 {
			warnings = append(warnings, "route "+r.Name+": mode is off; its secrets are not used")
		}
		warnings = append(warnings, "route "+r.Name+": mode is off: its requests reach the upstream unverified")
		return r, warnings, nil
	}
	keys, unconfigured, warnings, err := routeKeys(&r, rr, s, lookupEnv)
	if err != nil {
		return Route{}, nil, err
	}
	if unset := bindFromEnv(&rr, lookupEnv); unset != "" {
		unconfigured = true
		warnings = append(warnings, "route "+r.Name+": "+unset+" is unset: its requests are refused with 500 until it is")
	}
	if r.Mode == Detect {
		warnings = append(warnings, "route "+r.Name+": mode is detect: failed requests are logged and counted but let through")
	}
	if err := s.build(&r, rr, keys, tolerance); err != nil {
		return Route{}, nil, err
	}
	if !unconfigured && hasLives(r.KeyLives) {
		proto := r
		r.lives = &keyLives{keys: keys, lives: r.KeyLives, build: func(live []verify.Key) (verify.Scheme, error) {
			tmp := proto
			err := s.build(&tmp, rr, live, tolerance)
			return tmp.Scheme, err
		}}
	}
	if unconfigured {
		r.Scheme, r.Unconfigured = nil, true
	}
	if !rr.StripSignatureHeaders {
		r.StripHeaders = nil
	}
	if rr.Dedupe != nil {
		if r.Dedupe, err = parseDedupe(*rr.Dedupe, r, info.DeliveryIDHeaders, rr.IDHeader); err != nil {
			return Route{}, nil, err
		}
	}
	if rr.Handshake {
		if err := setHandshake(&r, info.Handshake, keys, unconfigured); err != nil {
			return Route{}, nil, err
		}
		if err := setVerifyToken(&r, rr, lookupEnv); err != nil {
			return Route{}, nil, err
		}
	}
	return r, warnings, nil
}

// parseRouteBasics reads the route's name, match, mode and body cap, and
// its scheme: the fields it takes, and a preset's row; it checks the route
// sets no field its scheme does not take.
func parseRouteBasics(rr rawRoute, maxBody int64) (Route, scheme, verify.PresetInfo, error) {
	r := Route{Name: rr.Name, SchemeName: rr.Scheme, Mode: Enforce, MaxBodyBytes: maxBody}
	if !validName(r.Name) {
		return r, scheme{}, verify.PresetInfo{}, fmt.Errorf(`%w: "name" must be 1-64 letters, digits, '-' or '_', not starting with '_'`, ErrInvalidRoute)
	}
	if err := parseMatch(rr.Match, &r.Match); err != nil {
		return r, scheme{}, verify.PresetInfo{}, err
	}
	switch Mode(rr.Mode) {
	case "", Enforce:
	case Detect, Off:
		r.Mode = Mode(rr.Mode)
	default:
		return r, scheme{}, verify.PresetInfo{}, fmt.Errorf(`%w: "mode" must be "enforce", "detect" or "off", got %q`, ErrInvalidRoute, rr.Mode)
	}
	if rr.MaxBodyBytes != nil {
		if *rr.MaxBodyBytes <= 0 {
			return r, scheme{}, verify.PresetInfo{}, fmt.Errorf("%w, got %d", ErrInvalidBodySize, *rr.MaxBodyBytes)
		}
		r.MaxBodyBytes = *rr.MaxBodyBytes
	}
	if r.SchemeName == "" {
		r.SchemeName = SchemePipes
	}
	s, info, ok := lookupScheme(r.SchemeName)
	if !ok {
		return r, s, info, fmt.Errorf("%w %q (presets: %s; or %s)", ErrUnknownScheme, r.SchemeName, strings.Join(verify.Presets(), ", "), strings.Join(baseSchemes, ", "))
	}
	return r, s, info, checkFields(&rr, r.SchemeName, s)
}

// parseTolerance reads tolerance_seconds (nil: the scheme's), and checks
// public_url.
func parseTolerance(rr rawRoute) (*time.Duration, error) {
	var tolerance *time.Duration
	if rr.ToleranceSeconds != nil {
		if *rr.ToleranceSeconds < 0 || *rr.ToleranceSeconds > 1<<40 {
			return nil, fmt.Errorf(`%w: "tolerance_seconds" must be a non-negative number of seconds`, ErrInvalidRoute)
		}
		d := time.Duration(*rr.ToleranceSeconds) * time.Second
		tolerance = &d
	}
	if rr.PublicURL != "" && !strings.HasPrefix(rr.PublicURL, "http://") && !strings.HasPrefix(rr.PublicURL, "https://") {
		return nil, fmt.Errorf(`%w: "public_url" must start with http:// or https://`, ErrInvalidRoute)
	}
	return tolerance, nil
}

// parseSources reads the route's source allow-list.
func parseSources(r *Route, rr rawRoute) error {
	if len(rr.SourceCIDRs) == 0 && rr.TrustedProxyHops != 0 {
		return fmt.Errorf(`%w: "trusted_proxy_hops" needs "source_cidrs"`, ErrInvalidRoute)
	}
	if rr.TrustedProxyHops < 0 || rr.TrustedProxyHops > 16 {
		return fmt.Errorf(`%w: "trusted_proxy_hops" must be 0 to 16`, ErrInvalidRoute)
	}
	r.TrustedProxyHops = rr.TrustedProxyHops
	for _, c := range rr.SourceCIDRs {
		p, err := netip.ParsePrefix(strings.TrimSpace(c))
		if err != nil {
			a, aerr := netip.ParseAddr(strings.TrimSpace(c)) // a bare address is its own /32 or /128
			if aerr != nil {
				return fmt.Errorf(`%w: "source_cidrs": %q is not a CIDR or an address`, ErrInvalidRoute, c)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		r.SourceCIDRs = append(r.SourceCIDRs, p.Masked())
	}
	return nil
}

// routeKeys reads the route's keys: its secrets and public keys, or a jwt
// route's JWK Set. When every secret is optional and unset, the scheme is
// built all the same with a stand-in key, so a mistake in the route shows
// now, not when its secret is set, and unconfigured is set.
func routeKeys(r *Route, rr rawRoute, s scheme, lookupEnv func(string) (string, bool)) (keys []verify.Key, unconfigured bool, warnings []string, err error) {
	secrets := slices.Concat(rr.Secrets, rr.PublicKeys)
	if s.keyless { // the provider's keys, fetched per delivery
		return []verify.Key{{ID: "provider"}}, false, nil, nil
	}
	if s.jwks {
		var remote bool
		if secrets, remote, err = jwtKeySource(rr); err != nil {
			return nil, false, nil, err
		}
		if remote { // fetched by the plugin: nothing to read
			return []verify.Key{{ID: "jwks"}}, false, nil, nil
		}
	}
	keys, warnings, err = readSecrets(r, secrets, !s.credentials, lookupEnv)
	if err != nil {
		return nil, false, nil, err
	}
	if len(keys) == 0 {
		return []verify.Key{{ID: "unset", Secret: []byte(standIn(s, rr))}}, true, warnings, nil
	}
	return keys, false, warnings, nil
}

// bindFromEnv reads topic_arns_env or webhook_ids_env into the list it
// stands for (comma-separated), and returns the variable's name if it is
// unset or empty (the route is then unconfigured, bound to a stand-in).
// A route that sets both a list and its variable is left for the build to
// refuse.
func bindFromEnv(rr *rawRoute, lookupEnv func(string) (string, bool)) (unset string) {
	for _, b := range []struct {
		env  *string
		list *[]string
	}{{&rr.TopicARNsEnv, &rr.TopicARNs}, {&rr.WebhookIDsEnv, &rr.WebhookIDs}, {&rr.ClientIDsEnv, &rr.ClientIDs}} {
		if *b.env == "" {
			continue
		}
		if len(*b.list) > 0 {
			return "" // both set: the build refuses it
		}
		v, _ := lookupEnv(*b.env)
		*b.list = SplitList(v)
		if len(*b.list) == 0 {
			*b.list, unset = []string{"unset"}, *b.env
		}
		*b.env = ""
	}
	return unset
}

// hasLives reports whether a secret has a not_before or a not_after.
func hasLives(lives []KeyLife) bool {
	return slices.ContainsFunc(lives, func(l KeyLife) bool { return !l.NotBefore.IsZero() || !l.NotAfter.IsZero() })
}

// setHandshake makes the route answer its preset's handshake h with the
// route's keys.
func setHandshake(r *Route, h verify.Handshake, keys []verify.Key, unconfigured bool) error {
	if len(r.Match.Methods) > 0 && !slices.Contains(r.Match.Methods, h.Method) {
		return fmt.Errorf(`%w: the %s handshake comes as %s, which "match.methods" leaves out: add %q`, ErrInvalidRoute, r.SchemeName, h.Method, h.Method)
	}
	r.Handshake = string(h.Kind)
	if !unconfigured {
		r.HandshakeKeys = map[string][]byte{}
		for _, k := range keys {
			r.HandshakeKeys[k.ID] = k.Secret
		}
	}
	return nil
}

// setVerifyToken reads the verify token of a handshake that needs one
// (Meta's hub.verify_token) from the variable "verify_token_env" names.
func setVerifyToken(r *Route, rr rawRoute, lookupEnv func(string) (string, bool)) error {
	if r.Handshake != HandshakeMeta && r.Handshake != HandshakeEBay {
		return nil
	}
	if rr.VerifyTokenEnv == "" {
		return fmt.Errorf(`%w: the %s handshake needs "verify_token_env", the variable holding the verification token you gave the provider`, ErrNoSecret, r.SchemeName)
	}
	v, ok := lookupEnv(rr.VerifyTokenEnv)
	if !ok || v == "" {
		return fmt.Errorf("%w: %s (the verify token; where the module runs: a host passes it only the variables it is given, as Envoy's host_env_keys)", ErrSecretEnvUnset, rr.VerifyTokenEnv)
	}
	r.HandshakeToken = []byte(v)
	return nil
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
