// Package nethttp runs a proxy-wasm HTTP filter, through package host, as
// net/http middleware: each request's headers, body and trailers go through
// the module before the next handler sees them, and the handler's response
// goes back through it.
//
//	mw, err := nethttp.NewMiddleware(ctx, wasm, nethttp.Config{Plugin: host.PluginConfig{
//		Configuration:               []byte(`{"secret_env":"PIPES_WEBHOOK_SECRET"}`),
//		Env:                         map[string]string{"PIPES_WEBHOOK_SECRET": secret},
//		AllowOnHeadersStopIteration: true,
//	}})
//	defer mw.Close(ctx)
//	http.Handle("/webhook", mw.Handler(app))
//	log.Fatal(nethttp.Serve(&http.Server{}, ln))
//
// Config.Limits bounds what one client can cost (body timeout, bodies and
// large-body bytes in flight, CPU for large bodies); Serve gives a server
// the connection defaults a verifier needs (header and idle timeouts,
// header size, CONNECT refused, OPTIONS * to the handler, a connection
// closed after a request with both Content-Length and Transfer-Encoding).
package nethttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookguard/hookguard/host"
)

// Config configures a Middleware.
type Config struct {
	Module host.ModuleConfig
	Plugin host.PluginConfig
	// Limits bound each client's cost; the zero value is the defaults.
	Limits Limits
}

// Middleware is a compiled module with one started plugin.
type Middleware struct {
	module *host.Module
	plugin *host.Plugin
	logger *slog.Logger
	limits Limits
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
	return &Middleware{module: mod, plugin: p, logger: logger, limits: cfg.Limits}, nil
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
	return NewHandler(m.plugin, next, m.logger, m.limits)
}

// NewHandler returns next behind a plugin started elsewhere, under limits.
// logger may be nil.
func NewHandler(p *host.Plugin, next http.Handler, logger *slog.Logger, limits Limits) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &handler{plugin: p, next: next, logger: logger, admission: newAdmission(limits)}
}

type handler struct {
	plugin    *host.Plugin
	next      http.Handler
	logger    *slog.Logger
	admission *admission
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
	if r.ContentLength >= 0 && r.ContentLength < h.admission.largeBytes {
		h.admission.smallActive.Add(1) // large bodies rest while it is in flight
		defer h.admission.smallActive.Add(-1)
	}
	s.SetProperty("source.address", []byte(r.RemoteAddr))
	s.SetProperty("request.protocol", []byte(r.Proto))

	req := &host.Request{Header: requestHeader(r)}
	var body *admittedBody
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		body = h.admission.admit(ctx, r.Body, r.ContentLength)
		defer body.release()
		body.bodyDeadline(w)
		req.Body = body
		req.Trailers = func() host.Header { return fromHTTPHeader(nil, r.Trailer) }
	}
	// A module may hold the request for a callout or a timer: the body
	// timeout bounds that wait too.
	waitCtx, cancel := context.WithTimeout(ctx, h.admission.wait())
	out, err := s.HandleRequest(waitCtx, req)
	cancel()
	// The body is read, or will not be (the module answered early): its
	// limits hold nothing while the upstream answers.
	body.bodyRead(err == nil)
	if body != nil {
		body.done()
	}
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
	r2 := forwardedRequest(r, out)
	rw := &responseWriter{w: w, s: s, ctx: ctx, wait: h.admission.wait()}
	h.next.ServeHTTP(rw, r2)
	rw.finish()
}

// requestHeader turns r into an Envoy-style header map: pseudo-headers
// first, then every header value as its own lower-cased entry.
func requestHeader(r *http.Request) host.Header {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	h := host.Header{
		{Key: ":authority", Value: r.Host},
		{Key: ":path", Value: r.URL.RequestURI()},
		{Key: ":method", Value: r.Method},
		{Key: ":scheme", Value: scheme},
	}
	return fromHTTPHeader(h, r.Header)
}

func fromHTTPHeader(h host.Header, hh http.Header) host.Header {
	var buf [32]string
	keys := buf[:0]
	for k := range hh {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		lk := lowerKey(k)
		for _, v := range hh[k] {
			h = append(h, host.HeaderField{Key: lk, Value: v})
		}
	}
	return h
}

