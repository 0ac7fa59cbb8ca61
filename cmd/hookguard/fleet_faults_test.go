package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookguard/hookguard/internal/testing/testredis"
)

// movableClock is the modules' clock, moved by the test.
type movableClock struct{ ms atomic.Int64 }

func newClock() *movableClock {
	c := &movableClock{}
	c.ms.Store(time.Unix(1764547200, 0).UnixMilli())
	return c
}

func (c *movableClock) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *movableClock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// deliveryLedger answers each delivery with answer(id, attempt) and
// counts, per id, the copies it saw and those it accepted (2xx).
type deliveryLedger struct {
	mu       sync.Mutex
	seen     map[string]int
	accepted map[string]int
	answer   func(id string, attempt int) int
}

func (u *deliveryLedger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("Webhook-Id")
	u.mu.Lock()
	u.seen[id]++
	attempt := u.seen[id]
	u.mu.Unlock()
	status := u.answer(id, attempt)
	if status/100 == 2 {
		u.mu.Lock()
		u.accepted[id]++
		u.mu.Unlock()
	}
	w.WriteHeader(status)
}

func (u *deliveryLedger) counts(id string) (seen, accepted int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.seen[id], u.accepted[id]
}

// startFleetOn starts two gateways on srv with config, in front of
// upstream, on clock.
func startFleetOn(t *testing.T, srv *testredis.Server, config, upstream string, clock *movableClock, extra map[string]string) [2]string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	var urls [2]string
	for i := range urls {
		env := map[string]string{"HOOKGUARD_CONFIG": cfg, "SW_SECRET": fleetSecret,
			"HOOKGUARD_UPSTREAM": upstream, "HOOKGUARD_REDIS_URL": srv.URL()}
		for k, v := range extra {
			env[k] = v
		}
		urls[i], _ = startGatewayAt(t, env, clock.now)
	}
	return urls
}

// maxHeld is the longest a request may take with the store failing: a few
// calls of HOOKGUARD_REDIS_TIMEOUT's default (250 ms), and the machine.
const maxHeld = 1500 * time.Millisecond

// sendTimed delivers id to base, signed at the clock's now, and fails the
// test if the answer took longer than maxHeld.
func sendTimed(t *testing.T, base, id string, clock *movableClock) *http.Response {
	t.Helper()
	start := time.Now()
	resp := deliver(t, base, id, clock.now())
	if d := time.Since(start); d > maxHeld {
		t.Errorf("%s: answered %d after %v, past %v", id, resp.StatusCode, d, maxHeld)
	}
	return resp
}

