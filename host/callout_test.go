package host_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
	"github.com/hookguard/hookguard/internal/testing/syncbuf"
)

// The callout probe (testdata/callout_probe.wat) stops a stream and calls
// out, or starts a tick, the way SDK modules such as the Go SDK's
// http_auth_random do, and resumes or answers the stream from the root
// context's callback. With AllowOnHeadersStopIteration false, Envoy's
// default, no later callback of the stream's own comes to apply that.

// upstream is the callout probe's cluster "up".
type upstream struct {
	url       string
	started   chan struct{} // one per call that arrived
	cancelled chan struct{} // one per call whose caller went away first
}

// newUpstream starts the cluster. It answers each call 200 "from upstream"
// once release is closed, or at once if release is nil; a call whose
// caller goes away first is reported on cancelled.
func newUpstream(t *testing.T, release <-chan struct{}) *upstream {
	t.Helper()
	u := &upstream{started: make(chan struct{}, 64), cancelled: make(chan struct{}, 64)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.started <- struct{}{}
		if release != nil {
			select {
			case <-release:
			case <-r.Context().Done():
				u.cancelled <- struct{}{}
				return
			}
		}
		w.Write([]byte("from upstream"))
	}))
	t.Cleanup(srv.Close)
	u.url = srv.URL
	return u
}

// never is a release that never comes: the upstream answers no call.
func never(t *testing.T) <-chan struct{} {
	ch := make(chan struct{})
	t.Cleanup(func() { close(ch) })
	return ch
}

// startCalloutProbe starts the probe with up as its cluster "up" and a
// client of its own, whose connections end with the test.
func startCalloutProbe(t *testing.T, up *upstream, cfg host.PluginConfig) (*host.Plugin, *syncbuf.Buffer) {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	cfg.Clusters = map[string]string{"up": up.url}
	cfg.HTTPClient = &http.Client{Transport: tr}
	return startProbe(t, "callout_probe", probeOpts{plugin: cfg})
}

// handleWithin runs req on a new stream, bounded by d, and closes it. It
// returns the outcome and how long HandleRequest took.
func handleWithin(t *testing.T, p *host.Plugin, d time.Duration, req *host.Request) (*host.Outcome, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	s, err := p.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	start := time.Now()
	out, err := s.HandleRequest(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return out, time.Since(start)
}

func bodyOf(chunks ...string) *sliceReader {
	r := &sliceReader{}
	for _, c := range chunks {
		r.chunks = append(r.chunks, []byte(c))
	}
	return r
}

// within fails the test unless ch delivers within d.
func within(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("%s: nothing within %v", what, d)
	}
}

// neverCalledBack checks, for a while, that the module's
// proxy_on_http_call_response did not run.
func neverCalledBack(t *testing.T, p *host.Plugin) {
	t.Helper()
	for range 20 {
		if n := hosttest.Metric(t, p, "callout.responses").Value; n != 0 {
			t.Fatalf("proxy_on_http_call_response ran %d times for a cancelled call", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// a: the callout's response answers the stream.
func TestCalloutResponseAnswersStream(t *testing.T) {
	p, _ := startCalloutProbe(t, newUpstream(t, nil), host.PluginConfig{})
	out, took := handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader("/l"), Body: bodyOf("body")})
	lr := out.LocalResponse
	if lr == nil || lr.Status != 403 || string(lr.Body) != "from upstream" || lr.Details != "callout_denied" {
		t.Fatalf("got %+v, want the module's 403 with the callout's body", lr)
	}
	if took > 5*time.Second {
		t.Fatalf("answered after %v: the reply waited for something else", took)
	}
	if n := hosttest.Metric(t, p, "callout.responses").Value; n != 1 {
		t.Fatalf("proxy_on_http_call_response ran %d times, want 1", n)
	}
}

// b: the callout's response continues the stream, which goes on with its
// body and the header the module added from the callback.
func TestCalloutResponseContinuesStream(t *testing.T) {
	p, _ := startCalloutProbe(t, newUpstream(t, nil), host.PluginConfig{})
	out, _ := handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader("/c"), Body: bodyOf("hel", "lo")})
	if out.LocalResponse != nil {
		t.Fatalf("answered %+v, want the request to go on", out.LocalResponse)
	}
	if string(out.Body) != "hello" {
		t.Fatalf("body %q, want hello", out.Body)
	}
	if v, _ := out.Header.Get("x-callout"); v != "resumed" {
		t.Fatalf("headers %v, want x-callout: resumed", out.Header)
	}
}

