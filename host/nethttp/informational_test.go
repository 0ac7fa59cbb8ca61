package nethttp_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
	"github.com/hookguard/hookguard/internal/testing/rawhttp"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
	"github.com/hookguard/hookguard/internal/upstream"
)

// informationalSecret signs the Standard Webhooks deliveries below.
var informationalSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("informational-test-secret-0123456789"))

// informationalConfig de-duplicates deliveries: a delivery the upstream
// accepted (a 2xx the module saw as the final status) is answered as a
// duplicate after that, and never passed on again.
const informationalConfig = `{"routes":[{"name":"sw","scheme":"standard-webhooks","secrets":[{"id":"k","env":"SW_SECRET"}],
	"dedupe":{"window_seconds":3600,"in_flight_seconds":30}}]}`

// informationalFront serves next behind the built hookguard module with
// informationalConfig.
func informationalFront(t *testing.T, next http.Handler) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	mw, err := nethttp.NewMiddleware(ctx, testwasm.Module(t), nethttp.Config{
		Module: host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()},
		Plugin: host.PluginConfig{
			Configuration:               []byte(informationalConfig),
			Env:                         map[string]string{"SW_SECRET": informationalSecret},
			AllowOnHeadersStopIteration: true,
			VMs:                         1,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mw.Close(ctx) })
	srv := httptest.NewServer(mw.Handler(next))
	t.Cleanup(srv.Close)
	return srv
}

// delivery is a signed Standard Webhooks delivery id to base+path, asking
// 100-continue if expect.
func delivery(t *testing.T, base, path, id string, expect bool) (*http.Request, []byte) {
	t.Helper()
	body := []byte(`{"type":"invoice.paid","delivery":"` + id + `"}`)
	req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Webhook-Id", id)
	if err := hosttest.SignHTTP("standard-webhooks", informationalSecret, req, body, time.Now()); err != nil {
		t.Fatal(err)
	}
	if expect {
		req.Header.Set("Expect", "100-continue")
	}
	return req, body
}

// interim is a 1xx response a client saw before the final one.
type interim struct {
	code   int
	header textproto.MIMEHeader
}

// tracedResponse is a final response with what came before it.
type tracedResponse struct {
	status  int
	header  http.Header
	body    string
	interim []interim
}

func (r tracedResponse) interimCodes() []int {
	var codes []int
	for _, i := range r.interim {
		codes = append(codes, i.code)
	}
	return codes
}

// expectingClient waits up to a minute for 100 Continue before it sends a
// body it announced with Expect: 100-continue: a test that gets its answer
// quickly was answered, not timed out.
func expectingClient() *http.Client {
	return &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}, Timeout: 30 * time.Second}
}

// doTraced sends req and records the 1xx responses before the final one.
func doTraced(t *testing.T, c *http.Client, req *http.Request) tracedResponse {
	t.Helper()
	var mu sync.Mutex
	var seen []interim
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, interim{code, h})
		return nil
	}}
	resp, err := c.Do(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return tracedResponse{status: resp.StatusCode, header: resp.Header, body: string(b), interim: seen}
}

// TestInformationalFromHandler: a handler's 1xx is not its final status.
// 103 Early Hints goes to the client ahead of the response, with the header
// map as it was then; a 100 Continue the handler writes is dropped (net/http
// answered the client's expectation already), and so is a 1xx after the
// final status; the module sees the 200, so the delivery counts as accepted
// and its retry is answered as a duplicate without reaching the handler.
func TestInformationalFromHandler(t *testing.T) {
	const link = "</app.css>; rel=preload; as=style"
	var calls atomic.Int64
	front := informationalFront(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/switch" {
			w.WriteHeader(http.StatusSwitchingProtocols)
			return
		}
		h := w.Header()
		h.Set("Link", link)
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusContinue)
		h.Del("Link")
		h.Set("X-App", "1")
		w.WriteHeader(http.StatusOK)
		w.WriteHeader(http.StatusEarlyHints) // too late: dropped
		w.Write(body)
	}))

	req, body := delivery(t, front.URL, "/", "msg_hints", false)
	got := doTraced(t, front.Client(), req)
	if got.status != http.StatusOK || got.body != string(body) || got.header.Get("X-App") != "1" || got.header.Get("X-Hookguard-Duplicate") != "" {
		t.Fatalf("got %d %q %v, want the handler's 200 with the body", got.status, got.body, got.header)
	}
	if codes := got.interimCodes(); !slices.Equal(codes, []int{http.StatusEarlyHints}) {
		t.Fatalf("interim responses %v, want just the 103", codes)
	}
	if l := got.interim[0].header.Get("Link"); l != link {
		t.Fatalf("103 carried Link %q, want %q", l, link)
	}
	if got.header.Get("Link") != "" {
		t.Fatal("the final response kept the Link the handler deleted")
	}

	// The module took the 200 as the final status: the delivery was
	// accepted, so its retry is a duplicate and goes no further.
	req, _ = delivery(t, front.URL, "/", "msg_hints", false)
	again := doTraced(t, front.Client(), req)
	if again.status != http.StatusOK || again.header.Get("X-Hookguard-Duplicate") == "" || len(again.interim) != 0 {
		t.Fatalf("retry: got %d, duplicate %q, interim %v; want the module's duplicate answer", again.status, again.header.Get("X-Hookguard-Duplicate"), again.interimCodes())
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the handler saw the delivery %d times, want 1", n)
	}

	// 101 is final, not informational: it goes to the module, which
	// cannot send it, and the client gets 500 as before.
	req, _ = delivery(t, front.URL, "/switch", "msg_switch", false)
	if sw := doTraced(t, front.Client(), req); sw.status != http.StatusInternalServerError || len(sw.interim) != 0 {
		t.Fatalf("101: got %d, interim %v; want 500 and nothing before it", sw.status, sw.interimCodes())
	}
}

