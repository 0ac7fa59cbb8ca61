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

// The ABI's types and values are package abi's, the host's too: this
// binding only gives the ones a plugin uses the names it reads best.
type (
	// Action is what a stream callback tells the host to do next.
	Action = abi.Action
	// Status is a proxy_status_t returned by a host call.
	Status = abi.Status
	// LogLevel is a proxy_log level.
	LogLevel = abi.LogLevel
	// BufferType names a host buffer for proxy_get_buffer_bytes.
	BufferType = abi.BufferType
	// MapType names a host header map.
	MapType = abi.MapType
	// MetricType is the kind of a metric defined with DefineMetric.
	MetricType = abi.MetricType
)

const (
	// Continue passes the headers or data on.
	Continue = abi.ActionContinue
	// Pause holds them: StopIteration for headers (with Envoy's
	// allow_on_headers_stop_iteration) and StopIterationAndBuffer for a
	// body, after which the host's body buffer is cumulative.
	Pause = abi.ActionPause
)

// Host call statuses.
const (
	StatusOK                  = abi.StatusOK
	StatusNotFound            = abi.StatusNotFound
	StatusBadArgument         = abi.StatusBadArgument
	StatusInvalidMemoryAccess = abi.StatusInvalidMemoryAccess
	StatusEmpty               = abi.StatusEmpty
	StatusCasMismatch         = abi.StatusCasMismatch
)

// Log levels, as Envoy maps them.
const (
	LogTrace    = abi.LogTrace
	LogDebug    = abi.LogDebug
	LogInfo     = abi.LogInfo
	LogWarn     = abi.LogWarn
	LogError    = abi.LogError
	LogCritical = abi.LogCritical
)

// Buffer types.
const (
	BufferHTTPRequestBody     = abi.BufferHTTPRequestBody
	BufferHTTPResponseBody    = abi.BufferHTTPResponseBody
	BufferHTTPCallResponse    = abi.BufferHTTPCallResponse
	BufferVMConfiguration     = abi.BufferVMConfiguration
	BufferPluginConfiguration = abi.BufferPluginConfiguration
)

// Header map types.
const (
	MapHTTPRequestHeaders      = abi.MapHTTPRequestHeaders
	MapHTTPRequestTrailers     = abi.MapHTTPRequestTrailers
	MapHTTPResponseHeaders     = abi.MapHTTPResponseHeaders
	MapHTTPResponseTrailers    = abi.MapHTTPResponseTrailers
	MapHTTPCallResponseHeaders = abi.MapHTTPCallResponseHeaders
)

// Metric types.
const (
	MetricCounter   = abi.MetricCounter
	MetricGauge     = abi.MetricGauge
	MetricHistogram = abi.MetricHistogram
)

// StatusError is a non-OK status returned by a host call.
type StatusError struct {
	Call   string
	Status Status
}

func (e *StatusError) Error() string {
	return "proxy-wasm host call " + e.Call + " returned status " + itoa(uint64(e.Status))
}

// statusErr is the error of the host call named call that returned s; nil
// for OK.
func statusErr(call string, s uint32) error {
	if Status(s) == StatusOK {
		return nil
	}
	return &StatusError{Call: call, Status: Status(s)}
}

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
