package plugin_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/plugin"
	"github.com/hookguard/hookguard/filter/internal/proxywasm/proxytest"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pairs"
	"github.com/hookguard/hookguard/internal/testing/cases"
)

const swSecret = "whsec_ZGVkdXBlLXRlc3Qtc2VjcmV0LTAxMjM0NTY3ODk="

// delivery is one Standard Webhooks delivery in flight through proxytest.
type delivery struct {
	s *proxytest.Stream
}

// send signs a delivery with id at the host's clock and runs its request.
func send(t *testing.T, h *proxytest.Host, now time.Time, id string) delivery {
	t.Helper()
	body := []byte(`{"type":"invoice.paid","id":"` + id + `"}`)
	req := &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.test", Path: "/sw",
		Header: []verify.Field{{Name: "webhook-id", Value: id}}}
	signed, err := verify.Sign("standard-webhooks", swSecret, req, body, now)
	if err != nil {
		t.Fatal(err)
	}
	header := []pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/sw"}, {Key: ":authority", Value: "hooks.test"},
		{Key: ":scheme", Value: "https"}, {Key: "webhook-id", Value: id}}
	for _, f := range signed {
		header = append(header, pairs.Pair{Key: f.Name, Value: f.Value})
	}
	s := h.NewStream()
	if s.Headers(header, false); s.Local == nil {
		s.Body(body, true)
	}
	return delivery{s}
}

// answer has the upstream answer status (0: the stream is reset) and ends
// the stream.
func (d delivery) answer(status int) {
	if status != 0 {
		d.s.ResponseHeaders(status, nil)
	}
	d.s.Done()
}

// TestDedupeScenario walks deliveries through a route with dedupe, the
// upstream answering each in turn, on a pinned clock.
func TestDedupeScenario(t *testing.T) {
	now := time.Unix(1764547200, 0)
	h := startDedupe(t, "", &now)
	if n := h.SharedKeys(); n != 64/config.DedupeSlotEntries+1 { // the slots, and the configuration's log claim
		t.Fatalf("%d shared-data keys, want the %d slots and one", n, 64/config.DedupeSlotEntries)
	}
	t.Run("accepted, then its retry is answered locally", func(t *testing.T) {
		first := send(t, h, now, "d1")
		wantThrough(t, first)
		first.answer(200)
		dup := send(t, h, now, "d1")
		wantLocal(t, dup, 200, "")
		if string(dup.s.Local.Body) != "Duplicate delivery: already accepted\n" || dup.s.UpstreamHeader != nil {
			t.Fatalf("duplicate answered %q, upstream saw %v", dup.s.Local.Body, dup.s.UpstreamHeader)
		}
		dup.answer(200) // Envoy runs on_response_headers for the local reply too
		if n, _ := h.Metric("hookguard.duplicates.route=sw"); n != 1 {
			t.Fatalf("duplicates counted %d", n)
		}
	})
	t.Run("upstream 5xx: the retry goes through", func(t *testing.T) {
		first := send(t, h, now, "d2")
		wantThrough(t, first)
		first.answer(503)
		retry := send(t, h, now, "d2")
		wantThrough(t, retry)
		retry.answer(204)
		wantLocal(t, send(t, h, now, "d2"), 200, "")
	})
	t.Run("upstream 4xx: not accepted either", func(t *testing.T) {
		first := send(t, h, now, "d2b")
		first.answer(400)
		wantThrough(t, send(t, h, now, "d2b"))
	})
	t.Run("a duplicate while the first is in flight is told to retry", func(t *testing.T) {
		first := send(t, h, now, "d3")
		wantThrough(t, first)
		now = now.Add(10 * time.Second)
		wantLocal(t, send(t, h, now, "d3"), 409, "5") // a few seconds, not the 50 left in flight
		first.answer(200)
		wantLocal(t, send(t, h, now, "d3"), 200, "")
	})
	t.Run("a reset stream forgets its id", func(t *testing.T) {
		first := send(t, h, now, "d4")
		wantThrough(t, first)
		first.answer(0)
		wantThrough(t, send(t, h, now, "d4"))
	})
	t.Run("an in-flight id expires", func(t *testing.T) {
		stuck := send(t, h, now, "d5")
		wantThrough(t, stuck) // never answered, never ended
		now = now.Add(61 * time.Second)
		wantThrough(t, send(t, h, now, "d5"))
	})
	t.Run("the window ends", func(t *testing.T) {
		now = now.Add(3601 * time.Second)
		wantThrough(t, send(t, h, now, "d1"))
	})
	t.Run("a forged duplicate is rejected before de-duplication", func(t *testing.T) {
		d := send(t, h, now, "d3")
		d.s.Done()
		wantForgedRefused(t, h, now, "d3")
	})
}

