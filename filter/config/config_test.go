package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/verify"
)

const longSecret = "0123456789abcdef0123456789abcdef"

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParse(t *testing.T) {
	tests := []struct {
		name         string
		json         string
		env          func(string) (string, bool)
		wantErr      error
		wantSecret   string
		wantMax      int64
		wantWarnings int
		wantHoldOff  bool
	}{
		{name: "secret from env", json: `{"secret_env":"S"}`, env: env("S", longSecret), wantSecret: longSecret, wantMax: verify.DefaultMaxBodyBytes},
		{name: "inline secret warns", json: `{"secret":"` + longSecret + `"}`, wantSecret: longSecret, wantMax: verify.DefaultMaxBodyBytes, wantWarnings: 1},
		{name: "short secret warns", json: `{"secret_env":"S"}`, env: env("S", "short"), wantSecret: "short", wantMax: verify.DefaultMaxBodyBytes, wantWarnings: 1},
		{name: "scheme and cap", json: `{"scheme":"pipes","secret_env":"S","max_body_bytes":4096}`, env: env("S", longSecret), wantSecret: longSecret, wantMax: 4096},
		{name: "hold_headers false warns", json: `{"secret_env":"S","hold_headers":false}`, env: env("S", longSecret), wantSecret: longSecret, wantMax: verify.DefaultMaxBodyBytes, wantWarnings: 1, wantHoldOff: true},
		{name: "hold_headers not a bool", json: `{"secret_env":"S","hold_headers":"no"}`, env: env("S", longSecret), wantErr: config.ErrSyntax},
		{name: "surrounding whitespace", json: " \n{\"secret_env\":\"S\"}\n ", env: env("S", longSecret), wantSecret: longSecret, wantMax: verify.DefaultMaxBodyBytes},

		{name: "empty input", json: ``, wantErr: config.ErrSyntax},
		{name: "malformed json", json: `{"secret_env":`, wantErr: config.ErrSyntax},
		{name: "not an object", json: `"abc"`, wantErr: config.ErrSyntax},
		{name: "trailing data", json: `{"secret_env":"S"} {}`, env: env("S", longSecret), wantErr: config.ErrSyntax},
		{name: "wrong type", json: `{"max_body_bytes":"big","secret_env":"S"}`, env: env("S", longSecret), wantErr: config.ErrSyntax},
		{name: "unknown field", json: `{"secret_env":"S","max_body":1}`, env: env("S", longSecret), wantErr: config.ErrUnknownField},
		{name: "empty object", json: `{}`, wantErr: config.ErrNoSecret},
		{name: "null secret", json: `{"secret":null}`, wantErr: config.ErrNoSecret},
		{name: "empty inline secret", json: `{"secret":""}`, wantErr: config.ErrNoSecret},
		{name: "empty env name", json: `{"secret_env":""}`, wantErr: config.ErrNoSecret},
		{name: "env unset", json: `{"secret_env":"MISSING"}`, env: env(), wantErr: config.ErrSecretEnvUnset},
		{name: "env empty", json: `{"secret_env":"S"}`, env: env("S", ""), wantErr: config.ErrSecretEnvUnset},
		{name: "env only spaces", json: `{"secret_env":"S"}`, env: env("S", "   "), wantErr: config.ErrBlankSecret},
		{name: "env only a newline", json: `{"secret_env":"S"}`, env: env("S", "\n"), wantErr: config.ErrBlankSecret},
		{name: "inline only whitespace", json: `{"secret":" \t "}`, wantErr: config.ErrBlankSecret},
		{name: "secret with a trailing newline warns", json: `{"secret_env":"S"}`, env: env("S", longSecret+"\n"), wantSecret: longSecret + "\n", wantMax: verify.DefaultMaxBodyBytes, wantWarnings: 1},
		{name: "both secrets", json: `{"secret":"x","secret_env":"S"}`, env: env("S", longSecret), wantErr: config.ErrSecretTwice},
		{name: "unknown scheme", json: `{"scheme":"stripe","secret_env":"S"}`, env: env("S", longSecret), wantErr: config.ErrUnknownScheme},
		{name: "zero cap", json: `{"secret_env":"S","max_body_bytes":0}`, env: env("S", longSecret), wantErr: config.ErrInvalidBodySize},
		{name: "negative cap", json: `{"secret_env":"S","max_body_bytes":-5}`, env: env("S", longSecret), wantErr: config.ErrInvalidBodySize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lookup := tc.env
			if lookup == nil {
				lookup = env()
			}
			cfg, warnings, err := config.Parse([]byte(tc.json), lookup)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(cfg.Routes) != 1 {
				t.Fatalf("the flat form made %d routes, want 1", len(cfg.Routes))
			}
			rt := cfg.Routes[0]
			if rt.SchemeName != "pipes" || rt.Name != "default" || rt.MaxBodyBytes != tc.wantMax || rt.Mode != config.Enforce {
				t.Fatalf("got route %q scheme %q max %d mode %q; want default pipes %d enforce", rt.Name, rt.SchemeName, rt.MaxBodyBytes, rt.Mode, tc.wantMax)
			}
			if !rt.Match.Matches("GET", "any.host", "/any/path") {
				t.Fatal("the flat form's route does not match every request")
			}
			req := &verify.Request{Method: "POST", Header: []verify.Field{{Name: "x-pipes-signature", Value: verify.SignPipes([]byte(tc.wantSecret), []byte("b"))}}}
			if _, err := verify.Verify(rt.Scheme, req, []byte("b"), time.Time{}); err != nil {
				t.Fatalf("the route does not verify with the configured secret: %v", err)
			}
			if cfg.HoldHeaders == tc.wantHoldOff {
				t.Fatalf("HoldHeaders = %v, want %v", cfg.HoldHeaders, !tc.wantHoldOff)
			}
			if len(warnings) != tc.wantWarnings {
				t.Fatalf("got %d warnings %q, want %d", len(warnings), warnings, tc.wantWarnings)
			}
		})
	}
}

