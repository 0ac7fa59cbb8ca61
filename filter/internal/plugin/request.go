package plugin

import (
	"errors"
	"strconv"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/reason"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pairs"
)

// request is one stream's verification. Streams interleave on a VM, so
// everything per request lives here. Its callbacks below come in the order
// the host calls them.
type request struct {
	root   *Root
	stream *proxywasm.HTTPStream
	route  *config.Route
	check  verify.Check // nil once a verdict is reached; else &limit
	// perf: limit wraps the check by value, reset for each request, so
	// the body cap allocates nothing.
	limit verify.Limited
	// ident wraps the check of a route with dedupe, to identify the
	// delivery by what its sender signed.
	ident  verify.Identified
	hashed int // body bytes already fed to the check
	// perf: req is what the scheme sees; fields backs req.Header, and
	// arena the strings of the request's header maps (GetHeadersArena),
	// kept across reuses so the request path allocates none of them.
	// Nothing from them may outlive the request without a copy.
	req    verify.Request
	fields []verify.Field
	arena  []byte
	// headersSent is set once the headers went on before the verdict
	// (hold_headers false).
	headersSent bool
	// claimed is set while a delivery this request let through holds its
	// id in shared data (dedupe), until the response settles it.
	claimed   bool
	claimKey  string
	claimID   [16]byte
	claimedAt *config.Route
	// claimTime is when the claim was made (unix ms): it names this
	// attempt's entry, so a late outcome settles only its own.
	claimTime int64
	// retryAfter, when set, goes with a rejection as Retry-After.
	retryAfter int64
	// body is kept for a route with a handshake, whose event is in it.
	body []byte
	// claims is the check of a jwt route, whose claims may go upstream.
	claims verify.ClaimsCheck
	// waiting is the key fetch this request waits for (keyfetch.go).
	waiting *keyFetch
	// declared is the request's Content-Length, -1 when none; expired
	// checks the body under the route's secrets out of their life, for
	// the diagnosis (diagnosis.go).
	declared int64
	expired  verify.Check
}

var (
	errNotConfigured = errors.New("filter is not configured")
	errUnconfigured  = errors.New("route unconfigured")
	errBufferShrank  = errors.New("host body buffer is not cumulative after Pause")
	errShortRead     = errors.New("host returned fewer body bytes than it announced")
)

// NewHTTPContext implements proxywasm.RootContext: a request kept by
// OnDelete, or a new one.
func (r *Root) NewHTTPContext(s *proxywasm.HTTPStream) proxywasm.HTTPContext {
	if n := len(r.free); n > 0 {
		q := r.free[n-1]
		r.free = r.free[:n-1]
		q.root, q.stream = r, s
		return q
	}
	return &request{root: r, stream: s}
}

// OnRequestHeaders removes a spoofed verification header, picks the route
// and starts its check. A request decided by its headers, or without a
// body, is decided here. Each step after reading the headers returns
// handled when it decided what the callback returns.
func (q *request) OnRequestHeaders(_ int, endOfStream bool) proxywasm.Action {
	cfg := q.root.cfg
	if cfg == nil {
		return q.reject(reason.InternalError, errNotConfigured)
	}
	headers, err := proxywasm.GetHeadersArena(proxywasm.MapHTTPRequestHeaders, &q.arena)
	if err != nil {
		return q.reject(reason.InternalError, err)
	}
	if len(headers) == 0 {
		// No request has no :method and :path: the host withheld a map
		// over its limits. Say so, rather than "missing signature".
		return q.reject(reason.HeadersTooLarge, nil)
	}
	req, declared, spoofed := requestOf(&q.req, q.fields[:0], headers)
	q.fields = req.Header
	if spoofed {
		// Never let a client claim a verdict, whatever happens next.
		if err := proxywasm.RemoveHeader(proxywasm.MapHTTPRequestHeaders, VerifiedHeader); err != nil {
			return q.reject(reason.InternalError, err)
		}
	}
	if a, handled := q.pickRoute(cfg, req); handled {
		return a
	}
	// perf: the steps of features most routes do not use are not called
	// for them: in wasm even a call that returns at once brings its
	// machine code into the cache.
	if len(q.route.SourceCIDRs) > 0 {
		if a, handled := q.admitSource(req); handled {
			return a
		}
	}
	switch {
	case q.route.Mode == config.Off:
		return proxywasm.Continue
	case q.route.Unconfigured:
		return q.reject(reason.Unconfigured, verify.WithHint(errUnconfigured, "none of the route's secrets (or its binding) is set: see the start-up warnings"))
	}
	if q.route.Handshake != "" {
		if a, handled := q.handshake(req); handled {
			return a
		}
	}
	return q.begin(cfg, req, declared, endOfStream)
}