// lowerKeys are the lower-case forms of common canonical header names, so
// a request's headers are lower-cased without allocating.
var lowerKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control",
		"Connection", "Content-Encoding", "Content-Length", "Content-Type", "Cookie", "Date", "Etag", "Host",
		"Location", "Origin", "Referer", "Server", "Set-Cookie", "Transfer-Encoding", "User-Agent", "Vary",
		"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Request-Id", "X-Hookguard-Verified",
		"X-Pipes-Signature", "X-Hub-Signature-256", "X-Github-Delivery", "X-Github-Event", "Stripe-Signature",
		"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature", "Svix-Id", "Svix-Timestamp", "Svix-Signature",
		"X-Slack-Signature", "X-Slack-Request-Timestamp", "X-Shopify-Hmac-Sha256", "X-Twilio-Signature"} {
		m[k] = strings.ToLower(k)
	}
	return m
}()

// canonicalKeys maps lowerKeys' values back.
var canonicalKeys = func() map[string]string {
	m := make(map[string]string, len(lowerKeys))
	for k, lk := range lowerKeys {
		m[lk] = k
	}
	return m
}()

// canonicalKey is http.CanonicalHeaderKey without its allocation for the
// common names.
func canonicalKey(k string) string {
	if ck, ok := canonicalKeys[k]; ok {
		return ck
	}
	return http.CanonicalHeaderKey(k)
}

func lowerKey(k string) string {
	if lk, ok := lowerKeys[k]; ok {
		return lk
	}
	return strings.ToLower(k)
}

// forwardedRequest is r as the module let it through.
func forwardedRequest(r *http.Request, out *host.Outcome) *http.Request {
	// A shallow copy: every field the module could change is replaced,
	// never written through, so r's own values are untouched.
	r2 := r.WithContext(r.Context())
	r2.Header = make(http.Header, len(out.Header))
	for _, f := range out.Header {
		switch f.Key {
		case ":method":
			r2.Method = f.Value
		case ":path":
			if f.Value == r.URL.RequestURI() {
				break // unchanged: r's URL serves, unparsed again
			}
			if u, err := r.URL.Parse(f.Value); err == nil {
				r2.URL, r2.RequestURI = u, f.Value
			}
		case ":authority":
			r2.Host = f.Value
		case ":scheme", "transfer-encoding", "content-length", "expect":
			// Expect: the body is read and verified already, so there is
			// nothing to ask the upstream before sending it; net/http has
			// answered the client's 100-continue (and refused any other
			// expectation with 417). Envoy drops the header likewise.
		default:
			if !strings.HasPrefix(f.Key, ":") {
				k := canonicalKey(f.Key)
				r2.Header[k] = append(r2.Header[k], f.Value)
			}
		}
	}
	r2.Body = io.NopCloser(bytes.NewReader(out.Body))
	r2.ContentLength = int64(len(out.Body))
	if len(out.Body) == 0 {
		r2.Body = http.NoBody
	}
	r2.Trailer = nil
	if len(out.Trailer) > 0 {
		r2.Trailer = http.Header{}
		for _, f := range out.Trailer {
			r2.Trailer.Add(f.Key, f.Value)
		}
	}
	return r2
}

// validStatus reports whether a module's status can be sent: 200 to 599,
// as Envoy's local replies and responses carry.
func validStatus(s int) bool { return s >= 200 && s <= 599 }

// validHeader reports whether every field is a token name (or a
// pseudo-header) with a value free of CR, LF and NUL, so none can smuggle
// a line into the response.
func validHeader(h host.Header) bool {
	for _, f := range h {
		name := strings.TrimPrefix(f.Key, ":")
		if name == "" || strings.ContainsAny(f.Value, "\r\n\x00") {
			return false
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
				return false
			}
		}
	}
	return true
}

func writeLocal(w http.ResponseWriter, lr *host.LocalResponse) {
	if !validStatus(lr.Status) || !validHeader(lr.Header) {
		// What no HTTP writer can send (net/http panics on status 0)
		// fails closed, as a broken filter does in Envoy.
		lr = &host.LocalResponse{Status: http.StatusInternalServerError, Body: []byte("Internal Server Error")}
	}
	h := w.Header()
	clear(h)
	for _, f := range lr.Header {
		h.Add(f.Key, f.Value)
	}
	h.Set("Content-Length", strconv.Itoa(len(lr.Body)))
	w.WriteHeader(lr.Status)
	w.Write(lr.Body)
}

// responseWriter passes the next handler's response through the module.
type responseWriter struct {
	w    http.ResponseWriter
	s    *host.Stream
	ctx  context.Context
	wait time.Duration // how long a module may hold the response for a callout or a timer

	started     bool // WriteHeader reached the module
	headersSent bool // headers went to the client
	ended       bool // local response or reset: discard the rest
}

func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

