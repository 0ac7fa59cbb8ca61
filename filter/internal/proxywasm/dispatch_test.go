package proxywasm_test

import (
	"strings"
	"testing"

	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/internal/proxywasm/proxytest"
	"github.com/hookguard/hookguard/internal/pairs"
)

// panicky is a plugin whose callbacks panic on request, to test the
// binding's panic policy.
type panicky struct{ configure bool }

func (p *panicky) OnVMStart(int) bool { return true }
func (p *panicky) OnConfigure(size int) bool {
	if p.configure {
		var s []int
		return s[size] == 0 // a runtime error: index out of range
	}
	return true
}
func (p *panicky) NewHTTPContext(s *proxywasm.HTTPStream) proxywasm.HTTPContext {
	return &panickyStream{s: s}
}

type panickyStream struct{ s *proxywasm.HTTPStream }

func (q *panickyStream) OnRequestHeaders(_ int, eos bool) proxywasm.Action {
	if eos {
		panic("headers")
	}
	return proxywasm.Pause
}
func (q *panickyStream) OnRequestBody(int, bool) proxywasm.Action { panic("body") }
func (q *panickyStream) OnRequestTrailers(int) proxywasm.Action   { return proxywasm.Continue }
func (q *panickyStream) OnResponseHeaders(int, bool) proxywasm.Action {
	return proxywasm.Continue
}
func (q *panickyStream) OnDone()   {}
func (q *panickyStream) OnDelete() {}

func TestPanicInAStreamIsAnswered500AndHeld(t *testing.T) {
	h, ok := proxytest.Start(func(uint32) proxywasm.RootContext { return &panicky{} }, proxytest.Options{})
	defer h.Close()
	if !ok {
		t.Fatal("did not start")
	}
	for _, eos := range []bool{true, false} {
		s := h.NewStream()
		a := s.Headers([]pairs.Pair{{Key: ":path", Value: "/"}}, eos)
		if !eos {
			a = s.Body([]byte("x"), true)
		}
		if a != proxywasm.Pause || s.Local == nil || s.Local.Status != 500 {
			t.Fatalf("eos=%v: action %v, local %+v; want Pause and 500", eos, a, s.Local)
		}
		// Once failed, a stream is held whatever the plugin would say.
		if a := s.Trailers(nil); a != proxywasm.Pause || s.Continued {
			t.Fatalf("a failed stream continued: %v", a)
		}
		s.Done()
	}
	var logs strings.Builder
	for _, l := range h.Logs() {
		logs.WriteString(l.Msg + "\n")
	}
	if !strings.Contains(logs.String(), "internal error in proxy_on_request_headers: panic") || strings.Contains(logs.String(), "headers\n") {
		t.Fatalf("the panic is not reported by kind only:\n%s", logs.String())
	}
}

func TestPanicInConfigureFailsStart(t *testing.T) {
	h, ok := proxytest.Start(func(uint32) proxywasm.RootContext { return &panicky{configure: true} }, proxytest.Options{})
	defer h.Close()
	if ok {
		t.Fatal("started after a panic in on_configure")
	}
	if logs := h.Logs(); len(logs) == 0 || !strings.Contains(logs[len(logs)-1].Msg, "index out of range") {
		t.Fatalf("runtime error not described: %v", logs)
	}
}

func TestUnknownStreamIsHeld(t *testing.T) {
	h, _ := proxytest.Start(func(uint32) proxywasm.RootContext { return &panicky{} }, proxytest.Options{})
	defer h.Close()
	if a := proxywasm.OnRequestHeaders(999, 0, true); a != proxywasm.Pause {
		t.Fatalf("unknown stream: %v", a)
	}
}

func TestFirstToClaim(t *testing.T) {
	h, _ := proxytest.Start(func(uint32) proxywasm.RootContext { return &panicky{} }, proxytest.Options{})
	defer h.Close()
	if !proxywasm.FirstToClaim("k") || proxywasm.FirstToClaim("k") || !proxywasm.FirstToClaim("other") {
		t.Fatal("FirstToClaim does not claim once per key")
	}
}
