package host

import (
	"context"
	"errors"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/hookguard/hookguard/internal/abi"
)

var errVMFailed = errors.New("wasm VM failed")

// LocalResponse is a response the module sent itself with
// proxy_send_local_response: the request went no further.
type LocalResponse struct {
	Status int
	// Header holds the module's headers (content-type defaults to
	// text/plain, as Envoy's does), without :status.
	Header Header
	Body   []byte
	// Details is Envoy's response-code detail, whitespace replaced by '_'.
	Details string
}

// Output is what one step of a stream let through.
type Output struct {
	// Header is set when the headers went on in this step, as the module
	// left them.
	Header Header
	// Body is the body data that went on in this step.
	Body []byte
	// Trailer is set when trailers went on in this step.
	Trailer Header
	// End reports that this direction has ended: all of it went on.
	End bool
	// LocalResponse is set, once, when the module answered the stream.
	LocalResponse *LocalResponse
	// Reset reports that the stream was reset: the module closed it, or
	// answered it after the response headers had gone out.
	Reset bool
}

// Stream is one HTTP request/response exchange pinned to one VM. Its
// methods drive the module the way Envoy's filter manager does and are safe
// to call from several goroutines (they take the VM's lock); Close must
// always be called.
type Stream struct {
	vm *vm
	id uint32

	req, resp flow
	props     map[string][]byte

	out          Output
	local        *LocalResponse
	pendingLocal *LocalResponse
	inLocalReply bool
	reset        bool
	pendingReset bool
	continueDir  [2]bool
	logPhase     bool
	closed       bool
	// failedAtCreate: proxy_on_context_create trapped; the first step
	// answers with the 503 failLocked set.
	failedAtCreate bool

	// unclaimed is what went on out of band (applyDeferred) and the driver
	// has not taken yet: the next step's Output starts from it, or Wait
	// returns it.
	unclaimed Output
	callouts  int           // proxy_http_calls in flight made for this stream
	deferred  bool          // in vm.deferred
	woken     chan struct{} // closed by wake; made by a Wait, nil otherwise
}

type direction int

const (
	dirRequest direction = iota
	dirResponse
)

type flowState int

const (
	iterating      flowState = iota
	stoppedHeaders           // StopIteration with allow_on_headers_stop_iteration: body still delivered
	stoppedAll               // StopAllIteration: body held by the host until continue
)

// flow is one direction of a stream, as Envoy's filter manager sees it.
type flow struct {
	dir     direction
	started bool

	headers      Header
	headersLive  bool // readable and writable by the module
	trailers     Header
	trailersLive bool
	body         []byte // what proxy_get_buffer_bytes sees
	bodyHint     int    // the declared Content-Length, if within the buffer limit: body's capacity
	bodyLive     bool
	buffering    bool   // the last body callback returned StopIterationAndBuffer
	hidden       []byte // held under watermark, not visible to the module

	state            flowState
	held             []byte // arrived while stoppedAll
	heldEnd          bool
	heldTrailers     Header
	haveHeldTrailers bool
	trailersPending  bool

	headersSent bool
	recvEnd     bool
	sentEnd     bool
	logHeaders  Header // the access-log copy, readable in proxy_on_log
}

// NewStream creates a stream context on one of the plugin's VMs.
func (p *Plugin) NewStream(ctx context.Context) (*Stream, error) {
	v, err := p.pickVM(ctx)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	s := &Stream{vm: v, id: v.newContextID(), req: flow{dir: dirRequest}, resp: flow{dir: dirResponse}}
	v.streams[s.id] = s
	v.stream, v.callbackStream = s, s
	_, err = v.call(ctx, v.fn.contextCreate, uint64(s.id), uint64(v.rootID))
	v.stream, v.callbackStream = nil, nil
	if err != nil {
		// Envoy answers 503 wasm_fail_stream at the stream's first step.
		s.failLocked()
		s.failedAtCreate = true
	}
	v.applyDeferred(ctx)
	return s, nil
}

// ID returns the stream's context id, which the host's log lines carry as
// context_id.
func (s *Stream) ID() uint32 { return s.id }

// SetProperty sets a property the module can read with proxy_get_property,
// such as "source.address". path segments are separated by '.'.
func (s *Stream) SetProperty(path string, value []byte) {
	s.vm.mu.Lock()
	defer s.vm.mu.Unlock()
	s.setProperty(path, value)
}