// c: a callout from the response direction, resumed from its callback.
func TestCalloutFromResponseResumes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Run("waited for", func(t *testing.T) {
		// The call is held until the body is in, so that what resumes the
		// response comes while Wait waits, however the machine schedules.
		release := make(chan struct{})
		p, _ := startCalloutProbe(t, newUpstream(t, release), host.PluginConfig{})
		s := respondingStream(t, ctx, p)
		if o := s.ResponseHeaders(ctx, host.Header{{Key: ":status", Value: "200"}}, false); o.Header != nil {
			t.Fatalf("the response headers went on while the module waited: %+v", o)
		}
		if o := s.ResponseBody(ctx, []byte("resp"), true); o.Body != nil || o.End {
			t.Fatalf("the response body went on while the module waited: %+v", o)
		}
		close(release)
		out, more := s.Wait(ctx)
		checkResumedResponse(t, out)
		if more {
			t.Error("more = true with no call out and no timer")
		}
	})
	t.Run("kept for the next step", func(t *testing.T) {
		p, _ := startCalloutProbe(t, newUpstream(t, nil), host.PluginConfig{})
		s := respondingStream(t, ctx, p)
		s.ResponseHeaders(ctx, host.Header{{Key: ":status", Value: "200"}}, false)
		for hosttest.Metric(t, p, "callout.responses").Value == 0 {
			if ctx.Err() != nil {
				t.Fatal("the callout never returned")
			}
			time.Sleep(5 * time.Millisecond)
		}
		checkResumedResponse(t, s.ResponseBody(ctx, []byte("resp"), true))
	})
}

// respondingStream is a "/r" stream whose request went on.
func respondingStream(t *testing.T, ctx context.Context, p *host.Plugin) *host.Stream {
	t.Helper()
	s, err := p.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	out, err := s.HandleRequest(ctx, &host.Request{Header: probeHeader("/r")})
	if err != nil || out.LocalResponse != nil || out.Header == nil {
		t.Fatalf("request: %+v, %v", out, err)
	}
	return s
}

func checkResumedResponse(t *testing.T, out host.Output) {
	t.Helper()
	if v, _ := out.Header.Get("x-callout"); v != "resumed" {
		t.Fatalf("response headers %v, want x-callout: resumed", out.Header)
	}
	if st, _ := out.Header.Get(":status"); st != "200" {
		t.Fatalf(":status %q", st)
	}
	if string(out.Body) != "resp" || !out.End || out.LocalResponse != nil || out.Reset {
		t.Fatalf("got %+v, want the whole response", out)
	}
}

// d: a tick resumes a stopped stream.
func TestTickResumesStream(t *testing.T) {
	p, _ := startCalloutProbe(t, newUpstream(t, nil), host.PluginConfig{})
	out, _ := handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader("/k"), Body: bodyOf("tick")})
	if out.LocalResponse != nil || string(out.Body) != "tick" {
		t.Fatalf("got %+v, %q; want the request to go on", out.LocalResponse, out.Body)
	}
}

