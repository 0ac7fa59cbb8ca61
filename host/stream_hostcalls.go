package host

import (
	"encoding/binary"
	"strconv"
	"strings"
	"unicode"

	"github.com/hookguard/hookguard/internal/abi"
	"github.com/hookguard/hookguard/internal/pairs"
)

// What a host call acts on, with Envoy's rules: mostly the effective
// stream, what the module sees of it and may ask of it in each phase. The
// host functions in imports_env.go decode their arguments and call these
// methods; the filter manager in stream.go keeps the state they read
// (which header maps and body buffers are live, the access-log phase) and
// applies what they record (a continue, a close, a local response) when
// the callback returns.
//
// A nil *Stream is the root context: no stream is effective, as in a tick,
// a callout's response or start-up. Each Stream method answers for it as
// Envoy's root context does.

// The effective context. A host call acts on the effective stream
// (v.stream, nil for the root context), except for what only the VM or the
// plugin holds: the response of the proxy_http_call being delivered, and
// the VM and plugin configurations.

// headerMap returns the header map of type t that the module may use now,
// or nil: the headers of the proxy_http_call response being delivered
// (its trailers are always empty), or the effective stream's
// (Stream.headerMap).
func (v *vm) headerMap(t abi.MapType) *Header {
	if c := v.callout; c != nil && (t == abi.MapHTTPCallResponseHeaders || t == abi.MapHTTPCallResponseTrailers) {
		if t == abi.MapHTTPCallResponseTrailers {
			return &Header{}
		}
		return &c.headers
	}
	return v.stream.headerMap(t)
}

// buffer returns the bytes of buffer t that the module may read now. A
// body buffer exists in every phase, empty outside a body callback
// (Stream.body); the proxy_http_call response body exists only while it is
// delivered, and the plugin configuration only during proxy_on_configure,
// as in Envoy: NOT_FOUND otherwise, and for an unknown type.
func (v *vm) buffer(t abi.BufferType) ([]byte, abi.Status) {
	switch t {
	case abi.BufferHTTPCallResponse:
		if v.callout == nil {
			return nil, abi.StatusNotFound
		}
		return v.callout.body, abi.StatusOK
	case abi.BufferHTTPRequestBody, abi.BufferHTTPResponseBody:
		return v.stream.body(t), abi.StatusOK
	case abi.BufferVMConfiguration:
		return v.plugin.cfg.VMConfiguration, abi.StatusOK
	case abi.BufferPluginConfiguration:
		if !v.configuring {
			return nil, abi.StatusNotFound
		}
		return v.plugin.cfg.Configuration, abi.StatusOK
	}
	return nil, abi.StatusNotFound
}

// configuration is what proxy_get_configuration (ABI 0.1.0) copies, as
// Envoy's Context::getConfiguration answers it: the plugin configuration
// while proxy_on_configure runs, the VM configuration at any other time.
func (v *vm) configuration() []byte {
	if v.configuring {
		return v.plugin.cfg.Configuration
	}
	return v.plugin.cfg.VMConfiguration
}

// property resolves a property path ("request.path"): the plugin's own
// (Plugin.property), then the effective stream's (Stream.property).
func (v *vm) property(path string) ([]byte, bool) {
	if val, ok := v.plugin.property(path); ok {
		return val, true
	}
	return v.stream.property(path)
}

// setEffectiveContext makes later host calls act on context id: a stream
// still open, or the root. What they ask of a stream whose own callback is
// not the one running is applied when the callback returns
// (vm.deferEffect). An unknown id is BAD_ARGUMENT.
func (v *vm) setEffectiveContext(id uint32) abi.Status {
	if id == v.rootID {
		v.stream = nil
		return abi.StatusOK
	}
	s, ok := v.streams[id]
	if !ok {
		return abi.StatusBadArgument
	}
	v.stream = s
	return abi.StatusOK
}

// The effective stream.

