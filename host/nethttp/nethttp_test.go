package nethttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
)

// probe is host/testdata's TinyGo-shaped probe module: the first letter of
// the path picks what it does.
func probe(t *testing.T) *nethttp.Middleware {
	t.Helper()
	wasm, err := os.ReadFile("../testdata/probe_tinygo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mw, err := nethttp.NewMiddleware(ctx, wasm, nethttp.Config{Plugin: host.PluginConfig{Name: "probe", VMs: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mw.Close(ctx) })
	return mw
}

func TestMiddleware(t *testing.T) {
	var seen http.Header
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-App", "1")
		io.WriteString(w, "app:"+string(body))
	})
	srv := httptest.NewServer(probe(t).Handler(app))
	defer srv.Close()

	for _, tc := range []struct {
		name, path    string
		wantStatus    int
		wantBody      string
		wantAppHdr    string // a header the module added, as the app saw it
		appMustNotRun bool
	}{
		{name: "passes through", path: "/c", wantStatus: 200, wantBody: "app:hello"},
		{name: "module adds a request header", path: "/h", wantStatus: 200, wantBody: "app:hello", wantAppHdr: "added"},
		{name: "local reply from request headers", path: "/r", wantStatus: 403, wantBody: "denied", appMustNotRun: true},
		{name: "local reply from response headers", path: "/e", wantStatus: 502, wantBody: "bad upstream"},
		{name: "trap fails closed", path: "/t", wantStatus: 503, appMustNotRun: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			resp, err := http.Post(srv.URL+tc.path, "text/plain", strings.NewReader("hello"))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || (tc.wantBody != "" && string(body) != tc.wantBody) {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
			if tc.appMustNotRun && seen != nil {
				t.Fatal("the app ran")
			}
			if tc.wantAppHdr != "" && seen.Get("X-Probe") != tc.wantAppHdr {
				t.Fatalf("app saw X-Probe %q, want %q", seen.Get("X-Probe"), tc.wantAppHdr)
			}
		})
	}
}
