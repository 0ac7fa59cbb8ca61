package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
)

// TestSourceCIDRsThroughMiddleware runs allow-lists through the module in
// the host: the middleware passes the connection's address as Envoy's
// source.address.
func TestSourceCIDRsThroughMiddleware(t *testing.T) {
	body := []byte(`{"event":"allow"}`)
	for _, tc := range []struct {
		cidr string
		want int
	}{{"127.0.0.0/8", 200}, {"10.0.0.0/8", 403}, {"::1/128", 403}} {
		t.Run(tc.cidr, func(t *testing.T) {
			ctx := context.Background()
			cfg := `{"routes":[{"name":"r","secrets":[{"env":"SECRET"}],"source_cidrs":["` + tc.cidr + `"]}]}`
			mw, err := nethttp.NewMiddleware(ctx, moduleBytes(t), nethttp.Config{Module: testModuleConfig(),
				Plugin: host.PluginConfig{Configuration: []byte(cfg), Env: map[string]string{"SECRET": testSecret}, AllowOnHeadersStopIteration: true, VMs: 1}})
			if err != nil {
				t.Fatal(err)
			}
			defer mw.Close(ctx)
			srv := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
			defer srv.Close()
			req, _ := http.NewRequest("POST", strings.Replace(srv.URL, "localhost", "127.0.0.1", 1), bytes.NewReader(body))
			req.Header.Set("X-Pipes-Signature", verify.SignPipes([]byte(testSecret), body))
			req.Header.Set("X-Forwarded-For", "10.1.2.3") // ignored: no trusted hops
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("got %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

// TestHeaderMapOverTheLimits: with more header fields than the ABI's map
// carries, the host gives the module an empty map, as Envoy does; the
// filter answers 431 headers_too_large, not missing_signature.
func TestHeaderMapOverTheLimits(t *testing.T) {
	p := newHookguardIn(t, nil, host.PluginConfig{Configuration: []byte(testConfig), Env: map[string]string{"SECRET": testSecret},
		AllowOnHeadersStopIteration: true, VMs: 1})
	body := []byte(`{"many":"headers"}`)
	h := host.Header{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/"}, {Key: "x-pipes-signature", Value: verify.SignPipes([]byte(testSecret), body)}}
	for i := range 1100 {
		h = append(h, host.HeaderField{Key: "x-filler", Value: strings.Repeat("f", i%7)})
	}
	out, _ := hosttest.Handle(t, p, &host.Request{Header: h, Body: bytes.NewReader(body)})
	if out.LocalResponse == nil || out.LocalResponse.Status != 431 || out.LocalResponse.Details != "hookguard_headers_too_large" {
		t.Fatalf("got %+v", out.LocalResponse)
	}
	if n, _ := p.Metrics().Value("hookguard.requests_rejected.route=_unmatched.reason=headers_too_large"); n != 1 {
		t.Fatalf("counted %d", n)
	}
}
