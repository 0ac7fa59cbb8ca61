package abi

// HostModuleName is the module a proxy-wasm module imports its host calls
// from.
const HostModuleName = "env"

// Names of the functions a module exports and the host calls: start-up,
// the allocator, the ABI version marker and the proxy_on_* callbacks.
const (
	InitializeName = "_initialize"
	StartName      = "_start"
	MainName       = "main"
	MallocName     = "malloc"

	ProxyABIVersion010Name = "proxy_abi_version_0_1_0"
	ProxyABIVersion020Name = "proxy_abi_version_0_2_0"
	ProxyABIVersion021Name = "proxy_abi_version_0_2_1"

	ProxyOnMemoryAllocateName      = "proxy_on_memory_allocate"
	ProxyOnContextCreateName       = "proxy_on_context_create"
	ProxyOnVMStartName             = "proxy_on_vm_start"
	ProxyOnConfigureName           = "proxy_on_configure"
	ProxyValidateConfigurationName = "proxy_validate_configuration"
	ProxyOnTickName                = "proxy_on_tick"
	ProxyOnRequestHeadersName      = "proxy_on_request_headers"
	ProxyOnRequestBodyName         = "proxy_on_request_body"
	ProxyOnRequestTrailersName     = "proxy_on_request_trailers"
	ProxyOnRequestMetadataName     = "proxy_on_request_metadata"
	ProxyOnResponseHeadersName     = "proxy_on_response_headers"
	ProxyOnResponseBodyName        = "proxy_on_response_body"
	ProxyOnResponseTrailersName    = "proxy_on_response_trailers"
	ProxyOnResponseMetadataName    = "proxy_on_response_metadata"
	ProxyOnLogName                 = "proxy_on_log"
	ProxyOnDoneName                = "proxy_on_done"
	ProxyOnDeleteName              = "proxy_on_delete"
	ProxyOnHTTPCallResponseName    = "proxy_on_http_call_response"
	ProxyOnQueueReadyName          = "proxy_on_queue_ready"
	ProxyOnForeignFunctionName     = "proxy_on_foreign_function"
)

// Names of the host calls in module "env".
const (
	ProxyLogName                       = "proxy_log"
	ProxyGetLogLevelName               = "proxy_get_log_level"
	ProxyGetCurrentTimeNanosecondsName = "proxy_get_current_time_nanoseconds"
	ProxySetTickPeriodMillisecondsName = "proxy_set_tick_period_milliseconds"
	ProxyGetBufferBytesName            = "proxy_get_buffer_bytes"
	ProxyGetBufferStatusName           = "proxy_get_buffer_status"
	ProxySetBufferBytesName            = "proxy_set_buffer_bytes"
	ProxyGetHeaderMapPairsName         = "proxy_get_header_map_pairs"
	ProxySetHeaderMapPairsName         = "proxy_set_header_map_pairs"
	ProxyGetHeaderMapSizeName          = "proxy_get_header_map_size"
	ProxyGetHeaderMapValueName         = "proxy_get_header_map_value"
	ProxyAddHeaderMapValueName         = "proxy_add_header_map_value"
	ProxyReplaceHeaderMapValueName     = "proxy_replace_header_map_value"
	ProxyRemoveHeaderMapValueName      = "proxy_remove_header_map_value"
	ProxyContinueStreamName            = "proxy_continue_stream"
	ProxyCloseStreamName               = "proxy_close_stream"
	ProxySendLocalResponseName         = "proxy_send_local_response"
	ProxyGetPropertyName               = "proxy_get_property"
	ProxySetPropertyName               = "proxy_set_property"
	ProxyGetSharedDataName             = "proxy_get_shared_data"
	ProxySetSharedDataName             = "proxy_set_shared_data"
	ProxyDefineMetricName              = "proxy_define_metric"
	ProxyIncrementMetricName           = "proxy_increment_metric"
	ProxyRecordMetricName              = "proxy_record_metric"
	ProxyGetMetricName                 = "proxy_get_metric"
	ProxySetEffectiveContextName       = "proxy_set_effective_context"
	ProxyDoneName                      = "proxy_done"
	ProxyCallForeignFunctionName       = "proxy_call_foreign_function"
	ProxyHTTPCallName                  = "proxy_http_call"
	ProxyGrpcCallName                  = "proxy_grpc_call"
	ProxyGrpcStreamName                = "proxy_grpc_stream"
	ProxyGrpcSendName                  = "proxy_grpc_send"
	ProxyGrpcCancelName                = "proxy_grpc_cancel"
	ProxyGrpcCloseName                 = "proxy_grpc_close"
	ProxyGetStatusName                 = "proxy_get_status"
	ProxyRegisterSharedQueueName       = "proxy_register_shared_queue"
	ProxyResolveSharedQueueName        = "proxy_resolve_shared_queue"
	ProxyEnqueueSharedQueueName        = "proxy_enqueue_shared_queue"
	ProxyDequeueSharedQueueName        = "proxy_dequeue_shared_queue"

	// Envoy registers these two for every module, for emscripten-built
	// C++ ones (proxy-wasm-cpp-host src/exports.cc).
	EmscriptenNotifyMemoryGrowthName = "emscripten_notify_memory_growth"
	PthreadEqualName                 = "pthread_equal"

	// ABI 0.1.0's own: 0.2.x has proxy_continue_stream and reads the
	// configurations with proxy_get_buffer_bytes.
	ProxyGetConfigurationName = "proxy_get_configuration"
	ProxyContinueRequestName  = "proxy_continue_request"
	ProxyContinueResponseName = "proxy_continue_response"
	ProxyClearRouteCacheName  = "proxy_clear_route_cache"
)

