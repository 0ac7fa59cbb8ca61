package plugin_test

import (
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/internal/plugin"
	"github.com/hookguard/hookguard/filter/internal/proxywasm/proxytest"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pairs"
	"github.com/hookguard/hookguard/internal/testing/cases"
)

// TestSourceCIDRs checks allow-lists against the connection's address and,
// with trusted hops, X-Forwarded-For: a client cannot talk its way in by
// sending its own X-Forwarded-For.
func TestSourceCIDRs(t *testing.T) {
	const cidrs = `"source_cidrs":["192.30.252.0/22","2a0a:a440::/29","203.0.113.7"]`
	body := []byte(`{"zen":"allow-listed"}`)
	sig := verify.SignPipes([]byte(testSecret), body)
	for _, tc := range []struct {
		name, extra, source, xff, sig string
		want                          int // 0: let through
	}{
		{"inside", "", "192.30.252.10:5555", "", sig, 0},
		{"outside", "", "10.0.0.1:5555", "", sig, 403},
		{"a bare address", "", "203.0.113.7:1", "", sig, 0},
		{"next to a bare address", "", "203.0.113.8:1", "", sig, 403},
		{"IPv6 inside", "", "[2a0a:a440::1]:443", "", sig, 0},
		{"IPv4-mapped IPv6", "", "[::ffff:192.30.252.10]:443", "", sig, 0},
		{"no port", "", "192.30.252.10", "", sig, 0},
		{"an unparsable source", "", "unix:/tmp/s", "", sig, 403},
		{"inside but forged", "", "192.30.252.10:5555", "", "00", 401},
		{"X-Forwarded-For ignored without trusted hops", "", "10.0.0.1:5555", "192.30.252.10", sig, 403},
		{"one hop: the entry the proxy appended", `,"trusted_proxy_hops":1`, "10.0.0.1:5555", "192.30.252.10", sig, 0},
		{"one hop: a spoofed entry before it", `,"trusted_proxy_hops":1`, "10.0.0.1:5555", "192.30.252.10, 10.9.9.9", sig, 403},
		{"one hop: the spoof is not the trusted entry", `,"trusted_proxy_hops":1`, "10.0.0.1:5555", "192.30.252.10, 203.0.113.7", sig, 0},
		{"one hop: no X-Forwarded-For", `,"trusted_proxy_hops":1`, "192.30.252.10:5555", "", sig, 403},
		{"one hop: garbage", `,"trusted_proxy_hops":1`, "10.0.0.1:5555", "not-an-ip", sig, 403},
		{"two hops", `,"trusted_proxy_hops":2`, "10.0.0.1:5555", "192.30.252.10, 10.1.1.1", sig, 0},
		{"two hops, one entry", `,"trusted_proxy_hops":2`, "10.0.0.1:5555", "192.30.252.10", sig, 403},
		{"detect mode lets it through", `,"mode":"detect"`, "10.0.0.1:5555", "", sig, 0},
		{"off mode still checks the source", `,"mode":"off"`, "10.0.0.1:5555", "", "", 403},
		{"off mode, inside, unsigned", `,"mode":"off"`, "192.30.252.1:5555", "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := `{"routes":[{"name":"gh","secrets":[{"env":"S"}],` + cidrs + tc.extra + `}]}`
			h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(cfg), Env: map[string]string{"S": testSecret},
				Now: time.Now, Properties: map[string]string{"source.address": tc.source}})
			defer h.Close()
			if !ok {
				t.Fatalf("start: %v", h.Logs())
			}
			header := []pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/"}, {Key: ":authority", Value: "h"},
				{Key: "x-pipes-signature", Value: tc.sig}}
			if tc.xff != "" {
				header = append(header, pairs.Pair{Key: "x-forwarded-for", Value: tc.xff})
			}
			s := h.NewStream()
			if s.Headers(header, false); s.Local == nil {
				s.Body(body, true)
			}
			s.Done()
			switch {
			case tc.want == 0 && (s.Local != nil || !s.Continued):
				t.Fatalf("not let through: %+v", s.Local)
			case tc.want != 0 && (s.Local == nil || s.Local.Status != tc.want):
				t.Fatalf("got %+v, want %d", s.Local, tc.want)
			}
		})
	}
	for _, bad := range []string{`"source_cidrs":["10.0.0.0/33"]`, `"source_cidrs":["nope"]`, `"trusted_proxy_hops":1`, `"source_cidrs":["10.0.0.0/8"],"trusted_proxy_hops":-1`} {
		h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(`{"routes":[{"name":"r","secrets":[{"env":"S"}],` + bad + `}]}`),
			Env: map[string]string{"S": testSecret}})
		h.Close()
		if ok {
			t.Errorf("started with %s", bad)
		}
	}
}