// TestErrorsNeverCarryTheSecret feeds inline secrets through every error
// path that echoes input and checks the secret never comes back.
func TestErrorsNeverCarryTheSecret(t *testing.T) {
	const secret = "Qz9kW7pX3mV8jT2"
	inputs := []string{
		`{"secret":"` + secret + `\q"}`,
		`{"secret":"` + secret + `", "extra":1}`,
		`{"secret":"` + secret + `", "max_body_bytes":"` + secret + `"}`,
		`{"secret":"` + secret + `","secret_env":"` + secret + `"}`,
		`{"secret_env":"S"}`,
		`{"secret":"` + secret + `"}x`,
		`{"secret":` + secret + `}`,
	}
	for i, in := range inputs {
		_, warnings, err := config.Parse([]byte(in), env("S", secret))
		text := fmt.Sprint(err, warnings)
		// The first letter of the secret alone would be too weak a check;
		// look for any 3-character piece of it.
		for j := 0; j+3 <= len(secret); j++ {
			if strings.Contains(text, secret[j:j+3]) {
				t.Fatalf("input %d: output %q contains part of the secret", i, text)
			}
		}
	}
}

func TestSecretDoesNotPrint(t *testing.T) {
	cfg, _, err := config.Parse([]byte(`{"secret":"`+longSecret+`"}`), env())
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		if out := fmt.Sprintf(verb, cfg); strings.Contains(out, longSecret[:8]) || strings.Contains(out, "30313233") {
			t.Fatalf("%s printed the secret: %s", verb, out)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"secret_env":"S","max_body_bytes":10}`))
	f.Add([]byte(`{"secret":"abc"}`))
	f.Add([]byte(`{"routes":[{"name":"a","match":{"path_prefix":"/a","methods":["POST"]},"scheme":"stripe","secrets":[{"id":"k","env":"S"}],"tolerance_seconds":10}]}`))
	f.Add([]byte(`{"routes":[{"name":"g","scheme":"hmac","signature_header":"x-sig","signature_format":"kv","signature_key":"v1","timestamp_key":"t","template":"{timestamp}.{body}","secrets":[{"value":"abc"}]}],"unmatched":"allow"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, _, err := config.Parse(data, env("S", longSecret))
		if err != nil {
			return
		}
		if len(cfg.Routes) == 0 {
			t.Fatal("accepted a configuration without routes")
		}
		for _, rt := range cfg.Routes {
			if rt.MaxBodyBytes <= 0 || (rt.Mode != config.Off && (rt.Scheme == nil || len(rt.KeyIDs) == 0)) {
				t.Fatalf("accepted route %q without a cap, scheme or key", rt.Name)
			}
		}
	})
}