// requestOf turns the host's header map into what a scheme sees, with the
// declared Content-Length (-1 if none) and whether the client sent a
// verification header of its own.
func requestOf(req *verify.Request, fields []verify.Field, headers []pairs.Pair) (_ *verify.Request, declared int64, spoofed bool) {
	*req = verify.Request{Header: fields}
	declared = -1
	for _, h := range headers {
		switch h.Key {
		case ":method":
			req.Method = h.Value
		case ":scheme":
			req.Scheme = h.Value
		case ":authority":
			req.Authority = h.Value
		case ":path":
			req.Path = h.Value
		case "content-length":
			if n, err := strconv.ParseInt(h.Value, 10, 64); err == nil {
				declared = n
			}
		case VerifiedHeader:
			spoofed = true
			continue
		}
		req.Header = append(req.Header, verify.Field{Name: h.Key, Value: h.Value})
	}
	return req, declared, spoofed
}

// pickRoute sets q.route to the first route that matches; a request no
// route matches goes on or is refused, as "unmatched" says.
func (q *request) pickRoute(cfg *config.Config, req *verify.Request) (proxywasm.Action, bool) {
	q.route = cfg.Route(req.Method, req.Authority, req.Path)
	switch {
	case q.route == nil && cfg.Unmatched == config.UnmatchedAllow:
		return proxywasm.Continue, true
	case q.route == nil:
		return q.reject(reason.NoRoute, nil), true
	}
	return proxywasm.Continue, false
}

// admitSource refuses a request from outside the route's source_cidrs,
// or, in detect mode, counts and logs it and lets it go on to its check.
// OnRequestHeaders asks only for a route with source_cidrs.
func (q *request) admitSource(req *verify.Request) (proxywasm.Action, bool) {
	allowed, err := sourceAllowed(q.route, req.Header)
	switch {
	case err != nil:
		return q.reject(reason.InternalError, err), true
	case allowed:
		return proxywasm.Continue, false
	case q.route.Mode == config.Detect:
		q.root.metrics.inc(unverifiedMetric(q.route.Name, reason.SourceNotAllowed.Name))
		logLine(proxywasm.LogInfo, "detected request from outside source_cidrs (let through): route="+q.route.Name)
		return proxywasm.Continue, false
	}
	return q.reject(reason.SourceNotAllowed, nil), true
}

// handshake answers a handshake its headers decide (X's CRC GET), or
// refuses one whose token is not opaque. Handshakes in the body are
// answered by finish. OnRequestHeaders asks only for a route with a
// handshake.
func (q *request) handshake(req *verify.Request) (proxywasm.Action, bool) {
	answer, plain, err := getAnswer(q.route, req)
	if err != nil {
		return q.reject(reason.HandshakeRefused, nil), true
	}
	if answer != nil {
		return q.answerHandshake(answer, plain), true
	}
	return proxywasm.Continue, false
}

// begin starts the route's check, and decides the request at once when
// its headers are all the check needs or its Content-Length is over the
// cap. Otherwise the body is awaited, the headers held or sent on as
// "hold_headers" says.
func (q *request) begin(cfg *config.Config, req *verify.Request, declared int64, endOfStream bool) proxywasm.Action {
	now, err := proxywasm.Now()
	if err != nil {
		return q.reject(reason.InternalError, err)
	}
	for _, fc := range q.route.ForwardClaims {
		// Only the filter says what the verified claims are.
		if _, n := req.Single(fc.Header); n > 0 {
			if err := proxywasm.RemoveHeader(proxywasm.MapHTTPRequestHeaders, fc.Header); err != nil {
				return q.reject(reason.InternalError, err)
			}
		}
	}
	q.declared = declared
	scheme, live := q.route.SchemeAt(now)
	if !live {
		return q.fail(verify.WithHint(verify.ErrSignatureMismatch, "every secret of the route is outside its not_before/not_after"))
	}
	q.beginExpired(req, now)
	check, err := scheme.Begin(req, now)
	if err != nil && q.route.Handshake == config.HandshakeMonday && !endOfStream {
		// monday's URL challenge is unsigned: read the body, which
		// finish answers if it is the challenge, and refuses otherwise.
		check, err = verify.Refused(err), nil
	}
	if err != nil {
		return q.fail(err)
	}
	if len(q.route.ForwardClaims) > 0 {
		// perf: asked only where used: an assertion to an interface looks
		// up an itab at run time.
		q.claims, _ = check.(verify.ClaimsCheck)
	}
	if q.route.Dedupe != nil {
		q.ident.Reset(check)
		check = &q.ident
	}
	q.limit.Reset(check, q.route.MaxBodyBytes)
	q.check = &q.limit
	if declared > q.route.MaxBodyBytes {
		// The headers' own faults were answered first (401); the bytes
		// need not be waited for.
		return q.fail(verify.ErrBodyTooLarge)
	}
	if endOfStream || !check.NeedsBody() {
		return q.finish()
	}
	if !cfg.HoldHeaders {
		// The headers go on; the body is still held until the verdict.
		q.headersSent = true
		return proxywasm.Continue
	}
	// Hold the headers until the verdict: nothing reaches the upstream
	// unverified. In Envoy this needs allow_on_headers_stop_iteration.
	return proxywasm.Pause
}