// WriteHeader passes the final status to the module; an informational one
// (1xx but 101) is not a response's status and never reaches it: as in
// Envoy, where no proxy-wasm callback sees 1xx headers, 100 Continue is
// dropped and the others (103 Early Hints) go straight to the client.
func (rw *responseWriter) WriteHeader(code int) {
	if isInformational(code) {
		rw.writeInformational(code)
		return
	}
	if rw.started {
		return
	}
	rw.started = true
	h := fromHTTPHeader(host.Header{{Key: ":status", Value: strconv.Itoa(code)}}, rw.w.Header())
	rw.apply(rw.s.ResponseHeaders(rw.ctx, h, false))
}

// isInformational reports whether code is an interim response that a final
// one follows. 101 Switching Protocols is not: it ends HTTP on the
// connection, so it goes to the module as a final status (and, not being
// one validStatus lets out, ends as 500).
func isInformational(code int) bool {
	return code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols
}

// writeInformational sends a 1xx response (an upstream's, forwarded by
// httputil.ReverseProxy, or a handler's own) ahead of the final one, with
// the header map as it is, as net/http does. 100 Continue is dropped: it
// answers the client's Expect: 100-continue, and net/http has answered
// that already, when the request body was first read (the whole body was
// read before the handler ran); Envoy answers the expectation itself too
// and never forwards the upstream's 100. Once the final status is given,
// a 1xx is dropped, as net/http drops a WriteHeader after the first.
func (rw *responseWriter) writeInformational(code int) {
	if code == http.StatusContinue || rw.started {
		return
	}
	rw.w.WriteHeader(code)
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	if !rw.started {
		rw.WriteHeader(http.StatusOK)
	}
	if !rw.ended && len(p) > 0 {
		rw.apply(rw.s.ResponseBody(rw.ctx, p, false))
	}
	return len(p), nil
}

// Flush passes on what the module has let through.
func (rw *responseWriter) Flush() {
	if f, ok := rw.w.(http.Flusher); ok && rw.headersSent {
		f.Flush()
	}
}

func (rw *responseWriter) finish() {
	if !rw.started {
		rw.WriteHeader(http.StatusOK)
	}
	if !rw.ended {
		rw.apply(rw.s.ResponseBody(rw.ctx, nil, true))
	}
	if !rw.headersSent {
		rw.awaitModule()
	}
	if !rw.headersSent {
		// The module held the response and never let it go: fail closed.
		writeLocal(rw.w, &host.LocalResponse{Status: http.StatusInternalServerError, Body: []byte("Internal Server Error")})
	}
}

// awaitModule waits, up to rw.wait, for a module that holds the response
// to let it go from a callout's response or a tick, as Envoy holds it
// until the module resumes it; it returns at once when nothing can.
func (rw *responseWriter) awaitModule() {
	ctx, cancel := context.WithTimeout(rw.ctx, rw.wait)
	defer cancel()
	for !rw.headersSent && !rw.ended {
		out, more := rw.s.Wait(ctx)
		rw.apply(out)
		if !more || ctx.Err() != nil {
			return
		}
	}
}

func (rw *responseWriter) apply(o host.Output) {
	if o.LocalResponse != nil && !rw.headersSent {
		writeLocal(rw.w, o.LocalResponse)
		rw.headersSent, rw.ended = true, true
		return
	}
	if o.Reset {
		rw.ended = true
		if !rw.headersSent {
			writeLocal(rw.w, &host.LocalResponse{Status: http.StatusServiceUnavailable})
			rw.headersSent = true
			return
		}
		panic(http.ErrAbortHandler) // cut the connection, as Envoy resets the stream
	}
	if o.Header != nil {
		h := rw.w.Header()
		clear(h)
		status := http.StatusOK
		for _, f := range o.Header {
			if f.Key == ":status" {
				var err error
				if status, err = strconv.Atoi(f.Value); err != nil {
					status = 0
				}
			} else if !strings.HasPrefix(f.Key, ":") {
				h.Add(f.Key, f.Value)
			}
		}
		if !validStatus(status) || !validHeader(o.Header) {
			rw.ended = true
			writeLocal(rw.w, &host.LocalResponse{Status: http.StatusInternalServerError, Body: []byte("Internal Server Error")})
			rw.headersSent = true
			return
		}
		rw.w.WriteHeader(status)
		rw.headersSent = true
	}
	if len(o.Body) > 0 {
		rw.w.Write(o.Body)
	}
	for _, f := range o.Trailer {
		rw.w.Header().Add(http.TrailerPrefix+f.Key, f.Value)
	}
}
