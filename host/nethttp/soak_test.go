package nethttp_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/httpserver"
	"github.com/hookguard/hookguard/host/nethttp"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// TestSoak sends mixed traffic through the built module over loopback:
// valid, forged, oversized, stalled and abandoned requests from several
// clients at once. Every request gets its one correct answer, and after
// it the goroutines, the VMs and the heap are back where they started. It
// runs 3 s in make test; HOOKGUARD_SOAK=2m runs it for longer.
func TestSoak(t *testing.T) {
	duration := 3 * time.Second
	if v := os.Getenv("HOOKGUARD_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("HOOKGUARD_SOAK: %v", err)
		}
		duration = d
	}
	const secret, maxBody = "soak-secret-0123456789abcdef0123", 64 << 10
	ctx := context.Background()
	mw, err := nethttp.NewMiddleware(ctx, testwasm.Module(t), nethttp.Config{
		Module: host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()},
		Plugin: host.PluginConfig{
			Configuration:               []byte(`{"secret_env":"S","max_body_bytes":` + strconv.Itoa(maxBody) + `}`),
			Env:                         map[string]string{"S": secret},
			AllowOnHeadersStopIteration: true, VMs: 2,
		},
		Limits: nethttp.Limits{BodyTimeout: 300 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mw.Close(ctx)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) }))}
	go httpserver.Serve(srv, ln)
	defer srv.Close()
	addr := ln.Addr().String()
	url := "http://" + addr + "/webhook"

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 10 * time.Second}
	send := func(body []byte, sig string, chunked bool) (int, []byte, error) {
		var r io.Reader = bytes.NewReader(body)
		if chunked {
			r = struct{ io.Reader }{r}
		}
		req, _ := http.NewRequest(http.MethodPost, url, r)
		if sig != "" {
			req.Header.Set("X-Pipes-Signature", sig)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	// A round of each kind, so that pools, VMs and connections exist
	// before the baseline is taken.
	warm := []byte("warm")
	send(warm, hosttest.SignPipes([]byte(secret), warm), false)
	baseGoroutines, baseHeap := settle()
	baseVMs := mw.Plugin().LiveVMs()

	var counts [6]atomic.Int64 // by kind
	kinds := []string{"valid", "forged", "unsigned", "oversized", "stalled", "abandoned"}
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	end := time.Now().Add(duration)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for time.Now().Before(end) {
				kind := rng.IntN(len(kinds))
				if err := soakOne(kinds[kind], rng, addr, secret, maxBody, send); err != nil {
					select {
					case errs <- fmt.Errorf("%s: %w", kinds[kind], err):
					default:
					}
					return
				}
				counts[kind].Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var summary []string
	for i, k := range kinds {
		summary = append(summary, fmt.Sprintf("%s %d", k, counts[i].Load()))
		if counts[i].Load() == 0 {
			t.Errorf("no %s request was sent", k)
		}
	}
	t.Logf("over %v: %s", duration, strings.Join(summary, ", "))

	client.CloseIdleConnections()
	goroutines, heap := settle()
	if goroutines > baseGoroutines+4 {
		t.Errorf("goroutines: %d after, %d before", goroutines, baseGoroutines)
	}
	if vms := mw.Plugin().LiveVMs(); vms != baseVMs {
		t.Errorf("live VMs: %d after, %d before", vms, baseVMs)
	}
	if heap > baseHeap+16<<20 {
		t.Errorf("heap in use: %d MiB after, %d MiB before", heap>>20, baseHeap>>20)
	}
}

// soakOne sends one request of kind and checks its answer.
func soakOne(kind string, rng *rand.Rand, addr, secret string, maxBody int, send func([]byte, string, bool) (int, []byte, error)) error {
	body := make([]byte, rng.IntN(8<<10))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	expect := func(status int, got int, echoed []byte, err error) error {
		switch {
		case err != nil:
			return err
		case got != status:
			return fmt.Errorf("status %d, want %d", got, status)
		case status == 200 && !bytes.Equal(echoed, body):
			return fmt.Errorf("the upstream got %d bytes, not the %d sent", len(echoed), len(body))
		}
		return nil
	}
	switch kind {
	case "valid":
		st, b, err := send(body, hosttest.SignPipes([]byte(secret), body), rng.IntN(2) == 0)
		return expect(200, st, b, err)
	case "forged":
		st, b, err := send(body, hosttest.SignPipes([]byte("not-"+secret), body), rng.IntN(2) == 0)
		return expect(401, st, b, err)
	case "unsigned":
		st, b, err := send(body, "", false)
		return expect(401, st, b, err)
	case "oversized":
		body = make([]byte, maxBody+1+rng.IntN(maxBody))
		st, b, err := send(body, hosttest.SignPipes([]byte(secret), body), rng.IntN(2) == 0)
		return expect(413, st, b, err)
	case "stalled", "abandoned":
		// Half a body, then silence (408 when the body timeout passes) or
		// a client that goes away.
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: x\r\nX-Pipes-Signature: %s\r\nContent-Length: %d\r\n\r\n%s",
			strings.Repeat("ab", 32), len(body)+10, body[:len(body)/2])
		if kind == "abandoned" {
			return nil
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		status := make([]byte, 12)
		if _, err := io.ReadFull(c, status); err != nil {
			return err
		}
		if string(status) != "HTTP/1.1 408" {
			return fmt.Errorf("answered %q, want 408", status)
		}
	}
	return nil
}

// settle waits for finished requests' goroutines to end and returns the
// goroutine count and the heap in use after a collection.
func settle() (int, uint64) {
	var n int
	for range 50 {
		n = runtime.NumGoroutine()
		time.Sleep(20 * time.Millisecond)
		if runtime.NumGoroutine() == n {
			break
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return n, ms.HeapInuse
}