// Version is a proxy-wasm ABI version, which a module declares by
// exporting its marker (Version.Marker). It decides which host calls Envoy
// links for the module and how it calls some callbacks: the tables below
// give each function the versions that have it (Func.Versions). The
// versions are bits, so a Version can also be a set of them.
type Version uint8

// The ABI versions Envoy (proxy-wasm-cpp-host) runs.
const (
	// Version010 is the first ABI, which Istio's own stats and
	// metadata_exchange plugins and mosn's examples still declare.
	Version010 Version = 1 << iota
	// Version020 is what the official Go SDK and hookguard's module
	// declare.
	Version020
	// Version021 adds proxy_get_log_level.
	Version021
)

// versions are the ABI versions, oldest first.
var versions = [...]Version{Version010, Version020, Version021}

// Marker returns the name of the export that declares v, a single version.
func (v Version) Marker() string {
	switch v {
	case Version010:
		return ProxyABIVersion010Name
	case Version020:
		return ProxyABIVersion020Name
	case Version021:
		return ProxyABIVersion021Name
	}
	return ""
}

// MarkerVersion returns the version the export called name declares, or 0
// if name is not a version marker.
func MarkerVersion(name string) Version {
	for _, v := range versions {
		if v.Marker() == name {
			return v
		}
	}
	return 0
}

// String returns "0.1.0", "0.2.0" or "0.2.1", and a set as a list of them
// ("0.2.0 and 0.2.1").
func (v Version) String() string {
	s, left := "", v
	for _, one := range versions {
		if v&one == 0 {
			continue
		}
		left &^= one
		switch {
		case s == "":
		case left&(Version010|Version020|Version021) == 0:
			s += " and "
		default:
			s += ", "
		}
		switch one {
		case Version010:
			s += "0.1.0"
		case Version020:
			s += "0.2.0"
		case Version021:
			s += "0.2.1"
		}
	}
	return s
}

// Func is one function of the ABI: its name and wasm signature and, for a
// host call, the names the spec gives its parameters and result.
type Func struct {
	Name string
	// Params and Results are the wasm types, one letter each: 'i' for
	// i32, 'I' for i64. Every pointer, size and enum is an i32.
	Params, Results string
	// ParamNames name a host call's parameters, as the spec does; wazero
	// shows them in stack traces and listeners.
	ParamNames []string
	// ResultName names a host call's result: "status" (a Status) for
	// every proxy_* call.
	ResultName string
	// Versions are the ABI versions that have the function with this
	// signature; 0 means every one. A name whose signature changed between
	// versions is listed once per signature.
	Versions Version
}

// In reports whether ABI version v, or one of the set v, has f.
func (f Func) In(v Version) bool { return f.Versions == 0 || f.Versions&v != 0 }