// TestJWTCases runs jose's tokens through a jwt route natively.
func TestJWTCases(t *testing.T) {
	f, err := cases.ReadJWT()
	if err != nil {
		t.Fatal(err)
	}
	cfg, env := cases.JWTRouteConfig(f)
	h := start(t, cfg, env, f.Time())
	for _, tc := range cases.JWTCases(f) {
		t.Run(tc.Name, func(t *testing.T) {
			if err := tc.Check(run(h, tc, "api.test")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRemoteJWKS fetches a jwt route's JWK Set with an HTTP call on the
// root context's timer: 503 until it arrives, then tokens verify; a failed
// refresh keeps the keys.
func TestRemoteJWKS(t *testing.T) {
	f, err := cases.ReadJWT()
	if err != nil {
		t.Fatal(err)
	}
	cfg := `{"routes":[{"name":"api","scheme":"jwt","jwks_cluster":"idp","jwks_path":"/keys","jwks_authority":"idp.test",
		"issuer":"` + f.Issuer + `","audiences":["` + f.Audience + `"],"leeway_seconds":30,"jwks_refresh_seconds":60}]}`
	now := f.Time()
	h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(cfg), Now: func() time.Time { return now }})
	defer h.Close()
	if !ok || h.TickPeriod <= 0 {
		t.Fatalf("start: %v, tick period %v", h.Logs(), h.TickPeriod)
	}
	token := ""
	for _, v := range f.Vectors {
		if v.Name == "RS256/valid" {
			token = v.Token
		}
	}
	send := func() *proxytest.Stream {
		s := h.NewStream()
		s.Headers([]pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/"}, {Key: "authorization", Value: "Bearer " + token}}, true)
		s.Done()
		return s
	}
	if s := send(); s.Local == nil || s.Local.Status != 503 {
		t.Fatalf("before the keys arrive: %+v", s.Local)
	}
	h.Tick()
	if len(h.Calls) != 1 || h.Calls[0].Cluster != "idp" {
		t.Fatalf("calls %+v", h.Calls)
	}
	got := map[string]string{}
	for _, p := range h.Calls[0].Header {
		got[p.Key] = p.Value
	}
	if got[":method"] != "GET" || got[":path"] != "/keys" || got[":authority"] != "idp.test" {
		t.Fatalf("call headers %v", got)
	}
	h.Tick() // a call in flight is not repeated
	if len(h.Calls) != 1 {
		t.Fatalf("%d calls while one is in flight", len(h.Calls))
	}
	h.RespondHTTPCall(1, 200, f.JWKS)
	if s := send(); s.Local != nil || !s.Continued {
		t.Fatalf("after the keys arrived: %+v", s.Local)
	}
	h.Tick()
	if len(h.Calls) != 1 {
		t.Fatal("refetched before jwks_refresh_seconds")
	}
	now = now.Add(61 * time.Second)
	for i, resp := range []struct {
		status int
		body   string
	}{{500, "oops"}, {200, "not json"}, {0, ""}} {
		now = now.Add(11 * time.Second)
		h.Tick()
		if len(h.Calls) != 2+i {
			t.Fatalf("refresh %d: %d calls", i, len(h.Calls))
		}
		h.RespondHTTPCall(h.Calls[len(h.Calls)-1].Token, resp.status, []byte(resp.body))
		if s := send(); s.Local != nil {
			t.Fatalf("a failed refresh (%d) lost the keys: %+v", resp.status, s.Local)
		}
	}
}
