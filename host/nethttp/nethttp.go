// Package nethttp runs a proxy-wasm HTTP filter, through package host, as
// net/http middleware: each request's headers, body and trailers go through
// the module before the next handler sees them, and the handler's response
// goes back through it, as an Envoy filter chain passes them.
//
//	mw, err := nethttp.NewMiddleware(ctx, wasm, nethttp.Config{Plugin: host.PluginConfig{
//		Configuration:               []byte(`{"secret_env":"PIPES_WEBHOOK_SECRET"}`),
//		Env:                         map[string]string{"PIPES_WEBHOOK_SECRET": secret},
//		AllowOnHeadersStopIteration: true,
//	}})
//	defer mw.Close(ctx)
//	http.Handle("/webhook", mw.Handler(app))
//
// Config.Limits bounds what one client can cost (body timeout, bodies and
// large-body bytes in flight, CPU for large bodies). Package
// host/httpserver serves the handler with the connection defaults a
// verifier needs.
package nethttp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookguard/hookguard/host"
)

// Config configures a Middleware.
type Config struct {
	Module host.ModuleConfig
	Plugin host.PluginConfig
	// Limits bound each client's cost; the zero value is the defaults.
	Limits Limits
	// HeaderNames are the header names, beyond the standard ones
	// (Content-Type, User-Agent, X-Forwarded-For, …), that requests and
	// responses carry most often: the module's own, such as the headers a
	// verifier reads its signature from. Envoy hands a module lower-case
	// names and net/http keeps them canonical, so each name is converted
	// on the way in and out; these, in any case, are converted without
	// allocating. Any other name is converted too, at an allocation each.
	HeaderNames []string
}

// Middleware is a compiled module with one started plugin.
type Middleware struct {
	module *host.Module
	plugin *host.Plugin
	logger *slog.Logger
	limits Limits
	names  *headerNames
}

// NewMiddleware compiles wasm and starts a plugin from it. Configuration
// errors come back here: a plugin the module rejects is never served.
func NewMiddleware(ctx context.Context, wasm []byte, cfg Config) (*Middleware, error) {
	mod, err := host.Compile(ctx, wasm, cfg.Module)
	if err != nil {
		return nil, err
	}
	p, err := mod.NewPlugin(ctx, cfg.Plugin)
	if err != nil {
		mod.Close(ctx)
		return nil, err
	}
	logger := cfg.Module.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Middleware{module: mod, plugin: p, logger: logger, limits: cfg.Limits, names: namesFor(cfg.HeaderNames)}, nil
}

// Plugin returns the running plugin, for its metrics.
func (m *Middleware) Plugin() *host.Plugin { return m.plugin }

// Close stops the plugin and releases the module.
func (m *Middleware) Close(ctx context.Context) error {
	return errors.Join(m.plugin.Close(ctx), m.module.Close(ctx))
}

// Handler returns next behind the filter, under the Config's Limits
// (each handler counts its own).
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return newHandler(m.plugin, next, m.logger, m.limits, m.names)
}

// NewHandler returns next behind a plugin started elsewhere, under limits;
// headerNames are as Config.HeaderNames. logger may be nil.
func NewHandler(p *host.Plugin, next http.Handler, logger *slog.Logger, limits Limits, headerNames ...string) http.Handler {
	return newHandler(p, next, logger, limits, namesFor(headerNames))
}

func newHandler(p *host.Plugin, next http.Handler, logger *slog.Logger, limits Limits, names *headerNames) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := newAdmission(limits)
	// Every request passes the limits first: they count it and bound its
	// body before the module reads it.
	return a.handle(&handler{plugin: p, next: next, logger: logger, names: names, wait: a.wait()})
}

// handler is the adapter: it runs each request through a stream of the
// plugin and passes on what the module lets through. It is only ever
// served behind its admission, which hands it the body it closes.
type handler struct {
	plugin *host.Plugin
	next   http.Handler
	logger *slog.Logger
	names  *headerNames
	wait   time.Duration // how long a module may hold a request or response for a callout or a timer
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s, err := h.plugin.NewStream(ctx)
	if err != nil {
		// No VM can take the request: fail closed.
		h.logger.Error("wasm filter unavailable", "error", err)
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	// The stream ends whatever happens to the client: on_log, on_done and
	// on_delete always run.
	defer s.Close(context.WithoutCancel(ctx))
	s.SetProperty("source.address", []byte(r.RemoteAddr))
	s.SetProperty("request.protocol", []byte(r.Proto))

	start := time.Now()
	out, err := h.handleRequest(s, r)
	h.plugin.Metrics().Observe(metricDecision, time.Since(start).Microseconds())
	if err != nil {
		// The client went away, was too slow or sent a broken body, or
		// the host is full: nothing goes on.
		h.logger.Debug("reading the request body failed", "error", err)
		refuse(w, err, func(name string) { h.plugin.Metrics().Count(name, 1) })
		return
	}
	if out.LocalResponse != nil {
		writeLocal(w, out.LocalResponse)
		return
	}
	rw := &responseWriter{w: w, s: s, ctx: ctx, wait: h.wait, names: h.names}
	h.next.ServeHTTP(rw, forwardedRequest(r, out, h.names))
	rw.finish()
}

// handleRequest runs r's headers, body and trailers through the module,
// as Envoy's decoder callbacks do, and returns what it made of them.
func (h *handler) handleRequest(s *host.Stream, r *http.Request) (*host.Outcome, error) {
	// A module may hold the request for a callout or a timer: the body
	// timeout bounds that wait too.
	req := &host.Request{Header: requestHeader(r, h.names), MaxWait: h.wait}
	if hasBody(r) {
		req.Body = r.Body
		req.Trailers = func() host.Header { return fromHTTPHeader(nil, r.Trailer, h.names) }
		// The body is read, or will not be (the module answered early):
		// closing it lets the limits go of it before the upstream answers.
		defer r.Body.Close()
	}
	return s.HandleRequest(r.Context(), req)
}