// Callbacks are the functions a module may export that a host calls, with
// the signatures Envoy checks (proxy-wasm-cpp-host
// include/proxy-wasm/wasm.h): Envoy fails a module that exports one of
// these names with another signature ("Bad function signature"), as its
// ABI version has it. ABI 0.1.0's headers callbacks have no end_of_stream
// (cpp-host on_request_headers_abi_01_), and Envoy looks
// proxy_on_foreign_function up only for 0.2.x (WasmBase::getFunctions).
//
// Static data, not a map: a module that does not use the table does not
// carry it.
var Callbacks = []Func{
	{Name: InitializeName},
	{Name: StartName},
	{Name: MainName, Params: "ii", Results: "i"},
	{Name: MallocName, Params: "i", Results: "i"},
	{Name: ProxyABIVersion010Name},
	{Name: ProxyABIVersion020Name},
	{Name: ProxyABIVersion021Name},
	{Name: ProxyOnMemoryAllocateName, Params: "i", Results: "i"},
	{Name: ProxyOnContextCreateName, Params: "ii"},
	{Name: ProxyOnVMStartName, Params: "ii", Results: "i"},
	{Name: ProxyOnConfigureName, Params: "ii", Results: "i"},
	{Name: ProxyValidateConfigurationName, Params: "ii", Results: "i"},
	{Name: ProxyOnTickName, Params: "i"},
	{Name: ProxyOnRequestHeadersName, Params: "iii", Results: "i", Versions: Version020 | Version021},
	{Name: ProxyOnRequestHeadersName, Params: "ii", Results: "i", Versions: Version010},
	{Name: ProxyOnRequestBodyName, Params: "iii", Results: "i"},
	{Name: ProxyOnRequestTrailersName, Params: "ii", Results: "i"},
	{Name: ProxyOnRequestMetadataName, Params: "ii", Results: "i"},
	{Name: ProxyOnResponseHeadersName, Params: "iii", Results: "i", Versions: Version020 | Version021},
	{Name: ProxyOnResponseHeadersName, Params: "ii", Results: "i", Versions: Version010},
	{Name: ProxyOnResponseBodyName, Params: "iii", Results: "i"},
	{Name: ProxyOnResponseTrailersName, Params: "ii", Results: "i"},
	{Name: ProxyOnResponseMetadataName, Params: "ii", Results: "i"},
	{Name: ProxyOnLogName, Params: "i"},
	{Name: ProxyOnDoneName, Params: "i", Results: "i"},
	{Name: ProxyOnDeleteName, Params: "i"},
	{Name: ProxyOnHTTPCallResponseName, Params: "iiiii"},
	{Name: ProxyOnQueueReadyName, Params: "ii"},
	{Name: ProxyOnForeignFunctionName, Params: "iii", Versions: Version020 | Version021},
}

