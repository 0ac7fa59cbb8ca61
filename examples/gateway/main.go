// Command gateway is hookguard's verifying reverse proxy: it loads
// build/hookguard.wasm through our wazero host and lets on only requests
// whose webhook signature verifies. It is what `make run` starts; it holds
// the terminal until Ctrl-C.
//
// Environment:
//
//	HOOKGUARD_ADDR          listen address (default 127.0.0.1:8080)
//	HOOKGUARD_CONFIG        file of plugin configuration JSON (README: Configuration);
//	                        default: Pipes.bot signatures on every path
//	PIPES_WEBHOOK_SECRET    the default configuration's secret; generated for this run if unset
//	HOOKGUARD_UPSTREAM      upstream URL; default a built-in echo server
//	HOOKGUARD_ENV_KEYS      more environment variables the module may read, comma-separated
//	                        (those the configuration names as "env" are passed already)
//	HOOKGUARD_WASM          the module (default build/hookguard.wasm)
//	HOOKGUARD_CACHE_DIR     keep compiled code here, so later starts skip the ~1–2 s compile
//	                        (default: hookguard/wazero in the user cache directory; "off" compiles every start)
//	HOOKGUARD_LOG_LEVEL     debug, info (default), warn or error
//	HOOKGUARD_METRICS_ADDR  if set, serve the filter's metrics for Prometheus at /metrics here
//	HOOKGUARD_CLUSTERS      upstreams the module may call (proxy_http_call), name=url comma-separated:
//	                        a jwt route's jwks_cluster
//	HOOKGUARD_BODY_TIMEOUT  how long a request body may take to arrive (default 10s; 408 beyond)
//	HOOKGUARD_REDIS_URL     if set (redis://host:port/db), keep the routes' replay de-duplication
//	                        window in this Redis, shared by every gateway that uses it
//	HOOKGUARD_REDIS_TIMEOUT how long one Redis call may take (default 250ms); past it the route's
//	                        dedupe.on_store_failure decides (503 with Retry-After by default)
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
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/httpserver"
	"github.com/hookguard/hookguard/host/nethttp"
	"github.com/hookguard/hookguard/host/redisdata"
	"github.com/hookguard/hookguard/internal/upstream"
	"github.com/redis/go-redis/v9"
)

// cacheDir is where compiled code is kept: setting names it, "off" turns
// the cache off, and by default it is under the user's cache directory
// (none if there is no such directory or it cannot be created).
func cacheDir(setting string) string {
	switch setting {
	case "off":
		return ""
	case "":
		dir, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(dir, "hookguard", "wazero")
		if os.MkdirAll(dir, 0o755) != nil {
			return "" // a default that cannot be had costs a compile, not the start
		}
		return dir
	}
	return setting
}

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

// settings is what the environment asks of the gateway.
type settings struct {
	logLevel     slog.Level
	wasm         []byte
	pluginConfig []byte
	defaultCfg   bool
	cfg          config.Config // parsed here too, to fail before any VM starts
	env          map[string]string
	generated    string // a secret made for this run, printed once it starts
	upstream     string
	addr         string
	metricsAddr  string
	cacheDir     string
	redis        *redis.Options
	redisTimeout time.Duration
	clusters     map[string]string
	bodyTimeout  time.Duration
}