// e: a stream closed, answered or given up before its callout returns
// cancels the call; the module is not called back for it.
func TestCalloutCancelledWithItsStream(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		up := newUpstream(t, never(t))
		p, _ := startCalloutProbe(t, up, host.PluginConfig{})
		ctx := context.Background()
		s, err := p.NewStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if o := s.RequestHeaders(ctx, probeHeader("/x"), true); o.Header != nil || o.LocalResponse != nil {
			t.Fatalf("the request went on: %+v", o)
		}
		within(t, up.started, 5*time.Second, "the call")
		s.Close(ctx)
		within(t, up.cancelled, 5*time.Second, "the call's cancel")
		neverCalledBack(t, p)
	})
	t.Run("answered by the module", func(t *testing.T) {
		up := newUpstream(t, never(t))
		p, _ := startCalloutProbe(t, up, host.PluginConfig{})
		out, took := handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader("/a")})
		if lr := out.LocalResponse; lr == nil || lr.Status != 403 || string(lr.Body) != "answered" {
			t.Fatalf("got %+v, want the module's 403", lr)
		}
		if took > 5*time.Second {
			t.Fatalf("answered after %v: the reply waited for the call", took)
		}
		// Answered in the callback that called out: the call may be
		// cancelled before it leaves.
		select {
		case <-up.started:
			within(t, up.cancelled, 5*time.Second, "the call's cancel")
		case <-time.After(200 * time.Millisecond):
		}
		neverCalledBack(t, p)
	})
	t.Run("answered by the host", func(t *testing.T) {
		up := newUpstream(t, never(t))
		p, _ := startCalloutProbe(t, up, host.PluginConfig{BufferLimitBytes: 4})
		ctx := context.Background()
		s, err := p.NewStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close(ctx)
		s.RequestHeaders(ctx, probeHeader("/x"), false)
		within(t, up.started, 5*time.Second, "the call")
		// Held while the module waits, the body goes over the limit.
		if o := s.RequestBody(ctx, []byte("too large"), true); o.LocalResponse == nil || o.LocalResponse.Status != 413 {
			t.Fatalf("got %+v, want 413", o)
		}
		within(t, up.cancelled, 5*time.Second, "the call's cancel")
		neverCalledBack(t, p)
	})
	t.Run("given up", func(t *testing.T) {
		up := newUpstream(t, never(t))
		p, logs := startCalloutProbe(t, up, host.PluginConfig{})
		out, took := handleWithin(t, p, 300*time.Millisecond, &host.Request{Header: probeHeader("/x")})
		if lr := out.LocalResponse; lr == nil || lr.Status != 500 || lr.Details != "wasm_filter_stalled" {
			t.Fatalf("got %+v, want 500 wasm_filter_stalled", lr)
		}
		if took < 250*time.Millisecond {
			t.Fatalf("gave up after %v, before the context's 300 ms", took)
		}
		within(t, up.cancelled, 5*time.Second, "the call's cancel")
		neverCalledBack(t, p)
		if !strings.Contains(logs.String(), "never resumed it") {
			t.Fatalf("no stall logged: %s", logs.String())
		}
	})
}

// f: a stream that stops with no call out and no timer fails closed at
// once, as before.
func TestStopWithNothingToResumeFailsAtOnce(t *testing.T) {
	p, _ := startCalloutProbe(t, newUpstream(t, nil), host.PluginConfig{})
	for _, tc := range []struct{ name, path string }{
		{"no call, no timer", "/p"},
		{"the call returned, nothing resumed", "/i"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, took := handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader(tc.path), Body: bodyOf("x")})
			if lr := out.LocalResponse; lr == nil || lr.Status != 500 || lr.Details != "wasm_filter_stalled" {
				t.Fatalf("got %+v, want 500 wasm_filter_stalled", lr)
			}
			if took > 5*time.Second {
				t.Fatalf("took %v: it waited for the context", took)
			}
		})
	}
}

