package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

func TestEmbed(t *testing.T) {
	ctx := context.Background()
	cached := host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()}
	const secret = "embed-test-secret-0123456789abcdef012"
	mux, guard, err := newServer(ctx, testwasm.Module(t), secret, cached)
	if err != nil {
		t.Fatal(err)
	}
	defer guard.Close(ctx)
	body := `{"event":"ping"}`
	for _, tc := range []struct {
		name, method, path, sig string
		want                    int
		wantBody                string
	}{
		{"signed webhook", "POST", "/webhook", verify.SignPipes([]byte(secret), []byte(body)), 200, "verified 16 bytes\n"},
		{"forged webhook", "POST", "/webhook", verify.SignPipes([]byte("x"), []byte(body)), 401, "Invalid signature\n"},
		{"unsigned webhook", "POST", "/webhook", "", 401, "Invalid signature\n"},
		{"other route untouched", "GET", "/healthz", "", 200, "ok\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(body))
			if tc.sig != "" {
				req.Header.Set("X-Pipes-Signature", tc.sig)
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != tc.want || rec.Body.String() != tc.wantBody {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tc.want, tc.wantBody)
			}
		})
	}
	if _, _, err := newServer(ctx, testwasm.Module(t), "", cached); err == nil {
		t.Fatal("started without a secret")
	}
}
