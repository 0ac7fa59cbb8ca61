package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/cases"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
	"github.com/hookguard/hookguard/internal/testing/syncbuf"
)

// TestProvidersThroughModule runs every provider vector and its derived
// cases through the built module, one route per preset, with the module's
// clock pinned to the time the vectors were signed.
func TestProvidersThroughModule(t *testing.T) {
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	cfg, env := cases.RouteConfig(f)
	p := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(cfg), Env: env, AllowOnHeadersStopIteration: true, VMs: 1}, fixed(f.Time()))
	for _, tc := range cases.RoutedCases(f) {
		t.Run(tc.Name, func(t *testing.T) {
			checkResult(t, runCase(t, p, tc), tc)
		})
	}
	// The same vectors fail once the module's clock leaves each preset's
	// tolerance (presets that sign a timestamp).
	late := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(cfg), Env: env, AllowOnHeadersStopIteration: true, VMs: 1}, fixed(f.Time().Add(25*time.Hour)))
	for _, v := range f.Vectors {
		info, _ := verify.LookupPreset(v.Preset)
		if info.HMAC.TimestampHeader == "" && info.HMAC.TimestampKey == "" && v.Preset != "linear" && v.Preset != "mailgun" {
			continue
		}
		t.Run(v.Name+"/a day later", func(t *testing.T) {
			req := caseRequest(v.Case(time.Time{}))
			out, _ := hosttest.Handle(t, late, req)
			if out.LocalResponse == nil || out.LocalResponse.Status != 401 {
				t.Fatal("a day-old delivery was let through")
			}
		})
	}
}

// TestRoutesAndModes runs the route table through the module: route
// selection, each mode, the unmatched default and setting, Basic auth,
// rotation, and a client's X-Hookguard-Verified that never reaches the
// upstream, whatever the route and mode.
func TestRoutesAndModes(t *testing.T) {
	for _, unmatched := range []string{"", "reject", "allow"} {
		extra := ""
		if unmatched != "" {
			extra = `,"unmatched":"` + unmatched + `"`
		}
		cfg := host.PluginConfig{Configuration: []byte(strings.Replace(cases.RoutesConfig, "%s", extra, 1)),
			Env: cases.RoutesEnv(testSecret), AllowOnHeadersStopIteration: true, VMs: 1}
		p := newHookguardAt(t, nil, cfg, fixed(cases.RoutesTime))
		for _, tc := range cases.Routes(testSecret, unmatched) {
			t.Run(unmatched+"/"+tc.Name, func(t *testing.T) {
				checkResult(t, runCase(t, p, tc), tc)
			})
		}
		if unmatched == "" {
			for name, want := range cases.RoutesMetrics {
				if got := hosttest.Metric(t, p, name); got.Value != want {
					t.Errorf("%s = %d, want %d", name, got.Value, want)
				}
			}
		}
	}
}

// TestConfigurationLoggedOnce starts three VMs: the configuration is
// logged once at info, not once per VM.
func TestConfigurationLoggedOnce(t *testing.T) {
	logs := &syncbuf.Buffer{}
	newHookguardIn(t, logs, host.PluginConfig{Configuration: []byte(testConfig), Env: map[string]string{"SECRET": testSecret}, VMs: 3})
	if n := strings.Count(logs.String(), "level=INFO msg=\"hookguard: configured: routes=1"); n != 1 {
		t.Fatalf("configured at info %d times, want 1:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "hookguard: configured: routes=1"); n != 3 {
		t.Fatalf("configured %d times in all, want once per VM (at debug after the first):\n%s", n, logs.String())
	}
}

// TestGenericRoutesThroughModule runs each HMAC preset's vectors through
// the module with the preset written out as a generic "hmac" route.
func TestGenericRoutesThroughModule(t *testing.T) {
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	cfg, env := cases.GenericRouteConfig(f)
	p := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(cfg), Env: env, AllowOnHeadersStopIteration: true, VMs: 1}, fixed(f.Time()))
	for _, tc := range cases.GenericCases(f) {
		t.Run(tc.Name, func(t *testing.T) {
			checkResult(t, runCase(t, p, tc), tc)
		})
	}
}

