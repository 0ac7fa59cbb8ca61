package proxywasm

import "github.com/hookguard/hookguard/internal/abi"

// The proxy-wasm callbacks, as the host calls them. The wasm exports in
// exports.go forward here; an in-process host calls these directly. Every
// one recovers from a panic, so a Go panic never leaves the VM in an
// undefined state or a request let through.

// OnContextCreate is proxy_on_context_create: a root context when parentID
// is 0, else an HTTP stream under root parentID.
func OnContextCreate(contextID, parentID uint32) {
	defer func() {
		if r := recover(); r != nil {
			recovered(abi.ProxyOnContextCreateName, r)
		}
	}()
	if parentID == 0 {
		if newRoot == nil {
			Log(LogCritical, "hookguard: no root context registered")
			return
		}
		roots[contextID] = newRoot(contextID)
		return
	}
	root, ok := roots[parentID]
	if !ok {
		Log(LogCritical, "hookguard: stream created under unknown root context")
		return
	}
	var s *stream
	if n := len(freeStreams); n > 0 {
		s, freeStreams = freeStreams[n-1], freeStreams[:n-1]
		*s = stream{handle: HTTPStream{id: contextID}}
	} else {
		s = &stream{handle: HTTPStream{id: contextID}}
	}
	s.ctx = root.NewHTTPContext(&s.handle)
	streams[contextID] = s
	lastStream = s
}

// OnVMStart is proxy_on_vm_start.
func OnVMStart(rootID uint32, vmConfigSize int) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			recovered(abi.ProxyOnVMStartName, r)
			ok = false
		}
	}()
	root, found := roots[rootID]
	return found && root.OnVMStart(vmConfigSize)
}

// OnConfigure is proxy_on_configure.
func OnConfigure(rootID uint32, pluginConfigSize int) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			recovered(abi.ProxyOnConfigureName, r)
			ok = false
		}
	}()
	root, found := roots[rootID]
	return found && root.OnConfigure(pluginConfigSize)
}

// streamCall runs one stream callback with the panic policy applied. An
// unknown stream, or one that already failed, is held, never continued.
func streamCall(contextID uint32, callback string, f func(HTTPContext) Action) (a Action) {
	s, ok := findStream(contextID)
	if !ok {
		Log(LogCritical, "hookguard: "+callback+" for unknown stream")
		return Pause
	}
	if s.failed {
		return Pause
	}
	defer func() {
		if r := recover(); r != nil {
			a = failStream(s, callback, r)
		}
	}()
	return f(s.ctx)
}

// OnRequestHeaders is proxy_on_request_headers.
func OnRequestHeaders(contextID uint32, numHeaders int, endOfStream bool) Action {
	return streamCall(contextID, abi.ProxyOnRequestHeadersName, func(c HTTPContext) Action {
		return c.OnRequestHeaders(numHeaders, endOfStream)
	})
}

// OnRequestBody is proxy_on_request_body.
func OnRequestBody(contextID uint32, bodySize int, endOfStream bool) Action {
	return streamCall(contextID, abi.ProxyOnRequestBodyName, func(c HTTPContext) Action {
		return c.OnRequestBody(bodySize, endOfStream)
	})
}

// OnRequestTrailers is proxy_on_request_trailers.
func OnRequestTrailers(contextID uint32, numTrailers int) Action {
	return streamCall(contextID, abi.ProxyOnRequestTrailersName, func(c HTTPContext) Action {
		return c.OnRequestTrailers(numTrailers)
	})
}

// OnTick is proxy_on_tick.
func OnTick(rootID uint32) {
	defer func() {
		if r := recover(); r != nil {
			recovered(abi.ProxyOnTickName, r)
		}
	}()
	if h, ok := roots[rootID].(TickHandler); ok {
		h.OnTick()
	}
}

// OnHTTPCallResponse is proxy_on_http_call_response.
func OnHTTPCallResponse(rootID, token uint32, numHeaders, bodySize int) {
	defer func() {
		if r := recover(); r != nil {
			recovered(abi.ProxyOnHTTPCallResponseName, r)
		}
	}()
	if h, ok := roots[rootID].(HTTPCallResponseHandler); ok {
		h.OnHTTPCallResponse(token, numHeaders, bodySize)
	}
}

// OnResponseHeaders is proxy_on_response_headers.
func OnResponseHeaders(contextID uint32, numHeaders int, endOfStream bool) Action {
	return streamCall(contextID, abi.ProxyOnResponseHeadersName, func(c HTTPContext) Action {
		return c.OnResponseHeaders(numHeaders, endOfStream)
	})
}

// OnDone is proxy_on_done.
func OnDone(contextID uint32) bool {
	defer func() {
		if r := recover(); r != nil {
			recovered(abi.ProxyOnDoneName, r)
		}
	}()
	if s, ok := findStream(contextID); ok {
		s.ctx.OnDone()
	}
	return true
}

// OnDelete is proxy_on_delete.
func OnDelete(contextID uint32) {
	s, ok := findStream(contextID)
	if !ok {
		delete(roots, contextID)
		return
	}
	delete(streams, contextID)
	lastStream = nil
	s.ctx.OnDelete()
	// No callback can reach s now: keep it for the next stream.
	if len(freeStreams) < maxFreeStreams {
		*s = stream{}
		freeStreams = append(freeStreams, s)
	}
}

// maxFreeStreams bounds the stream records a VM keeps for reuse: in Go
// compiled to wasm an allocation costs far more than natively.
const maxFreeStreams = 64
