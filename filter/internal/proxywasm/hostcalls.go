package proxywasm

import (
	"time"
	"unsafe"

	"github.com/hookguard/hookguard/internal/pairs"
)

// Log writes msg to the host's log at level. Callers must never pass a
// secret, a signature or body bytes.
func Log(level LogLevel, msg string) {
	proxyLog(uint32(level), stringPtr(msg), uint32(len(msg)))
}

// GetBufferBytes reads up to maxSize bytes of a host buffer from start. The
// returned slice is valid only until the next host call: consume or copy it.
// An empty or absent buffer reads as nil with a nil error.
func GetBufferBytes(bt BufferType, start, maxSize int) ([]byte, error) {
	var ptr, size uint32
	s := proxyGetBufferBytes(uint32(bt), uint32(start), uint32(maxSize), unsafe.Pointer(&ptr), unsafe.Pointer(&size))
	if s == uint32(StatusNotFound) || s == uint32(StatusEmpty) {
		return nil, nil
	}
	if err := statusErr("proxy_get_buffer_bytes", s); err != nil {
		return nil, err
	}
	return hostBytes(ptr, size), nil
}

// ReadBuffer calls fn with consecutive windows of bytes [start, end) of a
// host buffer, each at most the scratch size, so a large body is never
// copied into guest memory whole. It stops early if the host has fewer.
func ReadBuffer(bt BufferType, start, end int, fn func([]byte) error) error {
	for start < end {
		n := min(end-start, scratchSize)
		b, err := GetBufferBytes(bt, start, n)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return nil
		}
		if err := fn(b); err != nil {
			return err
		}
		start += len(b)
	}
	return nil
}

// GetHeaders returns a copy of every entry of a header map, in the host's
// order, with lower-case keys and pseudo-headers included.
func GetHeaders(mt MapType) ([]pairs.Pair, error) {
	var ptr, size uint32
	s := proxyGetHeaderMapPairs(uint32(mt), unsafe.Pointer(&ptr), unsafe.Pointer(&size))
	if err := statusErr("proxy_get_header_map_pairs", s); err != nil {
		return nil, err
	}
	return pairs.Decode(hostBytes(ptr, size)), nil // Decode copies into strings
}

// DefineMetric defines a metric and returns its id.
func DefineMetric(mt MetricType, name string) (uint32, error) {
	var id uint32
	s := proxyDefineMetric(uint32(mt), stringPtr(name), uint32(len(name)), unsafe.Pointer(&id))
	return id, statusErr("proxy_define_metric", s)
}

// IncrementMetric adds delta to a metric.
func IncrementMetric(id uint32, delta int64) error {
	return statusErr("proxy_increment_metric", proxyIncrementMetric(id, delta))
}

// sendLocalResponse asks the host to answer the current stream itself. Use
// HTTPStream.SendLocalResponse, which makes sure a stream is answered once.
func sendLocalResponse(status int, details string, body []byte, headers []pairs.Pair) error {
	var hb []byte
	if len(headers) > 0 {
		hb = pairs.Encode(headers)
	}
	s := proxySendLocalResponse(uint32(status), stringPtr(details), uint32(len(details)),
		bytesPtr(body), uint32(len(body)), bytesPtr(hb), uint32(len(hb)), -1)
	return statusErr("proxy_send_local_response", s)
}

// Now returns the host's current time: Envoy's dispatcher clock, or our
// host's ModuleConfig.Clock, so tests through the module can pin it.
func Now() (time.Time, error) {
	var ns uint64
	if err := statusErr("proxy_get_current_time_nanoseconds", proxyGetCurrentTimeNanoseconds(unsafe.Pointer(&ns))); err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, int64(ns)), nil
}

// AddHeader adds a header to a header map.
func AddHeader(mt MapType, key, value string) error {
	return statusErr("proxy_add_header_map_value", proxyAddHeaderMapValue(uint32(mt), stringPtr(key), uint32(len(key)), stringPtr(value), uint32(len(value))))
}

// RemoveHeader removes every value of a header from a header map.
func RemoveHeader(mt MapType, key string) error {
	return statusErr("proxy_remove_header_map_value", proxyRemoveHeaderMapValue(uint32(mt), stringPtr(key), uint32(len(key))))
}
