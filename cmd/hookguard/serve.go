package main

import (
	"context"
	"errors"
	"flag"
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
	"sync/atomic"
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

// serveDoc is serve's help: the gateway's settings are environment
// variables; the flags below override the ones a person expects to pass.
const serveDoc = `usage: hookguard serve [flags]

The verifying reverse proxy: it loads the module through our wazero host
and lets on only requests whose webhook signature verifies. It holds the
terminal until Ctrl-C. It reloads its configuration and secrets on SIGHUP
and when HOOKGUARD_CONFIG or a secret file (NAME_FILE) changes: the new
plugin starts before it takes requests, and a bad one leaves the old one
serving.

Environment:

  HOOKGUARD_ADDR          listen address (default 127.0.0.1:8080)
  HOOKGUARD_CONFIG        file of plugin configuration JSON (README: Configuration);
                          default: Pipes.bot signatures on every path
  PIPES_WEBHOOK_SECRET    the default configuration's secret; generated for this run if unset
  NAME_FILE               for a variable NAME the configuration names: read it from this file
  HOOKGUARD_UPSTREAM      upstream URL; default a built-in echo server
  HOOKGUARD_ENV_KEYS      more environment variables the module may read, comma-separated
                          (those the configuration names as "env" are passed already)
  HOOKGUARD_WASM          the module (default build/hookguard.wasm)
  HOOKGUARD_CACHE_DIR     keep compiled code here, so later starts skip the ~1-2 s compile
                          (default: hookguard/wazero in the user cache directory; "off" compiles every start)
  HOOKGUARD_LOG_LEVEL     debug, info (default), warn or error
  HOOKGUARD_METRICS_ADDR  if set, serve the filter's metrics for Prometheus at /metrics here,
                          and the probes /healthz and /readyz
  HOOKGUARD_CLUSTERS      upstreams the module may call (proxy_http_call), name=url comma-separated:
                          a jwt route's jwks_cluster, a route's key_cluster; url https://* reaches
                          each call's own host; provider-keys=https://* unless set otherwise
  HOOKGUARD_BODY_TIMEOUT  how long a request body may take to arrive (default 10s; 408 beyond)
  HOOKGUARD_REDIS_URL     if set (redis://host:port/db), keep the routes' replay de-duplication
                          window in this Redis, shared by every gateway that uses it
  HOOKGUARD_REDIS_TIMEOUT how long one Redis call may take (default 250ms); past it the route's
                          dedupe.on_store_failure decides (503 with Retry-After by default)

Flags (each overrides its variable):
`

// serveFlags are serve's flags and the variable each overrides.
var serveFlags = []struct{ name, env, usage string }{
	{"addr", "HOOKGUARD_ADDR", "listen address"},
	{"config", "HOOKGUARD_CONFIG", "file of plugin configuration JSON"},
	{"upstream", "HOOKGUARD_UPSTREAM", "upstream URL"},
	{"metrics-addr", "HOOKGUARD_METRICS_ADDR", "serve /metrics here"},
	{"log-level", "HOOKGUARD_LOG_LEVEL", "debug, info, warn or error"},
	{"wasm", "HOOKGUARD_WASM", "the module"},
	{"cache-dir", "HOOKGUARD_CACHE_DIR", `compiled code cache ("off": none)`},
}

// runServe is the serve subcommand.
func runServe(args []string, env func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, serveDoc); fs.PrintDefaults() }
	values := map[string]*string{}
	for _, f := range serveFlags {
		values[f.name] = fs.String(f.name, "", f.usage+" ("+f.env+")")
	}
	warm := fs.Bool("warm-cache", false, "compile the module into the cache directory and exit")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hookguard serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	overrides := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		for _, sf := range serveFlags {
			if sf.name == f.Name {
				overrides[sf.env] = *values[f.Name]
			}
		}
	})
	lookup := func(k string) (string, bool) {
		if v, ok := overrides[k]; ok {
			return v, true
		}
		return lookupFrom(env)(k)
	}
	if *warm {
		return warmCache(lookup, stdout, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runGateway(ctx, lookup, stdout, stderr, nil); err != nil {
		fmt.Fprintln(stderr, "hookguard serve:", err)
		return exitFault
	}
	return exitOK
}

// parseFlags parses args; done says the subcommand ends here, with code:
// 0 for -h, 2 for a bad flag (the flag package has said why).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		return exitOK, true
	}
	return exitUsage, true
}

