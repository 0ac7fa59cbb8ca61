// Command embed is the smallest Go server that protects one route with
// hookguard: POST /webhook only reaches the handler with a valid
// X-Pipes-Signature; every other route is untouched.
//
//	make build
//	PIPES_WEBHOOK_SECRET=... go run ./examples/embed
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
)

func main() {
	ctx := context.Background()
	wasm, err := os.ReadFile("build/hookguard.wasm")
	if err != nil {
		log.Fatal(err)
	}
	mux, guard, err := newServer(ctx, wasm, os.Getenv("PIPES_WEBHOOK_SECRET"), host.ModuleConfig{})
	if err != nil {
		log.Fatal(err) // e.g. PIPES_WEBHOOK_SECRET unset: the module refuses to start
	}
	defer guard.Close(ctx)
	log.Fatal(http.ListenAndServe("127.0.0.1:8081", mux))
}

// newServer protects POST /webhook with hookguard and leaves /healthz open.
func newServer(ctx context.Context, wasm []byte, secret string, mc host.ModuleConfig) (http.Handler, *nethttp.Middleware, error) {
	guard, err := nethttp.NewMiddleware(ctx, wasm, nethttp.Config{Module: mc, Plugin: host.PluginConfig{
		Configuration:               []byte(`{"secret_env": "PIPES_WEBHOOK_SECRET"}`),
		Env:                         map[string]string{"PIPES_WEBHOOK_SECRET": secret},
		AllowOnHeadersStopIteration: true,
	}})
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhook", guard.Handler(http.HandlerFunc(webhook)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	return mux, guard, nil
}

// webhook runs only for verified requests; the body is the exact bytes
// that were signed.
func webhook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fmt.Fprintf(w, "verified %d bytes\n", len(body))
}