// RequestHeaders passes request headers to the module; endOfStream means
// the request has no body.
func (s *Stream) RequestHeaders(ctx context.Context, h Header, endOfStream bool) Output {
	return s.step(ctx, &s.req, func() { s.headersStep(ctx, &s.req, h, endOfStream) })
}

// RequestBody passes the next piece of the request body.
func (s *Stream) RequestBody(ctx context.Context, p []byte, endOfStream bool) Output {
	return s.step(ctx, &s.req, func() { s.bodyStep(ctx, &s.req, p, endOfStream) })
}

// RequestTrailers passes the request trailers, which end the request.
func (s *Stream) RequestTrailers(ctx context.Context, t Header) Output {
	return s.step(ctx, &s.req, func() { s.trailersStep(ctx, &s.req, t) })
}

// ResponseHeaders passes response headers, including :status.
func (s *Stream) ResponseHeaders(ctx context.Context, h Header, endOfStream bool) Output {
	return s.step(ctx, &s.resp, func() { s.headersStep(ctx, &s.resp, h, endOfStream) })
}

// ResponseBody passes the next piece of the response body.
func (s *Stream) ResponseBody(ctx context.Context, p []byte, endOfStream bool) Output {
	return s.step(ctx, &s.resp, func() { s.bodyStep(ctx, &s.resp, p, endOfStream) })
}

// ResponseTrailers passes the response trailers, which end the response.
func (s *Stream) ResponseTrailers(ctx context.Context, t Header) Output {
	return s.step(ctx, &s.resp, func() { s.trailersStep(ctx, &s.resp, t) })
}

// Close ends the stream: proxy_on_log, proxy_on_done and proxy_on_delete,
// in Envoy's order. The calls made for it while it could be resumed that
// are still out are cancelled; calls made from those callbacks (an access
// log shipped from proxy_on_log) run to their end, as Envoy's root-owned
// calls do. It is safe to call more than once.
func (s *Stream) Close(ctx context.Context) {
	v := s.vm
	v.mu.Lock()
	defer v.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	v.active.Add(-1)
	delete(v.streams, s.id)
	defer s.wake()
	defer v.cancelCallouts(s)
	s.unclaimed = Output{}
	if v.failed.Load() {
		return
	}
	v.callbackStream = s
	s.logPhase = true
	s.call(ctx, v.fn.log, uint64(s.id))
	s.logPhase = false
	s.call(ctx, v.fn.done, uint64(s.id))
	s.call(ctx, v.fn.delete, uint64(s.id))
	v.stream, v.callbackStream = nil, nil
	v.applyDeferred(ctx)
}

func (s *Stream) step(ctx context.Context, f *flow, run func()) Output {
	v := s.vm
	v.mu.Lock()
	defer v.mu.Unlock()
	s.out, s.unclaimed = s.unclaimed, Output{} // what went on out of band comes first
	switch {
	case s.closed:
		s.out.Reset = true
	case s.failedAtCreate:
		s.failedAtCreate = false
		s.out.LocalResponse = s.local
	case v.failed.Load() && s.local == nil && !s.reset:
		s.failLocked()
	case s.finished():
	default:
		v.stream, v.callbackStream = s, s
		if s.continueDir[f.dir] {
			s.continueDir[f.dir] = false
			s.resume(ctx, f)
		}
		run()
		v.stream, v.callbackStream = nil, nil
	}
	out := s.out
	s.out = Output{}
	v.applyDeferred(ctx) // what the callbacks asked of other streams
	return out
}

func (s *Stream) finished() bool { return s.local != nil || s.reset }

