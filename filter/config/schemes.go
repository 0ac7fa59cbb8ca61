package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// What each scheme takes. A preset's description comes from its row in the
// preset table (verify.PresetInfo); the schemes that are not presets are
// described here. A route may set the fields every route has and its
// scheme's; any other field it sets is an error that names the field, the
// scheme, and the schemes the field goes with.

// scheme describes a scheme a route may name.
type scheme struct {
	// fields are the route fields the scheme takes besides commonFields.
	fields []string
	// standIn is the key the scheme is built with while the route's
	// secrets are unset, so that its mistakes show at start; "" takes
	// verify.StandInKey of the route's algorithm.
	standIn string
	// keysNote says where the scheme's keys come from, when not from
	// "secrets".
	keysNote string
	// credentials: the secrets are user:password pairs, not random keys,
	// so a short one is no warning.
	credentials bool
	// jwks: the route's keys are a JWK Set ("jwks", "jwks_env") or fetched
	// ("jwks_cluster"), not "secrets".
	jwks bool
	// keyless: the route has no secrets; its keys are the provider's,
	// fetched per delivery.
	keyless bool
	// build sets the route's Scheme, and the headers
	// strip_signature_headers removes, from its fields and keys.
	build func(r *Route, rr rawRoute, keys []verify.Key, tolerance *time.Duration) error
}

// commonFields are the fields every route may set, whatever its scheme.
var commonFields = []string{"name", "match", "scheme", "mode", "max_body_bytes", "tolerance_seconds", "public_url",
	"strip_signature_headers", "dedupe", "source_cidrs", "trusted_proxy_hops"}

// The fields of the schemes that are not presets.
var (
	hmacFields = []string{"secrets", "public_keys", "algorithm", "encoding", "signature_header", "signature_headers", "every_signature_header", "signature_prefix",
		"signature_format", "signature_key", "timestamp_key", "separators", "version_separator", "template", "id_header",
		"event_id_field", "timestamp_header", "timestamp_format", "secret_encoding"}
	tokenFields = []string{"secrets", "token_header", "token_bearer", "token_query"}
	basicFields = []string{"secrets"}
	jwtFields   = []string{"jwks", "jwks_env", "jwks_cluster", "jwks_path", "jwks_authority", "jwks_refresh_seconds", "jwt_header",
		"issuer", "audiences", "leeway_seconds", "forward_claims", "require_claims", "body_hash_claim", "url_hash_claim"}
)

// baseSchemes are the schemes that are not presets, in the order errors
// list them.
var baseSchemes = []string{SchemeHMAC, SchemeToken, SchemeBasic, SchemeJWT}

// lookupScheme describes the scheme a route names, and for a preset its
// row.
func lookupScheme(name string) (scheme, verify.PresetInfo, bool) {
	switch name {
	case SchemeHMAC:
		return scheme{fields: hmacFields, build: buildHMAC}, verify.PresetInfo{}, true
	case SchemeToken:
		return scheme{fields: tokenFields, build: buildToken}, verify.PresetInfo{}, true
	case SchemeBasic:
		return scheme{fields: basicFields, standIn: "a:b", credentials: true, build: buildBasic}, verify.PresetInfo{}, true
	case SchemeJWT:
		return scheme{fields: jwtFields, standIn: standInJWKS, build: buildJWTScheme, jwks: true,
			keysNote: `a jwt route takes its keys from "jwks", "jwks_env" or "jwks_cluster", not "secrets"`}, verify.PresetInfo{}, true
	}
	info, ok := verify.LookupPreset(name)
	if !ok {
		return scheme{}, info, false
	}
	return presetScheme(info), info, true
}

