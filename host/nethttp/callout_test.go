package nethttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
)

// calloutMiddleware serves host/testdata/callout_probe.wasm — a module
// that stops a request (or response), calls out, and answers or resumes
// it from proxy_on_http_call_response, as the Go SDK's http_auth_random
// does — with its cluster "up" answering after delay, in front of an app
// that counts its requests. AllowOnHeadersStopIteration is false, Envoy's
// default: no later callback of the stream's own comes.
func calloutMiddleware(t *testing.T, delay, bodyTimeout time.Duration) (srv *httptest.Server, appCalls *int) {
	t.Helper()
	wasm, err := os.ReadFile("../testdata/callout_probe.wasm")
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "denied by up")
	}))
	t.Cleanup(up.Close)
	ctx := context.Background()
	mw, err := nethttp.NewMiddleware(ctx, wasm, nethttp.Config{
		Plugin: host.PluginConfig{VMs: 1, Clusters: map[string]string{"up": up.URL}},
		Limits: nethttp.Limits{BodyTimeout: bodyTimeout},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mw.Close(ctx) })
	calls := new(int)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*calls++
		w.Header().Set("X-Seen-Callout", r.Header.Get("X-Callout"))
		io.WriteString(w, "app")
	})
	srv = httptest.NewServer(mw.Handler(app))
	t.Cleanup(srv.Close)
	return srv, calls
}

func postProbe(t *testing.T, url string) (*http.Response, string, time.Duration) {
	t.Helper()
	start := time.Now()
	resp, err := http.Post(url, "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), time.Since(start)
}

// TestCalloutThroughMiddleware: what the module does from the callout's
// response is what the client gets — a local reply, or the request going
// on to the app — not a 500 for a stalled stream; and a response the
// module holds for a callout goes out once resumed.
func TestCalloutThroughMiddleware(t *testing.T) {
	srv, calls := calloutMiddleware(t, 50*time.Millisecond, 5*time.Second)
	resp, body, _ := postProbe(t, srv.URL+"/l")
	if resp.StatusCode != 403 || body != "denied by up" || *calls != 0 {
		t.Fatalf("local reply from the callback: %d %q, app called %d times", resp.StatusCode, body, *calls)
	}
	resp, body, _ = postProbe(t, srv.URL+"/c")
	if resp.StatusCode != 200 || body != "app" || resp.Header.Get("X-Seen-Callout") != "resumed" || *calls != 1 {
		t.Fatalf("continued from the callback: %d %q (app saw x-callout %q), app called %d times",
			resp.StatusCode, body, resp.Header.Get("X-Seen-Callout"), *calls)
	}
	resp, body, _ = postProbe(t, srv.URL+"/r")
	if resp.StatusCode != 200 || body != "app" || resp.Header.Get("X-Callout") != "resumed" {
		t.Fatalf("response resumed from the callback: %d %q, x-callout %q", resp.StatusCode, body, resp.Header.Get("X-Callout"))
	}
	resp, _, _ = postProbe(t, srv.URL+"/p")
	if resp.StatusCode != 500 {
		t.Fatalf("stopped with nothing to resume it: %d, want 500", resp.StatusCode)
	}
}

// TestCalloutWaitIsBounded: a callout slower than the body timeout is not
// waited out; the request fails closed at the timeout, the app is never
// called, and the callout is cancelled with the stream.
func TestCalloutWaitIsBounded(t *testing.T) {
	srv, calls := calloutMiddleware(t, 3*time.Second, 300*time.Millisecond)
	resp, _, took := postProbe(t, srv.URL+"/c")
	if resp.StatusCode != 500 || *calls != 0 {
		t.Fatalf("past the body timeout: %d, app called %d times", resp.StatusCode, *calls)
	}
	if took > 2*time.Second {
		t.Fatalf("answered after %v, past the 300 ms body timeout", took)
	}
}