// TestProviderLogsNeverLeak runs every provider case with every log level
// on and checks no line carries a secret, a signature or body bytes.
func TestProviderLogsNeverLeak(t *testing.T) {
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	cfg, env := cases.RouteConfig(f)
	p := newHookguardAt(t, logs, host.PluginConfig{Configuration: []byte(cfg), Env: env, AllowOnHeadersStopIteration: true, VMs: 1}, fixed(f.Time()))
	table := cases.RoutedCases(f)
	for _, tc := range table {
		runCase(t, p, tc)
	}
	out := logs.String()
	if !strings.Contains(out, "rejected request") || !strings.Contains(out, "verified request") {
		t.Fatalf("logs do not show outcomes; the check below would prove nothing:\n%s", out)
	}
	forbidden := map[string]string{}
	for _, v := range f.Vectors {
		forbidden["secret of "+v.Name] = v.Secret
	}
	for name, secret := range env {
		forbidden["secret in "+name] = secret
	}
	for _, tc := range table {
		for _, h := range tc.Header {
			if strings.Contains(h.Name, "signature") || h.Name == "x-gitlab-token" {
				if len(h.Value) >= 16 {
					forbidden["signature in "+tc.Name] = h.Value[len(h.Value)-16:]
				}
			}
		}
		if len(tc.Body) >= 24 {
			forbidden["body of "+tc.Name] = string(tc.Body[:24])
		}
	}
	for what, s := range forbidden {
		if strings.Contains(out, s) {
			t.Errorf("logs contain the %s", what)
		}
	}
}

// TestJWTThroughModule runs jose's tokens (every algorithm, the leeway
// edges, "none", algorithm confusion, tampering) through the built module.
func TestJWTThroughModule(t *testing.T) {
	f, err := cases.ReadJWT()
	if err != nil {
		t.Fatal(err)
	}
	cfg, env := cases.JWTRouteConfig(f)
	p := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(cfg), Env: env, AllowOnHeadersStopIteration: true, VMs: 1}, fixed(f.Time()))
	for _, tc := range cases.JWTCases(f) {
		t.Run(tc.Name, func(t *testing.T) {
			checkResult(t, runCase(t, p, tc), tc)
		})
	}
}

// TestRemoteJWKSThroughModule serves a JWK Set from a local server named
// as a cluster: the module fetches it with proxy_http_call, and a token
// jose signed verifies once it has.
func TestRemoteJWKSThroughModule(t *testing.T) {
	f, err := cases.ReadJWT()
	if err != nil {
		t.Fatal(err)
	}
	idp, hosts := jwksServer(t, f.JWKS)
	cfg := `{"routes":[{"name":"api","scheme":"jwt","jwks_cluster":"idp","jwks_path":"/.well-known/jwks.json","jwks_authority":"idp.test",
		"issuer":"` + f.Issuer + `","audiences":["` + f.Audience + `"],"leeway_seconds":30}]}`
	p := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(cfg), AllowOnHeadersStopIteration: true, VMs: 2,
		Clusters: map[string]string{"idp": idp.URL}}, fixed(f.Time()))
	token := ""
	for _, v := range f.Vectors {
		if v.Name == "ES256/valid" {
			token = v.Token
		}
	}
	req := &host.Request{Header: host.Header{{Key: ":method", Value: "GET"}, {Key: ":path", Value: "/api"}, {Key: ":authority", Value: "api.test"},
		{Key: "authorization", Value: "Bearer " + token}}}
	deadline := time.Now().Add(20 * time.Second) // a start-up wait, not a speed check
	for passed := 0; passed < 4; {               // both VMs, twice each: every VM fetched
		out, _ := hosttest.Handle(t, p, req)
		switch {
		case out.LocalResponse == nil:
			passed++
		case out.LocalResponse.Status != 503:
			t.Fatalf("status %d before or after the JWK Set arrived, want 503 or through", out.LocalResponse.Status)
		case time.Now().After(deadline):
			t.Fatal("the JWK Set never arrived")
		default:
			passed = 0
			time.Sleep(50 * time.Millisecond)
		}
	}
	if _, ok := hosts.Load("idp.test /.well-known/jwks.json"); !ok {
		t.Fatal("the JWK Set was not asked for with the configured authority and path")
	}
}

