// Package proxywasm is hookguard's own small guest binding for the
// proxy-wasm ABI v0.2.0, for modules built by the standard Go toolchain
// (GOOS=wasip1, -buildmode=c-shared). It exports the callbacks an HTTP
// filter needs, imports the host calls it uses, and keeps the
// VM → root context → HTTP context bookkeeping.
//
// RATIONALE.md ("Why our own proxy-wasm guest binding?") says why this is
// not the tetratelabs SDK. The host calls compile only for GOOS=wasip1; on
// other platforms they panic, so packages built on this one still compile
// and vet natively.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1
package proxywasm

import "github.com/hookguard/hookguard/internal/abi"

// Action is what a stream callback tells the host to do next.
type Action uint32

const (
	// Continue passes the headers or data on.
	Continue Action = abi.ActionContinue
	// Pause holds them: StopIteration for headers (with Envoy's
	// allow_on_headers_stop_iteration) and StopIterationAndBuffer for a
	// body, after which the host's body buffer is cumulative.
	Pause Action = abi.ActionPause
)

// Status is a proxy_status_t returned by a host call.
type Status uint32

// Host call statuses.
const (
	StatusOK                  Status = abi.StatusOK
	StatusNotFound            Status = abi.StatusNotFound
	StatusBadArgument         Status = abi.StatusBadArgument
	StatusInvalidMemoryAccess Status = abi.StatusInvalidMemoryAccess
	StatusEmpty               Status = abi.StatusEmpty
	StatusCasMismatch         Status = abi.StatusCasMismatch
)

// StatusError is a non-OK status returned by a host call.
type StatusError struct {
	Call   string
	Status Status
}

func (e *StatusError) Error() string {
	return "proxy-wasm host call " + e.Call + " returned status " + itoa(uint64(e.Status))
}

func statusErr(call string, s uint32) error {
	if s == uint32(StatusOK) {
		return nil
	}
	return &StatusError{Call: call, Status: Status(s)}
}

// LogLevel is a proxy_log level.
type LogLevel uint32

// Log levels, as Envoy maps them.
const (
	LogTrace    LogLevel = abi.LogTrace
	LogDebug    LogLevel = abi.LogDebug
	LogInfo     LogLevel = abi.LogInfo
	LogWarn     LogLevel = abi.LogWarn
	LogError    LogLevel = abi.LogError
	LogCritical LogLevel = abi.LogCritical
)

// BufferType names a host buffer for proxy_get_buffer_bytes.
type BufferType uint32

// Buffer types.
const (
	BufferHTTPRequestBody     BufferType = abi.BufferHTTPRequestBody
	BufferHTTPResponseBody    BufferType = abi.BufferHTTPResponseBody
	BufferHTTPCallResponse    BufferType = abi.BufferHTTPCallResponse
	BufferVMConfiguration     BufferType = abi.BufferVMConfiguration
	BufferPluginConfiguration BufferType = abi.BufferPluginConfiguration
)

// MapType names a host header map.
type MapType uint32

// Header map types.
const (
	MapHTTPRequestHeaders      MapType = abi.MapHTTPRequestHeaders
	MapHTTPRequestTrailers     MapType = abi.MapHTTPRequestTrailers
	MapHTTPResponseHeaders     MapType = abi.MapHTTPResponseHeaders
	MapHTTPResponseTrailers    MapType = abi.MapHTTPResponseTrailers
	MapHTTPCallResponseHeaders MapType = abi.MapHTTPCallResponseHeaders
)

// MetricType is the kind of a metric defined with DefineMetric.
type MetricType uint32

// Metric types.
const (
	MetricCounter   MetricType = abi.MetricCounter
	MetricGauge     MetricType = abi.MetricGauge
	MetricHistogram MetricType = abi.MetricHistogram
)

// itoa formats n without strconv, which keeps this file free of dependencies
// beyond the ABI's numbers.
func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