// HostCalls are the functions a host provides in module "env", as
// proxy-wasm-cpp-host declares them (include/proxy-wasm/exports.h): a
// module may import those its ABI version has, and nothing else from
// "env". Envoy links most for every version (WasmBase::registerCallbacks);
// proxy_continue_stream and proxy_close_stream only for 0.2.x,
// proxy_get_log_level only for 0.2.1, and proxy_get_configuration,
// proxy_continue_request, proxy_continue_response and
// proxy_clear_route_cache only for 0.1.0, so a module importing one its
// version lacks fails to link.
var HostCalls = []Func{
	{Name: ProxyLogName, Params: "iii", Results: "i", ParamNames: []string{"log_level", "message_data", "message_size"}, ResultName: "status"},
	{Name: ProxyGetLogLevelName, Params: "i", Results: "i", ParamNames: []string{"return_log_level"}, ResultName: "status", Versions: Version021},
	{Name: ProxyGetCurrentTimeNanosecondsName, Params: "i", Results: "i", ParamNames: []string{"return_time"}, ResultName: "status"},
	{Name: ProxySetTickPeriodMillisecondsName, Params: "i", Results: "i", ParamNames: []string{"tick_period"}, ResultName: "status"},
	{Name: ProxyGetBufferBytesName, Params: "iiiii", Results: "i", ParamNames: []string{"buffer_type", "start", "max_size", "return_buffer_data", "return_buffer_size"}, ResultName: "status"},
	{Name: ProxyGetBufferStatusName, Params: "iii", Results: "i", ParamNames: []string{"buffer_type", "return_buffer_size", "return_unused"}, ResultName: "status"},
	{Name: ProxySetBufferBytesName, Params: "iiiii", Results: "i", ParamNames: []string{"buffer_type", "start", "size", "buffer_data", "buffer_size"}, ResultName: "status"},
	{Name: ProxyGetHeaderMapPairsName, Params: "iii", Results: "i", ParamNames: []string{"map_type", "return_map_data", "return_map_size"}, ResultName: "status"},
	{Name: ProxySetHeaderMapPairsName, Params: "iii", Results: "i", ParamNames: []string{"map_type", "map_data", "map_size"}, ResultName: "status"},
	{Name: ProxyGetHeaderMapSizeName, Params: "ii", Results: "i", ParamNames: []string{"map_type", "return_map_size"}, ResultName: "status"},
	{Name: ProxyGetHeaderMapValueName, Params: "iiiii", Results: "i", ParamNames: []string{"map_type", "key_data", "key_size", "return_value_data", "return_value_size"}, ResultName: "status"},
	{Name: ProxyAddHeaderMapValueName, Params: "iiiii", Results: "i", ParamNames: []string{"map_type", "key_data", "key_size", "value_data", "value_size"}, ResultName: "status"},
	{Name: ProxyReplaceHeaderMapValueName, Params: "iiiii", Results: "i", ParamNames: []string{"map_type", "key_data", "key_size", "value_data", "value_size"}, ResultName: "status"},
	{Name: ProxyRemoveHeaderMapValueName, Params: "iii", Results: "i", ParamNames: []string{"map_type", "key_data", "key_size"}, ResultName: "status"},
	{Name: ProxyContinueStreamName, Params: "i", Results: "i", ParamNames: []string{"stream_type"}, ResultName: "status", Versions: Version020 | Version021},
	{Name: ProxyCloseStreamName, Params: "i", Results: "i", ParamNames: []string{"stream_type"}, ResultName: "status", Versions: Version020 | Version021},
	{Name: ProxySendLocalResponseName, Params: "iiiiiiii", Results: "i", ParamNames: []string{"status_code", "status_code_details_data", "status_code_details_size", "body_data", "body_size", "headers_data", "headers_size", "grpc_status"}, ResultName: "status"},
	{Name: ProxyGetPropertyName, Params: "iiii", Results: "i", ParamNames: []string{"path_data", "path_size", "return_value_data", "return_value_size"}, ResultName: "status"},
	{Name: ProxySetPropertyName, Params: "iiii", Results: "i", ParamNames: []string{"path_data", "path_size", "value_data", "value_size"}, ResultName: "status"},
	{Name: ProxyGetSharedDataName, Params: "iiiii", Results: "i", ParamNames: []string{"key_data", "key_size", "return_value_data", "return_value_size", "return_cas"}, ResultName: "status"},
	{Name: ProxySetSharedDataName, Params: "iiiii", Results: "i", ParamNames: []string{"key_data", "key_size", "value_data", "value_size", "cas"}, ResultName: "status"},
	{Name: ProxyDefineMetricName, Params: "iiii", Results: "i", ParamNames: []string{"metric_type", "name_data", "name_size", "return_metric_id"}, ResultName: "status"},
	{Name: ProxyIncrementMetricName, Params: "iI", Results: "i", ParamNames: []string{"metric_id", "offset"}, ResultName: "status"},
	{Name: ProxyRecordMetricName, Params: "iI", Results: "i", ParamNames: []string{"metric_id", "value"}, ResultName: "status"},
	{Name: ProxyGetMetricName, Params: "ii", Results: "i", ParamNames: []string{"metric_id", "return_value"}, ResultName: "status"},
	{Name: ProxySetEffectiveContextName, Params: "i", Results: "i", ParamNames: []string{"context_id"}, ResultName: "status"},
	{Name: ProxyDoneName, Results: "i", ResultName: "status"},
	{Name: ProxyCallForeignFunctionName, Params: "iiiiii", Results: "i", ParamNames: []string{"name_data", "name_size", "arguments_data", "arguments_size", "return_results_data", "return_results_size"}, ResultName: "status"},
	{Name: ProxyHTTPCallName, Params: "iiiiiiiiii", Results: "i", ParamNames: []string{"upstream_data", "upstream_size", "headers_data", "headers_size", "body_data", "body_size", "trailers_data", "trailers_size", "timeout", "return_callout_id"}, ResultName: "status"},
	{Name: ProxyGrpcCallName, Params: "iiiiiiiiiiii", Results: "i", ParamNames: []string{"service_data", "service_size", "service_name_data", "service_name_size", "method_data", "method_size", "initial_metadata_data", "initial_metadata_size", "message_data", "message_size", "timeout", "return_callout_id"}, ResultName: "status"},
	{Name: ProxyGrpcStreamName, Params: "iiiiiiiii", Results: "i", ParamNames: []string{"service_data", "service_size", "service_name_data", "service_name_size", "method_data", "method_size", "initial_metadata_data", "initial_metadata_size", "return_stream_id"}, ResultName: "status"},
	{Name: ProxyGrpcSendName, Params: "iiii", Results: "i", ParamNames: []string{"stream_id", "message_data", "message_size", "end_stream"}, ResultName: "status"},
	{Name: ProxyGrpcCancelName, Params: "i", Results: "i", ParamNames: []string{"callout_id"}, ResultName: "status"},
	{Name: ProxyGrpcCloseName, Params: "i", Results: "i", ParamNames: []string{"callout_id"}, ResultName: "status"},
	{Name: ProxyGetStatusName, Params: "iii", Results: "i", ParamNames: []string{"return_status_code", "return_status_message_data", "return_status_message_size"}, ResultName: "status"},
	{Name: ProxyRegisterSharedQueueName, Params: "iii", Results: "i", ParamNames: []string{"name_data", "name_size", "return_queue_id"}, ResultName: "status"},
	{Name: ProxyResolveSharedQueueName, Params: "iiiii", Results: "i", ParamNames: []string{"vm_id_data", "vm_id_size", "name_data", "name_size", "return_queue_id"}, ResultName: "status"},
	{Name: ProxyEnqueueSharedQueueName, Params: "iii", Results: "i", ParamNames: []string{"queue_id", "value_data", "value_size"}, ResultName: "status"},
	{Name: ProxyDequeueSharedQueueName, Params: "iii", Results: "i", ParamNames: []string{"queue_id", "return_value_data", "return_value_size"}, ResultName: "status"},
	{Name: EmscriptenNotifyMemoryGrowthName, Params: "i", ParamNames: []string{"memory_index"}},
	{Name: PthreadEqualName, Params: "ii", Results: "i", ParamNames: []string{"left", "right"}, ResultName: "equal"},
	{Name: ProxyGetConfigurationName, Params: "ii", Results: "i", ParamNames: []string{"return_value_data", "return_value_size"}, ResultName: "status", Versions: Version010},
	{Name: ProxyContinueRequestName, Results: "i", ResultName: "status", Versions: Version010},
	{Name: ProxyContinueResponseName, Results: "i", ResultName: "status", Versions: Version010},
	{Name: ProxyClearRouteCacheName, Results: "i", ResultName: "status", Versions: Version010},
}

// Callback returns the callback called name as ABI 0.2.x has it, the ABI
// hookguard's module and today's SDKs declare.
func Callback(name string) (Func, bool) { return CallbackIn(Version020|Version021, name) }

// HostCall returns the host call called name if ABI 0.2.x has it.
func HostCall(name string) (Func, bool) { return HostCallIn(Version020|Version021, name) }

// CallbackIn returns the callback called name as ABI version v has it.
func CallbackIn(v Version, name string) (Func, bool) { return find(Callbacks, v, name) }

// HostCallIn returns the host call called name if ABI version v has it.
func HostCallIn(v Version, name string) (Func, bool) { return find(HostCalls, v, name) }

func find(fs []Func, v Version, name string) (Func, bool) {
	for _, f := range fs {
		if f.Name == name && f.In(v) {
			return f, true
		}
	}
	return Func{}, false
}
