package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/testing/testredis"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

const fleetSecret = "whsec_ZmxlZXQtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ=="

// fleetConfig is one Standard Webhooks route with de-duplication.
const fleetConfig = `{"routes":[{"name":"sw","scheme":"standard-webhooks","secrets":[{"id":"k","env":"SW_SECRET"}],
	"dedupe":{"window_seconds":3600,"in_flight_seconds":30}}]}`

// startFleet starts two gateways sharing one real Redis, in front of
// upstream, on the same pinned clock.
func startFleet(t *testing.T, upstream string, now time.Time) [2]string {
	client := testredis.Start(t)
	cfg := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfg, []byte(fleetConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	var urls [2]string
	for i := range urls {
		urls[i], _ = startGatewayAt(t, map[string]string{"HOOKGUARD_CONFIG": cfg, "SW_SECRET": fleetSecret,
			"HOOKGUARD_UPSTREAM": upstream, "HOOKGUARD_REDIS_URL": testredis.URL(client)}, func() time.Time { return now })
	}
	return urls
}

// deliver sends delivery id, signed at now, to one gateway.
func deliver(t *testing.T, base, id string, now time.Time) *http.Response {
	t.Helper()
	body := []byte(`{"type":"order.paid","delivery":"` + id + `"}`)
	req := &verify.Request{Method: "POST", Path: "/", Header: []verify.Field{{Name: "webhook-id", Value: id}}}
	signed, err := verify.Sign("standard-webhooks", fleetSecret, req, body, now)
	if err != nil {
		t.Fatal(err)
	}
	hr, _ := http.NewRequest("POST", base+"/", bytes.NewReader(body))
	hr.Header.Set("webhook-id", id)
	for _, f := range signed {
		hr.Header.Set(f.Name, f.Value)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestFleetSharesOneWindow: two gateways behind a load balancer, one
// Redis. A delivery the upstream failed through one gateway goes through
// the other; once accepted, neither lets it through again.
func TestFleetSharesOneWindow(t *testing.T) {
	now := time.Unix(1764547200, 0)
	var calls atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer upstream.Close()
	gw := startFleet(t, upstream.URL, now)
	for i, step := range []struct {
		gateway, status int
		duplicate       bool
	}{{0, 503, false}, {1, 200, false}, {0, 200, true}, {1, 200, true}} {
		resp := deliver(t, gw[step.gateway], "msg_fleet", now)
		if resp.StatusCode != step.status || (resp.Header.Get("X-Hookguard-Duplicate") != "") != step.duplicate {
			t.Fatalf("step %d (gateway %d): %d, duplicate %q; want %d", i+1, step.gateway, resp.StatusCode, resp.Header.Get("X-Hookguard-Duplicate"), step.status)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("upstream saw the delivery %d times, want 2", n)
	}
}

// TestFleetRaceLetsOneThrough sends the same delivery to both gateways at
// once, many times over, while the upstream is slow: exactly one copy
// reaches it; the rest are answered 409 (retry) or, once it accepted, 200.
func TestFleetRaceLetsOneThrough(t *testing.T) {
	now := time.Unix(1764547200, 0)
	var calls atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		time.Sleep(200 * time.Millisecond)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer upstream.Close()
	gw := startFleet(t, upstream.URL, now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := deliver(t, gw[i%2], "msg_race", now)
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if n := calls.Load(); n != 1 || statuses[204] != 1 || statuses[409]+statuses[200] != 15 {
		t.Fatalf("upstream saw %d copies; answers %v", n, statuses)
	}
}

// TestRedisURLRefused: a bad or unreachable HOOKGUARD_REDIS_URL fails
// start, naming the variable and never quoting the URL (it may carry a
// password).
func TestRedisURLRefused(t *testing.T) {
	wasmPath := filepath.Join(t.TempDir(), "hookguard.wasm")
	if err := os.WriteFile(wasmPath, testwasm.Module(t), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"http://user:hunter2@x", "redis://user:hunter2@127.0.0.1:1/0"} {
		env := map[string]string{"HOOKGUARD_REDIS_URL": url, "HOOKGUARD_WASM": wasmPath, "HOOKGUARD_ADDR": "127.0.0.1:0",
			"HOOKGUARD_CACHE_DIR": testwasm.CacheDir()}
		var out, errs bytes.Buffer
		err := serve(t.Context(), func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &out, &errs, nil, nil)
		if err == nil || !strings.Contains(err.Error(), "HOOKGUARD_REDIS_URL") || strings.Contains(err.Error()+errs.String(), "hunter2") {
			t.Errorf("%s: %v", url, err)
		}
	}
}

// TestClustersSetting parses HOOKGUARD_CLUSTERS and refuses what is not
// name=http(s)://host or name=https://*; provider-keys is https://* unless
// set otherwise.
func TestClustersSetting(t *testing.T) {
	wasmPath := filepath.Join(t.TempDir(), "hookguard.wasm")
	if err := os.WriteFile(wasmPath, testwasm.Module(t), 0o644); err != nil {
		t.Fatal(err)
	}
	for value, want := range map[string]string{"idp=http://127.0.0.1:9000, b=https://issuer.test": "b,idp", "idp=http://127.0.0.1:9000,b=https://*": "b,idp",
		"idp=http://127.0.0.1:9000,provider-keys=http://127.0.0.1:9001": "idp", "idp": "", "=http://x": "", "idp=ftp://x": "", "idp=http://": "", "idp=http://*": ""} {
		env := map[string]string{"HOOKGUARD_CLUSTERS": value, "HOOKGUARD_WASM": wasmPath}
		s, err := readSettings(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if want == "" {
			if err == nil || !strings.Contains(err.Error(), "HOOKGUARD_CLUSTERS") {
				t.Errorf("%q: %v", value, err)
			}
			continue
		}
		if err != nil || len(s.clusters) != len(strings.Split(want, ","))+1 || s.clusters["idp"] != "http://127.0.0.1:9000" || s.clusters["provider-keys"] == "" {
			t.Errorf("%q: %v, %v", value, s, err)
		}
	}
}

// TestUnverifiableRequestsRefused: OPTIONS * and CONNECT get no 200 from
// net/http or the upstream; they are refused.
func TestUnverifiableRequestsRefused(t *testing.T) {
	base, _ := startGateway(t, map[string]string{"PIPES_WEBHOOK_SECRET": testSecret})
	addr := strings.TrimPrefix(base, "http://")
	for _, raw := range []string{"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(c, raw)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode < 400 {
			t.Errorf("%q: %s", strings.SplitN(raw, "\r\n", 2)[0], resp.Status)
		}
	}
}
