package nethttp

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"time"
)

// Connection defaults Serve gives an http.Server that leaves them unset.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	// DefaultMaxHeaderBytes is Envoy's default max_request_headers_kb (60).
	DefaultMaxHeaderBytes = 60 << 10
)

// Serve serves srv on ln as a verifier's front door should be served. For
// the fields srv leaves unset it sets ReadHeaderTimeout, IdleTimeout and
// MaxHeaderBytes to the defaults above; it sends OPTIONS * to the handler
// (net/http would answer it 200 itself) and refuses CONNECT with 405 (a
// tunnel is nothing to verify); and it closes the connection after a
// request that carried both Content-Length and Transfer-Encoding, as RFC
// 9112 §6.3 asks of a server that accepts one. net/http drops such a
// request's Content-Length before any handler could see it, so the
// listener watches the raw bytes for the header line.
func Serve(srv *http.Server, ln net.Listener) error {
	if srv.ReadHeaderTimeout == 0 {
		srv.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if srv.IdleTimeout == 0 {
		srv.IdleTimeout = DefaultIdleTimeout
	}
	if srv.MaxHeaderBytes == 0 {
		srv.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	srv.DisableGeneralOptionsHandler = true
	// A request's head is read whole within this many bytes of where the
	// handler starts: net/http's 4 KiB read buffer ahead of it, plus slack.
	window := int64(srv.MaxHeaderBytes) + 8<<10
	next := srv.Handler
	if next == nil {
		next = http.DefaultServeMux
	}
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			w.Header().Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		if c, ok := r.Context().Value(watchedConnKey{}).(*watchedConn); ok && len(r.TransferEncoding) > 0 && c.sawContentLength(window) {
			w = &closingWriter{ResponseWriter: w}
		}
		next.ServeHTTP(w, r)
	})
	connContext := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if connContext != nil {
			ctx = connContext(ctx, c)
		}
		if wc, ok := c.(*watchedConn); ok {
			ctx = context.WithValue(ctx, watchedConnKey{}, wc)
		}
		return ctx
	}
	return srv.Serve(watchingListener{ln})
}

type watchedConnKey struct{}

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

// closingWriter asks net/http to close the connection after the response.
type closingWriter struct{ http.ResponseWriter }

func (w *closingWriter) WriteHeader(code int) {
	w.ResponseWriter.Header().Set("Connection", "close")
	w.ResponseWriter.WriteHeader(code)
}

func (w *closingWriter) Write(p []byte) (int, error) {
	w.ResponseWriter.Header().Set("Connection", "close")
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *closingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

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