// presetScheme describes a preset from its row.
func presetScheme(info verify.PresetInfo) scheme {
	if info.JWKS != nil { // the provider's own keys: a jwt route with the row's claims
		return scheme{fields: []string{"jwks", "jwks_env", "jwks_cluster", "jwks_path", "jwks_authority", "jwks_refresh_seconds",
			"audiences", "leeway_seconds", "forward_claims", "require_claims"}, standIn: standInJWKS, build: jwksPresetBuild(info), jwks: true,
			keysNote: fmt.Sprintf(`scheme %q takes its provider's keys from "jwks_cluster" (or "jwks", "jwks_env"), not "secrets"`, info.Name)}
	}
	if info.RemoteKey != nil {
		return remoteKeyScheme(info)
	}
	fields := []string{"secrets"}
	if info.TakesPublicKeys() {
		fields = append(fields, "public_keys")
	}
	if info.LegacySHA1 != nil {
		fields = append(fields, "allow_sha1")
	}
	if info.Handshake.Kind != "" {
		fields = append(fields, "handshake")
	}
	if info.Handshake.Kind == verify.HandshakeMeta {
		fields = append(fields, "verify_token_env")
	}
	basic := info.Kind == verify.KindBasic
	return scheme{fields: fields, standIn: info.StandInKey, credentials: basic, build: func(r *Route, rr rawRoute, keys []verify.Key, tolerance *time.Duration) error {
		var err error
		r.Scheme, err = verify.Preset(info.Name, verify.Options{Keys: keys, Tolerance: tolerance, PublicURL: rr.PublicURL, AllowSHA1: rr.AllowSHA1})
		r.StripHeaders, r.Basic = info.SignatureHeaders, basic
		return err
	}}
}

// checkFields checks that rr sets only the fields its scheme s (named
// name) takes.
func checkFields(rr *rawRoute, name string, s scheme) error {
	for _, field := range setFields(rr) {
		if slices.Contains(commonFields, field) || slices.Contains(s.fields, field) {
			continue
		}
		if s.keysNote != "" && (field == "secrets" || field == "public_keys") {
			return fmt.Errorf(`%w: %q is not a field of scheme %q: %s`, ErrInvalidRoute, field, name, s.keysNote)
		}
		return fmt.Errorf(`%w: %q is not a field of scheme %q: %s`, ErrInvalidRoute, field, name, goesWith(field))
	}
	if name == SchemeHMAC && len(rr.PublicKeys) > 0 && !verify.Algorithm(rr.Algorithm).IsPublicKey() {
		return fmt.Errorf(`%w: "public_keys" are for public-key schemes: with "scheme": "hmac", "algorithm" %q or %q`, ErrInvalidRoute, verify.Ed25519, verify.ECDSAP256SHA256)
	}
	return nil
}

// goesWith names the schemes that take field.
func goesWith(field string) string {
	var names []string
	for _, name := range append(slices.Clone(baseSchemes), verify.Presets()...) {
		if s, _, _ := lookupScheme(name); slices.Contains(s.fields, field) {
			names = append(names, fmt.Sprintf("%q", name))
		}
	}
	list := strings.Join(names, ", ")
	if n := len(names); n > 1 {
		list = strings.Join(names[:n-1], ", ") + " or " + names[n-1]
	}
	if field == "public_keys" {
		return `public keys are for the public-key schemes, "scheme": ` + list
	}
	return `it goes with "scheme": ` + list
}

// setFields returns the JSON names of the fields rr sets: a field whose
// value is not its zero value, or a list or object that is not empty.
func setFields(rr *rawRoute) []string {
	var out []string
	v := reflect.ValueOf(rr).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		set := !f.IsZero()
		if k := f.Kind(); k == reflect.Slice || k == reflect.Map {
			set = f.Len() > 0
		}
		if set {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			out = append(out, name)
		}
	}
	return out
}

// standIn is the key s is built with while rr's secrets are unset.
func standIn(s scheme, rr rawRoute) string {
	if s.standIn != "" {
		return s.standIn
	}
	return verify.StandInKey(verify.Algorithm(rr.Algorithm))
}

// standInJWKS is a JWK Set a jwt route can be built with.
const standInJWKS = verify.StandInJWKS

