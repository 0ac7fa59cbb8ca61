package nethttp_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
)

// limited serves the pass-through probe ("/c…" echoes the body) behind
// limits.
func limited(t *testing.T, limits nethttp.Limits) (*httptest.Server, *host.Metrics) {
	t.Helper()
	return limitedApp(t, limits, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) }))
}

// limitedApp serves app behind the pass-through probe and limits.
func limitedApp(t *testing.T, limits nethttp.Limits, app http.Handler) (*httptest.Server, *host.Metrics) {
	t.Helper()
	wasm, err := os.ReadFile("../testdata/probe_tinygo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mw, err := nethttp.NewMiddleware(ctx, wasm, nethttp.Config{Plugin: host.PluginConfig{Name: "probe", VMs: 2}, Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mw.Close(ctx) })
	srv := httptest.NewServer(mw.Handler(app))
	t.Cleanup(srv.Close)
	return srv, mw.Plugin().Metrics()
}

// stall opens a connection that declares a body of declared bytes, sends
// sent of them and waits; closing it ends the request.
func stall(t *testing.T, srv *httptest.Server, declared, sent int) net.Conn {
	t.Helper()
	return stallPath(t, srv, "/c", declared, sent)
}

func stallPath(t *testing.T, srv *httptest.Server, path string, declared, sent int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", path, declared, strings.Repeat("a", sent))
	return c
}

func post(t *testing.T, url string, body io.Reader) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Post(url+"/c", "text/plain", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// eventually retries f until it holds or 5 s pass.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !f(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
	}
}

// onlyReader hides bytes.Reader's length, so the request is chunked.
type onlyReader struct{ io.Reader }

func TestBodyTimeout(t *testing.T) {
	srv, metrics := limited(t, nethttp.Limits{BodyTimeout: 200 * time.Millisecond})
	c := stall(t, srv, 100, 10)
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
		t.Fatalf("got %d (close %v), want 408 and the connection closed", resp.StatusCode, resp.Close)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("answered after %v, want about the 200 ms timeout", waited)
	}
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("connection still open after 408: %v", err)
	}
	if n, _ := metrics.Value("hookguard.host.body_timeout"); n != 1 {
		t.Fatalf("hookguard.host.body_timeout = %d, want 1", n)
	}
	// A body that arrives in time is unaffected, and so is a slow upstream
	// after it: the deadline covers the body only.
	if status, body, _ := post(t, srv.URL, strings.NewReader("on time")); status != 200 || body != "on time" {
		t.Fatalf("got %d %q", status, body)
	}
}

// TestEarlyAnswerClosesAStalledBody: a module that answers before the body
// (the probe's "/r" refuses at the headers) does not leave net/http waiting
// for the rest of it past the body timeout, which would hold the
// connection forever.
func TestEarlyAnswerClosesAStalledBody(t *testing.T) {
	srv, _ := limited(t, nethttp.Limits{BodyTimeout: 300 * time.Millisecond})
	c := stallPath(t, srv, "/r", 100, 10)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("got %d, want the module's 403", resp.StatusCode)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("connection still open after the early answer: %v", err)
	}
}

// TestLimitsLetGoWhileTheUpstreamAnswers: once the module has read a body,
// the limits hold nothing for it while the upstream answers: not its place
// among MaxBodies, and not its body timeout (the request's context stays
// live past it).
func TestLimitsLetGoWhileTheUpstreamAnswers(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/chold" {
			entered <- struct{}{}
			<-release
			if err := r.Context().Err(); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		w.Write(body)
	})
	srv, _ := limitedApp(t, nethttp.Limits{MaxBodies: 1, BodyTimeout: 200 * time.Millisecond}, app)
	held := make(chan string, 1)
	go func() {
		resp, err := http.Post(srv.URL+"/chold", "text/plain", strings.NewReader("held"))
		if err != nil {
			held <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		held <- fmt.Sprintf("%d %s", resp.StatusCode, b)
	}()
	select {
	case <-entered:
	case got := <-held:
		t.Fatalf("the held request never reached the upstream: %s", got)
	case <-time.After(5 * time.Second):
		t.Fatal("the held request never reached the upstream")
	}
	if status, body, _ := post(t, srv.URL, strings.NewReader("next")); status != http.StatusOK || body != "next" {
		t.Errorf("while the first upstream answers: got %d %q, want 200: its body's place given back", status, body)
	}
	time.Sleep(400 * time.Millisecond) // past the held request's body timeout
	close(release)
	if got := <-held; got != "200 held" {
		t.Fatalf("the held request: %s, want 200 held", got)
	}
}

