package plugin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/internal/plugin"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/internal/proxywasm/proxytest"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pairs"
	"github.com/hookguard/hookguard/internal/testing/cases"
)

const testSecret = "plugin-test-secret-0123456789abcdef"

// start runs the plugin natively in proxytest's host.
func start(t *testing.T, config string, env map[string]string, now time.Time) *proxytest.Host {
	t.Helper()
	clock := time.Now
	if !now.IsZero() {
		clock = func() time.Time { return now }
	}
	h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(config), Env: env, Now: clock})
	t.Cleanup(h.Close)
	if !ok {
		t.Fatalf("plugin did not start: %v", h.Logs())
	}
	return h
}

// run sends a case as a proxy would and returns what became of it.
func run(h *proxytest.Host, tc cases.Case, authority string) cases.Outcome {
	return runAnswered(h, tc, authority, 0)
}

// runAnswered is run with an upstream that answers status (0: none, the
// stream ends unanswered and the client is told 200).
func runAnswered(h *proxytest.Host, tc cases.Case, authority string, status int) cases.Outcome {
	r := tc.Request(authority)
	header := []pairs.Pair{{Key: ":method", Value: r.Method}, {Key: ":path", Value: r.Path}, {Key: ":authority", Value: r.Authority}, {Key: ":scheme", Value: r.Scheme}}
	for _, f := range tc.Header {
		header = append(header, pairs.Pair{Key: f.Name, Value: f.Value})
	}
	req := proxytest.Request{Header: header, Respond: status}
	if tc.Body != nil || tc.Trailers {
		req.Body = tc.BodyReader()
	}
	if tc.Trailers {
		req.Trailers = []pairs.Pair{{Key: "x-trailer", Value: "done"}}
	}
	s := h.Run(req)
	if s.Local != nil {
		return cases.Outcome{Status: s.Local.Status, Body: s.Local.Body, Values: values(s.Local.Header)}
	}
	if !s.Continued {
		return cases.Outcome{Status: 0, Values: values(nil)} // held with no verdict
	}
	return cases.Outcome{Status: max(status, 200), Upstream: true, Body: s.UpstreamBody, Values: values(s.UpstreamHeader)}
}

func values(h []pairs.Pair) func(string) []string {
	return func(name string) []string {
		var out []string
		for _, p := range h {
			if p.Key == name {
				out = append(out, p.Value)
			}
		}
		return out
	}
}

