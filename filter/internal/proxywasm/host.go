package proxywasm

import (
	"errors"
	"time"

	"github.com/hookguard/hookguard/internal/abi"
	"github.com/hookguard/hookguard/internal/pairs"
)

// Host is the proxy-wasm host as this binding calls it. In the module it
// is the real host behind the ABI's imports; natively, tests install an
// in-process fake with SetHost (package proxytest), so every callback of a
// plugin can be unit-tested without a wasm runtime.
type Host interface {
	// Log writes msg to the host's log at level.
	Log(level LogLevel, msg string)
	// GetBufferBytes reads up to maxSize bytes of a buffer from start; an
	// empty or absent buffer reads as nil. The slice is valid until the
	// next host call.
	GetBufferBytes(bt BufferType, start, maxSize int) ([]byte, error)
	// GetHeaders returns every entry of a header map, in order. With an
	// arena, the strings are appended to it (pairs.DecodeArena); without,
	// they are a new copy.
	GetHeaders(mt MapType, arena *[]byte) ([]pairs.Pair, error)
	// AddHeader adds an entry to a header map.
	AddHeader(mt MapType, key, value string) error
	// RemoveHeader removes every entry of key from a header map.
	RemoveHeader(mt MapType, key string) error
	// SendLocalResponse answers the current stream.
	SendLocalResponse(status int, details string, body []byte, headers []pairs.Pair) error
	// DefineMetric defines a metric and returns its id.
	DefineMetric(mt MetricType, name string) (uint32, error)
	// IncrementMetric adds delta to a metric.
	IncrementMetric(id uint32, delta int64) error
	// Now is the host's clock.
	Now() (time.Time, error)
	// Getenv reads the VM's environment (Envoy's environment_variables).
	Getenv(name string) (string, bool)
	// HTTPCall sends a request to an upstream cluster; the response comes
	// to the root context's OnHTTPCallResponse with the returned token.
	HTTPCall(cluster string, headers []pairs.Pair, body []byte, timeout time.Duration) (token uint32, err error)
	// SetEffectiveContext makes the stream (or root) context id the one
	// later calls act on: a callback of the root context (an HTTP call's
	// response) resumes or answers a stream this way.
	SetEffectiveContext(id uint32) error
	// ContinueRequest resumes the current stream's paused request.
	ContinueRequest() error
	// SetTickPeriod makes the root context's OnTick run every d (0 stops).
	SetTickPeriod(d time.Duration) error
	// GetProperty reads a property of the current stream, such as
	// source.address (path "source", "address"); nil when it has none.
	GetProperty(path ...string) ([]byte, error)
	// GetSharedData reads a value every VM of the plugin shares; an absent
	// key reads as nil with cas 0.
	GetSharedData(key string) (value []byte, cas uint32, err error)
	// SetSharedData stores a value unless cas is non-zero and stale.
	SetSharedData(key string, value []byte, cas uint32) error
}

var current Host = abiHost{}

// SetHost makes h the host until the returned function restores the
// previous one. It is for tests: the module always talks to the real host.
func SetHost(h Host) (restore func()) {
	prev := current
	current = h
	return func() { current = prev }
}

// Log writes msg to the host's log at level. Callers must never pass a
// secret, a signature or body bytes.
func Log(level LogLevel, msg string) { current.Log(level, msg) }

// GetBufferBytes reads up to maxSize bytes of a host buffer from start. The
// returned slice is valid only until the next host call: consume or copy it.
// An empty or absent buffer reads as nil with a nil error.
func GetBufferBytes(bt BufferType, start, maxSize int) ([]byte, error) {
	return current.GetBufferBytes(bt, start, maxSize)
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
// order, with lower-case keys and pseudo-headers included. The strings
// stay valid; the slice only until the next GetHeaders, which may reuse it.
func GetHeaders(mt MapType) ([]pairs.Pair, error) { return current.GetHeaders(mt, nil) }

// GetHeadersArena is GetHeaders with the strings appended to *arena, so a
// caller that keeps an arena per request decodes headers without an
// allocation: they are valid only until the caller reuses the arena's
// bytes (see pairs.DecodeArena), and must be copied to outlive that.
func GetHeadersArena(mt MapType, arena *[]byte) ([]pairs.Pair, error) {
	return current.GetHeaders(mt, arena)
}

// AddHeader adds a header to a header map.
func AddHeader(mt MapType, key, value string) error { return current.AddHeader(mt, key, value) }

// RemoveHeader removes every value of a header from a header map.
func RemoveHeader(mt MapType, key string) error { return current.RemoveHeader(mt, key) }

// DefineMetric defines a metric and returns its id.
func DefineMetric(mt MetricType, name string) (uint32, error) { return current.DefineMetric(mt, name) }

// IncrementMetric adds delta to a metric.
func IncrementMetric(id uint32, delta int64) error { return current.IncrementMetric(id, delta) }

// Now returns the host's current time: Envoy's dispatcher clock, or our
// host's ModuleConfig.Clock, so tests through the module can pin it.
func Now() (time.Time, error) { return current.Now() }

// Getenv reads the VM's environment.
func Getenv(name string) (string, bool) { return current.Getenv(name) }

// HTTPCall sends a request to an upstream cluster (Envoy's
// proxy_http_call): headers must include :method, :path and :authority.
// The response, or its failure, comes to the root context's
// OnHTTPCallResponse with the token.
func HTTPCall(cluster string, headers []pairs.Pair, body []byte, timeout time.Duration) (uint32, error) {
	return current.HTTPCall(cluster, headers, body, timeout)
}

// SetTickPeriod makes the root context's OnTick run every d; 0 stops it.
func SetTickPeriod(d time.Duration) error { return current.SetTickPeriod(d) }

// GetProperty reads a property of the current stream (Envoy's attributes:
// "source", "address" is the downstream peer's ip:port); nil when absent.
func GetProperty(path ...string) ([]byte, error) { return current.GetProperty(path...) }

// GetSharedData reads key from the data every VM of the plugin shares (in
// Envoy, every worker): nil and cas 0 when it is absent.
func GetSharedData(key string) (value []byte, cas uint32, err error) {
	return current.GetSharedData(key)
}

// ErrCasMismatch is SetSharedData's error when another VM changed the
// value since it was read with cas.
var ErrCasMismatch = &StatusError{Call: abi.ProxySetSharedDataName, Status: StatusCasMismatch}

// SetSharedData stores value at key if cas is still its version (any
// version when cas is 0); otherwise it returns ErrCasMismatch.
func SetSharedData(key string, value []byte, cas uint32) error {
	err := current.SetSharedData(key, value, cas)
	var se *StatusError
	if errors.As(err, &se) && se.Status == StatusCasMismatch {
		return ErrCasMismatch
	}
	return err
}

// FirstToClaim reports whether this call is the first, across every VM of
// the plugin, to claim key: it sets the key in shared data only if no VM
// has. A plugin logs its configuration once with it, not once per VM. A
// host without shared data makes every caller first.
func FirstToClaim(key string) bool {
	v, _, err := current.GetSharedData(key)
	if err != nil {
		return true
	}
	if v != nil {
		return false
	}
	// Hosts start a plugin's VMs one after another (Envoy's are per worker
	// thread, configured in turn), so no other VM claims it in between.
	current.SetSharedData(key, []byte{1}, 0)
	return true
}

// sendLocalResponse asks the host to answer the current stream itself. Use
// HTTPStream.SendLocalResponse, which makes sure a stream is answered once.
func sendLocalResponse(status int, details string, body []byte, headers []pairs.Pair) error {
	return current.SendLocalResponse(status, details, body, headers)
}
