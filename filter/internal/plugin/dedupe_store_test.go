package plugin_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/internal/plugin"
	"github.com/hookguard/hookguard/filter/internal/proxywasm/proxytest"
	"github.com/hookguard/hookguard/internal/pairs"
)

// startDedupe starts a Standard Webhooks route with dedupe (and extra
// fields) on a clock the test moves.
func startDedupe(t *testing.T, extra string, now *time.Time) *proxytest.Host {
	t.Helper()
	cfg := `{"routes":[{"name":"sw","match":{"path":"/sw"},"scheme":"standard-webhooks","secrets":[{"id":"k","env":"SW"}],
		"dedupe":{"window_seconds":3600,"in_flight_seconds":60,"max_ids":64` + extra + `}}]}`
	h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(cfg), Env: map[string]string{"SW": swSecret},
		Now: func() time.Time { return *now }})
	t.Cleanup(h.Close)
	if !ok {
		t.Fatalf("plugin did not start: %v", h.Logs())
	}
	return h
}

func wantThrough(t *testing.T, d delivery) {
	t.Helper()
	if d.s.Local != nil || !d.s.Continued {
		t.Fatalf("not let through: %+v", d.s.Local)
	}
}

func wantLocal(t *testing.T, d delivery, status int, retryAfter string) {
	t.Helper()
	if d.s.Local == nil || d.s.Local.Status != status || d.s.Continued {
		t.Fatalf("got %+v (continued %v), want a local %d", d.s.Local, d.s.Continued, status)
	}
	got := ""
	for _, p := range d.s.Local.Header {
		if p.Key == "retry-after" {
			got = p.Value
		}
	}
	if got != retryAfter {
		t.Fatalf("Retry-After %q, want %q", got, retryAfter)
	}
}

// wantForgedRefused sends delivery id with a signature no key made: it is
// refused 401, before de-duplication.
func wantForgedRefused(t *testing.T, h *proxytest.Host, now time.Time, id string) {
	t.Helper()
	forged := h.NewStream()
	defer forged.Done()
	forged.Headers([]pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/sw"}, {Key: "webhook-id", Value: id},
		{Key: "webhook-timestamp", Value: strconv.FormatInt(now.Unix(), 10)}, {Key: "webhook-signature", Value: "v1,AAAA"}}, false)
	forged.Body([]byte("{}"), true)
	if forged.Local == nil || forged.Local.Status != 401 {
		t.Fatalf("forged %s: %+v", id, forged.Local)
	}
}

// TestDedupeSurvivesLostSlots: a store that lost its keys (FLUSHALL, a
// restart without persistence, a failover to an empty replica) is an
// empty window, not a failed route.
func TestDedupeSurvivesLostSlots(t *testing.T) {
	now := time.Unix(1764547200, 0)
	h := startDedupe(t, "", &now)
	h.FlushSharedData("hookguard.dedupe.")
	first := send(t, h, now, "after-flush")
	wantThrough(t, first)
	first.answer(200)
	wantLocal(t, send(t, h, now, "after-flush"), 200, "")

	// Lost while a delivery is in flight: its acceptance is still recorded.
	inflight := send(t, h, now, "in-flight-at-flush")
	wantThrough(t, inflight)
	h.FlushSharedData("hookguard.dedupe.")
	inflight.answer(200)
	wantLocal(t, send(t, h, now, "in-flight-at-flush"), 200, "")
	for _, l := range h.Logs() {
		if strings.Contains(l.Msg, "rejected") || strings.Contains(l.Msg, "cannot record") {
			t.Errorf("logged %q", l.Msg)
		}
	}
}

// TestDedupeStoreFailure: a store that fails or times out answers 503
// with a short Retry-After by default, or, with "on_store_failure":
// "allow", lets the verified delivery on, counted; a forged one is
// refused either way; once the store is back, de-duplication resumes.
func TestDedupeStoreFailure(t *testing.T) {
	now := time.Unix(1764547200, 0)
	down := func(key string) bool { return strings.HasPrefix(key, "hookguard.dedupe.") }

	t.Run("reject", func(t *testing.T) {
		h := startDedupe(t, "", &now)
		h.SharedDataFault = down
		wantLocal(t, send(t, h, now, "r1"), 503, "5")
		if n, _ := h.Metric("hookguard.requests_rejected.route=sw.reason=dedupe_unavailable"); n != 1 {
			t.Fatalf("dedupe_unavailable counted %d", n)
		}
		h.SharedDataFault = nil
		d := send(t, h, now, "r1")
		wantThrough(t, d)
		d.answer(200)
		wantLocal(t, send(t, h, now, "r1"), 200, "")
	})
	t.Run("allow", func(t *testing.T) {
		h := startDedupe(t, `,"on_store_failure":"allow"`, &now)
		h.SharedDataFault = down
		d := send(t, h, now, "a1")
		wantThrough(t, d)
		d.answer(200)
		if n, _ := h.Metric("hookguard.dedupe_bypassed.route=sw"); n != 1 {
			t.Fatalf("dedupe_bypassed counted %d", n)
		}
		wantForgedRefused(t, h, now, "a2")
		h.SharedDataFault = nil
		d = send(t, h, now, "a3")
		wantThrough(t, d)
		d.answer(200)
		wantLocal(t, send(t, h, now, "a3"), 200, "")
	})
	t.Run("store fails between admission and outcome", func(t *testing.T) {
		h := startDedupe(t, "", &now)
		d := send(t, h, now, "o1")
		wantThrough(t, d)
		h.SharedDataFault = down
		d.answer(200) // cannot be recorded: the entry stays in flight
		h.SharedDataFault = nil
		wantLocal(t, send(t, h, now, "o1"), 409, "5")
	})
}

// TestLateFailureAfterAcceptedRetry is the sequence an independent host
// found: delivery L let through and left unanswered; past
// in_flight_seconds, L again, let through and accepted; then the first
// attempt ends late in a 504. The next copy of L is a duplicate: the late
// failure forgets only its own attempt.
func TestLateFailureAfterAcceptedRetry(t *testing.T) {
	now := time.Unix(1764547200, 0)
	h := startDedupe(t, "", &now)
	first := send(t, h, now, "L")
	wantThrough(t, first)
	now = now.Add(61 * time.Second)
	second := send(t, h, now, "L")
	wantThrough(t, second)
	second.answer(204)
	now = now.Add(time.Second)
	first.answer(504)
	third := send(t, h, now, "L")
	wantLocal(t, third, 200, "")
	if third.s.UpstreamHeader != nil {
		t.Fatal("the third copy reached the upstream")
	}

	// And a reset (no response at all) instead of the 504.
	a := send(t, h, now, "M")
	wantThrough(t, a)
	now = now.Add(61 * time.Second)
	b := send(t, h, now, "M")
	wantThrough(t, b)
	b.answer(200)
	a.answer(0)
	wantLocal(t, send(t, h, now, "M"), 200, "")
}