// sender delivers id as a provider does: again, alternating gateways, until
// it gets a 2xx; a 409 or 503 is retried (the test's clock moves past
// in_flight_seconds when a retry keeps meeting an entry no answer will
// settle).
func sender(t *testing.T, gw [2]string, id string, clock *movableClock) {
	t.Helper()
	for attempt := range 40 {
		resp := sendTimed(t, gw[attempt%2], id, clock)
		switch {
		case resp.StatusCode/100 == 2:
			return
		case resp.StatusCode == 409 && attempt%8 == 7:
			clock.advance(31 * time.Second) // the fleet config's in_flight_seconds is 30
		case resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "":
			t.Fatalf("%s: 503 without Retry-After", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: never accepted", id)
}

// TestFleetSurvivesRedisFaults: two gateways on one real Redis, an
// upstream that fails some deliveries, and senders that retry until they
// get a 2xx. Through a FLUSHALL, a paused Redis and a restart without
// persistence, every delivery is accepted exactly once, none is lost,
// and no request waits longer than a few store timeouts.
func TestFleetSurvivesRedisFaults(t *testing.T) {
	srv := testredis.StartServer(t)
	clock := newClock()
	up := &deliveryLedger{seen: map[string]int{}, accepted: map[string]int{},
		answer: func(id string, attempt int) int {
			if n, _ := strconv.Atoi(strings.TrimPrefix(id, "msg_")); n%3 == 0 && attempt == 1 {
				return http.StatusInternalServerError
			}
			return http.StatusNoContent
		}}
	upstream := httptest.NewServer(up)
	defer upstream.Close()
	gw := startFleetOn(t, srv, fleetConfig, upstream.URL, clock, nil)

	next := 0
	batch := func(n int) []string {
		var ids []string
		for range n {
			ids = append(ids, "msg_"+strconv.Itoa(next))
			next++
		}
		for _, id := range ids {
			sender(t, gw, id, clock)
		}
		return ids
	}
	// While healthy, a copy of an accepted delivery is a duplicate.
	duplicates := func(ids []string) {
		t.Helper()
		for i, id := range ids {
			resp := sendTimed(t, gw[i%2], id, clock)
			if resp.StatusCode != 200 || resp.Header.Get("X-Hookguard-Duplicate") == "" {
				t.Errorf("%s, accepted, sent again: %d, not a duplicate", id, resp.StatusCode)
			}
		}
	}

	healthy := batch(6)
	duplicates(healthy)

	srv.Flush()
	afterFlush := batch(6)
	duplicates(afterFlush)

	srv.Pause()
	resp := sendTimed(t, gw[0], "msg_paused", clock)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("with Redis paused: %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if seen, _ := up.counts("msg_paused"); seen != 0 {
		t.Errorf("with Redis paused, the upstream saw the delivery %d times", seen)
	}
	srv.Resume()
	sender(t, gw, "msg_paused", clock)
	duplicates([]string{"msg_paused"})

	srv.Restart()
	afterRestart := batch(6)
	duplicates(afterRestart)

	for _, id := range append(append(append(healthy, afterFlush...), afterRestart...), "msg_paused") {
		if _, accepted := up.counts(id); accepted != 1 {
			t.Errorf("%s accepted %d times by the upstream, want exactly 1", id, accepted)
		}
	}
}

// TestFleetStoreDownAllow: a route with "on_store_failure": "allow" lets
// verified deliveries on while Redis is paused, within the timeout, and
// still refuses forged ones.
func TestFleetStoreDownAllow(t *testing.T) {
	srv := testredis.StartServer(t)
	clock := newClock()
	up := &deliveryLedger{seen: map[string]int{}, accepted: map[string]int{}, answer: func(string, int) int { return 200 }}
	upstream := httptest.NewServer(up)
	defer upstream.Close()
	config := strings.Replace(fleetConfig, `"in_flight_seconds":30`, `"in_flight_seconds":30,"on_store_failure":"allow"`, 1)
	gw := startFleetOn(t, srv, config, upstream.URL, clock, nil)
	srv.Pause()
	defer srv.Resume()
	if resp := sendTimed(t, gw[0], "msg_allowed", clock); resp.StatusCode != 200 {
		t.Fatalf("allow, Redis paused: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", gw[1]+"/", bytes.NewReader([]byte(`{}`)))
	req.Header.Set("webhook-id", "msg_forged")
	req.Header.Set("webhook-timestamp", strconv.FormatInt(clock.now().Unix(), 10))
	req.Header.Set("webhook-signature", "v1,AAAA")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("forged, allow, Redis paused: %d", resp.StatusCode)
	}
	if seen, _ := up.counts("msg_forged"); seen != 0 {
		t.Fatal("a forged delivery reached the upstream")
	}
}

// TestFleetLateFailure is the independent host's sequence on two gateways
// and one Redis: delivery L through gateway 1, left unanswered; past
// in_flight_seconds, L through gateway 2, accepted; then gateway 1's
// attempt ends late in a 504. The next copy of L is answered as a
// duplicate: the upstream saw it twice, never a third time.
func TestFleetLateFailure(t *testing.T) {
	srv := testredis.StartServer(t)
	clock := newClock()
	release := make(chan struct{})
	up := &deliveryLedger{seen: map[string]int{}, accepted: map[string]int{},
		answer: func(_ string, attempt int) int {
			if attempt == 1 {
				<-release
				return http.StatusGatewayTimeout
			}
			return http.StatusOK
		}}
	upstream := httptest.NewServer(up)
	defer upstream.Close()
	gw := startFleetOn(t, srv, fleetConfig, upstream.URL, clock, nil)

	first := make(chan int, 1)
	go func() { first <- deliver(t, gw[0], "L", clock.now()).StatusCode }()
	for seen, _ := up.counts("L"); seen == 0; seen, _ = up.counts("L") {
		time.Sleep(10 * time.Millisecond)
	}
	clock.advance(31 * time.Second)
	if resp := deliver(t, gw[1], "L", clock.now()); resp.StatusCode != 200 {
		t.Fatalf("the retry past in_flight_seconds: %d", resp.StatusCode)
	}
	close(release)
	if status := <-first; status != http.StatusGatewayTimeout {
		t.Fatalf("the first attempt: %d", status)
	}
	resp := deliver(t, gw[0], "L", clock.now())
	if resp.StatusCode != 200 || resp.Header.Get("X-Hookguard-Duplicate") == "" {
		t.Fatalf("the copy after the late failure: %d, not a duplicate", resp.StatusCode)
	}
	if seen, accepted := up.counts("L"); seen != 2 || accepted != 1 {
		t.Fatalf("upstream saw L %d times, accepted %d; want 2 and 1", seen, accepted)
	}
}
