// Package plugin is hookguard's proxy-wasm filter: it reads the plugin
// configuration, and for each request picks the first route that matches,
// holds headers and body until the route's scheme has checked the raw
// request, then lets it on (marked with X-Hookguard-Verified) or answers it
// with the status reason.All gives.
package plugin

import (
	"errors"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/reason"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pairs"
)

// VerifiedHeader is added to a verified request: "route=<name>; key=<id>".
// A copy sent by the client is removed from every request first.
const VerifiedHeader = "x-hookguard-verified"

// Root is the plugin's root context, one per VM.
type Root struct {
	cfg     *config.Config
	metrics metrics
	// marks[route][key id] is what a request verified under that key
	// gets, built once at configuration so the request path allocates
	// nothing for it.
	marks map[*config.Route]map[string]*mark
	// lastMark is the mark used last: most requests are for the route and
	// key of the one before, and two map lookups cost more in wasm.
	lastMark *mark
	// free holds requests whose streams were deleted, for reuse: a VM runs
	// one callback at a time, so no lock.
	free []*request
	// jwks are the remote JWK Sets this VM fetches.
	jwks []*jwksFetch
}

// mark is what a verified request gets: its header, counter and log line.
type mark struct {
	route                   *config.Route
	keyID                   string
	header, metric, logLine string
	// The counter's id, looked up once: a map lookup by the metric's
	// name costs about a microsecond in the module.
	metricID    uint32
	metricKnown bool
}

func newMark(rt *config.Route, keyID string) *mark {
	route := rt.Name
	return &mark{
		route:   rt,
		keyID:   strings.Clone(keyID), // the id may be in a request's arena
		header:  "route=" + route + "; key=" + keyID,
		metric:  verifiedMetric(route, keyID),
		logLine: logPrefix + "verified request: route=" + route + " key=" + keyID,
	}
}

// NewRoot returns the root context; register it with
// proxywasm.SetRootContext.
func NewRoot(uint32) proxywasm.RootContext { return &Root{} }

// OnVMStart defines the configuration metric.
func (r *Root) OnVMStart(int) bool {
	r.metrics.init()
	r.metrics.define(metricConfigRejected)
	return true
}

// OnConfigure parses the plugin configuration. Any error fails plugin
// start, so Envoy refuses the configuration instead of running a filter
// that would let requests through.
func (r *Root) OnConfigure(size int) bool {
	data := make([]byte, 0, size)
	err := proxywasm.ReadBuffer(proxywasm.BufferPluginConfiguration, 0, size, func(b []byte) error {
		data = append(data, b...)
		return nil
	})
	if err != nil {
		r.metrics.inc(metricConfigRejected)
		logLine(proxywasm.LogCritical, "cannot read the plugin configuration: "+err.Error())
		return false
	}
	cfg, warnings, err := config.Parse(data, proxywasm.Getenv)
	if err != nil {
		r.metrics.inc(metricConfigRejected)
		logLine(proxywasm.LogCritical, "invalid plugin configuration: "+err.Error())
		return false
	}
	r.metrics.defineRoutes(&cfg)
	for _, rt := range cfg.Routes {
		if rt.Dedupe == nil {
			continue
		}
		if err := initSlots(rt.Name, rt.Dedupe); err != nil {
			r.metrics.inc(metricConfigRejected)
			logLine(proxywasm.LogCritical, "route "+rt.Name+": cannot create the de-duplication slots in shared data: "+err.Error())
			return false
		}
	}
	r.cfg = &cfg
	if err := r.startJWKS(); err != nil {
		r.metrics.inc(metricConfigRejected)
		logLine(proxywasm.LogCritical, "cannot start the timer that fetches JWK Sets: "+err.Error())
		return false
	}
	r.marks, r.lastMark = map[*config.Route]map[string]*mark{}, nil
	for i := range cfg.Routes {
		rt := &cfg.Routes[i]
		r.marks[rt] = map[string]*mark{}
		for _, id := range rt.KeyIDs {
			r.marks[rt][id] = newMark(rt, id)
		}
	}
	// Every VM configures itself; the first to do so with this
	// configuration says so at info, the others at debug.
	level, warnLevel := proxywasm.LogDebug, proxywasm.LogDebug
	if proxywasm.FirstToClaim(configuredKey(data)) {
		level, warnLevel = proxywasm.LogInfo, proxywasm.LogWarn
	}
	for _, w := range warnings {
		logLine(warnLevel, w)
	}
	for _, rt := range cfg.Routes {
		logLine(level, "configured: route="+rt.Name+" scheme="+rt.SchemeName+" mode="+string(rt.Mode)+
			" keys="+joinPairs(rt.KeyIDs, rt.SecretSources)+" max_body_bytes="+strconv.FormatInt(rt.MaxBodyBytes, 10))
	}
	logLine(level, "configured: routes="+strconv.Itoa(len(cfg.Routes))+" unmatched="+cfg.Unmatched+" hold_headers="+strconv.FormatBool(cfg.HoldHeaders))
	return true
}