// OnRequestBody feeds the bytes not yet fed to the check. Because the
// previous callback returned Pause, the host's body buffer is cumulative
// (Envoy's StopIterationAndBuffer): bodySize counts every byte so far.
func (q *request) OnRequestBody(bodySize int, endOfStream bool) proxywasm.Action {
	if q.check == nil {
		if q.stream.Responded() {
			return proxywasm.Pause // rejected: the request goes nowhere
		}
		return proxywasm.Continue // let through: unmatched, off, or detect
	}
	if bodySize < q.hashed {
		return q.reject(reason.InternalError, errBufferShrank)
	}
	if int64(bodySize) > q.route.MaxBodyBytes {
		return q.fail(verify.ErrBodyTooLarge)
	}
	err := proxywasm.ReadBuffer(proxywasm.BufferHTTPRequestBody, q.hashed, bodySize, func(b []byte) error {
		q.hashed += len(b)
		if q.route.Handshake != "" {
			q.body = append(q.body, b...) // bounded: bodySize is within max_body_bytes
		}
		if q.expired != nil {
			q.expired.Write(b)
		}
		_, err := q.check.Write(b)
		return err
	})
	if err == nil && q.hashed != bodySize {
		err = errShortRead
	}
	if err != nil {
		return q.fail(err)
	}
	if endOfStream {
		return q.finish()
	}
	return proxywasm.Pause
}

// OnRequestTrailers ends a request whose body never saw end of stream.
func (q *request) OnRequestTrailers(int) proxywasm.Action {
	if q.check == nil {
		if q.stream.Responded() {
			return proxywasm.Pause
		}
		return proxywasm.Continue
	}
	return q.finish()
}

// OnResponseHeaders settles a delivery this request let through: a 2xx
// from the upstream makes its id a duplicate for the window; anything
// else forgets it, so the sender's retry goes through.
func (q *request) OnResponseHeaders(int, bool) proxywasm.Action {
	if !q.claimed {
		return proxywasm.Continue
	}
	accepted := false
	headers, err := proxywasm.GetHeadersArena(proxywasm.MapHTTPResponseHeaders, &q.arena)
	if err == nil {
		for _, h := range headers {
			if h.Key == ":status" {
				s, _ := strconv.Atoi(h.Value)
				accepted = s >= 200 && s < 300
			}
		}
	}
	q.settleClaim(accepted)
	return proxywasm.Continue
}

// OnDone forgets the id of a delivery whose stream ended without a
// response (a reset): it was not accepted.
func (q *request) OnDone() {
	if q.claimed {
		q.settleClaim(false)
	}
}

// OnDelete implements proxywasm.HTTPContext: the request is reset and kept
// for the next stream (NewHTTPContext), with its buffers.
func (q *request) OnDelete() {
	if q.waiting != nil {
		q.stopWaiting()
	}
	q.dropCheck() // a stream that ended before its verdict
	q.dropExpired()
	r := q.root
	fields := q.fields[:0]
	if cap(fields) > 64 {
		fields = nil // an unusual request's header count is not kept
	}
	arena := reuseArena(q.arena)
	*q = request{fields: fields, arena: arena, ident: q.ident} // ident keeps its hash
	if len(r.free) < maxFree {
		r.free = append(r.free, q)
	}
}

// maxFree bounds the requests a VM keeps for reuse.
const maxFree = 64

// maxArena bounds the header bytes a reused request keeps room for: an
// unusual request's large headers are not kept.
const maxArena = 16 << 10

// poisonArenas makes reuseArena overwrite what a request's headers left,
// so a test in which a string outlived its request sees it garbled.
var poisonArenas = false

// reuseArena empties a finished request's arena for the next: every
// string in it is dead by now.
func reuseArena(a []byte) []byte {
	if cap(a) > maxArena {
		return nil
	}
	if poisonArenas {
		for i := range a {
			a[i] = '#'
		}
	}
	return a[:0]
}
