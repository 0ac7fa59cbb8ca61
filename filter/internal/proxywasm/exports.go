//lint:file-ignore U1000 the callbacks are called by the proxy-wasm host through //go:wasmexport, which staticcheck does not see

package proxywasm

import "unsafe"

// The callbacks this binding exports, with the exact wasm signatures Envoy
// checks (proxy-wasm-cpp-host include/proxy-wasm/wasm.h). Every one
// recovers from a panic, so a Go panic never leaves the VM in an undefined
// state or a request let through.

//go:wasmexport proxy_abi_version_0_2_0
func proxyABIVersion() {}

//go:wasmexport proxy_on_memory_allocate
func proxyOnMemoryAllocate(size uint32) (p unsafe.Pointer) {
	defer func() {
		if r := recover(); r != nil {
			p = nil // the host treats 0 as an allocation failure
		}
	}()
	return allocate(size)
}

//go:wasmexport proxy_on_context_create
func proxyOnContextCreate(contextID, parentID uint32) {
	defer func() {
		if r := recover(); r != nil {
			recovered("proxy_on_context_create", r)
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
	s := &stream{handle: HTTPStream{id: contextID}}
	s.ctx = root.NewHTTPContext(&s.handle)
	streams[contextID] = s
}

//go:wasmexport proxy_on_vm_start
func proxyOnVMStart(rootID, vmConfigSize uint32) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			recovered("proxy_on_vm_start", r)
			ok = false
		}
	}()
	root, found := roots[rootID]
	return found && root.OnVMStart(int(vmConfigSize))
}

//go:wasmexport proxy_on_configure
func proxyOnConfigure(rootID, pluginConfigSize uint32) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			recovered("proxy_on_configure", r)
			ok = false
		}
	}()
	root, found := roots[rootID]
	return found && root.OnConfigure(int(pluginConfigSize))
}

// streamCall runs one stream callback with the panic policy applied. An
// unknown stream, or one that already failed, is held, never continued.
func streamCall(contextID uint32, callback string, f func(HTTPContext) Action) (a Action) {
	s, ok := streams[contextID]
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

//go:wasmexport proxy_on_request_headers
func proxyOnRequestHeaders(contextID, numHeaders, endOfStream uint32) uint32 {
	return uint32(streamCall(contextID, "proxy_on_request_headers", func(c HTTPContext) Action {
		return c.OnRequestHeaders(int(numHeaders), endOfStream != 0)
	}))
}

//go:wasmexport proxy_on_request_body
func proxyOnRequestBody(contextID, bodySize, endOfStream uint32) uint32 {
	return uint32(streamCall(contextID, "proxy_on_request_body", func(c HTTPContext) Action {
		return c.OnRequestBody(int(bodySize), endOfStream != 0)
	}))
}

//go:wasmexport proxy_on_request_trailers
func proxyOnRequestTrailers(contextID, numTrailers uint32) uint32 {
	return uint32(streamCall(contextID, "proxy_on_request_trailers", func(c HTTPContext) Action {
		return c.OnRequestTrailers(int(numTrailers))
	}))
}

//go:wasmexport proxy_on_done
func proxyOnDone(contextID uint32) bool {
	defer func() {
		if r := recover(); r != nil {
			recovered("proxy_on_done", r)
		}
	}()
	if s, ok := streams[contextID]; ok {
		s.ctx.OnDone()
	}
	return true
}

//go:wasmexport proxy_on_delete
func proxyOnDelete(contextID uint32) {
	delete(streams, contextID)
	delete(roots, contextID)
}