// readSettings reads and checks the environment. Errors name the variable
// at fault and never carry a secret.
func readSettings(lookupEnv func(string) (string, bool)) (*settings, error) {
	getenv := func(k, def string) string {
		if v, ok := lookupEnv(k); ok && v != "" {
			return v
		}
		return def
	}
	s := &settings{
		upstream: getenv("HOOKGUARD_UPSTREAM", ""), addr: getenv("HOOKGUARD_ADDR", "127.0.0.1:8080"),
		metricsAddr: getenv("HOOKGUARD_METRICS_ADDR", ""), cacheDir: cacheDir(getenv("HOOKGUARD_CACHE_DIR", "")),
	}
	if err := s.logLevel.UnmarshalText([]byte(getenv("HOOKGUARD_LOG_LEVEL", "info"))); err != nil {
		return nil, fmt.Errorf("HOOKGUARD_LOG_LEVEL: %w", err)
	}
	var err error
	if v := getenv("HOOKGUARD_BODY_TIMEOUT", ""); v != "" {
		if s.bodyTimeout, err = time.ParseDuration(v); err != nil || s.bodyTimeout <= 0 {
			return nil, fmt.Errorf("HOOKGUARD_BODY_TIMEOUT: %q is not a positive duration (10s, 1m)", v)
		}
	}
	for _, c := range strings.Split(getenv("HOOKGUARD_CLUSTERS", ""), ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		name, raw, ok := strings.Cut(c, "=")
		u, err := url.Parse(raw)
		if !ok || name == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("HOOKGUARD_CLUSTERS: %q is not name=http(s)://host[:port]", name)
		}
		if s.clusters == nil {
			s.clusters = map[string]string{}
		}
		s.clusters[name] = raw
	}
	if u := getenv("HOOKGUARD_REDIS_URL", ""); u != "" {
		if s.redis, err = redis.ParseURL(u); err != nil {
			return nil, errors.New("HOOKGUARD_REDIS_URL is not a redis:// URL") // the URL may carry a password: not quoted
		}
		// Calls end at their context's deadline, not at the client's 3 s
		// read timeout (redisdata bounds them either way).
		s.redis.ContextTimeoutEnabled = true
	}
	if v := getenv("HOOKGUARD_REDIS_TIMEOUT", ""); v != "" {
		if s.redisTimeout, err = time.ParseDuration(v); err != nil || s.redisTimeout <= 0 {
			return nil, fmt.Errorf("HOOKGUARD_REDIS_TIMEOUT: %q is not a positive duration (250ms, 1s)", v)
		}
	}
	if s.wasm, err = os.ReadFile(getenv("HOOKGUARD_WASM", "build/hookguard.wasm")); err != nil {
		return nil, fmt.Errorf("HOOKGUARD_WASM: %w (run `make build` first)", err)
	}
	s.pluginConfig, s.defaultCfg = defaultConfig, true
	if path := getenv("HOOKGUARD_CONFIG", ""); path != "" {
		if s.pluginConfig, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("HOOKGUARD_CONFIG: %w", err)
		}
		s.defaultCfg = false
	}
	// The module sees only the variables its configuration names, and
	// HOOKGUARD_ENV_KEYS, as Envoy's host_env_keys.
	s.env = map[string]string{}
	names := config.EnvNames(s.pluginConfig)
	for _, k := range strings.Split(getenv("HOOKGUARD_ENV_KEYS", ""), ",") {
		if k = strings.TrimSpace(k); k != "" {
			names = append(names, k)
		}
	}
	for _, k := range names {
		if v, ok := lookupEnv(k); ok && v != "" {
			s.env[k] = v
		}
	}
	if _, ok := s.env[secretEnv]; !ok && s.defaultCfg {
		b := make([]byte, 32)
		rand.Read(b)
		s.generated = hex.EncodeToString(b)
		s.env[secretEnv] = s.generated
	}
	cfg, _, err := config.Parse(s.pluginConfig, func(k string) (string, bool) { v, ok := s.env[k]; return v, ok })
	if err != nil {
		if s.defaultCfg {
			return nil, fmt.Errorf("default configuration: %w", err)
		}
		return nil, fmt.Errorf("HOOKGUARD_CONFIG: %w", err)
	}
	s.cfg = cfg
	return s, nil
}

// run serves until ctx is done. ready, if not nil, receives the listening
// address once requests can be sent.
func run(ctx context.Context, lookupEnv func(string) (string, bool), stdout, stderr io.Writer, ready chan<- string) error {
	return serve(ctx, lookupEnv, stdout, stderr, ready, nil)
}

// serve is run with the module's clock: nil is the wall clock; tests pin
// it so that nothing they check about timestamps depends on today's date.
func serve(ctx context.Context, lookupEnv func(string) (string, bool), stdout, stderr io.Writer, ready chan<- string, clock func() time.Time) error {
	s, err := readSettings(lookupEnv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: s.logLevel}))
	upstream, upstreamName, err := upstreamHandler(s.upstream)
	if err != nil {
		return err
	}
	var shared host.SharedData
	if s.redis != nil {
		client := redis.NewClient(s.redis)
		defer client.Close()
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := client.Ping(pingCtx).Err()
		cancel()
		if err != nil {
			return fmt.Errorf("HOOKGUARD_REDIS_URL: Redis at %s does not answer: %w", s.redis.Addr, err)
		}
		shared = redisdata.New(client, redisdata.Options{Timeout: s.redisTimeout})
	}
	mw, err := nethttp.NewMiddleware(ctx, s.wasm, nethttp.Config{
		Module: host.ModuleConfig{Logger: logger, CompilationCacheDir: s.cacheDir, Clock: clock},
		Plugin: host.PluginConfig{
			Name: "hookguard", RootID: "hookguard", VMID: "hookguard",
			Configuration: s.pluginConfig, Env: s.env,
			// hookguard holds the headers while it hashes the body; Envoy
			// needs the same (envoy.yaml sets it).
			AllowOnHeadersStopIteration: true,
			SharedData:                  shared,
			Clusters:                    s.clusters,
			BufferLimitBytes:            bufferLimit(s.cfg),
		},
		Limits:      nethttp.Limits{BodyTimeout: s.bodyTimeout},
		HeaderNames: headerNames(),
	})
	if err != nil {
		return err
	}
	defer mw.Close(context.WithoutCancel(ctx))

	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("HOOKGUARD_ADDR: %w", err)
	}
	// httpserver.Serve: header and idle timeouts, OPTIONS * to the module,
	// CONNECT refused, and a connection closed after a request with both
	// Content-Length and Transfer-Encoding.
	srv := &http.Server{Handler: mw.Handler(upstream)}
	defer srv.Close()
	if s.metricsAddr != "" {
		mln, err := net.Listen("tcp", s.metricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("HOOKGUARD_METRICS_ADDR: %w", err)
		}
		metrics := &http.Server{Handler: metricsHandler(mw.Plugin().Metrics()), ReadHeaderTimeout: 10 * time.Second}
		defer metrics.Close()
		go metrics.Serve(mln)
		fmt.Fprintf(stdout, "metrics: http://%s/metrics\n\n", mln.Addr())
	}
	if s.generated != "" {
		fmt.Fprintf(stdout, "%s is not set, so this run uses a generated secret (shown once):\n\n  %s\n\nSet %s to use your own.\n\n", secretEnv, s.generated, secretEnv)
	}
	printUsage(stdout, ln.Addr().String(), upstreamName, s)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 2)
	go func() { errc <- httpserver.Serve(srv, ln) }()
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
	fmt.Fprintln(stdout, "hookguard stopped.")
	return nil
}

