package nethttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
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
)

var (
	// errOverloaded is a body refused by MaxBodies or MaxLargeBodyBytes.
	errOverloaded = errors.New("too many request bodies in flight")
)

// admission is Limits in force: the counts of bodies and large bytes in
// flight and the large-body workers.
type admission struct {
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

// admittedBody is a request body read under the limits: it is counted
// from its first read, as large once it is, and holds a large-body worker
// from each read's return until the next read starts (while the host
// hands the chunk to the module).
type admittedBody struct {
	a        *admission
	body     io.Reader
	ctx      context.Context
	declared int64 // Content-Length, or -1
	read     int64
	counted  bool  // in a.bodies
	reserved int64 // in a.largeInUse
	worker   bool  // holds a slot of a.workers
	since    time.Time
	eof      bool          // read to its end
	deadline readDeadliner // set for the body, to lift once it is read
}

func (b *admittedBody) Read(p []byte) (int, error) {
	if b.worker {
		// Small requests first: while any is in flight the worker rests,
		// still held, as long as the chunk took, so that no large body
		// uses it meanwhile and large bodies get at most half of it.
		if took := time.Since(b.since); b.a.smallActive.Load() > 0 {
			time.Sleep(took)
		}
		<-b.a.workers
		b.worker = false
	}
	if !b.counted {
		b.counted = true
		if n := b.a.bodies.Add(1); b.a.maxBodies > 0 && n > b.a.maxBodies {
			return 0, errOverloaded
		}
		if b.declared >= b.a.largeBytes && b.a.largeBytes > 0 && !b.reserve(b.declared) {
			return 0, errOverloaded
		}
	}
	n, err := b.body.Read(p)
	b.read += int64(n)
	b.eof = err == io.EOF
	if b.declared < 0 && b.a.largeBytes > 0 && b.read >= b.a.largeBytes && !b.reserve(b.read-b.reserved) {
		return n, errOverloaded
	}
	if n > 0 && b.reserved > 0 && b.a.workers != nil {
		select {
		case b.a.workers <- struct{}{}:
		case <-b.ctx.Done():
			return n, b.ctx.Err()
		}
		b.worker, b.since = true, time.Now()
	}
	return n, err
}

// reserve counts n more large bytes, or reports that they do not fit.
func (b *admittedBody) reserve(n int64) bool {
	if n <= 0 {
		return true
	}
	b.reserved += n
	total := b.a.largeInUse.Add(n)
	for peak := b.a.peak.Load(); total > peak && !b.a.peak.CompareAndSwap(peak, total); peak = b.a.peak.Load() {
	}
	return b.a.maxLarge <= 0 || total <= b.a.maxLarge
}

// done returns what the body held. It is safe to call more than once.
func (b *admittedBody) done() {
	if b.worker {
		<-b.a.workers
		b.worker = false
	}
	if b.counted {
		b.a.bodies.Add(-1)
		b.counted = false
	}
	if b.reserved > 0 {
		if b.a.largeInUse.Add(-b.reserved) == 0 {
			b.a.maybeRelease()
		}
		b.reserved = 0
	}
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

// bodyDeadline sets the connection's read deadline for the body, to be
// lifted by bodyRead once the body is read in full, so that a slow
// upstream answer does not trip it. Otherwise (refused, or answered before
// the body was read) it stays: the rest of the body that net/http reads
// before reusing the connection must arrive by then too, or the connection
// is closed. Writers without deadlines (a ResponseRecorder) are left alone.
func (b *admittedBody) bodyDeadline(w http.ResponseWriter) {
	if b.a.bodyTimeout <= 0 {
		return
	}
	// net/http's own writer has the method; a wrapper is reached through
	// a ResponseController, which costs an allocation.
	d, ok := w.(readDeadliner)
	if !ok {
		if _, wraps := w.(interface{ Unwrap() http.ResponseWriter }); !wraps {
			return // no connection under it (a test's recorder): nothing to bound
		}
		d = http.NewResponseController(w)
	}
	if d.SetReadDeadline(time.Now().Add(b.a.bodyTimeout)) == nil {
		b.deadline = d
	}
}

type readDeadliner interface{ SetReadDeadline(time.Time) error }

// wait is how long a module may hold a request or a response for a
// callout or a timer: the body timeout, or its default when it is off.
func (a *admission) wait() time.Duration {
	if a.bodyTimeout > 0 {
		return a.bodyTimeout
	}
	return DefaultBodyTimeout
}

// bodyRead lifts the body's deadline if it was read to its end.
func (b *admittedBody) bodyRead(ok bool) {
	if b != nil && b.deadline != nil && ok && b.eof {
		b.deadline.SetReadDeadline(time.Time{})
	}
}

// refuse answers a request whose body could not be read in full: 503 for
// load, 408 for a body that did not arrive in time (both close the
// connection: the rest of the body is not read), 400 otherwise.
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

// bodyPool recycles admittedBody values: one per request with a body.
var bodyPool = sync.Pool{New: func() any { return new(admittedBody) }}

// admit wraps a request body of declared length (-1: unknown) in the
// limits; release puts it back once the host is done with it.
func (a *admission) admit(ctx context.Context, body io.Reader, declared int64) *admittedBody {
	b := bodyPool.Get().(*admittedBody)
	*b = admittedBody{a: a, body: body, ctx: ctx, declared: declared}
	return b
}

// release returns what b held and recycles it.
func (b *admittedBody) release() {
	b.done()
	*b = admittedBody{}
	bodyPool.Put(b)
}
