package nethttp

import (
	"bytes"
	"context"
	"io"
	"testing"
)

// TestReleaseAfterLargeBodies: the heap is handed back once large bodies
// that reached ReleaseMemoryBytes have all ended, not while one is still
// in flight, and not again within releaseInterval.
func TestReleaseAfterLargeBodies(t *testing.T) {
	a := newAdmission(Limits{LargeBodyBytes: 10, ReleaseMemoryBytes: 100})
	read := func(n int) (*admittedBody, func()) {
		b := a.admit(context.Background(), bytes.NewReader(make([]byte, n)), int64(n))
		io.Copy(io.Discard, b)
		return b, b.release
	}
	_, first := read(60)
	_, second := read(60)
	first()
	if a.lastRelease.Load() != 0 {
		t.Fatal("released while a large body was still in flight")
	}
	second()
	released := a.lastRelease.Load()
	if released == 0 {
		t.Fatal("not released after 120 large bytes ended")
	}
	_, again := read(200)
	again()
	if a.lastRelease.Load() != released {
		t.Fatal("released again within releaseInterval")
	}
	if off := newAdmission(Limits{ReleaseMemoryBytes: -1}); off.releaseAt != 0 {
		t.Fatal("a negative ReleaseMemoryBytes does not turn it off")
	}
}