// bufferLimit is the host's body buffer limit for cfg: twice the largest
// max_body_bytes and at least 2 MiB, so that the filter's own cap, which
// logs and counts, always answers a body too large (README: Limits).
func bufferLimit(cfg config.Config) int {
	largest := int64(0)
	for _, rt := range cfg.Routes {
		largest = max(largest, rt.MaxBodyBytes)
	}
	return int(min(max(2*largest, 2<<20), 1<<31-1))
}

// verifiedHeader is the header hookguard adds to a request it verified.
const verifiedHeader = "X-Hookguard-Verified"

// headerNames are the headers hookguard reads or adds on most requests:
// X-Hookguard-Verified and every preset's signature, timestamp and
// delivery-id headers. The middleware converts them between net/http's
// case and the module's lower case without allocating.
func headerNames() []string {
	names := []string{verifiedHeader}
	for _, name := range verify.Presets() {
		p, _ := verify.LookupPreset(name)
		names = append(names, p.SignatureHeaders...)
		names = append(names, p.DeliveryIDHeaders...)
		for _, k := range []string{p.HMAC.TimestampHeader, p.HMAC.IDHeader} {
			if k != "" {
				names = append(names, k)
			}
		}
	}
	return names
}

// upstreamHandler is a reverse proxy to raw (upstream.NewProxy: idle
// connections kept for many clients), or the built-in echo server.
func upstreamHandler(raw string) (http.Handler, string, error) {
	if raw == "" {
		return http.HandlerFunc(echo), "built-in echo (answers 200 with the body it received)", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", fmt.Errorf("HOOKGUARD_UPSTREAM %q is not an http(s) URL", raw)
	}
	return upstream.NewProxy(u), u.Redacted(), nil
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

func printUsage(w io.Writer, addr, upstream string, s *settings) {
	hostname, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(hostname); ip == nil || ip.IsUnspecified() {
		hostname = "127.0.0.1"
	}
	base := "http://" + net.JoinHostPort(hostname, port)
	fmt.Fprintf(w, "hookguard is verifying webhooks on %s (Ctrl-C stops it)\nupstream: %s\n\n", base, upstream)
	if !s.defaultCfg {
		fmt.Fprintln(w, "routes, first match wins:")
		for _, rt := range s.cfg.Routes {
			fmt.Fprintf(w, "  %-20s %-18s %-8s %s\n", rt.Name, rt.SchemeName, rt.Mode, describeMatch(rt.Match))
		}
		fmt.Fprintf(w, "  %-20s unmatched requests: %s\n\n", "", s.cfg.Unmatched)
		return
	}
	secret := []byte(s.env[secretEnv])
	fmt.Fprintf(w, "A correctly signed request (200):\n\n  curl -sS -X POST %s/webhook -H 'Content-Type: application/json' -H 'X-Pipes-Signature: %s' --data-binary '%s'\n\n",
		base, verify.SignPipes(secret, []byte(sampleBody)), sampleBody)
	fmt.Fprintf(w, "An unsigned one (401):\n\n  curl -sS -i -X POST %s/webhook --data-binary '%s'\n\n", base, sampleBody)
}

func describeMatch(m config.Match) string {
	var parts []string
	if len(m.Methods) > 0 {
		parts = append(parts, strings.Join(m.Methods, ","))
	}
	if m.Authority != "" {
		parts = append(parts, "host "+m.Authority)
	}
	switch {
	case m.Path != "":
		parts = append(parts, "path "+m.Path)
	case m.PathPrefix != "":
		parts = append(parts, "path "+m.PathPrefix+"*")
	}
	if len(parts) == 0 {
		return "every request"
	}
	return strings.Join(parts, " ")
}
