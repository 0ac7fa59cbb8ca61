package plugin_test

import (
	"strconv"
	"testing"

	"github.com/hookguard/hookguard/filter/internal/plugin"
	"github.com/hookguard/hookguard/filter/internal/proxywasm/proxytest"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pairs"
)

// BenchmarkRequest runs one signed Pipes request through the plugin
// natively, in the in-process host: the guest's own cost and allocations,
// without wasm. BenchmarkHookguardRequest (./filter) is the same in the
// module, run in our host.
func BenchmarkRequest(b *testing.B) {
	const secret = "bench-secret"
	h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(`{"secret_env":"S"}`), Env: map[string]string{"S": secret}})
	if !ok {
		b.Fatal(h.Logs())
	}
	defer h.Close()
	for _, size := range []int{1 << 10, 64 << 10} {
		body := make([]byte, size)
		hdr := []pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/"}, {Key: ":authority", Value: "example.com"},
			{Key: "content-type", Value: "application/json"}, {Key: "user-agent", Value: "bench"},
			{Key: "x-pipes-signature", Value: verify.SignPipes([]byte(secret), body)}}
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				s := h.NewStream()
				s.Headers(hdr, false)
				s.Body(body, true)
				if s.Local != nil {
					b.Fatalf("rejected: %+v", s.Local)
				}
				s.Done()
			}
		})
	}
}