// Wait blocks until something happens to the stream out of band, and
// returns what went on as a result. Out of band is from a callback that is
// not one of the stream's own: proxy_on_http_call_response, proxy_on_tick,
// or any callback after proxy_set_effective_context named this stream. As
// in Envoy, a local response, a continue or a close the module asks for
// there takes effect when that callback returns: a local response is sent
// (through the module's response callbacks, when it answers the request),
// a continue lets the stopped direction go on, a close resets the stream.
//
// more reports whether anything can still act on the stream that way: a
// proxy_http_call made while it was the effective context is still out, or
// the VM's timer runs. When more is false, waiting again returns at once.
// Wait returns early, with what went on so far (often nothing), when ctx
// is done.
//
// # Notes
//
//   - Wait is for a driver whose stream stopped: all its input delivered
//     and the direction not ended, which Envoy would hold until the module
//     resumes it. HandleRequest waits this way for the request.
//   - What goes on out of band while nobody waits is kept: the next step
//     (RequestBody, ResponseHeaders, …) returns it ahead of its own Output.
//   - Each call's timeout bounds how long one can keep the stream waiting,
//     but a timer can keep it waiting for ever: bound ctx.
//   - Call it from the goroutine that drives the stream: what went on is
//     returned once, to whichever of Wait or a step takes it first.
//   - On a VM that failed, Wait answers like a step: a 503
//     wasm_fail_stream local response, or a reset once the response began.
func (s *Stream) Wait(ctx context.Context) (out Output, more bool) {
	v := s.vm
	for {
		v.mu.Lock()
		out, more = s.takeProgress()
		if !out.isZero() || !more {
			v.mu.Unlock()
			return out, more
		}
		woken := s.wakeChan()
		v.mu.Unlock()
		select {
		case <-woken:
		case <-ctx.Done():
			v.mu.Lock()
			defer v.mu.Unlock()
			return s.takeProgress()
		}
	}
}

// takeProgress hands over what went on out of band, failing the stream
// closed if its VM failed, and reports whether more can come.
func (s *Stream) takeProgress() (Output, bool) {
	s.out, s.unclaimed = s.unclaimed, Output{}
	if s.vm.failed.Load() && !s.closed {
		s.failLocked()
	}
	out := s.out
	s.out = Output{}
	return out, s.resumable()
}

// resumable reports whether anything outside the stream's own callbacks
// can still act on it: a call made for it is out, or the VM's timer runs.
func (s *Stream) resumable() bool {
	v := s.vm
	return !s.closed && !s.finished() && !v.failed.Load() && (s.callouts > 0 || v.tickStop != nil)
}

// wakeChan returns a channel that wake closes.
func (s *Stream) wakeChan() <-chan struct{} {
	if s.woken == nil {
		s.woken = make(chan struct{})
	}
	return s.woken
}

// wake wakes the stream's Wait, if one waits: something went on, or what
// could resume the stream changed.
func (s *Stream) wake() {
	if s.woken != nil {
		close(s.woken)
		s.woken = nil
	}
}

// isZero reports whether nothing went on.
func (o *Output) isZero() bool {
	return o.Header == nil && len(o.Body) == 0 && o.Trailer == nil && !o.End && o.LocalResponse == nil && !o.Reset
}

// applyDeferred applies what the module asked of s from a callback that
// was not one of s's own, now that the callback returned (vm.deferEffect):
// a local response is sent, a close resets the stream, a continue resumes
// its direction. What went on waits in s.unclaimed, and s's Wait is woken.
func (s *Stream) applyDeferred(ctx context.Context) {
	if s.closed || s.finished() {
		s.pendingLocal, s.pendingReset, s.continueDir = nil, false, [2]bool{}
		return
	}
	v := s.vm
	v.stream, v.callbackStream = s, s
	s.out = s.unclaimed
	switch {
	case s.pendingLocal != nil:
		s.deliverLocal(ctx)
	case s.pendingReset:
		s.pendingReset = false
		s.resetLocked()
	default:
		s.applyContinue(ctx, &s.req)
		s.applyContinue(ctx, &s.resp)
	}
	s.unclaimed, s.out = s.out, Output{}
	v.stream, v.callbackStream = nil, nil
	s.wake()
}

// callback runs one stream callback of f's direction and applies what the
// module asked for during it. It reports the action, and false when the
// stream is over.
func (s *Stream) callback(ctx context.Context, f *flow, phase int, args ...uint64) (abi.Action, bool) {
	fn := s.vm.fn.stream[f.dir][phase]
	if fn == nil {
		return 0, true // not exported: Envoy continues
	}
	action, err := s.call(ctx, fn, args...)
	if err != nil {
		s.failLocked()
		return 0, false
	}
	if s.pendingLocal != nil {
		s.deliverLocal(ctx)
		return 0, false
	}
	if s.pendingReset {
		s.pendingReset = false
		s.resetLocked()
		return 0, false
	}
	return abi.Action(action), true
}