// g: an upstream slower than the call's timeout: the module is told (no
// headers) and its answer applied, within the timeout.
func TestCalloutTimeoutIsDelivered(t *testing.T) {
	up := newUpstream(t, never(t))
	p, _ := startCalloutProbe(t, up, host.PluginConfig{})
	out, took := handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader("/g")})
	lr := out.LocalResponse
	if lr == nil || lr.Status != 504 || string(lr.Body) != "callout failed" || lr.Details != "callout_failed" {
		t.Fatalf("got %+v, want the module's 504 for a failed call", lr)
	}
	if took < 150*time.Millisecond || took > 5*time.Second {
		t.Fatalf("answered after %v, want about the call's 200 ms", took)
	}
	within(t, up.cancelled, 5*time.Second, "the timed-out call's cancel")
}

// A callout's callback that traps fails the VM: the stream waiting on it
// fails closed at once, 503 wasm_fail_stream as on any failed VM, and the
// next stream gets a fresh VM.
func TestCalloutCallbackTrapFailsStream(t *testing.T) {
	p, _ := startCalloutProbe(t, newUpstream(t, nil), host.PluginConfig{})
	out, took := handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader("/t")})
	if lr := out.LocalResponse; lr == nil || lr.Status != 503 || lr.Details != "wasm_fail_stream" {
		t.Fatalf("got %+v, want 503 wasm_fail_stream", lr)
	}
	if took > 5*time.Second {
		t.Fatalf("failed after %v: it waited for the context", took)
	}
	if out, _ := handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader("/c")}); out.LocalResponse != nil {
		t.Fatalf("the next stream: %+v", out.LocalResponse)
	}
}

// The root context's own calls (hookguard's JWKS fetches) are no stream's:
// closing streams leaves them alone.
func TestRootCalloutOutlivesStreams(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, release)
	p, _ := startCalloutProbe(t, up, host.PluginConfig{Configuration: []byte("R")})
	within(t, up.started, 5*time.Second, "the root's call")
	ctx := context.Background()
	s, err := p.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.RequestHeaders(ctx, probeHeader("/x"), true)
	within(t, up.started, 5*time.Second, "the stream's call")
	s.Close(ctx)
	within(t, up.cancelled, 5*time.Second, "the stream's call's cancel")
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for hosttest.Metric(t, p, "callout.root").Value != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the root's call was never delivered")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := hosttest.Metric(t, p, "callout.responses").Value; n != 1 {
		t.Fatalf("%d calls delivered, want only the root's", n)
	}
}

// Many streams wait on their calls at once, on two VMs. (Not "/k": the
// probe has one tick for one stream.)
// TestLogCalloutRunsToItsEnd: a call made from proxy_on_log (an access log
// shipped) is not cancelled by the stream's end, as Envoy's root-owned
// call is not: it is sent, and the module is called back (and finds the
// stream gone).
func TestLogCalloutRunsToItsEnd(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, release)
	p, _ := startCalloutProbe(t, up, host.PluginConfig{})
	ctx := context.Background()
	s, err := p.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if out := s.RequestHeaders(ctx, probeHeader("/o"), true); out.Header == nil || !out.End {
		t.Fatalf("request did not go on: %+v", out)
	}
	s.Close(ctx)
	within(t, up.started, 5*time.Second, "the log's call")
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for hosttest.Metric(t, p, "callout.orphans").Value != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the log's call was never delivered")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-up.cancelled:
		t.Fatal("the log's call was cancelled")
	default:
	}
}

