package nethttp

import (
	"errors"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"
)

// Limits bound what one client can cost the middleware, so that slow,
// large or forged requests cannot take the service from valid ones. For
// each field zero means its default and a negative value turns it off.
type Limits struct {
	// BodyTimeout is how long a request's body may take to arrive, counted
	// from when the middleware starts on it. Past it the request gets 408
	// and its connection is closed. Default 10 s.
	BodyTimeout time.Duration
	// MaxBodies caps the request bodies being received and verified at
	// once. A request beyond it gets 503 with Retry-After. Default 1024.
	MaxBodies int
	// LargeBodyBytes is the size from which a body is large: as its
	// Content-Length declares or, for a body of unknown length, once that
	// much has arrived. Default 64 KiB.
	LargeBodyBytes int64
	// MaxLargeBodyBytes caps the bytes of large bodies held at once,
	// counted as declared or as they arrive. A large body beyond it gets
	// 503 with Retry-After. Small bodies are not counted, so a flood of
	// large ones cannot refuse them. Default 64 MiB.
	MaxLargeBodyBytes int64
	// LargeBodyWorkers is how many large bodies the module works on at
	// once. A large body waits for a worker chunk by chunk, and only
	// while the module hashes, never while its bytes are on the way; the
	// CPUs it leaves are small requests'. While small requests are in
	// flight, a worker also rests after each chunk, still held, for as
	// long as the chunk took, so large bodies get at most half of their
	// workers' CPU time. Default half of GOMAXPROCS, at least 1.
	LargeBodyWorkers int
	// ReleaseMemoryBytes: when the large bodies in flight, having reached
	// this many bytes, all end, the heap they used is returned to the
	// system (debug.FreeOSMemory, at most every 10 s): a flood of large
	// bodies does not leave the process at its peak size. Default 16 MiB.
	ReleaseMemoryBytes int64
}

// Defaults of Limits.
const (
	DefaultBodyTimeout        = 10 * time.Second
	DefaultMaxBodies          = 1024
	DefaultLargeBodyBytes     = 64 << 10
	DefaultMaxLargeBodyBytes  = 64 << 20
	DefaultReleaseMemoryBytes = 16 << 20
)

// releaseInterval is how often, at most, the memory large bodies used is
// returned to the system.
const releaseInterval = 10 * time.Second

// retryAfter is what a request refused for load is told to wait, in
// seconds: long enough for the bodies ahead of it to finish.
const retryAfter = "1"

// Host counters the middleware adds to the plugin's metrics.
const (
	metricOverloaded  = "hookguard.host.overloaded"   // 503: MaxBodies or MaxLargeBodyBytes
	metricBodyTimeout = "hookguard.host.body_timeout" // 408: BodyTimeout
	// metricDecision is how long each request took to its verdict (the
	// body's arrival and the module's work), in microseconds: a
	// histogram, printed as a summary's _sum and _count.
	metricDecision = "hookguard.host.decision_us"
)

// errOverloaded is a body refused by MaxBodies or MaxLargeBodyBytes.
var errOverloaded = errors.New("too many request bodies in flight")

// admission is Limits in force in front of the adapter: the counts of
// bodies and large bytes in flight and the large-body workers. As an
// http.Handler it is where every request enters: it counts the request
// while it is in flight and hands next the body as an *admittedBody,
// counted as it is read and bounded in time (where Envoy has
// request_timeout and its buffer limits; net/http has only the server's
// ReadTimeout, for the whole request). Closing that body gives back what
// it holds before next is done: the adapter closes it once the module
// has read it, so that nothing is held while the upstream answers.
// Whatever next leaves open is given back when it returns.
type admission struct {
	next        http.Handler
	bodyTimeout time.Duration
	maxBodies   int64
	largeBytes  int64
	maxLarge    int64
	workers     chan struct{} // nil: large bodies are not scheduled
	bodies      atomic.Int64
	largeInUse  atomic.Int64
	smallActive atomic.Int64 // requests in flight that are not large
	releaseAt   int64        // ReleaseMemoryBytes; 0: off
	peak        atomic.Int64 // largest largeInUse since the last release
	lastRelease atomic.Int64 // unix nanoseconds
}

func newAdmission(l Limits) *admission {
	pick := func(v, def int64) int64 {
		switch {
		case v == 0:
			return def
		case v < 0:
			return 0 // off
		}
		return v
	}
	a := &admission{
		bodyTimeout: time.Duration(pick(int64(l.BodyTimeout), int64(DefaultBodyTimeout))),
		maxBodies:   pick(int64(l.MaxBodies), DefaultMaxBodies),
		largeBytes:  pick(l.LargeBodyBytes, DefaultLargeBodyBytes),
		maxLarge:    pick(l.MaxLargeBodyBytes, DefaultMaxLargeBodyBytes),
		releaseAt:   pick(l.ReleaseMemoryBytes, DefaultReleaseMemoryBytes),
	}
	if n := pick(int64(l.LargeBodyWorkers), int64(max(1, runtime.GOMAXPROCS(0)/2))); n > 0 {
		a.workers = make(chan struct{}, n)
	}
	return a
}

// handle puts the limits in front of next.
func (a *admission) handle(next http.Handler) http.Handler {
	a.next = next
	return a
}

// ServeHTTP passes r on to next with its body admitted and its read
// deadline set: r.Body is replaced, as a handler using http.MaxBytesReader
// replaces it, and put back once next returns.
func (a *admission) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength >= 0 && r.ContentLength < a.largeBytes {
		a.smallActive.Add(1) // large bodies rest while it is in flight
		defer a.smallActive.Add(-1)
	}
	if hasBody(r) {
		body := r.Body
		b := a.admit(r.Context(), body, r.ContentLength)
		defer func() { r.Body = body; b.release() }()
		b.bodyDeadline(w)
		r.Body = b
	}
	a.next.ServeHTTP(w, r)
}

// wait is how long a module may hold a request or a response for a
// callout or a timer: the body timeout, or its default when it is off.
func (a *admission) wait() time.Duration {
	if a.bodyTimeout > 0 {
		return a.bodyTimeout
	}
	return DefaultBodyTimeout
}

// maybeRelease returns the heap to the system once the large bodies in
// flight, having reached releaseAt bytes, have all ended. Without it the
// process would stay at its peak until the runtime's next collection and
// scavenge, which a quiet server may not reach for minutes.
func (a *admission) maybeRelease() {
	if a.releaseAt <= 0 || a.peak.Load() < a.releaseAt {
		return
	}
	now, last := time.Now().UnixNano(), a.lastRelease.Load()
	if now-last < int64(releaseInterval) || !a.lastRelease.CompareAndSwap(last, now) {
		return
	}
	a.peak.Store(0)
	go debug.FreeOSMemory()
}

// refuse answers a request whose body could not be read in full: 503 for
// load, 408 for a body that did not arrive in time (both close the
// connection: the rest of the body is not read), 400 otherwise. count
// adds one to a host counter.
func refuse(w http.ResponseWriter, err error, count func(string)) {
	h := w.Header()
	clear(h)
	var status int
	switch {
	case errors.Is(err, errOverloaded):
		status = http.StatusServiceUnavailable
		h.Set("Retry-After", retryAfter)
		count(metricOverloaded)
	case isTimeout(err):
		status = http.StatusRequestTimeout
		count(metricBodyTimeout)
	default:
		status = http.StatusBadRequest
	}
	h.Set("Connection", "close")
	body := http.StatusText(status)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
