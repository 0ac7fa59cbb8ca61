// Package httpserver serves an http.Server as a verifier's front door
// should be served, where net/http's own defaults are too trusting:
//
//	srv := &http.Server{Handler: mw.Handler(app)}
//	log.Fatal(httpserver.Serve(srv, ln))
//
// Serve bounds how long a request's head may take and how long an idle
// connection stays, caps the head's size (Envoy's defaults for the same
// three), sends OPTIONS * to the handler (net/http answers it 200
// itself), refuses CONNECT, and closes the connection after a request
// that carried both Content-Length and Transfer-Encoding, as RFC 9112
// §6.3 asks. It knows nothing of WebAssembly: any handler can be served
// so.
package httpserver

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Connection defaults Serve gives an http.Server that leaves them unset.
const (
	// DefaultReadHeaderTimeout is Envoy's request_headers_timeout as
	// envoy/envoy.yaml sets it: net/http has none, so a client could hold
	// a connection forever sending its head a byte at a time.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultIdleTimeout is Envoy's idle_timeout for downstream
	// connections as envoy/envoy.yaml sets it.
	DefaultIdleTimeout = 60 * time.Second
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