// warmCache compiles the module into the cache directory, so that a
// container image ships compiled code and its first start skips the
// compile.
func warmCache(lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	setting, _ := lookupEnv("HOOKGUARD_CACHE_DIR")
	dir := cacheDir(setting)
	if dir == "" {
		fmt.Fprintln(stderr, "hookguard serve --warm-cache: no cache directory: set HOOKGUARD_CACHE_DIR or --cache-dir")
		return exitUsage
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "hookguard serve --warm-cache: HOOKGUARD_CACHE_DIR:", err)
		return exitFault
	}
	wasm, err := readModule(lookupEnv)
	if err != nil {
		fmt.Fprintln(stderr, "hookguard serve --warm-cache:", err)
		return exitFault
	}
	ctx := context.Background()
	mod, err := host.Compile(ctx, wasm, host.ModuleConfig{CompilationCacheDir: dir})
	if err != nil {
		fmt.Fprintln(stderr, "hookguard serve --warm-cache:", err)
		return exitFault
	}
	mod.Close(ctx)
	fmt.Fprintf(stdout, "compiled the module into %s\n", dir)
	return exitOK
}

// defaultWasm is where `make build` writes the module.
const defaultWasm = "build/hookguard.wasm"

// readModule reads the module HOOKGUARD_WASM names.
func readModule(lookupEnv func(string) (string, bool)) ([]byte, error) {
	path, ok := lookupEnv("HOOKGUARD_WASM")
	if !ok || path == "" {
		path = defaultWasm
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("HOOKGUARD_WASM: %w (build it with `make build` in a clone of hookguard, or point HOOKGUARD_WASM or --wasm at a hookguard.wasm; the container image has /usr/share/hookguard/hookguard.wasm)", err)
	}
	return wasm, nil
}

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

