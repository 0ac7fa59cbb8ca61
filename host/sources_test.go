package host_test

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
