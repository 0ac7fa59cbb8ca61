package httpserver

import (
	"bytes"
	"net"
)

// watchedConnKey is the request context's key for its *watchedConn.
type watchedConnKey struct{}

// watchingListener hands out its connections as *watchedConn.
type watchingListener struct{ net.Listener }

func (l watchingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: c, lastMatch: -1}, nil
}

// contentLength is the header name watchedConn looks for after a line
// feed, in lower case.
const contentLength = "content-length"

// watchedConn notes where on the connection a line last began with
// Content-Length (in any case). Only the connection's server goroutine
// reads it, so it needs no lock. The scan is a byte search for line feeds,
// cheap beside verifying the bytes; a match in a body, or in the request
// before a chunked one, only closes a connection that could have stayed.
type watchedConn struct {
	net.Conn
	total     int64 // bytes read so far
	lastMatch int64 // offset of the last match, or -1
	// A line that began too near the end of the last read to tell: its
	// first bytes, a prefix of contentLength.
	carry   [len(contentLength)]byte
	carried int
	open    bool
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.scan(p[:n])
	c.total += int64(n)
	return n, err
}

func (c *watchedConn) scan(b []byte) {
	if c.open {
		k := c.carried + copy(c.carry[c.carried:], b)
		switch {
		case k == len(contentLength):
			if equalFoldASCII(c.carry[:], contentLength) {
				c.lastMatch = c.total - int64(c.carried)
			}
		case equalFoldASCII(c.carry[:k], contentLength[:k]):
			c.carried = k // b ended before the line could be told apart
			return
		}
		c.open, c.carried = false, 0
	}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return
		}
		start := i + j + 1
		rest := b[start:]
		if len(rest) >= len(contentLength) {
			if equalFoldASCII(rest[:len(contentLength)], contentLength) {
				c.lastMatch = c.total + int64(start)
			}
		} else if equalFoldASCII(rest, contentLength[:len(rest)]) {
			c.carried, c.open = copy(c.carry[:], rest), true
			return
		}
		i = start
	}
}

// sawContentLength reports whether a Content-Length line began within the
// last window bytes read.
func (c *watchedConn) sawContentLength(window int64) bool {
	return c.lastMatch >= 0 && c.total-c.lastMatch <= window
}

// equalFoldASCII reports whether b is lower, ignoring the case of ASCII
// letters; lower must be in lower case.
func equalFoldASCII(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		x := b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != lower[i] {
			return false
		}
	}
	return true
}
