package proxywasm

import (
	"syscall"
	"time"
	"unsafe"

	"github.com/hookguard/hookguard/internal/abi"
	"github.com/hookguard/hookguard/internal/pairs"
)

// abiHost is the real proxy-wasm host, reached through the imports in
// hostcalls_wasip1.go.
type abiHost struct{}

func (abiHost) Log(level LogLevel, msg string) {
	proxyLog(uint32(level), stringPtr(msg), uint32(len(msg)))
}

// retPtr, retSize and retU64 receive host calls' results. Their addresses
// go to the host, so locals would escape to the heap on every call; a VM
// runs one callback at a time, so package variables are safe.
var (
	retPtr, retSize uint32
	retU64          uint64
)

func (abiHost) GetBufferBytes(bt BufferType, start, maxSize int) ([]byte, error) {
	s := proxyGetBufferBytes(uint32(bt), uint32(start), uint32(maxSize), unsafe.Pointer(&retPtr), unsafe.Pointer(&retSize))
	ptr, size := retPtr, retSize
	if s == uint32(StatusNotFound) || s == uint32(StatusEmpty) {
		return nil, nil
	}
	if err := statusErr(abi.ProxyGetBufferBytesName, s); err != nil {
		return nil, err
	}
	return hostBytes(ptr, size), nil
}

func (abiHost) GetHeaders(mt MapType, arena *[]byte) ([]pairs.Pair, error) {
	s := proxyGetHeaderMapPairs(uint32(mt), unsafe.Pointer(&retPtr), unsafe.Pointer(&retSize))
	ptr, size := retPtr, retSize
	if err := statusErr(abi.ProxyGetHeaderMapPairsName, s); err != nil {
		return nil, err
	}
	// The strings are a copy, in the arena or new; the slice is reused by
	// the next call (see GetHeaders).
	if arena != nil {
		headerScratch = pairs.DecodeArena(headerScratch, arena, hostBytes(ptr, size))
	} else {
		headerScratch = pairs.DecodeInto(headerScratch, hostBytes(ptr, size))
	}
	return headerScratch, nil
}

// headerScratch is the slice GetHeaders decodes into, call after call.
var headerScratch []pairs.Pair

func (abiHost) DefineMetric(mt MetricType, name string) (uint32, error) {
	var id uint32
	s := proxyDefineMetric(uint32(mt), stringPtr(name), uint32(len(name)), unsafe.Pointer(&id))
	return id, statusErr(abi.ProxyDefineMetricName, s)
}

func (abiHost) IncrementMetric(id uint32, delta int64) error {
	return statusErr(abi.ProxyIncrementMetricName, proxyIncrementMetric(id, delta))
}

func (abiHost) SendLocalResponse(status int, details string, body []byte, headers []pairs.Pair) error {
	var hb []byte
	if len(headers) > 0 {
		hb = pairs.Encode(headers)
	}
	s := proxySendLocalResponse(uint32(status), stringPtr(details), uint32(len(details)),
		bytesPtr(body), uint32(len(body)), bytesPtr(hb), uint32(len(hb)), -1)
	return statusErr(abi.ProxySendLocalResponseName, s)
}

func (abiHost) Now() (time.Time, error) {
	if err := statusErr(abi.ProxyGetCurrentTimeNanosecondsName, proxyGetCurrentTimeNanoseconds(unsafe.Pointer(&retU64))); err != nil {
		return time.Time{}, err
	}
	ns := retU64
	return time.Unix(0, int64(ns)), nil
}

func (abiHost) AddHeader(mt MapType, key, value string) error {
	return statusErr(abi.ProxyAddHeaderMapValueName, proxyAddHeaderMapValue(uint32(mt), stringPtr(key), uint32(len(key)), stringPtr(value), uint32(len(value))))
}

func (abiHost) RemoveHeader(mt MapType, key string) error {
	return statusErr(abi.ProxyRemoveHeaderMapValueName, proxyRemoveHeaderMapValue(uint32(mt), stringPtr(key), uint32(len(key))))
}

func (abiHost) Getenv(name string) (string, bool) { return syscall.Getenv(name) }

func (abiHost) HTTPCall(cluster string, headers []pairs.Pair, body []byte, timeout time.Duration) (uint32, error) {
	h := pairs.Encode(headers)
	var token uint32
	s := proxyHTTPCall(stringPtr(cluster), uint32(len(cluster)), bytesPtr(h), uint32(len(h)), bytesPtr(body), uint32(len(body)),
		nil, 0, uint32(timeout.Milliseconds()), unsafe.Pointer(&token))
	return token, statusErr(abi.ProxyHTTPCallName, s)
}

func (abiHost) SetEffectiveContext(id uint32) error {
	return statusErr(abi.ProxySetEffectiveContextName, proxySetEffectiveContext(id))
}

func (abiHost) ContinueRequest() error {
	return statusErr(abi.ProxyContinueStreamName, proxyContinueStream(uint32(abi.StreamRequest)))
}

func (abiHost) SetTickPeriod(d time.Duration) error {
	return statusErr(abi.ProxySetTickPeriodMillisecondsName, proxySetTickPeriodMilliseconds(uint32(d.Milliseconds())))
}

func (abiHost) GetProperty(path ...string) ([]byte, error) {
	// The ABI's path: the segments, each followed by a NUL.
	var buf []byte
	for _, p := range path {
		buf = append(append(buf, p...), 0)
	}
	s := proxyGetProperty(bytesPtr(buf), uint32(len(buf)), unsafe.Pointer(&retPtr), unsafe.Pointer(&retSize))
	ptr, size := retPtr, retSize
	if s == uint32(StatusNotFound) {
		return nil, nil
	}
	if err := statusErr(abi.ProxyGetPropertyName, s); err != nil {
		return nil, err
	}
	return append([]byte(nil), hostBytes(ptr, size)...), nil
}

func (abiHost) GetSharedData(key string) ([]byte, uint32, error) {
	var ptr, size, cas uint32
	s := proxyGetSharedData(stringPtr(key), uint32(len(key)), unsafe.Pointer(&ptr), unsafe.Pointer(&size), unsafe.Pointer(&cas))
	if s == uint32(StatusNotFound) {
		return nil, 0, nil
	}
	if err := statusErr(abi.ProxyGetSharedDataName, s); err != nil {
		return nil, 0, err
	}
	return append([]byte(nil), hostBytes(ptr, size)...), cas, nil
}

func (abiHost) SetSharedData(key string, value []byte, cas uint32) error {
	return statusErr(abi.ProxySetSharedDataName, proxySetSharedData(stringPtr(key), uint32(len(key)), bytesPtr(value), uint32(len(value)), cas))
}