// buildHMAC builds a route of the generic model from its fields.
func buildHMAC(r *Route, rr rawRoute, keys []verify.Key, tolerance *time.Duration) error {
	h := verify.HMAC{
		Algorithm: verify.Algorithm(rr.Algorithm), Encoding: verify.Encoding(rr.Encoding),
		SignaturePrefix: rr.SignaturePrefix, SignatureFormat: verify.Format(rr.SignatureFormat),
		SignatureKey: rr.SignatureKey, TimestampKey: rr.TimestampKey, Separators: rr.Separators,
		VersionSeparator: rr.VersionSeparator, Template: rr.Template, IDHeader: rr.IDHeader, EventIDField: rr.EventIDField,
		TimestampHeader: rr.TimestampHeader, TimestampFormat: verify.TimestampFormat(rr.TimestampFormat),
		Tolerance: verify.DefaultTolerance, PublicURL: rr.PublicURL,
	}
	h.SignatureHeaders, h.EverySignatureHeader = rr.SignatureHeaders, rr.EverySignatureHeader
	switch {
	case rr.SignatureHeader != "" && len(rr.SignatureHeaders) > 0:
		return fmt.Errorf(`%w: set one of "signature_header" and "signature_headers"`, ErrInvalidRoute)
	case rr.SignatureHeader != "":
		h.SignatureHeaders = []string{rr.SignatureHeader}
	}
	if tolerance != nil {
		h.Tolerance = *tolerance
	}
	var err error
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
	return err
}

// buildToken builds a static token's route.
func buildToken(r *Route, rr rawRoute, keys []verify.Key, _ *time.Duration) error {
	var err error
	r.Scheme, err = verify.NewToken(verify.Token{Header: rr.TokenHeader, Bearer: rr.TokenBearer, Query: rr.TokenQuery, Keys: keys})
	if rr.TokenHeader != "" {
		r.StripHeaders = []string{strings.ToLower(rr.TokenHeader)}
	} else if rr.TokenBearer {
		r.StripHeaders = []string{"authorization"}
	}
	return err
}

// buildBasic builds an HTTP Basic route.
func buildBasic(r *Route, _ rawRoute, keys []verify.Key, _ *time.Duration) error {
	var err error
	r.Scheme, err = verify.NewBasic(verify.Basic{Keys: keys})
	r.Basic, r.StripHeaders = true, []string{"authorization"}
	return err
}

// remoteKeyScheme describes a preset whose keys are fetched from the
// provider per delivery (verify.RemoteKeyInfo): its route names the
// cluster to fetch them through, what deliveries must be bound to, and
// for Plaid the API credentials as its one secret.
func remoteKeyScheme(info verify.PresetInfo) scheme {
	rk := info.RemoteKey
	fields := []string{"key_cluster"}
	if rk.BindField != "" {
		fields = append(fields, rk.BindField, rk.BindField+"_env")
	}
	if rk.Credentials {
		fields = append(fields, "secrets")
	}
	if rk.Credentials {
		fields = append(fields, "key_authority")
	}
	if info.Handshake.Kind != "" {
		fields = append(fields, "handshake")
	}
	if info.Handshake.Kind == verify.HandshakeEBay {
		fields = append(fields, "verify_token_env")
	}
	return scheme{fields: fields, standIn: info.StandInKey, credentials: true, keyless: !rk.Credentials,
		keysNote: fmt.Sprintf(`scheme %q fetches its provider's keys through "key_cluster"`, info.Name),
		build: func(r *Route, rr rawRoute, keys []verify.Key, tolerance *time.Duration) error {
			if rr.KeyCluster == "" {
				return fmt.Errorf(`%w: scheme %q fetches its provider's keys: set "key_cluster", the cluster that reaches %s`,
					ErrInvalidRoute, info.Name, strings.Join(rk.Hosts, ", "))
			}
			bind, env := rr.TopicARNs, rr.TopicARNsEnv
			switch rk.BindField {
			case "webhook_ids":
				bind, env = rr.WebhookIDs, rr.WebhookIDsEnv
			case "client_ids":
				bind, env = rr.ClientIDs, rr.ClientIDsEnv
			}
			if len(bind) > 0 && env != "" {
				return fmt.Errorf(`%w: set %q or %q, not both`, ErrInvalidRoute, rk.BindField, rk.BindField+"_env")
			}
			var err error
			r.Scheme, err = verify.Preset(info.Name, verify.Options{Keys: keys, Tolerance: tolerance, Bind: bind, KeyAuthority: rr.KeyAuthority})
			r.KeyCluster, r.StripHeaders = rr.KeyCluster, info.SignatureHeaders
			return err
		}}
}

// SplitList splits a comma-separated list, dropping blanks and the
// spaces around each item: how list settings in the environment are read.
func SplitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
