package nethttp_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// BenchmarkHandler measures one signed 1 KiB webhook through the built
// module behind the adapter, in memory (no connection), with its
// allocations: "standard names" converts X-Pipes-Signature and the
// X-Hookguard-Verified the module adds at an allocation each, "filter's
// names" (Config.HeaderNames, as the gateway gives them) without.
func BenchmarkHandler(b *testing.B) {
	for _, bc := range []struct {
		name  string
		names []string
	}{
		{"standard names", nil},
		{"filter's names", []string{hosttest.PipesHeader, "X-Hookguard-Verified"}},
	} {
		b.Run(bc.name, func(b *testing.B) { benchmarkHandler(b, bc.names) })
	}
}

func benchmarkHandler(b *testing.B, names []string) {
	const secret = "bench-secret-0123456789abcdef0123"
	ctx := context.Background()
	mw, err := nethttp.NewMiddleware(ctx, testwasm.Module(b), nethttp.Config{
		Module: host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()},
		Plugin: host.PluginConfig{
			Configuration:               []byte(`{"secret_env":"S"}`),
			Env:                         map[string]string{"S": secret},
			AllowOnHeadersStopIteration: true, VMs: 1,
		},
		HeaderNames: names,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer mw.Close(ctx)
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	body := bytes.Repeat([]byte("a"), 1<<10)
	sig := hosttest.SignPipes([]byte(secret), body)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("User-Agent", "bench")
		r.Header.Set(hosttest.PipesHeader, sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("got %d %q", w.Code, w.Body)
		}
	}
}