// TestDedupeConfig refuses a dedupe the plugin could not honour.
func TestDedupeConfig(t *testing.T) {
	for _, cfg := range []string{
		`{"routes":[{"name":"a","scheme":"github","mode":"detect","secrets":[{"env":"S"}],"dedupe":{}}]}`,
		`{"routes":[{"name":"a","scheme":"github","secrets":[{"env":"S"}],"dedupe":{"window_seconds":0}}]}`,
		`{"routes":[{"name":"a","scheme":"github","secrets":[{"env":"S"}],"dedupe":{"max_ids":1}}]}`,
		`{"routes":[{"name":"a","scheme":"github","secrets":[{"env":"S"}],"dedupe":{"nope":1}}]}`,
	} {
		h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(cfg), Env: map[string]string{"S": testSecret}})
		h.Close()
		if ok {
			t.Errorf("started with %s", cfg)
		}
	}
}

// TestHandshakeIsOptIn: without "handshake": true a handshake event is a
// delivery like any other, for the application.
func TestHandshakeIsOptIn(t *testing.T) {
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	for _, hs := range f.Handshakes {
		if hs.Unsigned {
			continue // X's CRC, Braintree's and Graph's challenges: without the handshake they are refused
		}
		cfg := `{"routes":[{"name":"r","scheme":"` + hs.Preset + `","secrets":[{"env":"S"}]}]}`
		h := start(t, cfg, map[string]string{"S": hs.Secret}, f.Time())
		tc := hs.Case(f.Time())
		tc.WantStatus = 200
		if err := tc.Check(run(h, tc, hs.Authority())); err != nil {
			t.Errorf("%s: %v", hs.Name, err)
		}
		h.Close()
	}
}

// TestDedupeMemoryIsBounded sends many more deliveries than max_ids: the
// shared data keeps its number of keys, each no larger than its 16
// entries, and the forgotten ids are counted.
func TestDedupeMemoryIsBounded(t *testing.T) {
	now := time.Unix(1764547200, 0)
	cfg := `{"routes":[{"name":"sw","match":{"path":"/sw"},"scheme":"standard-webhooks","secrets":[{"id":"k","env":"SW"}],
		"dedupe":{"max_ids":32}}]}`
	h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(cfg), Env: map[string]string{"SW": swSecret},
		Now: func() time.Time { return now }})
	t.Cleanup(h.Close)
	if !ok {
		t.Fatal(h.Logs())
	}
	keys := h.SharedKeys()
	for i := range 500 {
		d := send(t, h, now, "bulk-"+strconv.Itoa(i))
		d.answer(200)
	}
	if h.SharedKeys() != keys {
		t.Fatalf("shared-data keys grew from %d to %d", keys, h.SharedKeys())
	}
	for n := range 2 {
		v, ok := h.SharedData("hookguard.dedupe.sw." + strconv.Itoa(n))
		if !ok || len(v) > 1+config.DedupeSlotEntries*29 {
			t.Fatalf("slot %d: %d bytes", n, len(v))
		}
	}
	if n, _ := h.Metric("hookguard.dedupe_evicted.route=sw"); n < 500-32 {
		t.Fatalf("evicted %d, want at least %d", n, 500-32)
	}
	// The newest deliveries are still remembered.
	if d := send(t, h, now, "bulk-499"); d.s.Local == nil || d.s.Local.Status != 200 {
		t.Fatalf("the last delivery is not a duplicate: %+v", d.s.Local)
	}
}