// headerMap returns the header map of type t that the module may read and
// change now, or nil when it has none. Headers and trailers are live from
// their own callback until they go on: Envoy nulls its pointer to request
// headers once they continue. In proxy_on_log Envoy serves the access-log
// copies of the request headers and the response headers and trailers, but
// not the request trailers (proxy-wasm-abi.md §2.2).
func (s *Stream) headerMap(t abi.MapType) *Header {
	if s == nil {
		return nil
	}
	if s.logPhase {
		switch t {
		case abi.MapHTTPRequestHeaders:
			return &s.req.logHeaders
		case abi.MapHTTPResponseHeaders:
			return &s.resp.logHeaders
		case abi.MapHTTPResponseTrailers:
			return &s.resp.trailers
		}
		return nil
	}
	switch t {
	case abi.MapHTTPRequestHeaders:
		return s.req.liveHeaders()
	case abi.MapHTTPRequestTrailers:
		return s.req.liveTrailers()
	case abi.MapHTTPResponseHeaders:
		return s.resp.liveHeaders()
	case abi.MapHTTPResponseTrailers:
		return s.resp.liveTrailers()
	}
	return nil
}

// liveHeaders returns f's headers while the module may use them.
func (f *flow) liveHeaders() *Header {
	if !f.headersLive {
		return nil
	}
	return &f.headers
}

// liveTrailers returns f's trailers while the module may use them.
func (f *flow) liveTrailers() *Header {
	if !f.trailersLive {
		return nil
	}
	return &f.trailers
}

// liveBody returns the direction whose body buffer t names while a body
// callback can see it, or nil.
func (s *Stream) liveBody(t abi.BufferType) *flow {
	if s == nil {
		return nil
	}
	var f *flow
	switch t {
	case abi.BufferHTTPRequestBody:
		f = &s.req
	case abi.BufferHTTPResponseBody:
		f = &s.resp
	default:
		return nil
	}
	if !f.bodyLive {
		return nil
	}
	return f
}

// body returns what the module sees of body buffer t: the current chunk,
// or everything buffered since the body callback returned Pause
// (StopIterationAndBuffer). Outside a body callback the buffer exists but
// is empty, as Envoy's does (proxy-wasm-abi.md §2.1).
func (s *Stream) body(t abi.BufferType) []byte {
	if f := s.liveBody(t); f != nil {
		return f.body
	}
	return nil
}

// setBody is proxy_set_buffer_bytes on body buffer t, Envoy's
// Buffer::copyFrom: start 0 drains size bytes and prepends data (so (0, 0)
// prepends and (0, ≥ length) replaces the whole buffer), start at or past
// the end appends, and anything in between is BAD_ARGUMENT: there is no
// insert in the middle. With no body buffer live it is BAD_ARGUMENT too.
func (s *Stream) setBody(t abi.BufferType, start, size uint32, data []byte) abi.Status {
	f := s.liveBody(t)
	if f == nil {
		return abi.StatusBadArgument
	}
	cur := f.body
	switch {
	case start == 0:
		drop := min(uint64(size), uint64(len(cur)))
		f.body = append(data, cur[drop:]...)
	case uint64(start) >= uint64(len(cur)):
		f.body = append(cur, data...)
	default:
		return abi.StatusBadArgument
	}
	return abi.StatusOK
}