// TestExpectContinueThroughProxy sends signed deliveries with Expect:
// 100-continue through the middleware and internal/upstream's reverse proxy
// to upstreams that answer the expectation (a net/http server, which sends
// 100 Continue when its handler reads the body, if it is asked; and one
// that writes 100 Continue itself, asked or not, with or without 103 Early
// Hints after the body). The client gets one 100 Continue (net/http's,
// when the middleware read the body), the 103 if the upstream sent one,
// and the 200; the upstream gets the delivery exactly once, without
// Expect (the body is verified and buffered: there is nothing to ask).
func TestExpectContinueThroughProxy(t *testing.T) {
	const hint = "</a.js>; rel=preload; as=script"
	type upstreamCase struct {
		name        string
		start       func(t *testing.T) (url string, count func() int64, expect func() []string)
		wantInterim []int
	}
	raw := func(early, late string) func(t *testing.T) (string, func() int64, func() []string) {
		return func(t *testing.T) (string, func() int64, func() []string) {
			u := rawhttp.Start(t, early, late)
			return "http://" + u.Addr, u.Received, u.ExpectHeaders
		}
	}
	for _, tc := range []upstreamCase{
		{"net/http upstream", func(t *testing.T) (string, func() int64, func() []string) {
			var count atomic.Int64
			var mu sync.Mutex
			var expect []string
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				expect = append(expect, r.Header.Get("Expect"))
				mu.Unlock()
				io.Copy(io.Discard, r.Body) // sends 100 Continue if asked
				count.Add(1)
				io.WriteString(w, "ok")
			}))
			t.Cleanup(up.Close)
			return up.URL, count.Load, func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(expect) }
		}, []int{100}},
		{"upstream writes 100 Continue", raw("HTTP/1.1 100 Continue\r\n\r\n", ""), []int{100}},
		{"upstream writes 100 Continue, then 103", raw("HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 103 Early Hints\r\nLink: "+hint+"\r\n\r\n"), []int{100, 103}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, count, expect := tc.start(t)
			u, _ := url.Parse(target)
			front := informationalFront(t, upstream.NewProxy(u))
			c := expectingClient()
			defer c.CloseIdleConnections()

			req, _ := delivery(t, front.URL, "/", "msg_expect", true)
			start := time.Now()
			got := doTraced(t, c, req)
			if got.status != http.StatusOK || got.body != "ok" || got.header.Get("X-Hookguard-Duplicate") != "" {
				t.Fatalf("got %d %q, want the upstream's 200 \"ok\"", got.status, got.body)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Fatalf("answered after %v: the client waited out its expectation", took)
			}
			if codes := got.interimCodes(); !slices.Equal(codes, tc.wantInterim) {
				t.Fatalf("interim responses %v, want %v", codes, tc.wantInterim)
			}
			if slices.Contains(tc.wantInterim, 103) && got.interim[1].header.Get("Link") != hint {
				t.Fatalf("the 103 carried Link %q, want the upstream's", got.interim[1].header.Get("Link"))
			}

			// The sender's retry is a duplicate: answered, not passed on.
			req, _ = delivery(t, front.URL, "/", "msg_expect", true)
			if again := doTraced(t, c, req); again.status != http.StatusOK || again.header.Get("X-Hookguard-Duplicate") == "" {
				t.Fatalf("retry: got %d, duplicate %q", again.status, again.header.Get("X-Hookguard-Duplicate"))
			}
			if n := count(); n != 1 {
				t.Fatalf("the upstream got the delivery %d times, want 1", n)
			}
			if e := expect(); !slices.Equal(e, []string{""}) {
				t.Fatalf("the upstream was sent Expect %q, want none", e)
			}
		})
	}
}

// TestExpectContinueAnsweredEarly: a request the module refuses before its
// body (no signature) gets no 100 Continue: the body is never read, so
// net/http never sends one, and its final answer comes instead, as RFC 9110
// §10.1.1 allows. A forged one is refused once its body has been read:
// net/http's 100 Continue first, then the 401. Neither reaches the upstream.
func TestExpectContinueAnsweredEarly(t *testing.T) {
	var count atomic.Int64
	front := informationalFront(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
	}))
	c := expectingClient()
	defer c.CloseIdleConnections()

	unsigned, _ := http.NewRequest(http.MethodPost, front.URL+"/", strings.NewReader(`{"type":"x"}`))
	unsigned.Header.Set("Expect", "100-continue")
	if got := doTraced(t, c, unsigned); got.status != http.StatusUnauthorized || len(got.interim) != 0 {
		t.Fatalf("unsigned: got %d, interim %v; want 401 and no 100 Continue", got.status, got.interimCodes())
	}

	forged, _ := delivery(t, front.URL, "/", "msg_forged", true)
	forged.Header.Set("Webhook-Signature", "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32)))
	if got := doTraced(t, c, forged); got.status != http.StatusUnauthorized || !slices.Equal(got.interimCodes(), []int{100}) {
		t.Fatalf("forged: got %d, interim %v; want 100 Continue, then 401", got.status, got.interimCodes())
	}
	if n := count.Load(); n != 0 {
		t.Fatalf("the handler ran %d times", n)
	}
}
