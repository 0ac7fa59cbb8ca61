package host

import (
	"context"
	"encoding/binary"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hookguard/hookguard/internal/abi"
	"github.com/hookguard/hookguard/internal/pairs"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// proxy_status_t values, from the one home of the ABI's numbers.
const (
	statusOK                  = abi.StatusOK
	statusNotFound            = abi.StatusNotFound
	statusBadArgument         = abi.StatusBadArgument
	statusInvalidMemoryAccess = abi.StatusInvalidMemoryAccess
	statusCasMismatch         = abi.StatusCasMismatch
	statusInternalFailure     = abi.StatusInternalFailure
	statusUnimplemented       = abi.StatusUnimplemented
)

// envFunc is one env host function: its parameters' names as the
// proxy-wasm spec gives them (all i32 unless i64At says otherwise; wazero
// shows them in stack traces and listeners) and its body, which gets the
// i32 arguments already decoded with api.DecodeU32 (the upper stack bits
// can be garbage).
type envFunc struct {
	names  []string
	i64At  int    // index of an i64 parameter, or -1
	result string // the i32 result's name: "" is "status"; "-" none
	fn     func(v *vm, mod api.Module, a []uint32, stack []uint64) uint32
}

// envFunctions are the proxy-wasm host calls of ABI v0.2.x with Envoy's
// semantics (research: proxy-wasm-abi.md §1.3, §2).
var envFunctions map[string]envFunc

func init() {
	unimplemented := func(*vm, api.Module, []uint32, []uint64) uint32 { return statusUnimplemented }
	f := func(fn func(*vm, api.Module, []uint32, []uint64) uint32, names ...string) envFunc {
		return envFunc{names: names, i64At: -1, fn: fn}
	}
	envFunctions = map[string]envFunc{
		"proxy_log":                          f(hostLog, "log_level", "message_data", "message_size"),
		"proxy_get_log_level":                f(hostGetLogLevel, "return_log_level"),
		"proxy_get_current_time_nanoseconds": f(hostGetTime, "return_time"),
		"proxy_set_tick_period_milliseconds": f(hostSetTickPeriod, "tick_period"),
		"proxy_get_buffer_bytes":             f(hostGetBufferBytes, "buffer_type", "start", "max_size", "return_buffer_data", "return_buffer_size"),
		"proxy_get_buffer_status":            f(hostGetBufferStatus, "buffer_type", "return_buffer_size", "return_unused"),
		"proxy_set_buffer_bytes":             f(hostSetBufferBytes, "buffer_type", "start", "size", "buffer_data", "buffer_size"),
		"proxy_get_header_map_pairs":         f(hostGetHeaderMapPairs, "map_type", "return_map_data", "return_map_size"),
		"proxy_set_header_map_pairs":         f(hostSetHeaderMapPairs, "map_type", "map_data", "map_size"),
		"proxy_get_header_map_size":          f(hostGetHeaderMapSize, "map_type", "return_map_size"),
		"proxy_get_header_map_value":         f(hostGetHeaderMapValue, "map_type", "key_data", "key_size", "return_value_data", "return_value_size"),
		"proxy_add_header_map_value":         f(hostAddHeaderMapValue, "map_type", "key_data", "key_size", "value_data", "value_size"),
		"proxy_replace_header_map_value":     f(hostReplaceHeaderMapValue, "map_type", "key_data", "key_size", "value_data", "value_size"),
		"proxy_remove_header_map_value":      f(hostRemoveHeaderMapValue, "map_type", "key_data", "key_size"),
		"proxy_continue_stream":              f(hostContinueStream, "stream_type"),
		"proxy_close_stream":                 f(hostCloseStream, "stream_type"),
		"proxy_send_local_response":          f(hostSendLocalResponse, "status_code", "status_code_details_data", "status_code_details_size", "body_data", "body_size", "headers_data", "headers_size", "grpc_status"),
		"proxy_get_property":                 f(hostGetProperty, "path_data", "path_size", "return_value_data", "return_value_size"),
		"proxy_set_property":                 f(hostSetProperty, "path_data", "path_size", "value_data", "value_size"),
		"proxy_get_shared_data":              f(hostGetSharedData, "key_data", "key_size", "return_value_data", "return_value_size", "return_cas"),
		"proxy_set_shared_data":              f(hostSetSharedData, "key_data", "key_size", "value_data", "value_size", "cas"),
		"proxy_define_metric":                f(hostDefineMetric, "metric_type", "name_data", "name_size", "return_metric_id"),
		"proxy_increment_metric":             {names: []string{"metric_id", "offset"}, i64At: 1, fn: hostIncrementMetric},
		"proxy_record_metric":                {names: []string{"metric_id", "value"}, i64At: 1, fn: hostRecordMetric},
		"proxy_get_metric":                   f(hostGetMetric, "metric_id", "return_value"),
		"proxy_set_effective_context":        f(hostSetEffectiveContext, "context_id"),
		"proxy_done":                         f(func(*vm, api.Module, []uint32, []uint64) uint32 { return statusOK }),
		"proxy_call_foreign_function":        f(func(*vm, api.Module, []uint32, []uint64) uint32 { return statusNotFound }, "name_data", "name_size", "arguments_data", "arguments_size", "return_results_data", "return_results_size"),
		"proxy_http_call":                    f(hostHTTPCall, "upstream_data", "upstream_size", "headers_data", "headers_size", "body_data", "body_size", "trailers_data", "trailers_size", "timeout", "return_callout_id"),
		"proxy_grpc_call":                    f(unimplemented, "service_data", "service_size", "service_name_data", "service_name_size", "method_data", "method_size", "initial_metadata_data", "initial_metadata_size", "message_data", "message_size", "timeout", "return_callout_id"),
		"proxy_grpc_stream":                  f(unimplemented, "service_data", "service_size", "service_name_data", "service_name_size", "method_data", "method_size", "initial_metadata_data", "initial_metadata_size", "return_stream_id"),
		"proxy_grpc_send":                    f(unimplemented, "stream_id", "message_data", "message_size", "end_stream"),
		"proxy_grpc_cancel":                  f(unimplemented, "callout_id"),
		"proxy_grpc_close":                   f(unimplemented, "callout_id"),
		"proxy_get_status":                   f(unimplemented, "return_status_code", "return_status_message_data", "return_status_message_size"),
		"proxy_register_shared_queue":        f(unimplemented, "name_data", "name_size", "return_queue_id"),
		"proxy_resolve_shared_queue":         f(unimplemented, "vm_id_data", "vm_id_size", "name_data", "name_size", "return_queue_id"),
		"proxy_enqueue_shared_queue":         f(unimplemented, "queue_id", "value_data", "value_size"),
		"proxy_dequeue_shared_queue":         f(unimplemented, "queue_id", "return_value_data", "return_value_size"),
		// Envoy registers these two for every module, for emscripten-built
		// C++ ones (proxy-wasm-cpp-host src/exports.cc): growth needs no
		// action from a host that reads memory afresh at each call.
		"emscripten_notify_memory_growth": {names: []string{"memory_index"}, i64At: -1, result: "-",
			fn: func(*vm, api.Module, []uint32, []uint64) uint32 { return 0 }},
		"pthread_equal": {names: []string{"left", "right"}, i64At: -1, result: "equal",
			fn: func(_ *vm, _ api.Module, a []uint32, _ []uint64) uint32 {
				if a[0] == a[1] {
					return 1
				}
				return 0
			}},
		"proxy_continue_request":  f(unimplemented),
		"proxy_continue_response": f(unimplemented),
	}
}

func instantiateEnv(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder("env")
	for name, ef := range envFunctions {
		params := make([]api.ValueType, len(ef.names))
		for i := range params {
			params[i] = api.ValueTypeI32
			if i == ef.i64At {
				params[i] = api.ValueTypeI64
			}
		}
		fn, name := ef.fn, name
		results, resultNames := []api.ValueType{api.ValueTypeI32}, []string{"status"}
		switch ef.result {
		case "-":
			results, resultNames = nil, nil
		case "":
		default:
			resultNames = []string{ef.result}
		}
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			v := vmFrom(ctx)
			if v == nil {
				stack[0] = statusInternalFailure
				return
			}
			v.checkRestricted("env", name)
			// The arguments in the VM's own arrays, one per nesting level
			// (a host call may run the allocator, which may call the
			// host): an array of this closure's would escape to the heap
			// through fn, an allocation per host call.
			a := v.hostArgs()
			for i := range params {
				a[i] = api.DecodeU32(stack[i])
			}
			r := uint64(fn(v, mod, a[:len(params)], stack))
			v.argDepth--
			if results != nil {
				stack[0] = r
			}
			if v.failed.Load() {
				// The VM failed inside this call (its allocator trapped):
				// abort the caller too, as Envoy's trap does.
				panic("wasm VM failed during " + name)
			}
		}), params, results).WithParameterNames(ef.names...).WithResultNames(resultNames...).Export(name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// proxy_log levels to slog levels.
var logLevels = [...]slog.Level{slog.LevelDebug - 4, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelError + 4}

// logWanted reports whether a module's line at level would be kept: logged
// at the logger's level, or captured for a start-up error.
func (v *vm) logWanted(level uint32) bool {
	level = min(level, uint32(len(logLevels)-1))
	return v.capture != nil && level >= 4 || v.logger.Enabled(context.Background(), logLevels[level])
}

func (v *vm) guestLog(level uint32, msg string) {
	if int(level) >= len(logLevels) {
		level = uint32(len(logLevels) - 1)
	}
	if v.capture != nil && level >= 4 {
		*v.capture = append(*v.capture, msg)
	}
	attrs := []slog.Attr{}
	if v.stream != nil {
		attrs = append(attrs, slog.Uint64("context_id", uint64(v.stream.id)))
	}
	v.logger.LogAttrs(context.Background(), logLevels[level], msg, attrs...)
}

func hostLog(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	// The memory is checked whatever the level, as in Envoy; the line is
	// copied only when it will be kept (a verified request's debug line is
	// not, at the default level).
	b, ok := mod.Memory().Read(a[1], a[2])
	if !ok && a[2] > 0 {
		return statusInvalidMemoryAccess
	}
	if v.logWanted(a[0]) {
		v.guestLog(a[0], string(b))
	}
	return statusOK
}

func hostGetLogLevel(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	level := uint32(len(logLevels) - 1)
	for i, l := range logLevels {
		if v.logger.Enabled(context.Background(), l) {
			level = uint32(i)
			break
		}
	}
	if !writeU32(mod.Memory(), a[0], level) {
		return statusInvalidMemoryAccess
	}
	return statusOK
}

func hostGetTime(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	if !writeU64(mod.Memory(), a[0], uint64(v.plugin.module.clock().UnixNano())) {
		return statusInvalidMemoryAccess
	}
	return statusOK
}

func hostSetTickPeriod(v *vm, _ api.Module, a []uint32, _ []uint64) uint32 {
	v.setTickPeriod(time.Duration(a[0]) * time.Millisecond)
	return statusOK
}

// Buffer types.
const (
	bufferHTTPRequestBody     = abi.BufferHTTPRequestBody
	bufferHTTPResponseBody    = abi.BufferHTTPResponseBody
	bufferVMConfiguration     = abi.BufferVMConfiguration
	bufferHTTPCallResponse    = abi.BufferHTTPCallResponse
	bufferPluginConfiguration = abi.BufferPluginConfiguration
)

// buffer returns a buffer's bytes. Body buffers outside a body phase exist
// but are empty, as in Envoy; the plugin configuration exists only during
// proxy_on_configure.
func (v *vm) buffer(bt uint32) ([]byte, *flow, uint32) {
	switch bt {
	case bufferHTTPCallResponse:
		if v.callout == nil {
			return nil, nil, statusNotFound
		}
		return v.callout.body, nil, statusOK
	case bufferHTTPRequestBody, bufferHTTPResponseBody:
		s := v.stream
		if s == nil {
			return nil, nil, statusOK
		}
		f := &s.req
		if bt == bufferHTTPResponseBody {
			f = &s.resp
		}
		if !f.bodyLive {
			return nil, nil, statusOK
		}
		return f.body, f, statusOK
	case bufferVMConfiguration:
		return v.plugin.cfg.VMConfiguration, nil, statusOK
	case bufferPluginConfiguration:
		if !v.configuring {
			return nil, nil, statusNotFound
		}
		return v.plugin.cfg.Configuration, nil, statusOK
	default:
		return nil, nil, statusNotFound
	}
}

func hostGetBufferBytes(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	data, _, st := v.buffer(a[0])
	if st != statusOK {
		return st
	}
	start, end := uint64(a[1]), uint64(a[1])+uint64(a[2])
	if start > uint64(len(data)) {
		start = uint64(len(data))
	}
	if end > uint64(len(data)) {
		end = uint64(len(data))
	}
	return v.copyOut(mod, data[start:end], a[3], a[4])
}

func hostGetBufferStatus(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	data, _, st := v.buffer(a[0])
	if st != statusOK {
		return st
	}
	if !writeU32(mod.Memory(), a[1], uint32(len(data))) || !writeU32(mod.Memory(), a[2], 0) {
		return statusInvalidMemoryAccess
	}
	return statusOK
}

// hostSetBufferBytes follows Envoy's Buffer::copyFrom: start 0 drains
// size bytes and prepends, start at or past the end appends, anything in
// between is BAD_ARGUMENT.
func hostSetBufferBytes(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	data, ok := readBytes(mod.Memory(), a[3], a[4])
	if !ok {
		return statusInvalidMemoryAccess
	}
	if a[0] != bufferHTTPRequestBody && a[0] != bufferHTTPResponseBody {
		return statusBadArgument
	}
	cur, f, _ := v.buffer(a[0])
	if f == nil {
		return statusBadArgument
	}
	start, size := uint64(a[1]), uint64(a[2])
	switch {
	case start == 0:
		drop := min(size, uint64(len(cur)))
		f.body = append(data, cur[drop:]...)
	case start >= uint64(len(cur)):
		f.body = append(cur, data...)
	default:
		return statusBadArgument
	}
	return statusOK
}

// Header map types.
const (
	mapRequestHeaders   = abi.MapHTTPRequestHeaders
	mapRequestTrailers  = abi.MapHTTPRequestTrailers
	mapResponseHeaders  = abi.MapHTTPResponseHeaders
	mapResponseTrailers = abi.MapHTTPResponseTrailers
	mapCallHeaders      = abi.MapHTTPCallResponseHeaders
	mapCallTrailers     = abi.MapHTTPCallResponseTrailers
)

// headerMap returns the map the module may use now, or nil. Request
// headers are gone once they continued (Envoy nulls them); in proxy_on_log
// the access-log copies are readable, except request trailers.
func (v *vm) headerMap(mt uint32) *Header {
	if c := v.callout; c != nil && (mt == mapCallHeaders || mt == mapCallTrailers) {
		if mt == mapCallTrailers {
			return &Header{}
		}
		return &c.headers
	}
	s := v.stream
	if s == nil {
		return nil
	}
	if s.logPhase {
		switch mt {
		case mapRequestHeaders:
			return &s.req.logHeaders
		case mapResponseHeaders:
			return &s.resp.logHeaders
		case mapResponseTrailers:
			return &s.resp.trailers
		}
		return nil
	}
	var f *flow
	switch mt {
	case mapRequestHeaders, mapRequestTrailers:
		f = &s.req
	case mapResponseHeaders, mapResponseTrailers:
		f = &s.resp
	default:
		return nil
	}
	if mt == mapRequestHeaders || mt == mapResponseHeaders {
		if f.headersLive {
			return &f.headers
		}
		return nil
	}
	if f.trailersLive {
		return &f.trailers
	}
	return nil
}

func hostGetHeaderMapPairs(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	h := v.headerMap(a[0])
	if h == nil || len(*h) == 0 {
		return v.copyOut(mod, nil, a[1], a[2]) // OK with an empty map
	}
	return v.copyOut(mod, pairs.Encode(*h), a[1], a[2])
}

func hostSetHeaderMapPairs(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	buf, ok := readBytes(mod.Memory(), a[1], a[2])
	if !ok {
		return statusInvalidMemoryAccess
	}
	h := v.headerMap(a[0])
	if h == nil {
		return statusBadArgument
	}
	*h = lowerKeys(pairs.Decode(buf)) // a malformed buffer clears the map, as in Envoy
	return statusOK
}

func hostGetHeaderMapSize(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	h := v.headerMap(a[0])
	if h == nil {
		return statusBadArgument
	}
	if !writeU32(mod.Memory(), a[1], uint32(h.byteSize())) {
		return statusInvalidMemoryAccess
	}
	return statusOK
}

func hostGetHeaderMapValue(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	key, ok := readString(mod.Memory(), a[1], a[2])
	if !ok {
		return statusInvalidMemoryAccess
	}
	h := v.headerMap(a[0])
	if h == nil {
		return statusBadArgument
	}
	val, found := h.Get(key)
	if !found {
		return statusNotFound
	}
	return v.copyOut(mod, []byte(val), a[3], a[4])
}

func headerEdit(v *vm, mod api.Module, a []uint32, edit func(h *Header, k, val string)) uint32 {
	key, ok1 := readString(mod.Memory(), a[1], a[2])
	val, ok2 := readString(mod.Memory(), a[3], a[4])
	if !ok1 || !ok2 {
		return statusInvalidMemoryAccess
	}
	h := v.headerMap(a[0])
	if h == nil {
		return statusBadArgument
	}
	edit(h, key, val)
	return statusOK
}

func hostAddHeaderMapValue(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	return headerEdit(v, mod, a, (*Header).add)
}

func hostReplaceHeaderMapValue(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	return headerEdit(v, mod, a, (*Header).replace)
}

func hostRemoveHeaderMapValue(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	return headerEdit(v, mod, []uint32{a[0], a[1], a[2], 0, 0}, func(h *Header, k, _ string) { h.del(k) })
}

// Stream types for continue/close.
const (
	streamRequest    = abi.StreamRequest
	streamResponse   = abi.StreamResponse
	streamDownstream = abi.StreamDownstream
	streamUpstream   = abi.StreamUpstream
)

// hostContinueStream resumes a direction of the effective stream when the
// callback returns: Envoy defers continueDecoding/continueEncoding until
// the VM call is over.
func hostContinueStream(v *vm, _ api.Module, a []uint32, _ []uint64) uint32 {
	s := v.stream
	switch {
	case a[0] == streamDownstream:
		return statusOK
	case a[0] == streamUpstream:
		return statusUnimplemented
	case a[0] > streamUpstream:
		return statusBadArgument
	case s == nil:
		return statusNotFound
	}
	s.continueDir[a[0]] = true // applied when the callback returns, as Envoy defers it
	v.deferEffect(s)
	return statusOK
}

// hostCloseStream resets the effective stream when the callback returns
// (Envoy: a deferred resetStream, details wasm_close_stream).
func hostCloseStream(v *vm, _ api.Module, a []uint32, _ []uint64) uint32 {
	if a[0] > streamUpstream {
		return statusBadArgument
	}
	if v.stream == nil {
		return statusNotFound
	}
	v.stream.pendingReset = true
	v.deferEffect(v.stream)
	return statusOK
}

// hostSendLocalResponse answers the effective stream when the callback
// returns, as Envoy defers sendLocalReply.
func hostSendLocalResponse(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	mem := mod.Memory()
	details, ok1 := readString(mem, a[1], a[2])
	body, ok2 := readBytes(mem, a[3], a[4])
	hb, ok3 := readBytes(mem, a[5], a[6])
	if !ok1 || !ok2 || !ok3 {
		return statusInvalidMemoryAccess
	}
	if v.stream != nil {
		v.stream.sendLocalResponse(&LocalResponse{Status: int(a[0]), Header: lowerKeys(pairs.Decode(hb)), Body: body, Details: details})
		v.deferEffect(v.stream)
	}
	return statusOK // Envoy answers OK even when no reply can be sent
}

// property resolves a property path ("request.path") for the current call.
func (v *vm) property(path string) ([]byte, bool) {
	cfg := v.plugin.cfg
	switch path {
	case "plugin_name":
		return []byte(cfg.Name), true
	case "plugin_root_id":
		return []byte(cfg.RootID), true
	case "plugin_vm_id":
		return []byte(cfg.VMID), true
	}
	s := v.stream
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

func propertyPath(mem api.Memory, ptr, size uint32) (string, bool) {
	raw, ok := readString(mem, ptr, size)
	return strings.ReplaceAll(strings.TrimRight(raw, "\x00"), "\x00", "."), ok
}

func hostGetProperty(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	path, ok := propertyPath(mod.Memory(), a[0], a[1])
	if !ok {
		return statusInvalidMemoryAccess
	}
	val, found := v.property(path)
	if !found {
		return statusNotFound
	}
	return v.copyOut(mod, val, a[2], a[3])
}

func hostSetProperty(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	path, ok1 := propertyPath(mod.Memory(), a[0], a[1])
	val, ok2 := readBytes(mod.Memory(), a[2], a[3])
	if !ok1 || !ok2 {
		return statusInvalidMemoryAccess
	}
	if v.stream == nil {
		return statusNotFound
	}
	if v.stream.props == nil {
		v.stream.props = map[string][]byte{}
	}
	v.stream.props[path] = val
	return statusOK
}

func hostGetSharedData(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	key, ok := readString(mod.Memory(), a[0], a[1])
	if !ok {
		return statusInvalidMemoryAccess
	}
	val, cas, found, err := v.plugin.shared.Get(key)
	if err != nil {
		v.logger.Error("shared data store failed; the module's call fails", "error", err)
		return statusInternalFailure
	}
	if !found {
		return statusNotFound
	}
	if !writeU32(mod.Memory(), a[4], cas) {
		return statusInvalidMemoryAccess
	}
	return v.copyOut(mod, val, a[2], a[3])
}

func hostSetSharedData(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	key, ok1 := readString(mod.Memory(), a[0], a[1])
	val, ok2 := readBytes(mod.Memory(), a[2], a[3])
	if !ok1 || !ok2 {
		return statusInvalidMemoryAccess
	}
	ok, err := v.plugin.shared.Set(key, val, a[4])
	switch {
	case err != nil:
		v.logger.Error("shared data store failed; the module's call fails", "error", err)
		return statusInternalFailure
	case !ok:
		return statusCasMismatch
	}
	return statusOK
}

func hostDefineMetric(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	name, ok := readString(mod.Memory(), a[1], a[2])
	if !ok {
		return statusInvalidMemoryAccess
	}
	id, st := v.plugin.metrics.define(MetricKind(a[0]), name)
	if st != statusOK {
		return st
	}
	if !writeU32(mod.Memory(), a[3], id) {
		return statusInvalidMemoryAccess
	}
	return statusOK
}

func hostIncrementMetric(v *vm, _ api.Module, a []uint32, stack []uint64) uint32 {
	return v.plugin.metrics.increment(a[0], int64(stack[1]))
}

func hostRecordMetric(v *vm, _ api.Module, a []uint32, stack []uint64) uint32 {
	return v.plugin.metrics.record(a[0], int64(stack[1]))
}

func hostGetMetric(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	val, st := v.plugin.metrics.get(a[0])
	if st != statusOK {
		return st
	}
	if !writeU64(mod.Memory(), a[1], uint64(val)) {
		return statusInvalidMemoryAccess
	}
	return statusOK
}

// hostSetEffectiveContext makes later host calls act on another context:
// a stream still open, or the root. What they ask of a stream whose own
// callback is not the one running is applied when the callback returns
// (vm.deferEffect).
func hostSetEffectiveContext(v *vm, _ api.Module, a []uint32, _ []uint64) uint32 {
	if a[0] == v.rootID {
		v.stream = nil
		return statusOK
	}
	s, ok := v.streams[a[0]]
	if !ok {
		return statusBadArgument
	}
	v.stream = s
	return statusOK
}
