package nethttp

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

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
	eof      bool          // its last read returned io.EOF: read to its end
	deadline readDeadliner // set for the body, to lift once it is read
}

// bodyPool recycles admittedBody values: one per request with a body.
var bodyPool = sync.Pool{New: func() any { return new(admittedBody) }}

// admit wraps a request body of declared length (-1: unknown) in the
// limits; release puts it back once the handler is done with it.
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
	b.eof = false
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
	b.eof = err == io.EOF
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

// Close tells the limits the handler is done with the body: what it holds
// is given back, and if it was read to its end its read deadline is
// lifted, so that a slow upstream answer does not trip it. The body under
// it is left open: net/http reads what is left of it after the handler,
// as ever. It is safe to call more than once.
func (b *admittedBody) Close() error {
	if b.deadline != nil && b.eof {
		b.deadline.SetReadDeadline(time.Time{})
		b.deadline = nil
	}
	b.done()
	return nil
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

// bodyDeadline sets the connection's read deadline for the body, to be
// lifted by Close once the body is read in full. Otherwise (refused, or
// answered before the body was read) it stays: the rest of the body that
// net/http reads before reusing the connection must arrive by then too,
// or the connection is closed. Writers without deadlines (a
// ResponseRecorder) are left alone.
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