func TestConcurrentCallouts(t *testing.T) {
	p, _ := startCalloutProbe(t, newUpstream(t, nil), host.PluginConfig{VMs: 2})
	var wg sync.WaitGroup
	errs := make(chan string, 32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := []string{"/c", "/l", "/x", "/p"}[i%4]
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := p.NewStream(ctx)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer s.Close(context.Background())
			out, err := s.HandleRequest(ctx, &host.Request{Header: probeHeader(path), Body: bodyOf("b")})
			switch {
			case err != nil:
				errs <- err.Error()
			case path == "/c" || path == "/x":
				if out.LocalResponse != nil || string(out.Body) != "b" {
					errs <- path + ": not resumed"
				}
			case path == "/l":
				if out.LocalResponse == nil || out.LocalResponse.Status != 403 {
					errs <- path + ": not answered"
				}
			case path == "/p":
				if out.LocalResponse == nil || out.LocalResponse.Status != 500 {
					errs <- path + ": not failed closed"
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// Calls answered, cancelled and timed out, streams closed, plugins
// closed: every goroutine they started ends.
func TestCalloutsLeaveNoGoroutines(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Run("callouts", func(t *testing.T) {
		p, _ := startCalloutProbe(t, newUpstream(t, nil), host.PluginConfig{})
		for _, path := range []string{"/l", "/c", "/k", "/p", "/i"} {
			handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader(path), Body: bodyOf("b")})
		}
		slow := newUpstream(t, never(t))
		q, _ := startCalloutProbe(t, slow, host.PluginConfig{})
		handleWithin(t, q, 30*time.Second, &host.Request{Header: probeHeader("/a")})
		handleWithin(t, q, 30*time.Second, &host.Request{Header: probeHeader("/g")})
		handleWithin(t, q, 100*time.Millisecond, &host.Request{Header: probeHeader("/x")})
		// A call still out when its plugin closes.
		held := newUpstream(t, never(t))
		r, _ := startCalloutProbe(t, held, host.PluginConfig{})
		s, err := r.NewStream(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		s.RequestHeaders(context.Background(), probeHeader("/x"), true)
		within(t, held.started, 5*time.Second, "the call")
		r.Close(context.Background())
		within(t, held.cancelled, 3*time.Second, "the call's cancel as its plugin closed")
	})
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d before, %d after\n%s", base, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHandWrittenFixturesAreCurrent checks that each hand-written probe in
// testdata (a .wat that gen.py did not generate) compiles, where wabt is
// installed, to the committed .wasm.
func TestHandWrittenFixturesAreCurrent(t *testing.T) {
	if _, err := exec.LookPath("wat2wasm"); err != nil {
		t.Skip("wat2wasm not installed (apt-get install wabt); the committed fixtures are still used")
	}
	wats, _ := filepath.Glob(filepath.Join("testdata", "*.wat"))
	dir := t.TempDir()
	checked := 0
	for _, wat := range wats {
		src, err := os.ReadFile(wat)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(src, []byte(";; Generated by gen.py")) {
			continue // TestFixturesAreCurrent's
		}
		name := strings.TrimSuffix(filepath.Base(wat), ".wat") + ".wasm"
		out := filepath.Join(dir, name)
		if b, err := exec.Command("wat2wasm", wat, "-o", out).CombinedOutput(); err != nil {
			t.Fatalf("wat2wasm %s: %v\n%s", wat, err, b)
		}
		want, _ := os.ReadFile(out)
		got, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("testdata/%s is stale: run wat2wasm %s -o testdata/%s", name, wat, name)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no hand-written probe found")
	}
}

// A callout's response can resume the request at any point, even between
// the last body chunk and the host's next look at the stream: whatever
// went on must still be handed over, every time (once, HandleRequest
// returned before collecting it, and the body was lost).
func TestCalloutResumedBodyAlwaysArrives(t *testing.T) {
	u := newUpstream(t, nil)
	done := make(chan struct{})
	defer close(done)
	go func() { // the upstream reports each call; nobody here waits for it
		for {
			select {
			case <-u.started:
			case <-done:
				return
			}
		}
	}()
	p, _ := startCalloutProbe(t, u, host.PluginConfig{})
	for i := range 300 {
		out, _ := handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader("/c"), Body: bodyOf("hel", "lo")})
		if out.LocalResponse != nil || string(out.Body) != "hello" {
			t.Fatalf("request %d: answered %+v, body %q; want hello, gone on", i, out.LocalResponse, out.Body)
		}
	}
}
