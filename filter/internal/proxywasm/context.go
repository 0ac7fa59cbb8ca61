package proxywasm

import (
	"runtime"

	"github.com/hookguard/hookguard/internal/pairs"
)

// RootContext is one plugin's root context: it is configured once per VM
// and creates a context for each HTTP stream.
type RootContext interface {
	// OnVMStart runs once when the VM starts; false fails the VM.
	OnVMStart(vmConfigSize int) bool
	// OnConfigure receives the plugin configuration; false fails plugin
	// start, and Envoy then refuses the configuration.
	OnConfigure(pluginConfigSize int) bool
	// NewHTTPContext returns the context for a new HTTP stream.
	NewHTTPContext(s *HTTPStream) HTTPContext
}

// HTTPContext handles one HTTP stream's request callbacks. Streams
// interleave on one VM, so all per-request state lives here.
type HTTPContext interface {
	OnRequestHeaders(numHeaders int, endOfStream bool) Action
	OnRequestBody(bodySize int, endOfStream bool) Action
	OnRequestTrailers(numTrailers int) Action
	// OnResponseHeaders gets the response headers (MapHTTPResponseHeaders,
	// with :status), whether the upstream or a local reply produced them.
	OnResponseHeaders(numHeaders int, endOfStream bool) Action
	// OnDone runs when the stream ends, however it ends.
	OnDone()
	// OnDelete runs when the stream is gone for good: no callback can
	// reach the context after it, so it may be reused.
	OnDelete()
}

// TickHandler is implemented by a RootContext that set a tick period.
type TickHandler interface{ OnTick() }

// HTTPCallResponseHandler is implemented by a RootContext that makes
// HTTPCalls: the response of the call token names, with numHeaders
// headers in MapHTTPCallResponseHeaders (none: the call failed) and
// bodySize bytes in BufferHTTPCallResponse.
type HTTPCallResponseHandler interface {
	OnHTTPCallResponse(token uint32, numHeaders, bodySize int)
}

// HTTPStream is the binding's handle on one stream.
type HTTPStream struct {
	id        uint32
	responded bool
}

// Responded reports whether a local response was sent on this stream.
func (s *HTTPStream) Responded() bool { return s.responded }

// Activate makes s the stream later host calls act on, from a callback
// of the root context (an HTTP call's response): then SendLocalResponse
// answers it, or ResumeRequest lets its paused request go on.
func (s *HTTPStream) Activate() error { return current.SetEffectiveContext(s.id) }

// ResumeRequest lets the paused request of the active stream go on.
func (s *HTTPStream) ResumeRequest() error { return current.ContinueRequest() }

// SendLocalResponse answers the stream from the filter: the request goes no
// further. It sends at most one response per stream (Envoy issue #28826:
// a second one hangs clients) and reports false if one was already sent.
// details is Envoy's response-code detail; whitespace becomes '_'.
func (s *HTTPStream) SendLocalResponse(status int, details string, body []byte, headers []pairs.Pair) (bool, error) {
	if s.responded {
		return false, nil
	}
	s.responded = true
	return true, sendLocalResponse(status, details, body, headers)
}

type stream struct {
	handle HTTPStream
	ctx    HTTPContext
	failed bool
}

var (
	newRoot func(contextID uint32) RootContext
	roots   = map[uint32]RootContext{}
	streams = map[uint32]*stream{}
	// lastStream is the stream looked up last: a stream's callbacks mostly
	// come one after another, and a map lookup costs more in wasm.
	lastStream *stream
	// freeStreams are deleted streams' records, reused by OnContextCreate.
	freeStreams []*stream
)

// findStream returns the live stream contextID, if there is one.
func findStream(contextID uint32) (*stream, bool) {
	if s := lastStream; s != nil && s.handle.id == contextID {
		return s, true
	}
	s, ok := streams[contextID]
	if ok {
		lastStream = s
	}
	return s, ok
}

// SetRootContext registers the plugin. Call it from init(): Go c-shared
// modules run init() in _initialize and never call main.
func SetRootContext(f func(contextID uint32) RootContext) { newRoot = f }

// recovered turns a panic in a callback into a log line that names the
// callback. Only runtime errors are described: their text carries no
// request data. Anything else is reported by kind only.
func recovered(callback string, r any) {
	what := "panic"
	if err, ok := r.(runtime.Error); ok {
		what = err.Error()
	}
	Log(LogCritical, "hookguard: internal error in "+callback+": "+what)
}

// failStream answers a stream whose callback panicked with a 500, unless it
// was already answered, and holds it: a failure never lets a request on.
func failStream(s *stream, callback string, r any) Action {
	recovered(callback, r)
	s.failed = true
	if _, err := s.handle.SendLocalResponse(500, "wasm_guest_internal_error", []byte("Internal error"),
		[]pairs.Pair{{Key: "content-type", Value: "text/plain"}}); err != nil {
		Log(LogCritical, "hookguard: cannot send the error response: "+err.Error())
	}
	return Pause
}

// ResetContexts forgets every root and stream context and registers
// newRoot: a fresh VM, for an in-process host (package proxytest).
func ResetContexts(f func(contextID uint32) RootContext) {
	newRoot = f
	roots = map[uint32]RootContext{}
	streams = map[uint32]*stream{}
	lastStream = nil
	freeStreams = nil
}