func TestLargeBodiesInFlight(t *testing.T) {
	srv, metrics := limited(t, nethttp.Limits{LargeBodyBytes: 1000, MaxLargeBodyBytes: 5000})
	held := stall(t, srv, 4000, 100)
	eventually(t, "the stalled body was never counted", func() bool {
		status, _, _ := post(t, srv.URL, bytes.NewReader(make([]byte, 2000)))
		return status == http.StatusServiceUnavailable
	})
	for _, tc := range []struct {
		name string
		body io.Reader
		want int
	}{
		{"a declared large body over the cap", bytes.NewReader(make([]byte, 2000)), http.StatusServiceUnavailable},
		{"a chunked body, counted as it arrives", onlyReader{bytes.NewReader(make([]byte, 3000))}, http.StatusServiceUnavailable},
		{"a small body is not counted", bytes.NewReader(make([]byte, 999)), http.StatusOK},
		{"a large body that fits", bytes.NewReader(make([]byte, 1000)), http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, h := post(t, srv.URL, tc.body)
			if status != tc.want {
				t.Fatalf("got %d, want %d", status, tc.want)
			}
			if status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
		})
	}
	if n, _ := metrics.Value("hookguard.host.overloaded"); n < 2 {
		t.Fatalf("hookguard.host.overloaded = %d, want at least 2", n)
	}
	// Every request that reached a verdict, refused or not, was timed.
	timed := false
	for _, mv := range metrics.Snapshot() {
		if mv.Name == "hookguard.host.decision_us" {
			timed = mv.Kind == host.Histogram && mv.Count >= 4 && mv.Value >= 0
		}
	}
	if !timed {
		t.Fatalf("hookguard.host.decision_us missing or short: %+v", metrics.Snapshot())
	}
	held.Close()
	eventually(t, "the stalled body's bytes were never given back", func() bool {
		status, _, _ := post(t, srv.URL, bytes.NewReader(make([]byte, 4500)))
		return status == http.StatusOK
	})
}

func TestMaxBodies(t *testing.T) {
	srv, _ := limited(t, nethttp.Limits{MaxBodies: 1})
	held := stall(t, srv, 100, 10)
	eventually(t, "the stalled body was never counted", func() bool {
		status, _, _ := post(t, srv.URL, strings.NewReader("x"))
		return status == http.StatusServiceUnavailable
	})
	resp, err := http.Get(srv.URL + "/c")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a request without a body got %d, want 200", resp.StatusCode)
	}
	held.Close()
	eventually(t, "the stalled body was never given back", func() bool {
		status, _, _ := post(t, srv.URL, strings.NewReader("x"))
		return status == http.StatusOK
	})
}

// TestLargeBodyWorkers: with one worker, large bodies take turns chunk by
// chunk; all of them arrive whole, and small ones pass beside them.
func TestLargeBodyWorkers(t *testing.T) {
	srv, _ := limited(t, nethttp.Limits{LargeBodyBytes: 1 << 10, LargeBodyWorkers: 1})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			size := 300 << 10
			if i%2 == 1 {
				size = 100 // small
			}
			want := bytes.Repeat([]byte{byte('a' + i)}, size)
			var body io.Reader = bytes.NewReader(want)
			if i%4 == 0 {
				body = onlyReader{body}
			}
			resp, err := http.Post(srv.URL+"/c", "application/octet-stream", body)
			if err != nil {
				errs <- err
				return
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Equal(got, want) {
				errs <- fmt.Errorf("request %d: %d, %d bytes back of %d", i, resp.StatusCode, len(got), size)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
