package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/verify"
)

const routesJSON = `{
  "max_body_bytes": 4096,
  "routes": [
    {"name": "gh", "match": {"authority": "hooks.example.com", "path": "/github", "methods": ["POST"]}, "scheme": "github",
     "secrets": [{"id": "new", "env": "GH_NEW"}, {"id": "old", "env": "GH_OLD"}], "strip_signature_headers": true},
    {"name": "stripe", "match": {"authority": "*.example.com", "path_prefix": "/stripe/"}, "scheme": "stripe",
     "secrets": [{"env": "STRIPE"}], "mode": "detect", "tolerance_seconds": 0, "max_body_bytes": 100},
    {"name": "legacy", "match": {"path_prefix": "/legacy"}, "mode": "off"},
    {"name": "generic", "match": {"path_prefix": "/"}, "scheme": "hmac", "algorithm": "sha512", "encoding": "base64url",
     "signature_header": "X-Sig", "signature_format": "kv", "signature_key": "v1", "timestamp_key": "t",
     "template": "{timestamp}.{method}.{body}", "secret_encoding": "hex", "secrets": [{"id": "k", "value": "00112233445566778899aabbccddeeff"}]}
  ]
}`

func TestRoutes(t *testing.T) {
	cfg, warnings, err := config.Parse([]byte(routesJSON), env("GH_NEW", longSecret, "GH_OLD", longSecret+"x", "STRIPE", "whsec_"+longSecret))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Routes) != 4 || cfg.Unmatched != config.UnmatchedReject {
		t.Fatalf("got %d routes, unmatched %q", len(cfg.Routes), cfg.Unmatched)
	}
	gh := cfg.Routes[0]
	if strings.Join(gh.KeyIDs, ",") != "new,old" || strings.Join(gh.SecretSources, ",") != "env:GH_NEW,env:GH_OLD" || gh.MaxBodyBytes != 4096 {
		t.Fatalf("gh: keys %v from %v, max %d", gh.KeyIDs, gh.SecretSources, gh.MaxBodyBytes)
	}
	if strings.Join(gh.StripHeaders, ",") != "x-hub-signature-256,x-hub-signature" {
		t.Fatalf("gh strips %v", gh.StripHeaders)
	}
	if st := cfg.Routes[1]; st.Mode != config.Detect || st.MaxBodyBytes != 100 || st.KeyIDs[0] != "STRIPE" || st.StripHeaders != nil {
		t.Fatalf("stripe route: %+v", st)
	}
	if cfg.Routes[2].Scheme != nil || cfg.Routes[2].Mode != config.Off {
		t.Fatal("an off route has a scheme")
	}
	for _, w := range []string{"mode is detect", "mode is off", "inline"} {
		if !strings.Contains(strings.Join(warnings, "\n"), w) {
			t.Errorf("no warning says %q: %q", w, warnings)
		}
	}
	for _, tc := range []struct{ method, authority, path, want string }{
		{"POST", "hooks.example.com", "/github", "gh"},
		{"POST", "hooks.example.com:8443", "/github?x=1", "gh"},
		{"POST", "HOOKS.example.com", "/github", "gh"},
		{"GET", "hooks.example.com", "/github", "generic"},
		{"POST", "other.test", "/github", "generic"},
		{"POST", "hooks.example.com", "/github/x", "generic"},
		{"POST", "a.b.example.com", "/stripe/x", "stripe"},
		{"POST", "example.com", "/stripe/x", "generic"},
		{"POST", "evil-example.com", "/stripe/x", "generic"},
		{"POST", "a.example.com", "/stripe", "generic"},
		{"PUT", "x", "/legacy/thing", "legacy"},
	} {
		got := "none"
		if r := cfg.Route(tc.method, tc.authority, tc.path); r != nil {
			got = r.Name
		}
		if got != tc.want {
			t.Errorf("%s %s%s: route %s, want %s", tc.method, tc.authority, tc.path, got, tc.want)
		}
	}
	first, _, _ := config.Parse([]byte(`{"routes":[{"name":"a","match":{"path_prefix":"/a"},"mode":"off"}]}`), env())
	if first.Route("POST", "h", "/b") != nil {
		t.Fatal("a request no route matches found one")
	}
}

