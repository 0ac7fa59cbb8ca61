package nethttp_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// Example protects a handler with hookguard: a signed webhook reaches it,
// a forged one is answered 401 by the module.
func Example() {
	ctx := context.Background()
	secret := "example-secret-0123456789abcdef0123"
	wasm := testwasm.MustModule() // in your server: os.ReadFile("hookguard.wasm")

	mw, err := nethttp.NewMiddleware(ctx, wasm, nethttp.Config{
		Module: host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()},
		Plugin: host.PluginConfig{
			Configuration:               []byte(`{"secret_env":"PIPES_WEBHOOK_SECRET"}`),
			Env:                         map[string]string{"PIPES_WEBHOOK_SECRET": secret},
			AllowOnHeadersStopIteration: true,
			VMs:                         1,
		},
	})
	if err != nil {
		panic(err)
	}
	defer mw.Close(ctx)

	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "app got %s", body)
	})
	srv := httptest.NewServer(mw.Handler(app))
	defer srv.Close()

	body := `{"event":"ping"}`
	mac := hmac.New(sha256.New, []byte(secret)) // what the sender does: hex HMAC-SHA256 of the body
	mac.Write([]byte(body))
	for _, sig := range []string{hex.EncodeToString(mac.Sum(nil)), strings.Repeat("0", 64)} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhook", strings.NewReader(body))
		req.Header.Set("X-Pipes-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(got))
	}
	// Output:
	// 200 app got {"event":"ping"}
	// 401 Invalid signature
}
