// Package rawhttp is an HTTP/1.1 upstream written by hand, for tests that
// need what net/http's server never sends on its own: interim responses
// written whenever the test says, asked for or not.
package rawhttp

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Upstream answers each request by writing Early as soon as it has the
// request's head (say "HTTP/1.1 100 Continue\r\n\r\n"), reading the body,
// writing Late (say a 103), then "200 ok". It counts the bodies it received
// whole and keeps the Expect header each request carried.
type Upstream struct {
	// Addr is the upstream's host:port.
	Addr        string
	early, late string
	count       atomic.Int64
	mu          sync.Mutex
	expect      []string
}

// Start runs an Upstream on a loopback port until the test ends.
func Start(t testing.TB, early, late string) *Upstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &Upstream{Addr: ln.Addr().String(), early: early, late: late}
	var wg sync.WaitGroup
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		u.mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		u.mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.mu.Lock()
			conns = append(conns, c)
			u.mu.Unlock()
			wg.Go(func() { u.serve(c) })
		}
	})
	return u
}

func (u *Upstream) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		u.mu.Lock()
		u.expect = append(u.expect, req.Header.Get("Expect"))
		u.mu.Unlock()
		io.WriteString(c, u.early)
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return // the client went away mid-body: not a delivery
		}
		u.count.Add(1)
		io.WriteString(c, u.late+"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	}
}

// Received counts the bodies that arrived whole.
func (u *Upstream) Received() int64 { return u.count.Load() }

// ExpectHeaders are the Expect headers the requests carried, in order.
func (u *Upstream) ExpectHeaders() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.expect)
}
