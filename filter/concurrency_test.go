package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
)

// TestInterleavedStreamsKeepStateApart drives two streams on one VM step
// by step, as Envoy interleaves them on a worker: A's body must not be
// hashed into B's check or the other way round.
func TestInterleavedStreamsKeepStateApart(t *testing.T) {
	p := newHookguardIn(t, nil, host.PluginConfig{Configuration: []byte(testConfig),
		Env: map[string]string{"SECRET": testSecret}, AllowOnHeadersStopIteration: true, VMs: 1})
	ctx := context.Background()
	bodyA, bodyB := []byte(`{"stream":"A","n":1}`), []byte(`{"stream":"B","n":2}`)
	hdr := func(sig string) host.Header {
		return host.Header{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/"}, {Key: "x-pipes-signature", Value: sig}}
	}
	a, _ := p.NewStream(ctx)
	b, _ := p.NewStream(ctx)
	defer a.Close(ctx)
	defer b.Close(ctx)
	if a.ID() == b.ID() {
		t.Fatal("two streams share a context id")
	}
	steps := []struct {
		name string
		out  host.Output
	}{
		{"A headers", a.RequestHeaders(ctx, hdr(verify.SignPipes([]byte(testSecret), bodyA)), false)},
		{"B headers", b.RequestHeaders(ctx, hdr(verify.SignPipes([]byte("wrong"), bodyB)), false)},
		{"A body 1", a.RequestBody(ctx, bodyA[:7], false)},
		{"B body 1", b.RequestBody(ctx, bodyB[:9], false)},
		{"A body 2", a.RequestBody(ctx, bodyA[7:], false)},
		{"B body 2", b.RequestBody(ctx, bodyB[9:], false)},
	}
	for _, s := range steps {
		if s.out.Header != nil || s.out.LocalResponse != nil {
			t.Fatalf("%s: decided before the end of the body: %+v", s.name, s.out)
		}
	}
	endA := a.RequestBody(ctx, nil, true)
	endB := b.RequestBody(ctx, nil, true)
	if endA.LocalResponse != nil || !endA.End || !bytes.Equal(endA.Body, bodyA) {
		t.Fatalf("A (valid) was not let through whole: %+v", endA)
	}
	if endB.LocalResponse == nil || endB.LocalResponse.Status != 401 {
		t.Fatalf("B (forged) got %+v, want 401", endB)
	}
}

// countingWriter records how many times a response was started.
type countingWriter struct {
	header http.Header
	starts atomic.Int32
	code   atomic.Int32
	body   bytes.Buffer
	mu     sync.Mutex
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(code int) {
	if w.starts.Add(1) == 1 {
		w.code.Store(int32(code))
	}
}
func (w *countingWriter) Write(p []byte) (int, error) {
	if w.starts.Load() == 0 {
		w.WriteHeader(200)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.body.Write(p)
}

// stallingBody sends half the body, then fails when the client gives up.
type stallingBody struct {
	half []byte
	ctx  context.Context
}

func (b *stallingBody) Read(p []byte) (int, error) {
	if len(b.half) > 0 {
		n := copy(p, b.half)
		b.half = b.half[n:]
		return n, nil
	}
	<-b.ctx.Done()
	return 0, errors.New("client went away")
}

// TestHammer sends thousands of concurrent requests — valid, forged,
// oversized and abandoned mid-body — through the middleware, and checks
// each gets exactly one response with the right status, and that
// goroutines and VMs return to where they started.
func TestHammer(t *testing.T) {
	const workers, perWorker = 32, 64 // 2048 requests
	baseGoroutines := runtime.NumGoroutine()
	ctx := context.Background()
	mw, err := nethttp.NewMiddleware(ctx, moduleBytes(t), nethttp.Config{
		Module: testModuleConfig(),
		Plugin: host.PluginConfig{Configuration: []byte(testConfig), Env: map[string]string{"SECRET": testSecret},
			AllowOnHeadersStopIteration: true, VMs: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	var upstream atomic.Int64
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstream.Add(1)
		io.Copy(w, r.Body)
	}))

	valid := []byte(`{"event":"hammer"}`)
	oversized := bytes.Repeat([]byte("x"), testMaxBody+1)
	sign := func(b []byte) string { return verify.SignPipes([]byte(testSecret), b) }
	var wantUpstream atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan string, workers*perWorker)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				kind := (w + i) % 4
				rctx, cancel := context.WithCancel(ctx)
				var body io.Reader
				var sig string
				want := 0
				switch kind {
				case 0: // valid
					body, sig, want = bytes.NewReader(valid), sign(valid), 200
					wantUpstream.Add(1)
				case 1: // forged
					body, sig, want = bytes.NewReader(valid), sign([]byte("other")), 401
				case 2: // oversized
					body, sig, want = bytes.NewReader(oversized), sign(oversized), 413
				case 3: // the client goes away mid-body
					body, sig, want = &stallingBody{half: valid[:5], ctx: rctx}, sign(valid), 400
					time.AfterFunc(time.Millisecond, cancel)
				}
				req := httptest.NewRequestWithContext(rctx, http.MethodPost, "/hook", body)
				req.ContentLength = -1
				req.Header.Set("X-Pipes-Signature", sig)
				rw := &countingWriter{header: http.Header{}}
				h.ServeHTTP(rw, req)
				cancel()
				if n := rw.starts.Load(); n != 1 {
					errs <- "request " + strconv.Itoa(kind) + ": " + strconv.Itoa(int(n)) + " responses"
				} else if got := int(rw.code.Load()); got != want {
					errs <- "kind " + strconv.Itoa(kind) + ": status " + strconv.Itoa(got) + ", want " + strconv.Itoa(want)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	var failures []string
	for e := range errs {
		failures = append(failures, e)
	}
	if len(failures) > 0 {
		t.Fatalf("%d of %d requests wrong, e.g. %s", len(failures), workers*perWorker, strings.Join(failures[:min(5, len(failures))], "; "))
	}
	if got, want := upstream.Load(), wantUpstream.Load(); got != want {
		t.Fatalf("upstream saw %d requests, want exactly the %d valid ones", got, want)
	}
	if n := mw.Plugin().LiveVMs(); n != 3 {
		t.Fatalf("%d live VMs, want 3", n)
	}
	if err := mw.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := mw.Plugin().LiveVMs(); n != 0 {
		t.Fatalf("%d VMs still live after Close", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseGoroutines+2 {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d before, %d after", baseGoroutines, runtime.NumGoroutine())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