func TestPipesCases(t *testing.T) {
	const maxBody = 64 << 10
	h := start(t, `{"secret_env":"S","max_body_bytes":65536}`, map[string]string{"S": testSecret}, time.Time{})
	for _, tc := range cases.Pipes([]byte(testSecret), maxBody) {
		t.Run(tc.Name, func(t *testing.T) {
			if err := tc.Check(run(h, tc, "example.test")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestProviderCases(t *testing.T) {
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	cfg, env := cases.RouteConfig(f)
	h := start(t, cfg, env, f.Time())
	for _, tc := range cases.RoutedCases(f) {
		t.Run(tc.Name, func(t *testing.T) {
			if err := tc.Check(run(h, tc, "")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRoutesAndModes(t *testing.T) {
	for _, unmatched := range []string{"", "reject", "allow"} {
		extra := ""
		if unmatched != "" {
			extra = `,"unmatched":"` + unmatched + `"`
		}
		h := start(t, strings.Replace(cases.RoutesConfig, "%s", extra, 1), cases.RoutesEnv(testSecret), cases.RoutesTime)
		for _, tc := range cases.Routes(testSecret, unmatched) {
			t.Run(unmatched+"/"+tc.Name, func(t *testing.T) {
				if err := tc.Check(run(h, tc, "example.test")); err != nil {
					t.Fatal(err)
				}
			})
		}
		if unmatched == "" {
			for name, want := range cases.RoutesMetrics {
				if got, _ := h.Metric(name); got != want {
					t.Errorf("%s = %d, want %d", name, got, want)
				}
			}
		}
		h.Close()
	}
}

// TestConfigurationFailsStart checks every way the configuration can be
// wrong fails plugin start and is counted, and that the logs never carry a
// secret.
func TestConfigurationFailsStart(t *testing.T) {
	for _, tc := range []struct{ name, config, inLog string }{
		{"empty", ``, "configuration is empty"},
		{"truncated", `{"secret_env":`, "ends early"},
		{"env unset", `{"routes":[{"name":"a","scheme":"stripe","secrets":[{"env":"NOPE"}]}]}`, "unset or empty: NOPE"},
		{"inline secret in a bad field", `{"secret":"` + testSecret + `","extra":1}`, "unknown configuration field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(tc.config)})
			defer h.Close()
			if ok {
				t.Fatal("plugin started")
			}
			var text strings.Builder
			for _, l := range h.Logs() {
				text.WriteString(l.Msg + "\n")
			}
			if !strings.Contains(text.String(), tc.inLog) {
				t.Fatalf("logs do not say %q:\n%s", tc.inLog, text.String())
			}
			if strings.Contains(text.String(), testSecret[:12]) {
				t.Fatal("logs carry the secret")
			}
			if n, _ := h.Metric("hookguard.config_rejected"); n != 1 {
				t.Fatalf("config_rejected = %d, want 1", n)
			}
		})
	}
}

// TestUnconfiguredRouteFailsClosed checks a route whose optional secrets
// are all unset refuses every request with 500.
func TestUnconfiguredRouteFailsClosed(t *testing.T) {
	h := start(t, `{"routes":[{"name":"a","secrets":[{"env":"UNSET","optional":true}]}]}`, nil, time.Time{})
	tc := cases.Pipes([]byte(testSecret), 1<<20)[0]
	o := run(h, tc, "example.test")
	if o.Upstream || o.Status != 500 {
		t.Fatalf("got %d upstream %v, want 500", o.Status, o.Upstream)
	}
	if n, _ := h.Metric("hookguard.requests_rejected.route=a.reason=route_unconfigured"); n != 1 {
		t.Fatalf("route_unconfigured = %d, want 1", n)
	}
}

// TestHeadersNotHeld runs hold_headers false: headers go on at once, the
// body is still held until the verdict, and nothing is marked verified.
func TestHeadersNotHeld(t *testing.T) {
	h := start(t, `{"secret_env":"S","hold_headers":false}`, map[string]string{"S": testSecret}, time.Time{})
	for _, tc := range cases.Pipes([]byte(testSecret), 1<<20)[:6] {
		t.Run(tc.Name, func(t *testing.T) {
			r := tc.Request("example.test")
			s := h.NewStream()
			defer s.Done()
			header := []pairs.Pair{{Key: ":method", Value: r.Method}, {Key: ":path", Value: r.Path}}
			for _, f := range tc.Header {
				header = append(header, pairs.Pair{Key: f.Name, Value: f.Value})
			}
			a := s.Headers(header, false)
			if s.Local != nil {
				if tc.Upstream() {
					t.Fatalf("rejected a valid request: %d", s.Local.Status)
				}
				return
			}
			if a != proxywasm.Continue {
				t.Fatal("headers held with hold_headers false")
			}
			s.Body(tc.Body, true)
			if tc.Upstream() != (s.Local == nil) {
				t.Fatalf("verdict: local response %v, want upstream %v", s.Local, tc.Upstream())
			}
			if len(values(s.UpstreamHeader)("x-hookguard-verified")) != 0 {
				t.Fatal("marked verified after the headers went on")
			}
		})
	}
}

// TestTokenDecidedAtHeadersIsMarkedWithoutHolding checks a scheme decided
// from the headers marks the request even with hold_headers false: the
// headers have not gone on yet when it decides.
func TestTokenDecidedAtHeadersIsMarkedWithoutHolding(t *testing.T) {
	h := start(t, `{"hold_headers":false,"routes":[{"name":"t","scheme":"token","token_header":"X-Token","strip_signature_headers":true,"secrets":[{"id":"a","env":"T"}]}]}`,
		map[string]string{"T": "token-0123456789abcdef0123456789"}, time.Time{})
	tc := cases.Case{Header: []verify.Field{{Name: "x-token", Value: "token-0123456789abcdef0123456789"}}, Body: []byte("{}"),
		WantStatus: 200, WantVerified: "route=t; key=a", CheckVerified: true, WantGone: []string{"x-token"}}
	if err := tc.Check(run(h, tc, "example.test")); err != nil {
		t.Fatal(err)
	}
}

// TestGenericRoutes runs each HMAC preset's vectors through the preset
// written out as a generic "hmac" route.
func TestGenericRoutes(t *testing.T) {
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	cfg, env := cases.GenericRouteConfig(f)
	h := start(t, cfg, env, f.Time())
	table := cases.GenericCases(f)
	if len(table) < 20*4 {
		t.Fatalf("only %d generic cases", len(table))
	}
	for _, tc := range table {
		t.Run(tc.Name, func(t *testing.T) {
			if err := tc.Check(run(h, tc, "")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestHeadersCheckedBeforeDeclaredLength: docs/configuration.md's order — a request
// whose headers fail the scheme gets 401 whatever its Content-Length
// says; one whose headers pass, with a Content-Length over the cap, gets
// 413 before any body byte.
func TestHeadersCheckedBeforeDeclaredLength(t *testing.T) {
	h := start(t, `{"routes":[{"name":"a","scheme":"github","max_body_bytes":100,"secrets":[{"env":"S"}]}]}`, map[string]string{"S": testSecret}, time.Time{})
	for _, tc := range []struct {
		name   string
		header []pairs.Pair
		want   int
	}{
		{"unsigned", nil, 401},
		{"malformed signature", []pairs.Pair{{Key: "x-hub-signature-256", Value: "sha256=zz"}}, 401},
		{"well-formed signature", []pairs.Pair{{Key: "x-hub-signature-256", Value: "sha256=" + strings.Repeat("ab", 32)}}, 413},
	} {
		s := h.NewStream()
		header := append([]pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/"}, {Key: ":authority", Value: "a"},
			{Key: "content-length", Value: "1000"}}, tc.header...)
		s.Headers(header, false)
		if s.Local == nil || s.Local.Status != tc.want {
			t.Errorf("%s: got %+v, want %d at the headers", tc.name, s.Local, tc.want)
		}
		s.Done()
	}
}