// configuredKey names a configuration in shared data, so a new one is
// logged again.
func configuredKey(data []byte) string {
	h := fnv.New64a()
	h.Write(data)
	return "hookguard.configured." + strconv.FormatUint(h.Sum64(), 16)
}

func joinPairs(ids, sources []string) string {
	s := ""
	for i := range ids {
		if i > 0 {
			s += ","
		}
		s += ids[i] + "(" + sources[i] + ")"
	}
	return s
}

// NewHTTPContext implements proxywasm.RootContext.
func (r *Root) NewHTTPContext(s *proxywasm.HTTPStream) proxywasm.HTTPContext {
	if n := len(r.free); n > 0 {
		q := r.free[n-1]
		r.free = r.free[:n-1]
		q.root, q.stream = r, s
		return q
	}
	return &request{root: r, stream: s}
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

// OnDelete implements proxywasm.HTTPContext: the request is reset and kept for
// the next stream, with its buffers.
func (q *request) OnDelete() {
	q.dropCheck() // a stream that ended before its verdict
	r := q.root
	fields := q.fields[:0]
	if cap(fields) > 64 {
		fields = nil // an unusual request's header count is not kept
	}
	arena := reuseArena(q.arena)
	*q = request{fields: fields, arena: arena}
	if len(r.free) < maxFree {
		r.free = append(r.free, q)
	}
}

// request is one stream's verification. Streams interleave on a VM, so
// everything per request lives here.
type request struct {
	root   *Root
	stream *proxywasm.HTTPStream
	route  *config.Route
	check  verify.Check // nil once a verdict is reached; else &limit
	limit  verify.Limited
	hashed int // body bytes already fed to the check
	// req is what the scheme sees; fields backs req.Header, and arena the
	// strings of the request's header maps (GetHeadersArena), kept across
	// reuses so the request path allocates none of them. Nothing from
	// them may outlive the request without a copy.
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
}

// OnRequestHeaders removes a spoofed verification header, picks the route
// and starts its check. A request decided by its headers, or without a
// body, is decided here.
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
	q.route = cfg.Route(req.Method, req.Authority, req.Path)
	switch {
	case q.route == nil && cfg.Unmatched == config.UnmatchedAllow:
		return proxywasm.Continue
	case q.route == nil:
		return q.reject(reason.NoRoute, nil)
	}
	if allowed, err := sourceAllowed(q.route, req.Header); err != nil {
		return q.reject(reason.InternalError, err)
	} else if !allowed {
		if q.route.Mode == config.Detect {
			q.root.metrics.inc(unverifiedMetric(q.route.Name, reason.SourceNotAllowed.Name))
			logLine(proxywasm.LogInfo, "detected request from outside source_cidrs (let through): route="+q.route.Name)
		} else {
			return q.reject(reason.SourceNotAllowed, nil)
		}
	}
	switch {
	case q.route.Mode == config.Off:
		return proxywasm.Continue
	case q.route.Unconfigured:
		return q.reject(reason.Unconfigured, nil)
	}
	// Routes without a handshake, nearly all, skip its code: in wasm even
	// a call that returns at once brings its machine code into the cache.
	if q.route.Handshake != "" {
		answer, err := crcAnswer(q.route, req.Method, req.Query())
		if err != nil {
			return q.reject(reason.HandshakeRefused, nil)
		}
		if answer != nil {
			return q.answerHandshake(answer)
		}
	}
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
	check, err := q.route.Scheme.Begin(req, now)
	if err != nil {
		return q.fail(err)
	}
	if len(q.route.ForwardClaims) > 0 {
		// Asked only where used: an assertion to an interface looks up
		// an itab at run time.
		q.claims, _ = check.(verify.ClaimsCheck)
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
	q.settle(accepted)
	return proxywasm.Continue
}

// OnDone forgets the id of a delivery whose stream ended without a
// response (a reset): it was not accepted.
func (q *request) OnDone() {
	if q.claimed {
		q.settle(false)
	}
}

// settle records the upstream's answer to the delivery q let through. On
// error the entry stays in flight until it expires: a retry meanwhile is
// told to retry later, and nothing is lost.
func (q *request) settle(accepted bool) {
	q.claimed = false
	d := q.claimedAt.Dedupe
	now, err := proxywasm.Now()
	if err == nil {
		err = update(q.claimKey, func(es []entry) ([]entry, bool) {
			return settle(es, q.claimID, accepted, q.claimTime, now.UnixMilli(), d)
		})
	}
	if err != nil {
		logLine(proxywasm.LogError, "route "+q.claimedAt.Name+": cannot record the delivery's outcome: "+err.Error())
	}
}

// dedupe admits a verified delivery of a route with "dedupe", or answers
// it: a duplicate of an accepted one with 200, one still in flight with
// 409, and a full slot with 503 (both with Retry-After). handled is false
// when the request goes on.
func (q *request) dedupe(rt *config.Route, now int64) (a proxywasm.Action, handled bool) {
	d := rt.Dedupe
	var id string
	for _, name := range d.IDHeaders {
		if v, n := q.req.Single(name); n > 0 {
			id = v
			break
		}
	}
	if id == "" {
		return q.reject(reason.MissingDeliveryID, nil), true
	}
	key, hash := deliveryID(rt.Name, d, id)
	var o outcome
	var evicted bool
	err := update(key, func(es []entry) ([]entry, bool) {
		var out []entry
		o, out, q.retryAfter, evicted = admit(es, hash, now, d)
		return out, o == admitted
	})
	if err != nil {
		return q.storeFailed(rt, err)
	}
	if evicted {
		q.root.metrics.inc(evictedMetric(rt.Name))
	}
	switch o {
	case duplicate:
		q.root.metrics.inc(duplicateMetric(rt.Name))
		logLine(proxywasm.LogInfo, "duplicate delivery answered: route="+rt.Name)
		if _, err := q.stream.SendLocalResponse(200, "hookguard_duplicate", []byte(reason.DuplicateBody+"\n"),
			[]pairs.Pair{{Key: "content-type", Value: "text/plain; charset=utf-8"}, {Key: DuplicateHeader, Value: "route=" + rt.Name}}); err != nil {
			logLine(proxywasm.LogCritical, "cannot answer the duplicate: "+err.Error())
		}
		return proxywasm.Pause, true
	case inFlight:
		return q.reject(reason.DuplicateInFlight, nil), true
	case slotFull:
		return q.reject(reason.DedupeFull, nil), true
	}
	q.claimed, q.claimKey, q.claimID, q.claimedAt, q.claimTime, q.retryAfter = true, key, hash, rt, now, 0
	return proxywasm.Continue, false
}

// storeFailed handles a verified delivery whose id the shared data could
// not record (it failed or timed out) as the route says: "reject" answers
// 503 with Retry-After, so the sender retries and nothing goes on
// unrecorded; "allow" lets it on without de-duplication, counted.
func (q *request) storeFailed(rt *config.Route, err error) (proxywasm.Action, bool) {
	if rt.Dedupe.OnStoreFailure == config.StoreFailureAllow {
		q.root.metrics.inc(bypassedMetric(rt.Name))
		logLine(proxywasm.LogWarn, "route "+rt.Name+": the de-duplication store failed; the verified delivery goes on without it (on_store_failure allow): "+err.Error())
		return proxywasm.Continue, false
	}
	logLine(proxywasm.LogError, "route "+rt.Name+": the de-duplication store failed: "+err.Error())
	q.retryAfter = maxRetryAfter
	return q.reject(reason.DedupeUnavailable, nil), true
}

// DuplicateHeader marks the local answer to a duplicate delivery.
const DuplicateHeader = "x-hookguard-duplicate"

// dropCheck hands the check back for the next request's Begin: nothing
// uses it once the verdict is in or the stream is gone.
func (q *request) dropCheck() {
	if q.check != nil {
		q.check.Release()
		q.check = nil
	}
}

// finish reaches the verdict and, on success, marks the request.
func (q *request) finish() proxywasm.Action {
	keyID, err := q.check.Verify()
	q.dropCheck()
	if err != nil {
		return q.fail(err)
	}
	rt := q.route
	if rt.Handshake != "" {
		if answerableBody(rt, q.body) {
			return q.fail(verify.ErrMalformedBody)
		}
		if answer := handshakeAnswer(rt, keyID, q.body); answer != nil {
			return q.answerHandshake(answer)
		}
	}
	if rt.Dedupe != nil {
		now, err := proxywasm.Now()
		if err != nil {
			return q.reject(reason.InternalError, err)
		}
		if a, handled := q.dedupe(rt, now.UnixMilli()); handled {
			return a
		}
	}
	m := q.root.lastMark
	if m == nil || m.route != rt || m.keyID != keyID {
		m = q.root.marks[rt][keyID]
		if m == nil { // a kid of a remote JWK Set, first seen: kept for the next
			m = newMark(rt, keyID)
			if len(q.root.marks[rt]) < 64 {
				q.root.marks[rt][m.keyID] = m
				q.root.metrics.define(m.metric)
			}
		}
		q.root.lastMark = m
	}
	// Headers can change only until they go on: without hold_headers a
	// check decided after the headers cannot mark the request.
	if !q.headersSent {
		for _, h := range rt.StripHeaders {
			if err := proxywasm.RemoveHeader(proxywasm.MapHTTPRequestHeaders, h); err != nil {
				return q.reject(reason.InternalError, err)
			}
		}
		if err := proxywasm.AddHeader(proxywasm.MapHTTPRequestHeaders, VerifiedHeader, m.header); err != nil {
			return q.reject(reason.InternalError, err)
		}
		if q.claims != nil {
			claims := q.claims.Claims()
			for _, fc := range rt.ForwardClaims {
				if v, ok := claims[fc.Claim]; ok {
					if err := proxywasm.AddHeader(proxywasm.MapHTTPRequestHeaders, fc.Header, v); err != nil {
						return q.reject(reason.InternalError, err)
					}
				}
			}
		}
	}
	if !m.metricKnown {
		m.metricID, m.metricKnown = q.root.metrics.ids[m.metric]
	}
	if m.metricKnown {
		proxywasm.IncrementMetric(m.metricID, 1) // a failed count must not fail a request
	}
	// ABI 0.2.0 cannot ask the host's log level (RATIONALE), so the line
	// is sent even when the host drops it; it was built at configuration.
	proxywasm.Log(proxywasm.LogDebug, m.logLine)
	return proxywasm.Continue
}

// fail handles a verification failure by the route's mode: enforce
// rejects; detect logs, counts and lets the request through unmarked.
func (q *request) fail(err error) proxywasm.Action {
	q.dropCheck()
	why := reason.Of(err)
	if q.route.Mode == config.Detect && why != reason.InternalError {
		q.root.metrics.inc(unverifiedMetric(q.route.Name, why.Name))
		logLine(proxywasm.LogInfo, "detected unverified request (let through): route="+q.route.Name+" reason="+why.Name)
		return proxywasm.Continue
	}
	return q.reject(why, err)
}

var (
	errNotConfigured = errors.New("filter is not configured")
	errBufferShrank  = errors.New("host body buffer is not cumulative after Pause")
	errShortRead     = errors.New("host returned fewer body bytes than it announced")
)

// reject answers the request and holds it. Only the route and reason are
// logged, and for an internal error our own error text, which carries no
// request data.
func (q *request) reject(why reason.Reason, err error) proxywasm.Action {
	q.dropCheck()
	route := unmatchedRoute
	if q.route != nil {
		route = q.route.Name
	}
	msg := "rejected request: route=" + route + " reason=" + why.Name + " status=" + strconv.Itoa(why.Status)
	if why == reason.InternalError && err != nil {
		msg += " error=" + err.Error()
	}
	q.root.metrics.inc(rejectedMetric(route, why.Name))
	logLine(proxywasm.LogInfo, msg)
	headers := []pairs.Pair{{Key: "content-type", Value: "text/plain; charset=utf-8"}}
	if why.Status == 401 && q.route != nil && q.route.Basic {
		headers = append(headers, pairs.Pair{Key: "www-authenticate", Value: verify.BasicChallenge})
	}
	if q.retryAfter > 0 {
		headers = append(headers, pairs.Pair{Key: "retry-after", Value: strconv.FormatInt(q.retryAfter, 10)})
	}
	if _, err := q.stream.SendLocalResponse(why.Status, "hookguard_"+why.Name, []byte(reason.Body(why.Status)+"\n"), headers); err != nil {
		logLine(proxywasm.LogCritical, "cannot send the rejection: "+err.Error())
	}
	return proxywasm.Pause
}

// logLine logs msg with the plugin's prefix.
func logLine(level proxywasm.LogLevel, msg string) { proxywasm.Log(level, logPrefix+msg) }

const logPrefix = "hookguard: "
