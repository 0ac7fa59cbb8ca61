// Package abi is the one home of the proxy-wasm ABI, versions 0.1.0, 0.2.0
// and 0.2.1 as Envoy runs them: the typed values that cross it (abi.go),
// and the names, wasm signatures and versions of the callbacks a module
// exports and of the host calls it imports (funcs.go).
// The guest binding (filter/internal/proxywasm), the host (package host) and
// the import allow-list (internal/envoyabi) all take them from here, so
// none of them can disagree with another.
//
// It imports nothing: the module pays only for what its binding uses.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1 and
// https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.1.0
package abi

// Status is what a host call returns (proxy_status_t).
type Status uint32

// Statuses returned by host calls.
const (
	StatusOK                   Status = 0
	StatusNotFound             Status = 1
	StatusBadArgument          Status = 2
	StatusSerializationFailure Status = 3
	StatusParseFailure         Status = 4
	StatusInvalidMemoryAccess  Status = 6
	StatusEmpty                Status = 7
	StatusCasMismatch          Status = 8
	StatusInternalFailure      Status = 10
	StatusUnimplemented        Status = 12
)

// Action is what a stream callback returns (proxy_action_t; Envoy's
// FilterHeadersStatus and FilterDataStatus, whose other values a host
// treats as the strongest stop).
type Action uint32

// Actions of a stream callback.
const (
	ActionContinue Action = 0
	// ActionPause is StopIteration for headers and StopIterationAndBuffer
	// for a body.
	ActionPause Action = 1
	// ActionContinueAndEndStream exists for headers only.
	ActionContinueAndEndStream Action = 2
)

// LogLevel is a proxy_log level (proxy_log_level_t).
type LogLevel uint32

// Log levels, as Envoy maps them.
const (
	LogTrace    LogLevel = 0
	LogDebug    LogLevel = 1
	LogInfo     LogLevel = 2
	LogWarn     LogLevel = 3
	LogError    LogLevel = 4
	LogCritical LogLevel = 5
)

// BufferType names a buffer of proxy_get_buffer_bytes and friends
// (proxy_buffer_type_t).
type BufferType uint32

// Buffer types.
const (
	BufferHTTPRequestBody     BufferType = 0
	BufferHTTPResponseBody    BufferType = 1
	BufferHTTPCallResponse    BufferType = 4
	BufferVMConfiguration     BufferType = 6
	BufferPluginConfiguration BufferType = 7
)

// MapType names a header map (proxy_map_type_t).
type MapType uint32

// Header map types.
const (
	MapHTTPRequestHeaders       MapType = 0
	MapHTTPRequestTrailers      MapType = 1
	MapHTTPResponseHeaders      MapType = 2
	MapHTTPResponseTrailers     MapType = 3
	MapHTTPCallResponseHeaders  MapType = 6
	MapHTTPCallResponseTrailers MapType = 7
)

// StreamType names a stream of proxy_continue_stream and proxy_close_stream
// (proxy_stream_type_t).
type StreamType uint32

// Stream types.
const (
	StreamRequest    StreamType = 0
	StreamResponse   StreamType = 1
	StreamDownstream StreamType = 2
	StreamUpstream   StreamType = 3
)

// MetricType is the kind of a metric of proxy_define_metric
// (proxy_metric_type_t).
type MetricType uint32

// Metric types.
const (
	MetricCounter   MetricType = 0
	MetricGauge     MetricType = 1
	MetricHistogram MetricType = 2
)
