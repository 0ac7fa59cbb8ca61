// Command gateway is hookguard's verifying reverse proxy: it loads
// build/hookguard.wasm through our wazero host and lets on only requests
// whose webhook signature verifies. It is what `make run` starts.
//
// Environment:
//
//	HOOKGUARD_ADDR        listen address (default 127.0.0.1:8080)
//	PIPES_WEBHOOK_SECRET  the shared secret; generated for this run if unset
//	HOOKGUARD_UPSTREAM    upstream URL; default a built-in echo server
//	HOOKGUARD_CONFIG      file of plugin configuration JSON; replaces the default
//	HOOKGUARD_ENV_KEYS    more environment variables the module may read, comma-separated
//	HOOKGUARD_WASM        the module (default build/hookguard.wasm)
//	HOOKGUARD_LOG_LEVEL   debug, info (default), warn or error
//	HOOKGUARD_METRICS_ADDR  if set, serve the filter's metrics for Prometheus at /metrics here
package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
)

// defaultConfig is the plugin configuration used unless HOOKGUARD_CONFIG
// names another. It is the same text envoy/envoy.yaml embeds.
//
//go:embed default-config.json
var defaultConfig []byte

const secretEnv = "PIPES_WEBHOOK_SECRET"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.LookupEnv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done. ready, if not nil, receives the listening
// address once requests can be sent.
func run(ctx context.Context, lookupEnv func(string) (string, bool), stdout, stderr io.Writer, ready chan<- string) error {
	getenv := func(k, def string) string {
		if v, ok := lookupEnv(k); ok && v != "" {
			return v
		}
		return def
	}
	level := slog.LevelInfo
	if err := level.UnmarshalText([]byte(getenv("HOOKGUARD_LOG_LEVEL", "info"))); err != nil {
		return fmt.Errorf("HOOKGUARD_LOG_LEVEL: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	wasm, err := os.ReadFile(getenv("HOOKGUARD_WASM", "build/hookguard.wasm"))
	if err != nil {
		return fmt.Errorf("%w (run `make build` first)", err)
	}
	pluginConfig := defaultConfig
	if path := getenv("HOOKGUARD_CONFIG", ""); path != "" {
		if pluginConfig, err = os.ReadFile(path); err != nil {
			return fmt.Errorf("HOOKGUARD_CONFIG: %w", err)
		}
	}

	secret := getenv(secretEnv, "")
	if secret == "" {
		b := make([]byte, 32)
		rand.Read(b)
		secret = hex.EncodeToString(b)
		fmt.Fprintf(stdout, "%s is not set, so this run uses a generated secret (shown once):\n\n  %s\n\nSet %s to use your own.\n\n", secretEnv, secret, secretEnv)
	}
	// The module sees only these variables, as Envoy's host_env_keys.
	env := map[string]string{secretEnv: secret}
	for _, k := range strings.Split(getenv("HOOKGUARD_ENV_KEYS", ""), ",") {
		if k = strings.TrimSpace(k); k != "" {
			if v, ok := lookupEnv(k); ok {
				env[k] = v
			}
		}
	}

	upstream, upstreamName, err := upstreamHandler(getenv("HOOKGUARD_UPSTREAM", ""))
	if err != nil {
		return err
	}
	mw, err := nethttp.NewMiddleware(ctx, wasm, nethttp.Config{
		Module: host.ModuleConfig{Logger: logger, CompilationCacheDir: getenv("HOOKGUARD_CACHE_DIR", "")},
		Plugin: host.PluginConfig{
			Name: "hookguard", RootID: "hookguard", VMID: "hookguard",
			Configuration: pluginConfig, Env: env,
			// hookguard holds the headers while it hashes the body; Envoy
			// needs the same (envoy.yaml sets it).
			AllowOnHeadersStopIteration: true,
		},
	})
	if err != nil {
		return err
	}
	defer mw.Close(context.WithoutCancel(ctx))

	ln, err := net.Listen("tcp", getenv("HOOKGUARD_ADDR", "127.0.0.1:8080"))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mw.Handler(upstream), ReadHeaderTimeout: 10 * time.Second}
	defer srv.Close()
	if addr := getenv("HOOKGUARD_METRICS_ADDR", ""); addr != "" {
		mln, err := net.Listen("tcp", addr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("HOOKGUARD_METRICS_ADDR: %w", err)
		}
		metrics := &http.Server{Handler: metricsHandler(mw.Plugin().Metrics()), ReadHeaderTimeout: 10 * time.Second}
		defer metrics.Close()
		go metrics.Serve(mln)
		fmt.Fprintf(stdout, "metrics: http://%s/metrics\n\n", mln.Addr())
	}
	printUsage(stdout, ln.Addr().String(), upstreamName, []byte(secret))
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// upstreamHandler is a reverse proxy to raw, or the built-in echo server.
func upstreamHandler(raw string) (http.Handler, string, error) {
	if raw == "" {
		return http.HandlerFunc(echo), "built-in echo (answers 200 with the body it received)", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", fmt.Errorf("HOOKGUARD_UPSTREAM %q is not an http(s) URL", raw)
	}
	return httputil.NewSingleHostReverseProxy(u), u.Redacted(), nil
}

// metricsHandler serves the filter's metrics in the Prometheus text format.
func metricsHandler(m *host.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		m.WritePrometheus(w)
	})
	return mux
}

// echo answers 200 with the request body it received.
func echo(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(http.StatusOK)
	io.Copy(w, r.Body)
}

// sampleBody is what the printed curl sends.
const sampleBody = `{"event":"ping","source":"hookguard"}`

func printUsage(w io.Writer, addr, upstream string, secret []byte) {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	base := "http://" + net.JoinHostPort(host, port)
	fmt.Fprintf(w, "hookguard is verifying webhooks on %s\nupstream: %s\n\n", base, upstream)
	fmt.Fprintf(w, "A correctly signed request (200):\n\n  curl -sS -X POST %s/webhook -H 'Content-Type: application/json' -H 'X-Pipes-Signature: %s' --data-binary '%s'\n\n",
		base, verify.SignPipes(secret, []byte(sampleBody)), sampleBody)
	fmt.Fprintf(w, "An unsigned one (401):\n\n  curl -sS -i -X POST %s/webhook --data-binary '%s'\n\n", base, sampleBody)
}
