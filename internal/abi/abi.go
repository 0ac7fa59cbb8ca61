// Package abi is the one home of the proxy-wasm ABI's numbers (v0.2.x):
// the guest binding (filter/internal/proxywasm) and the host (host) both
// take their constants from here, so the two cannot disagree.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1
package abi

// Statuses returned by host calls (proxy_status_t).
const (
	StatusOK                   = 0
	StatusNotFound             = 1
	StatusBadArgument          = 2
	StatusSerializationFailure = 3
	StatusParseFailure         = 4
	StatusInvalidMemoryAccess  = 6
	StatusEmpty                = 7
	StatusCasMismatch          = 8
	StatusInternalFailure      = 10
	StatusUnimplemented        = 12
)

// Actions a stream callback returns (proxy_action_t and Envoy's
// FilterHeadersStatus/FilterDataStatus).
const (
	ActionContinue = 0
	// ActionPause is StopIteration for headers and StopIterationAndBuffer
	// for a body.
	ActionPause = 1
	// ActionContinueAndEndStream exists for headers only.
	ActionContinueAndEndStream = 2
)

// Log levels of proxy_log, as Envoy maps them.
const (
	LogTrace    = 0
	LogDebug    = 1
	LogInfo     = 2
	LogWarn     = 3
	LogError    = 4
	LogCritical = 5
)

// Buffer types of proxy_get_buffer_bytes and friends.
const (
	BufferHTTPRequestBody     = 0
	BufferHTTPResponseBody    = 1
	BufferHTTPCallResponse    = 4
	BufferVMConfiguration     = 6
	BufferPluginConfiguration = 7
)

// Header map types.
const (
	MapHTTPRequestHeaders       = 0
	MapHTTPRequestTrailers      = 1
	MapHTTPResponseHeaders      = 2
	MapHTTPResponseTrailers     = 3
	MapHTTPCallResponseHeaders  = 6
	MapHTTPCallResponseTrailers = 7
)

// Stream types of proxy_continue_stream and proxy_close_stream.
const (
	StreamRequest    = 0
	StreamResponse   = 1
	StreamDownstream = 2
	StreamUpstream   = 3
)

// Metric types of proxy_define_metric.
const (
	MetricCounter   = 0
	MetricGauge     = 1
	MetricHistogram = 2
)