// call runs one of s's own callbacks with s the effective context: Envoy
// makes each callback's context current for its VM call, whatever an
// earlier callback set with proxy_set_effective_context.
func (s *Stream) call(ctx context.Context, fn api.Function, args ...uint64) (uint64, error) {
	s.vm.stream = s
	return s.vm.call(ctx, fn, args...)
}

// headersArgs are the arguments of f's headers callback, (context_id,
// num_headers, end_of_stream), of which it takes the first
// vm.fn.headersParams: in ABI 0.1.0 only two, as cpp-host calls
// on_request_headers_abi_01_.
func (s *Stream) headersArgs(f *flow, eos bool) [3]uint64 {
	return [3]uint64{uint64(s.id), uint64(len(f.headers)), boolArg(eos)}
}

func boolArg(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func (s *Stream) headersStep(ctx context.Context, f *flow, h Header, eos bool) {
	if f.started {
		return
	}
	f.started, f.recvEnd = true, eos
	f.headers, f.headersLive = lowerKeys(h), true
	f.logHeaders = f.headers
	if cl, _ := f.headers.Get("content-length"); cl != "" {
		if n, err := strconv.Atoi(cl); err == nil && n > 0 && n <= s.vm.plugin.cfg.BufferLimitBytes {
			f.bodyHint = n // buffered whole, the body is then allocated once
		}
	}
	args := s.headersArgs(f, eos)
	action, ok := s.callback(ctx, f, phaseHeaders, args[:s.vm.fn.headersParams]...)
	if !ok {
		return
	}
	switch action {
	case abi.ActionContinue, abi.ActionContinueAndEndStream:
		s.forwardBody(f, eos)
	case abi.ActionPause: // StopIteration
		if s.vm.plugin.cfg.AllowOnHeadersStopIteration {
			f.state = stoppedHeaders
		} else {
			f.state = stoppedAll // Envoy turns it into StopAllIterationAndWatermark
		}
	default:
		f.state = stoppedAll
	}
	s.applyContinue(ctx, f)
}

func (s *Stream) bodyStep(ctx context.Context, f *flow, p []byte, eos bool) {
	if !f.started || f.recvEnd {
		return
	}
	f.recvEnd = eos
	limit := s.vm.plugin.cfg.BufferLimitBytes
	if f.state == stoppedAll {
		f.held, f.heldEnd = append(f.held, p...), eos
		if len(f.held) > limit {
			s.overLimit(ctx, f)
		}
		return
	}
	if f.buffering {
		f.body = appendDoubling(f.body, p)
		if len(f.body) > limit {
			s.overLimit(ctx, f)
			return
		}
	} else {
		if cap(f.body) < max(len(p), f.bodyHint) {
			f.body = make([]byte, 0, max(len(p), f.bodyHint))
		}
		f.bodyHint = 0 // once: a module that streams reuses its buffer
		f.body = append(f.body[:0], p...)
	}
	f.bodyLive = true
	action, ok := s.callback(ctx, f, phaseBody, uint64(s.id), uint64(len(f.body)), boolArg(eos))
	if !ok {
		return
	}
	switch action {
	case abi.ActionContinue:
		s.forwardBody(f, eos)
	case abi.ActionPause: // StopIterationAndBuffer: the next callback sees the whole buffer
		f.buffering = true
	default: // watermark / no-buffer: held, but the module no longer sees it
		f.hidden = append(f.hidden, f.body...)
		f.body = f.body[:0]
		f.buffering = false
	}
	s.applyContinue(ctx, f)
}

func (s *Stream) trailersStep(ctx context.Context, f *flow, t Header) {
	if !f.started || f.recvEnd {
		return
	}
	f.recvEnd = true
	if f.state == stoppedAll {
		f.heldTrailers, f.haveHeldTrailers = lowerKeys(t), true
		return
	}
	f.trailers, f.trailersLive = lowerKeys(t), true
	action, ok := s.callback(ctx, f, phaseTrailers, uint64(s.id), uint64(len(f.trailers)))
	if !ok {
		return
	}
	if action == abi.ActionContinue {
		s.forwardTrailers(f)
	} else {
		f.trailersPending = true
	}
	s.applyContinue(ctx, f)
}

// forwardHeaders lets the headers go on. From then on the module cannot
// read or change them (Envoy nulls its pointer), except in proxy_on_log.
func (s *Stream) forwardHeaders(f *flow) {
	if f.headersSent {
		return
	}
	f.headersSent = true
	s.out.Header = f.headers.Clone()
	f.logHeaders = s.out.Header
	f.headersLive = false
}

// appendDoubling appends p to b, doubling b's capacity when it must grow:
// append grows large slices by only 1.25×, which for a 1 MiB body buffered
// in 32 KiB chunks allocated five times the body.
func appendDoubling(b, p []byte) []byte {
	if need := len(b) + len(p); need > cap(b) {
		nb := make([]byte, len(b), max(need, 2*cap(b)))
		copy(nb, b)
		b = nb
	}
	return append(b, p...)
}

// forwardBody lets the headers and every held body byte go on.
func (s *Stream) forwardBody(f *flow, end bool) {
	s.forwardHeaders(f)
	if len(s.out.Body) == 0 && len(f.hidden) == 0 {
		s.out.Body, f.body = f.body, nil // handed over, not copied
	} else {
		s.out.Body = append(append(s.out.Body, f.hidden...), f.body...)
		f.body = f.body[:0]
	}
	f.hidden = nil
	f.buffering, f.bodyLive = false, false
	f.state = iterating
	if end {
		f.sentEnd, s.out.End = true, true
	}
}

func (s *Stream) forwardTrailers(f *flow) {
	s.forwardBody(f, false)
	s.out.Trailer = f.trailers.Clone()
	f.trailersLive, f.trailersPending = false, false
	f.sentEnd, s.out.End = true, true
}

// applyContinue applies a proxy_continue_stream the module called during
// the callback; Envoy defers it until the callback returns.
func (s *Stream) applyContinue(ctx context.Context, f *flow) {
	if s.continueDir[f.dir] && !s.finished() {
		s.continueDir[f.dir] = false
		s.resume(ctx, f)
	}
}

// resume restarts iteration after the module stopped it.
func (s *Stream) resume(ctx context.Context, f *flow) {
	switch {
	case !f.started || f.sentEnd:
	case f.state == stoppedAll:
		// What arrived meanwhile reaches the module now: the body in one
		// body callback, then the trailers.
		f.state = iterating
		held, heldEnd, trailers, haveTrailers := f.held, f.heldEnd, f.heldTrailers, f.haveHeldTrailers
		f.held, f.haveHeldTrailers = nil, false
		headersOnly := f.recvEnd && len(held) == 0 && !heldEnd && !haveTrailers
		s.forwardHeaders(f)
		if headersOnly {
			f.sentEnd, s.out.End = true, true
			return
		}
		if len(held) > 0 || heldEnd {
			f.recvEnd = false
			s.bodyStep(ctx, f, held, heldEnd)
		}
		if haveTrailers && !s.finished() {
			f.recvEnd = false
			s.trailersStep(ctx, f, trailers)
		}
	case f.trailersPending:
		s.forwardTrailers(f)
	default:
		s.forwardBody(f, f.recvEnd)
	}
}

// overLimit is Envoy's answer to a buffer over its limit: 413 for a
// request, 500 for a response.
func (s *Stream) overLimit(ctx context.Context, f *flow) {
	s.vm.plugin.bufferLimitHit(f.dir == dirRequest)
	if f.dir == dirRequest {
		s.pendingLocal = payloadTooLarge()
	} else {
		s.pendingLocal = localText(500, "Internal Server Error", "response_payload_too_large")
	}
	s.deliverLocal(ctx)
}

// localText is one of the host's own answers, text/plain as Envoy's are.
func localText(status int, body, details string) *LocalResponse {
	lr := &LocalResponse{Status: status, Header: Header{{Key: "content-type", Value: "text/plain"}}, Details: details}
	if body != "" {
		lr.Body = []byte(body)
	}
	return lr
}

// payloadTooLarge is Envoy's answer to a request body over the buffer limit.
func payloadTooLarge() *LocalResponse {
	return localText(413, "Payload Too Large", "request_payload_too_large")
}

// failLocked answers a stream whose VM failed: 503 wasm_fail_stream, as
// Envoy does under FAIL_CLOSED, or a reset if the response has started.
func (s *Stream) failLocked() {
	if s.finished() {
		return
	}
	if s.resp.headersSent {
		s.resetLocked()
		return
	}
	s.answerLocked(localText(503, "", "wasm_fail_stream"))
}

// resetLocked resets the stream; the calls made for it are cancelled.
func (s *Stream) resetLocked() {
	s.reset, s.out.Reset = true, true
	s.vm.cancelCallouts(s)
}

// answerLocked records lr as the stream's answer; the calls made for it
// are cancelled.
func (s *Stream) answerLocked(lr *LocalResponse) {
	s.local = lr
	s.out.LocalResponse = lr
	s.vm.cancelCallouts(s)
}

// deliverLocal sends the local response the module asked for. From the
// request phase it passes through the module's own response callbacks, as
// Envoy encodes it through every filter; from the response phase it is
// sent directly; after the response headers went out the stream is reset.
func (s *Stream) deliverLocal(ctx context.Context) {
	lr := s.pendingLocal
	s.pendingLocal = nil
	if s.resp.headersSent {
		s.resetLocked()
		return
	}
	if _, ok := lr.Header.Get("content-type"); !ok {
		lr.Header = append(lr.Header, HeaderField{Key: "content-type", Value: "text/plain"})
	}
	s.answerLocked(lr)
	if s.resp.started {
		return
	}
	f := &s.resp
	f.started, f.recvEnd = true, true
	f.headers = append(Header{{Key: ":status", Value: strconv.Itoa(lr.Status)}}, lr.Header...)
	f.headersLive = true
	s.inLocalReply = true
	defer func() { s.inLocalReply = false }()
	v := s.vm
	eos := len(lr.Body) == 0
	args := s.headersArgs(f, eos)
	if _, err := s.call(ctx, v.fn.stream[dirResponse][phaseHeaders], args[:v.fn.headersParams]...); err == nil && !eos {
		f.body, f.bodyLive = append([]byte(nil), lr.Body...), true
		if _, err := s.call(ctx, v.fn.stream[dirResponse][phaseBody], uint64(s.id), uint64(len(f.body)), 1); err == nil {
			lr.Body = f.body
		}
	}
	lr.Header = lr.Header[:0]
	for _, h := range f.headers {
		if h.Key != ":status" {
			lr.Header = append(lr.Header, h)
		}
	}
	f.logHeaders = f.headers
	f.headersLive, f.bodyLive, f.headersSent, f.sentEnd = false, false, true, true
}

// Request is a request as the client sent it.
type Request struct {
	// Header holds the request headers, pseudo-headers included
	// (:method, :path, :authority, :scheme).
	Header Header
	// Body is read to its end; each Read result is passed to the module
	// as one body chunk. Nil means the request has no body.
	Body io.Reader
	// Trailers, when set, is called after Body is exhausted; non-empty
	// trailers end the request instead of the last body chunk.
	Trailers func() Header
	// MaxWait, when positive, bounds how long HandleRequest waits, once
	// the request is all delivered, for a module that holds it for a
	// callout or a timer; ctx bounds it too. The bound costs nothing
	// unless a module makes it wait.
	MaxWait time.Duration
}

// Outcome is what became of a request: either the module answered it
// (LocalResponse), or it went on as Header, Body and Trailer.
type Outcome struct {
	LocalResponse *LocalResponse
	Header        Header
	Body          []byte
	Trailer       Header
}

// readChunk is the most one body callback receives from HandleRequest.
const readChunk = 32 << 10

// readBuffers recycles HandleRequest's pair of read buffers.
var readBuffers = sync.Pool{New: func() any { return &[2][]byte{make([]byte, readChunk), make([]byte, readChunk)} }}

// HandleRequest runs a whole request through the module and returns what
// became of it. The body is read chunk by chunk; the host holds only what
// the module has not let go on, up to PluginConfig.BufferLimitBytes.
// A module that stops the request may resume it from a callout's response
// or a tick: HandleRequest then waits (Wait) for as long as something can
// still resume it and ctx lasts. One that stops it with nothing left to
// resume it, or not before ctx is done, fails closed with a 500. An error
// means reading the body failed.
func (s *Stream) HandleRequest(ctx context.Context, req *Request) (*Outcome, error) {
	res := &Outcome{}
	limit := s.vm.plugin.cfg.BufferLimitBytes
	collect := func(o Output) bool {
		if o.Header != nil {
			res.Header = o.Header
		}
		if res.Body == nil {
			res.Body = o.Body // each Output's body is its own
		} else {
			res.Body = append(res.Body, o.Body...)
		}
		if o.Trailer != nil {
			res.Trailer = o.Trailer
		}
		if o.LocalResponse != nil || o.Reset {
			res.LocalResponse = s.answer()
			return false
		}
		if len(res.Body) > limit {
			s.vm.plugin.bufferLimitHit(true)
			res.LocalResponse = s.answeredByHost(payloadTooLarge())
			return false
		}
		return true
	}
	if !collect(s.RequestHeaders(ctx, req.Header, req.Body == nil)) {
		return res, nil
	}
	if req.Body != nil {
		// One chunk of look-ahead, so the last chunk carries end of stream
		// as it does in Envoy for a body of known length.
		// Two buffers take turns: the module is handed one (it copies what
		// it keeps) while the next chunk is read into the other.
		var pending []byte
		bufs := readBuffers.Get().(*[2][]byte)
		defer readBuffers.Put(bufs)
		buf, spare := bufs[0], bufs[1]
		for {
			n, err := req.Body.Read(buf)
			if n > 0 {
				if pending != nil && !collect(s.RequestBody(ctx, pending, false)) {
					return res, nil
				}
				pending = buf[:n]
				buf, spare = spare, buf
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return res, err
			}
		}
		var trailers Header
		if req.Trailers != nil {
			trailers = req.Trailers()
		}
		if len(trailers) > 0 {
			if pending != nil && !collect(s.RequestBody(ctx, pending, false)) {
				return res, nil
			}
			if !collect(s.RequestTrailers(ctx, trailers)) {
				return res, nil
			}
		} else if !collect(s.RequestBody(ctx, pending, true)) {
			return res, nil
		}
	}
	if !s.requestEnded() && req.MaxWait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.MaxWait)
		defer cancel()
	}
	for !s.requestEnded() {
		out, more := s.Wait(ctx)
		if !collect(out) {
			return res, nil
		}
		if !s.requestEnded() && (!more || ctx.Err() != nil) {
			res.LocalResponse = s.stalled(ctx)
			return res, nil
		}
	}
	// A callout's response may have resumed the request out of band after
	// the last callback returned and before the loop looked: what went on
	// then is still to be handed over.
	collect(s.leftover())
	return res, nil
}