// settings is what the environment asks of the gateway.
type settings struct {
	logLevel     slog.Level
	wasm         []byte
	source       *pluginSource
	plugin       *pluginSettings
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
	if s.clusters, err = parseClusters(getenv("HOOKGUARD_CLUSTERS", "")); err != nil {
		return nil, err
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
	if s.wasm, err = readModule(lookupEnv); err != nil {
		return nil, err
	}
	s.source = &pluginSource{lookupEnv: lookupEnv, configPath: getenv("HOOKGUARD_CONFIG", ""), envKeys: config.SplitList(getenv("HOOKGUARD_ENV_KEYS", ""))}
	if s.plugin, err = s.source.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// providerKeysCluster is the cluster providers.json's aws-sns, paypal and
// plaid routes fetch their keys through: unless HOOKGUARD_CLUSTERS names
// it, it reaches each call's own host (host.DynamicCluster), which the
// module pins to the provider's.
const providerKeysCluster = "provider-keys"

// parseClusters reads HOOKGUARD_CLUSTERS: name=url, comma-separated; a
// url of https://* reaches each call's own host.
func parseClusters(setting string) (map[string]string, error) {
	clusters := map[string]string{providerKeysCluster: host.DynamicCluster}
	for _, c := range config.SplitList(setting) {
		name, raw, ok := strings.Cut(c, "=")
		u, err := url.Parse(raw)
		if !ok || name == "" || raw != host.DynamicCluster && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "*") {
			return nil, fmt.Errorf("HOOKGUARD_CLUSTERS: %q is not name=http(s)://host[:port] or name=https://*", name)
		}
		clusters[name] = raw
	}
	return clusters, nil
}

// runGateway serves until ctx is done. ready, if not nil, receives the
// listening address once requests can be sent.
func runGateway(ctx context.Context, lookupEnv func(string) (string, bool), stdout, stderr io.Writer, ready chan<- string) error {
	return serve(ctx, lookupEnv, stdout, stderr, ready, nil)
}

// serve is runGateway with the module's clock: nil is the wall clock;
// tests pin it so that nothing they check about timestamps depends on
// today's date.
func serve(ctx context.Context, lookupEnv func(string) (string, bool), stdout, stderr io.Writer, ready chan<- string, clock func() time.Time) error {
	s, err := readSettings(lookupEnv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: s.logLevel}))
	for _, w := range s.plugin.warnings {
		logger.Warn("configuration: " + w)
	}
	upstream, upstreamName, err := upstreamHandler(s.upstream)
	if err != nil {
		return err
	}
	// One store for every plugin a reload starts: the de-duplication
	// window outlives a reload.
	shared := host.NewMemorySharedData()
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
	mod, err := host.Compile(ctx, s.wasm, host.ModuleConfig{Logger: logger, CompilationCacheDir: s.cacheDir, Clock: clock})
	if err != nil {
		return err
	}
	defer mod.Close(context.WithoutCancel(ctx))
	starter := &pluginStarter{module: mod, upstream: upstream, logger: logger, shared: shared, clusters: s.clusters,
		limits: nethttp.Limits{BodyTimeout: s.bodyTimeout}}
	first, err := starter.start(ctx, s.plugin)
	if err != nil {
		return err
	}
	live := newLiveHandler(first)
	defer live.close(context.WithoutCancel(ctx))

	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("HOOKGUARD_ADDR: %w", err)
	}
	// httpserver.Serve: header and idle timeouts, OPTIONS * to the module,
	// CONNECT refused, and a connection closed after a request with both
	// Content-Length and Transfer-Encoding.
	srv := &http.Server{Handler: live}
	defer srv.Close()
	// serving answers /readyz: set once requests are served, cleared when
	// shutting down, so a load balancer stops sending first.
	var serving atomic.Bool
	if s.metricsAddr != "" {
		mln, err := net.Listen("tcp", s.metricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("HOOKGUARD_METRICS_ADDR: %w", err)
		}
		metrics := &http.Server{Handler: metricsHandler(live.metrics, &serving), ReadHeaderTimeout: 10 * time.Second}
		defer metrics.Close()
		go metrics.Serve(mln)
		fmt.Fprintf(stdout, "metrics: http://%s/metrics\n\n", mln.Addr())
	}
	if s.plugin.generated != "" {
		fmt.Fprintf(stdout, "%s is not set, so this run uses a generated secret (shown once):\n\n  %s\n\nSet %s to use your own.\n\n", secretEnv, s.plugin.generated, secretEnv)
	}
	printUsage(stdout, ln.Addr().String(), upstreamName, s.plugin)
	rl := &reloader{live: live, source: s.source, start: starter.start, logger: logger, every: pollEvery}
	stopReloads := rl.run(ctx)
	defer stopReloads()
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 2)
	go func() { errc <- httpserver.Serve(srv, ln) }()
	serving.Store(true)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	serving.Store(false)
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

// metricsHandler serves the metrics of the plugin serving now in the
// Prometheus text format (a reload starts a plugin, and its counters,
// anew), and the probes: /healthz answers 200 while the process serves
// this port, /readyz 200 while webhooks are served (503 before and while
// shutting down). They are on this port because every path of the
// webhook port belongs to the configuration's routes.
func metricsHandler(current func() *host.Metrics, serving *atomic.Bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !serving.Load() {
			http.Error(w, "not serving", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		current().WritePrometheus(w)
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

func printUsage(w io.Writer, addr, upstream string, ps *pluginSettings) {
	hostname, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(hostname); ip == nil || ip.IsUnspecified() {
		hostname = "127.0.0.1"
	}
	base := "http://" + net.JoinHostPort(hostname, port)
	fmt.Fprintf(w, "hookguard is verifying webhooks on %s (Ctrl-C stops it)\nupstream: %s\n\n", base, upstream)
	if !ps.defaultCfg {
		fmt.Fprintln(w, "routes, first match wins:")
		for _, rt := range ps.cfg.Routes {
			fmt.Fprintf(w, "  %-20s %-18s %-8s %s\n", rt.Name, rt.SchemeName, rt.Mode, describeMatch(rt.Match))
		}
		fmt.Fprintf(w, "  %-20s unmatched requests: %s\n\n", "", ps.cfg.Unmatched)
		return
	}
	secret := []byte(ps.env[secretEnv])
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
