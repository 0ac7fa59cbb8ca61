package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

var signedAt = time.Unix(1764547200, 0)

// TestSignedRequestsVerify signs a request as each preset and sends it
// through the module configured with the shipped providers.json: each is
// let through, and each signed under another secret is not.
func TestSignedRequestsVerify(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join(testwasm.Root(), "cmd", "hookguard", "providers.json"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, p := range verify.Presets() {
		secret := encodedSecret(p, "sign-test-secret-0123456789abcdef-"+p)
		if info, _ := verify.LookupPreset(p); info.SecretEncoding == verify.Whsec {
			secret = "whsec_c2lnbi10ZXN0LXNpZ24tdGVzdC1zaWduLXRlc3Q="
		}
		if p == "gitlab" {
			secret = "gitlab-token-0123456789abcdef0123"
		}
		if info, _ := verify.LookupPreset(p); info.Kind == "public-key" {
			// A test key pair: the signer's private key, the route's public one.
			signing := strings.Repeat("0123", 15) + "abcd"
			env[strings.ToUpper(p)+"_SIGNING_KEY"] = signing
			var out bytes.Buffer
			if err := signCommand([]string{"-preset", p, "-public-key"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &out, io.Discard, signedAt); err != nil {
				t.Fatal(err)
			}
			env[strings.ToUpper(p)+"_PUBLIC_KEY"] = strings.TrimSpace(out.String())
			continue
		}
		env[strings.ToUpper(strings.ReplaceAll(p, "-", "_"))+"_WEBHOOK_SECRET"] = secret
	}
	ctx := context.Background()
	mw, err := nethttp.NewMiddleware(ctx, testwasm.Module(t), nethttp.Config{
		// The module's clock and the signer's are pinned to the same time.
		Module: host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir(), Clock: func() time.Time { return signedAt }},
		Plugin: host.PluginConfig{Configuration: cfg, Env: env, AllowOnHeadersStopIteration: true, VMs: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mw.Close(ctx)
	srv := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	defer srv.Close()
	lookup := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, p := range verify.Presets() {
		if info, _ := verify.LookupPreset(p); info.JWKS != nil || info.RemoteKey != nil {
			continue // signed with its provider's own keys (Google's, AWS's …): nothing here signs for it
		}
		t.Run(p, func(t *testing.T) {
			args := []string{"-preset", p, "-url", srv.URL + "/hooks/" + p + "?delivery=1", "-send"}
			if p == "twilio" || p == "mandrill" || p == "mailchimp" || p == "plivo" {
				args = append(args, "-data", "Body=h%C3%A9llo&From=%2B15551230000")
			}
			var out bytes.Buffer
			if err := signCommand(args, lookup(env), &out, io.Discard, signedAt); err != nil || !strings.HasPrefix(out.String(), "200 ") {
				t.Fatalf("signed request: %v\n%s", err, out.String())
			}
			wrong := map[string]string{}
			for k, v := range env {
				wrong[k] = strings.Replace(v, "0123", "3210", 1) // a public key stays: the signing key differs
				if k == strings.ToUpper(strings.ReplaceAll(p, "-", "_"))+"_WEBHOOK_SECRET" {
					wrong[k] = encodedSecret(p, "another-secret-"+p)
				}
				if strings.HasPrefix(v, "whsec_") {
					wrong[k] = "whsec_d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmc="
				}
			}
			out.Reset()
			if err := signCommand(args, lookup(wrong), &out, io.Discard, signedAt); err == nil || !strings.HasPrefix(out.String(), "401 ") {
				t.Fatalf("signed under another secret: %v\n%s", err, out.String())
			}
		})
	}
}

// encodedSecret is raw as preset's provider shows a secret.
func encodedSecret(preset, raw string) string {
	if info, _ := verify.LookupPreset(preset); info.Kind == verify.KindBasic {
		return "user:" + raw
	}
	switch info, _ := verify.LookupPreset(preset); info.SecretEncoding {
	case verify.Base64Secret, verify.Whsec:
		return base64.StdEncoding.EncodeToString([]byte(raw))
	case verify.HexSecret:
		return hex.EncodeToString([]byte(raw))
	}
	return raw
}

func TestCurlOutput(t *testing.T) {
	var out bytes.Buffer
	env := func(string) (string, bool) { return "curl-secret-0123456789abcdef0123", true }
	if err := signCommand([]string{"-preset", "pipes", "-data", `it's`}, env, &out, io.Discard, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	want := "curl -sS -i -X POST 'http://127.0.0.1:8080/webhook' \\\n  -H 'content-type: application/json' \\\n  -H 'x-pipes-signature: " +
		verify.SignPipes([]byte("curl-secret-0123456789abcdef0123"), []byte("it's")) + "' \\\n  --data-binary 'it'\\''s'\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	if err := signCommand([]string{"-preset", "stripe"}, func(string) (string, bool) { return "", false }, &out, io.Discard, signedAt); err == nil || !strings.Contains(err.Error(), "STRIPE_WEBHOOK_SECRET") {
		t.Fatalf("no secret: %v", err)
	}
}
