package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
)

const dedupeSecret = "whsec_ZGVkdXBlLXRlc3Qtc2VjcmV0LTAxMjM0NTY3ODk="

const dedupeConfig = `{"routes":[{"name":"sw","scheme":"standard-webhooks","secrets":[{"id":"k","env":"SW"}],
	"dedupe":{"window_seconds":3600,"in_flight_seconds":60}}]}`

// signedDelivery is a Standard Webhooks delivery with id, signed at now.
func signedDelivery(t *testing.T, id string, now time.Time) (host.Header, []byte) {
	t.Helper()
	body := []byte(`{"type":"invoice.paid","delivery":"` + id + `"}`)
	req := &verify.Request{Method: "POST", Path: "/", Header: []verify.Field{{Name: "webhook-id", Value: id}}}
	signed, err := verify.Sign("standard-webhooks", dedupeSecret, req, body, now)
	if err != nil {
		t.Fatal(err)
	}
	h := host.Header{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/"}, {Key: ":authority", Value: "hooks.test"}, {Key: "webhook-id", Value: id}}
	for _, f := range signed {
		h = append(h, host.HeaderField{Key: f.Name, Value: f.Value})
	}
	return h, body
}

// TestDedupeAcrossVMs sends one delivery from many goroutines at once
// through the module in four VMs sharing data: exactly one is let through,
// the rest are told to retry; once the upstream accepts it, a retry is
// answered by the module, on whichever VM it lands.
func TestDedupeAcrossVMs(t *testing.T) {
	now := time.Unix(1764547200, 0)
	p := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(dedupeConfig), Env: map[string]string{"SW": dedupeSecret},
		AllowOnHeadersStopIteration: true, VMs: 4}, func() time.Time { return now })
	ctx := context.Background()
	hdr, body := signedDelivery(t, "msg_race", now)

	const n = 24
	var mu sync.Mutex
	var through []*host.Stream
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := p.NewStream(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			out, err := s.HandleRequest(ctx, &host.Request{Header: hdr, Body: bytes.NewReader(body)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Error(err)
			case out.LocalResponse == nil:
				through = append(through, s) // held open: the upstream has not answered
				return
			default:
				statuses[out.LocalResponse.Status]++
			}
			s.Close(ctx)
		}()
	}
	wg.Wait()
	if len(through) != 1 || statuses[409] != n-1 {
		t.Fatalf("%d let through, local answers %v; want 1 and %d × 409", len(through), statuses, n-1)
	}
	through[0].ResponseHeaders(ctx, host.Header{{Key: ":status", Value: "200"}}, true)
	through[0].Close(ctx)
	for i := range 4 { // two streams open at once take both VMs: each sees it
		a, _ := p.NewStream(ctx)
		b, _ := p.NewStream(ctx)
		for _, s := range []*host.Stream{a, b} {
			out, err := s.HandleRequest(ctx, &host.Request{Header: hdr, Body: bytes.NewReader(body)})
			if err != nil || out.LocalResponse == nil || out.LocalResponse.Status != 200 {
				t.Fatalf("retry %d after the upstream accepted: %+v, %v", i, out, err)
			}
		}
		a.Close(ctx)
		b.Close(ctx)
	}
}

// TestDedupeNeverSuppressesAFailedDelivery: the upstream fails a delivery
// several times; each retry reaches it until one is accepted.
func TestDedupeNeverSuppressesAFailedDelivery(t *testing.T) {
	now := time.Unix(1764547200, 0)
	p := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(dedupeConfig), Env: map[string]string{"SW": dedupeSecret},
		AllowOnHeadersStopIteration: true, VMs: 2}, func() time.Time { return now })
	ctx := context.Background()
	for i, upstream := range []string{"500", "502", "429", "200", "200"} {
		now = now.Add(30 * time.Second) // each retry is signed anew, as senders do
		hdr, body := signedDelivery(t, "msg_retried", now)
		s, _ := p.NewStream(ctx)
		out, err := s.HandleRequest(ctx, &host.Request{Header: hdr, Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		if i < 4 {
			if out.LocalResponse != nil {
				t.Fatalf("attempt %d (after %d failures) did not reach the upstream: %d", i+1, i, out.LocalResponse.Status)
			}
			s.ResponseHeaders(ctx, host.Header{{Key: ":status", Value: upstream}}, true)
		} else if out.LocalResponse == nil || out.LocalResponse.Status != 200 {
			t.Fatalf("the retry after the upstream accepted reached it again: %+v", out)
		}
		s.Close(ctx)
	}
}

// TestDedupeThroughMiddleware: over HTTP, an application that fails a
// delivery once gets it again, and once it accepted it, never again.
func TestDedupeThroughMiddleware(t *testing.T) {
	now := time.Unix(1764547200, 0)
	mc := testModuleConfig()
	mc.Clock = func() time.Time { return now }
	ctx := context.Background()
	mw, err := nethttp.NewMiddleware(ctx, moduleBytes(t), nethttp.Config{Module: mc,
		Plugin: host.PluginConfig{Configuration: []byte(dedupeConfig), Env: map[string]string{"SW": dedupeSecret},
			AllowOnHeadersStopIteration: true, VMs: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer mw.Close(ctx)
	var calls atomic.Int64
	srv := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "database down", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})))
	defer srv.Close()
	hdr, body := signedDelivery(t, "msg_http", now)
	for i, want := range []struct {
		status    int
		duplicate bool
	}{{500, false}, {202, false}, {200, true}, {200, true}} {
		req, _ := http.NewRequest("POST", srv.URL+"/", bytes.NewReader(body))
		for _, f := range hdr {
			if f.Key[0] != ':' {
				req.Header.Add(f.Key, f.Value)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want.status || (resp.Header.Get("X-Hookguard-Duplicate") != "") != want.duplicate {
			t.Fatalf("attempt %d: %d (duplicate header %q), want %d", i+1, resp.StatusCode, resp.Header.Get("X-Hookguard-Duplicate"), want.status)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("the application saw the delivery %d times, want 2 (failed, then accepted)", n)
	}
}
