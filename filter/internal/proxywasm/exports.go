//lint:file-ignore U1000 the callbacks are called by the proxy-wasm host through //go:wasmexport, which staticcheck does not see

package proxywasm

import "unsafe"

// The callbacks this binding exports, with the exact wasm signatures Envoy
// checks (proxy-wasm-cpp-host include/proxy-wasm/wasm.h). Each only
// converts its arguments and calls the matching On… function in
// dispatch.go, which an in-process host (package proxytest) calls too.

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
func proxyOnContextCreate(contextID, parentID uint32) { OnContextCreate(contextID, parentID) }

//go:wasmexport proxy_on_vm_start
func proxyOnVMStart(rootID, vmConfigSize uint32) bool { return OnVMStart(rootID, int(vmConfigSize)) }

//go:wasmexport proxy_on_configure
func proxyOnConfigure(rootID, pluginConfigSize uint32) bool {
	return OnConfigure(rootID, int(pluginConfigSize))
}

//go:wasmexport proxy_on_request_headers
func proxyOnRequestHeaders(contextID, numHeaders, endOfStream uint32) uint32 {
	return uint32(OnRequestHeaders(contextID, int(numHeaders), endOfStream != 0))
}

//go:wasmexport proxy_on_request_body
func proxyOnRequestBody(contextID, bodySize, endOfStream uint32) uint32 {
	return uint32(OnRequestBody(contextID, int(bodySize), endOfStream != 0))
}

//go:wasmexport proxy_on_request_trailers
func proxyOnRequestTrailers(contextID, numTrailers uint32) uint32 {
	return uint32(OnRequestTrailers(contextID, int(numTrailers)))
}

//go:wasmexport proxy_on_response_headers
func proxyOnResponseHeaders(contextID, numHeaders, endOfStream uint32) uint32 {
	return uint32(OnResponseHeaders(contextID, int(numHeaders), endOfStream != 0))
}

//go:wasmexport proxy_on_tick
func proxyOnTick(rootID uint32) { OnTick(rootID) }

//go:wasmexport proxy_on_http_call_response
func proxyOnHTTPCallResponse(rootID, token, numHeaders, bodySize, numTrailers uint32) {
	OnHTTPCallResponse(rootID, token, int(numHeaders), int(bodySize))
}

//go:wasmexport proxy_on_done
func proxyOnDone(contextID uint32) bool { return OnDone(contextID) }

//go:wasmexport proxy_on_delete
func proxyOnDelete(contextID uint32) { OnDelete(contextID) }