// testJWKS is a JWK Set of one HMAC key.
const testJWKS = `{"keys":[{"kty":"oct","alg":"HS256","kid":"k","k":"dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXk"}]}`

func TestRouteErrors(t *testing.T) {
	e := env("S", longSecret)
	for _, tc := range []struct {
		name, json string
		want       error
		inErr      string
	}{
		{"routes and flat", `{"secret_env":"S","routes":[]}`, config.ErrMixedForms, ""},
		{"empty routes", `{"routes":[]}`, config.ErrInvalidRoute, "empty"},
		{"no name", `{"routes":[{"scheme":"github","secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "name"},
		{"reserved name", `{"routes":[{"name":"_x","scheme":"github","secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "name"},
		{"bad name", `{"routes":[{"name":"a b","scheme":"github","secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "name"},
		{"duplicate name", `{"routes":[{"name":"a","secrets":[{"env":"S"}]},{"name":"a","secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "twice"},
		{"unknown scheme", `{"routes":[{"name":"a","scheme":"nope","secrets":[{"env":"S"}]}]}`, config.ErrUnknownScheme, "stripe"},
		{"no secrets", `{"routes":[{"name":"a","scheme":"github"}]}`, config.ErrNoSecret, ""},
		{"env unset", `{"routes":[{"name":"a","scheme":"github","secrets":[{"env":"NOPE"}]}]}`, config.ErrSecretEnvUnset, "NOPE"},
		{"duplicate key id", `{"routes":[{"name":"a","scheme":"github","secrets":[{"id":"k","env":"S"},{"id":"k","env":"S"}]}]}`, config.ErrInvalidRoute, "twice"},
		{"bad mode", `{"routes":[{"name":"a","mode":"block","secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "mode"},
		{"negative tolerance", `{"routes":[{"name":"a","scheme":"stripe","tolerance_seconds":-1,"secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "tolerance"},
		{"generic field on preset", `{"routes":[{"name":"a","scheme":"stripe","algorithm":"sha1","secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "hmac"},
		{"hmac without header", `{"routes":[{"name":"a","scheme":"hmac","secrets":[{"env":"S"}]}]}`, nil, "signature header"},
		{"path and prefix", `{"routes":[{"name":"a","match":{"path":"/a","path_prefix":"/a"},"secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "path"},
		{"relative path", `{"routes":[{"name":"a","match":{"path":"a"},"secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "path"},
		{"lower-case method", `{"routes":[{"name":"a","match":{"methods":["post"]},"secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "upper-case"},
		{"bad unmatched", `{"unmatched":"maybe","routes":[{"name":"a","secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "unmatched"},
		{"basic without colon", `{"routes":[{"name":"a","scheme":"basic","secrets":[{"env":"S"}]}]}`, nil, "user:password"},
		{"token nowhere", `{"routes":[{"name":"a","scheme":"token","secrets":[{"env":"S"}]}]}`, nil, "exactly one"},
		{"allow_sha1 elsewhere", `{"routes":[{"name":"a","scheme":"stripe","allow_sha1":true,"secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "github"},
		{"bad public_url", `{"routes":[{"name":"a","scheme":"twilio","public_url":"example.com","secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "public_url"},
		{"bad hex secret", `{"routes":[{"name":"a","scheme":"hmac","signature_header":"x","secret_encoding":"hex","secrets":[{"value":"not-hex"}]}]}`, nil, "not valid hex"},
		{"unknown route field", `{"routes":[{"name":"a","secret":"x"}]}`, config.ErrUnknownField, "secret"},
		{"public_keys on an hmac preset", `{"routes":[{"name":"a","scheme":"github","public_keys":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "public-key schemes"},
		{"secret as discord key", `{"routes":[{"name":"a","scheme":"discord","public_keys":[{"env":"S"}]}]}`, verify.ErrInvalidScheme, "Ed25519"},
		{"secret as sendgrid key", `{"routes":[{"name":"a","scheme":"sendgrid","secrets":[{"env":"S"}]}]}`, verify.ErrInvalidScheme, "P-256"},
		{"secret_encoding with ed25519", `{"routes":[{"name":"a","scheme":"hmac","algorithm":"ed25519","signature_header":"x","secret_encoding":"hex","public_keys":[{"value":"` + strings.Repeat("ab", 32) + `"}]}]}`, config.ErrInvalidRoute, "public keys"},
		{"dedupe without hold_headers", `{"hold_headers":false,"routes":[{"name":"a","scheme":"github","secrets":[{"env":"S"}],"dedupe":{}}]}`, config.ErrInvalidRoute, "hold_headers"},
		{"twitter handshake, GET left out", `{"routes":[{"name":"a","match":{"methods":["POST"]},"scheme":"twitter","secrets":[{"env":"S"}],"handshake":true}]}`, config.ErrInvalidRoute, `comes as GET, which "match.methods" leaves out`},
		{"zoom handshake, POST left out", `{"routes":[{"name":"a","match":{"methods":["GET"]},"scheme":"zoom","secrets":[{"env":"S"}],"handshake":true}]}`, config.ErrInvalidRoute, "POST"},
		{"meta handshake without its verify token", `{"routes":[{"name":"a","scheme":"meta","secrets":[{"env":"S"}],"handshake":true}]}`, config.ErrNoSecret, "verify_token_env"},
		{"meta verify token unset", `{"routes":[{"name":"a","scheme":"meta","secrets":[{"env":"S"}],"handshake":true,"verify_token_env":"NOPE"}]}`, config.ErrSecretEnvUnset, "NOPE"},
		{"verify token elsewhere", `{"routes":[{"name":"a","scheme":"github","secrets":[{"env":"S"}],"verify_token_env":"S"}]}`, config.ErrInvalidRoute, "verify_token_env"},
		{"bad on_store_failure", `{"routes":[{"name":"a","scheme":"github","secrets":[{"env":"S"}],"dedupe":{"on_store_failure":"ignore"}}]}`, config.ErrInvalidRoute, "on_store_failure"},
		{"handshake without hold_headers", `{"hold_headers":false,"routes":[{"name":"a","scheme":"slack","secrets":[{"env":"S"}],"handshake":true}]}`, config.ErrInvalidRoute, "hold_headers"},
		{"jwt with secrets", `{"routes":[{"name":"a","scheme":"jwt","secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "jwks"},
		{"jwt without keys", `{"routes":[{"name":"a","scheme":"jwt"}]}`, config.ErrNoSecret, "jwks"},
		{"jwt with both", `{"routes":[{"name":"a","scheme":"jwt","jwks":{"keys":[]},"jwks_env":"S"}]}`, config.ErrNoSecret, "exactly one"},
		{"jwt fields elsewhere", `{"routes":[{"name":"a","scheme":"github","issuer":"x","secrets":[{"env":"S"}]}]}`, config.ErrInvalidRoute, "jwt"},
		{"jwt, not a JWKS", `{"routes":[{"name":"a","scheme":"jwt","jwks_env":"S"}]}`, verify.ErrInvalidScheme, "JWK Set"},
		{"jwt, bad claim header", `{"routes":[{"name":"a","scheme":"jwt","jwks":` + testJWKS + `,"forward_claims":{"sub":"X-Hookguard-Verified"}}]}`, config.ErrInvalidRoute, "forward_claims"},
		{"jwt, bad leeway", `{"routes":[{"name":"a","scheme":"jwt","jwks":` + testJWKS + `,"leeway_seconds":-1}]}`, config.ErrInvalidRoute, "leeway"},
		{"unknown algorithm", `{"routes":[{"name":"a","scheme":"hmac","algorithm":"rsa","signature_header":"x","secrets":[{"env":"S"}]}]}`, verify.ErrInvalidScheme, "ed25519"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := config.Parse([]byte(tc.json), e)
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.inErr) {
				t.Fatalf("error %q does not say %q", err, tc.inErr)
			}
			if strings.Contains(err.Error(), longSecret[:8]) {
				t.Fatal("the error carries the secret")
			}
		})
	}
}

func TestUnmatchedAllowWarns(t *testing.T) {
	cfg, warnings, err := config.Parse([]byte(`{"unmatched":"allow","routes":[{"name":"a","mode":"off"}]}`), env())
	if err != nil || cfg.Unmatched != config.UnmatchedAllow || !strings.Contains(strings.Join(warnings, " "), "unverified") {
		t.Fatalf("%v %q %q", err, cfg.Unmatched, warnings)
	}
}

func TestEnvNames(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"secret_env":"A"}`, "A"},
		{routesJSON, "GH_NEW,GH_OLD,STRIPE"},
		{`{"routes":[{"secrets":[{"env":"X"},{"value":"v"},{"env":"X"}]},{"secrets":[{"env":"Y"}]}]}`, "X,Y"},
		{`{"routes":[{"secrets":[{"env":"S"}],"public_keys":[{"env":"P"},{"env":"S"}]}]}`, "S,P"},
		{`{"secret_env":`, ""},
		{`{"routes":[{"name":"j","scheme":"jwt","jwks_env":"JWKS"},{"secrets":[{"env":"A"}]}]}`, "JWKS,A"},
		{`{"routes":[{"secrets":[{"env":"A"}],"future":{"verify_token_env":"T","list":[{"env":"L"}],"n":1}},{"jwks_env":"A"}]}`, "A,T,L"},
		{`{"routes":[{"name":"env","match":{"path":"/env"},"secrets":[{"value":"env"}]}]}`, ""},
		{`{"routes":[{"secrets":[{"env":"A"}]},{"secrets":[{"env":`, "A"},
	} {
		if got := strings.Join(config.EnvNames([]byte(tc.json)), ","); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.json, got, tc.want)
		}
	}
}

// TestHandshakeMethods: a handshake route matches its challenge's method,
// or matches every method.
func TestHandshakeMethods(t *testing.T) {
	for _, route := range []string{
		`{"name":"a","match":{"methods":["GET","POST"]},"scheme":"twitter","secrets":[{"env":"S"}],"handshake":true}`,
		`{"name":"a","scheme":"twitter","secrets":[{"env":"S"}],"handshake":true}`,
		`{"name":"a","match":{"methods":["POST"]},"scheme":"zoom","secrets":[{"env":"S"}],"handshake":true}`,
		`{"name":"a","match":{"methods":["POST"]},"scheme":"slack","secrets":[{"env":"S"}],"handshake":true}`,
	} {
		if _, _, err := config.Parse([]byte(`{"routes":[`+route+`]}`), env("S", longSecret)); err != nil {
			t.Errorf("%s: %v", route, err)
		}
	}
	for preset, want := range map[string]string{"twitter": "GET", "zoom": "POST", "slack": "POST", "github": ""} {
		if got := config.HandshakeMethod(preset); got != want {
			t.Errorf("HandshakeMethod(%q) = %q, want %q", preset, got, want)
		}
	}
}

// TestStoreFailurePolicy: a dedupe route rejects on a store failure
// unless it says "allow".
func TestStoreFailurePolicy(t *testing.T) {
	for policy, want := range map[string]string{``: config.StoreFailureReject, `,"on_store_failure":"reject"`: config.StoreFailureReject,
		`,"on_store_failure":"allow"`: config.StoreFailureAllow} {
		cfg, _, err := config.Parse([]byte(`{"routes":[{"name":"a","scheme":"github","secrets":[{"env":"S"}],"dedupe":{"max_ids":16`+policy+`}}]}`), env("S", longSecret))
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Routes[0].Dedupe.OnStoreFailure; got != want {
			t.Errorf("%q: got %q, want %q", policy, got, want)
		}
	}
}

func TestOptionalSecrets(t *testing.T) {
	cfg, warnings, err := config.Parse([]byte(`{"routes":[
		{"name":"a","secrets":[{"id":"now","env":"A","optional":true},{"id":"old","env":"A_OLD","optional":true}]},
		{"name":"b","secrets":[{"env":"B","optional":true},{"env":"B_OLD","optional":true}]}]}`), env("A", longSecret))
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Routes[0]; a.Unconfigured || strings.Join(a.KeyIDs, ",") != "now" {
		t.Fatalf("route a: unconfigured %v keys %v", a.Unconfigured, a.KeyIDs)
	}
	if b := cfg.Routes[1]; !b.Unconfigured || b.Scheme != nil {
		t.Fatal("route b has no secret set but is configured")
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "route b: none of its optional secrets is set (B, B_OLD)") {
		t.Fatalf("warnings %q", warnings)
	}
}

// TestUnconfiguredRouteIsStillChecked checks a route whose optional
// secrets are unset is still validated, so its mistakes show at start.
func TestUnconfiguredRouteIsStillChecked(t *testing.T) {
	for _, cfg := range []string{
		`{"routes":[{"name":"a","scheme":"hmac","secrets":[{"env":"UNSET","optional":true}]}]}`,
		`{"routes":[{"name":"a","scheme":"hmac","signature_header":"x","template":"{nope}{body}","secrets":[{"env":"UNSET","optional":true}]}]}`,
		`{"routes":[{"name":"a","scheme":"token","secrets":[{"env":"UNSET","optional":true}]}]}`,
	} {
		if _, _, err := config.Parse([]byte(cfg), env()); err == nil {
			t.Errorf("accepted %s", cfg)
		}
	}
	for _, cfg := range []string{
		`{"routes":[{"name":"a","scheme":"hmac","signature_header":"x","secret_encoding":"hex","secrets":[{"env":"UNSET","optional":true}]}]}`,
		`{"routes":[{"name":"a","scheme":"basic","secrets":[{"env":"UNSET","optional":true}]}]}`,
		`{"routes":[{"name":"a","scheme":"standard-webhooks","secrets":[{"env":"UNSET","optional":true}]}]}`,
		`{"routes":[{"name":"a","scheme":"discord","public_keys":[{"env":"UNSET","optional":true}]}]}`,
		`{"routes":[{"name":"a","scheme":"sendgrid","public_keys":[{"env":"UNSET","optional":true}]}]}`,
		`{"routes":[{"name":"a","scheme":"hmac","algorithm":"ecdsa-p256-sha256","signature_header":"x","public_keys":[{"env":"UNSET","optional":true}]}]}`,
		`{"routes":[{"name":"a","scheme":"hmac","algorithm":"ed25519","signature_header":"x","public_keys":[{"env":"UNSET","optional":true}]}]}`,
	} {
		c, _, err := config.Parse([]byte(cfg), env())
		if err != nil || !c.Routes[0].Unconfigured || c.Routes[0].Scheme != nil {
			t.Errorf("%s: %v", cfg, err)
		}
	}
}

// TestOpaqueToken: what a handshake may answer — never anything a payload
// could be.
func TestOpaqueToken(t *testing.T) {
	for token, want := range map[string]bool{
		"9b4507b3-9040-4669-9ca3-6b94edb50553": true, "qgg8vlvZRS6UYooatFL8Aw": true, "crc+token/with=chars": true,
		"a~b.c_d": true, strings.Repeat("A", config.MaxHandshakeToken): true,
		"": false, strings.Repeat("A", config.MaxHandshakeToken+1): false, `{"a":1}`: false, "[1]": false,
		"a b": false, "a=1&b=2": false, "v0:1764547200:{}": false, "line\n": false, "é": false, "a\x00": false,
	} {
		if got := config.OpaqueToken(token); got != want {
			t.Errorf("OpaqueToken(%q) = %v, want %v", token, got, want)
		}
		if got := config.OpaqueToken([]byte(token)); got != want {
			t.Errorf("OpaqueToken([]byte(%q)) = %v, want %v", token, got, want)
		}
	}
}

// TestEchoToken: what a handshake may echo without a MAC (Graph's
// validationToken, a sentence): printable text that opens no markup.
func TestEchoToken(t *testing.T) {
	for token, want := range map[string]bool{
		"Validation: Testing client application reachability for subscription Request-Id: 5fda4ca3": true,
		"abc": true, strings.Repeat("A", config.MaxEchoToken): true,
		"": false, strings.Repeat("A", config.MaxEchoToken+1): false, "<script>": false, "a&b": false, `"quoted"`: false,
		"it's": false, "line\n": false, "tab\t": false, "é": false, "a\x00": false, "\x7f": false,
	} {
		if got := config.EchoToken(token); got != want {
			t.Errorf("EchoToken(%q) = %v, want %v", token, got, want)
		}
	}
}