// property resolves a property path ("request.path") of the stream: one
// the driver or the module set, or one of Envoy's request and response
// attributes, read from the headers as they went on. Values are raw
// strings, header maps serialized as pairs, and response.code 8 bytes
// little-endian, as Envoy serializes an integer. The root context has no
// stream properties.
func (s *Stream) property(path string) ([]byte, bool) {
	if s == nil {
		return nil, false
	}
	if val, ok := s.props[path]; ok {
		return val, true
	}
	pseudo := func(h Header, key string) ([]byte, bool) {
		val, ok := h.Get(key)
		return []byte(val), ok
	}
	req := s.req.logHeaders
	switch path {
	case "request.path":
		return pseudo(req, ":path")
	case "request.url_path":
		p, ok := req.Get(":path")
		p, _, _ = strings.Cut(p, "?")
		return []byte(p), ok
	case "request.query":
		p, ok := req.Get(":path")
		_, q, _ := strings.Cut(p, "?")
		return []byte(q), ok
	case "request.host":
		return pseudo(req, ":authority")
	case "request.method":
		return pseudo(req, ":method")
	case "request.scheme":
		return pseudo(req, ":scheme")
	case "request.headers":
		return pairs.Encode(withoutPseudo(req)), req != nil
	case "response.headers":
		return pairs.Encode(withoutPseudo(s.resp.logHeaders)), s.resp.logHeaders != nil
	case "response.code":
		code, _ := s.resp.logHeaders.Get(":status")
		n, err := strconv.Atoi(code)
		if err != nil {
			return nil, false
		}
		b := make([]byte, 8)
		binary.LittleEndian.PutUint64(b, uint64(n))
		return b, true
	}
	if name, ok := strings.CutPrefix(path, "request.headers."); ok {
		return pseudo(req, name)
	}
	return nil, false
}

func withoutPseudo(h Header) Header {
	var out Header
	for _, f := range h {
		if !strings.HasPrefix(f.Key, ":") {
			out = append(out, f)
		}
	}
	return out
}

// setProperty sets a property of the stream, path segments separated by
// '.'. The root context has none to set: NOT_FOUND.
func (s *Stream) setProperty(path string, value []byte) abi.Status {
	if s == nil {
		return abi.StatusNotFound
	}
	if s.props == nil {
		s.props = map[string][]byte{}
	}
	s.props[path] = value
	return abi.StatusOK
}

// continueStream is proxy_continue_stream, and ABI 0.1.0's
// proxy_continue_request and proxy_continue_response: the stopped
// direction t goes on when the running callback returns, as Envoy defers
// continueDecoding and continueEncoding until the VM call is over
// (stream.go applyContinue, Stream.applyDeferred). Envoy continues reading for DOWNSTREAM (OK, a
// no-op for an HTTP filter), answers UPSTREAM with UNIMPLEMENTED and an
// unknown type with BAD_ARGUMENT (proxy-wasm-abi.md §2.5).
func (s *Stream) continueStream(t abi.StreamType) abi.Status {
	switch {
	case t == abi.StreamDownstream:
		return abi.StatusOK
	case t == abi.StreamUpstream:
		return abi.StatusUnimplemented
	case t > abi.StreamUpstream:
		return abi.StatusBadArgument
	case s == nil:
		return abi.StatusNotFound
	}
	dir := dirRequest
	if t == abi.StreamResponse {
		dir = dirResponse
	}
	s.continueDir[dir] = true
	s.vm.deferEffect(s)
	return abi.StatusOK
}

// closeStream is proxy_close_stream: the stream is reset when the running
// callback returns, as Envoy defers its resetStream (details
// wasm_close_stream). Any known stream type closes the whole stream.
func (s *Stream) closeStream(t abi.StreamType) abi.Status {
	switch {
	case t > abi.StreamUpstream:
		return abi.StatusBadArgument
	case s == nil:
		return abi.StatusNotFound
	}
	s.pendingReset = true
	s.vm.deferEffect(s)
	return abi.StatusOK
}

// sendLocalResponse is proxy_send_local_response: lr is sent when the
// running callback returns, as Envoy defers sendLocalReply (stream.go
// deliverLocal). Only the first one counts, as a second one hangs clients
// in Envoy (issue #28826); its details have whitespace replaced by '_', as
// Envoy's do. Envoy answers OK even when no reply can be sent, from the
// root context too.
func (s *Stream) sendLocalResponse(lr *LocalResponse) abi.Status {
	if s == nil {
		return abi.StatusOK
	}
	if s.local == nil && s.pendingLocal == nil && !s.inLocalReply {
		lr.Details = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return '_'
			}
			return r
		}, lr.Details)
		s.pendingLocal = lr
	}
	s.vm.deferEffect(s)
	return abi.StatusOK
}