// TestAdversarial runs SECURITY.md's attack matrix through the module: no
// variant of a signature passes unless it is the valid one.
func TestAdversarial(t *testing.T) {
	cfg := host.PluginConfig{Configuration: []byte(strings.Replace(cases.RoutesConfig, "%s", "", 1)),
		Env: cases.RoutesEnv(testSecret), AllowOnHeadersStopIteration: true, VMs: 1}
	p := newHookguardAt(t, nil, cfg, fixed(cases.RoutesTime))
	for _, tc := range cases.Adversarial(testSecret) {
		t.Run(tc.Name, func(t *testing.T) {
			checkResult(t, runCase(t, p, tc), tc)
		})
	}
}

// TestPubSubKeysFetched: a gcp-pubsub route fetches the provider's JWK
// Set through its cluster, at Google's path and authority by default (a
// local server stands in, serving the set jose signed the tokens with):
// until it has, and while the key server is down, the route answers 503
// (fail closed); once fetched, only the route's service account passes.
func TestPubSubKeysFetched(t *testing.T) {
	f, err := cases.ReadJWT()
	if err != nil {
		t.Fatal(err)
	}
	google, asked := jwksServer(t, f.JWKS)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // a key server that refuses connections
	route := `{"routes":[{"name":"ps","scheme":"gcp-pubsub","jwks_cluster":"google","audiences":["` + f.PubSub.Audience +
		`"],"require_claims":{"email":"` + f.PubSub.Email + `"}}]}`
	tokens := map[string]string{}
	for _, v := range f.PubSub.Vectors {
		tokens[v.Name] = v.Token
	}
	push := func(p *host.Plugin, token string) int {
		req := &host.Request{Header: host.Header{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/push"},
			{Key: ":authority", Value: "hooks.example.test"}, {Key: "authorization", Value: "Bearer " + token}}}
		out, _ := hosttest.Handle(t, p, req)
		if out.LocalResponse == nil {
			return 200
		}
		return out.LocalResponse.Status
	}
	offline := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(route), AllowOnHeadersStopIteration: true, VMs: 1,
		Clusters: map[string]string{"google": down.URL}}, fixed(f.Time()))
	if status := push(offline, tokens["gcp-pubsub/valid"]); status != 503 {
		t.Fatalf("key server down: %d, want 503", status)
	}
	p := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(route), AllowOnHeadersStopIteration: true, VMs: 1,
		Clusters: map[string]string{"google": google.URL}}, fixed(f.Time()))
	deadline := time.Now().Add(20 * time.Second) // a start-up wait, not a speed check
	for push(p, tokens["gcp-pubsub/valid"]) != 200 {
		if time.Now().After(deadline) {
			t.Fatal("the JWK Set never arrived")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status := push(p, tokens["gcp-pubsub/another service account"]); status != 401 {
		t.Fatalf("another service account: %d, want 401", status)
	}
	if _, ok := asked.Load("www.googleapis.com /oauth2/v3/certs"); !ok {
		t.Fatal("the JWK Set was not asked for at Google's authority and path")
	}
}

// jwksServer serves jwks, as an identity provider does, and records each
// "authority path" it was asked for.
func jwksServer(t *testing.T, jwks []byte) (*httptest.Server, *sync.Map) {
	asked := &sync.Map{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Store(r.Host+" "+r.URL.Path, true)
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	t.Cleanup(srv.Close)
	return srv, asked
}