// leftover takes what went on out of band and was not yet handed over.
func (s *Stream) leftover() Output {
	s.vm.mu.Lock()
	defer s.vm.mu.Unlock()
	out, _ := s.takeProgress()
	return out
}

// stalled answers a request the module stopped and nothing resumed: 500
// wasm_filter_stalled, the calls made for it cancelled.
func (s *Stream) stalled(ctx context.Context) *LocalResponse {
	attrs := []any{"hint", "a module that pauses in request headers needs AllowOnHeadersStopIteration (Envoy: allow_on_headers_stop_iteration)"}
	if err := ctx.Err(); err != nil {
		attrs = append(attrs, "error", err) // given up while a callout or a tick could still resume it
	}
	s.vm.logger.Error("wasm module stopped the request and never resumed it; failing closed", attrs...)
	return s.answeredByHost(localText(500, "Internal Server Error", "wasm_filter_stalled"))
}

// answeredByHost records the host's own answer to the request, unless the
// stream already has one, and cancels the calls made for it. It returns lr.
func (s *Stream) answeredByHost(lr *LocalResponse) *LocalResponse {
	s.vm.mu.Lock()
	defer s.vm.mu.Unlock()
	if !s.finished() {
		s.local = lr
	}
	s.vm.cancelCallouts(s)
	return lr
}

func (s *Stream) requestEnded() bool {
	s.vm.mu.Lock()
	defer s.vm.mu.Unlock()
	return s.req.sentEnd
}

// answer returns the local response, or a 503 for a reset stream.
func (s *Stream) answer() *LocalResponse {
	s.vm.mu.Lock()
	defer s.vm.mu.Unlock()
	if s.local != nil {
		return s.local
	}
	return localText(503, "", "stream_reset")
}
