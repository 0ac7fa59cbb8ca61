package nethttp

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookguard/hookguard/host"
)

// validStatus reports whether a module's status can be sent: 200 to 599,
// as Envoy's local replies and responses carry.
func validStatus(s int) bool { return s >= 200 && s <= 599 }

// validHeader reports whether every field is a token name (or a
// pseudo-header) with a value free of CR, LF and NUL, so none can smuggle
// a line into the response.
func validHeader(h host.Header) bool {
	for _, f := range h {
		name := strings.TrimPrefix(f.Key, ":")
		if name == "" || strings.ContainsAny(f.Value, "\r\n\x00") {
			return false
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
				return false
			}
		}
	}
	return true
}

func writeLocal(w http.ResponseWriter, lr *host.LocalResponse) {
	if !validStatus(lr.Status) || !validHeader(lr.Header) {
		// What no HTTP writer can send (net/http panics on status 0)
		// fails closed, as a broken filter does in Envoy.
		lr = &host.LocalResponse{Status: http.StatusInternalServerError, Body: []byte("Internal Server Error")}
	}
	h := w.Header()
	clear(h)
	for _, f := range lr.Header {
		h.Add(f.Key, f.Value)
	}
	h.Set("Content-Length", strconv.Itoa(len(lr.Body)))
	w.WriteHeader(lr.Status)
	w.Write(lr.Body)
}

// responseWriter passes the next handler's response through the module.
type responseWriter struct {
	w     http.ResponseWriter
	s     *host.Stream
	ctx   context.Context
	wait  time.Duration // how long a module may hold the response for a callout or a timer
	names *headerNames

	started     bool // WriteHeader reached the module
	headersSent bool // headers went to the client
	ended       bool // local response or reset: discard the rest
}

func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

// WriteHeader passes the final status to the module; an informational one
// (1xx but 101) is not a response's status and never reaches it: as in
// Envoy, where no proxy-wasm callback sees 1xx headers, 100 Continue is
// dropped and the others (103 Early Hints) go straight to the client.
func (rw *responseWriter) WriteHeader(code int) {
	if isInformational(code) {
		rw.writeInformational(code)
		return
	}
	if rw.started {
		return
	}
	rw.started = true
	h := fromHTTPHeader(host.Header{{Key: ":status", Value: strconv.Itoa(code)}}, rw.w.Header(), rw.names)
	rw.apply(rw.s.ResponseHeaders(rw.ctx, h, false))
}

// isInformational reports whether code is an interim response that a final
// one follows. 101 Switching Protocols is not: it ends HTTP on the
// connection, so it goes to the module as a final status (and, not being
// one validStatus lets out, ends as 500).
func isInformational(code int) bool {
	return code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols
}

// writeInformational sends a 1xx response (an upstream's, forwarded by
// httputil.ReverseProxy, or a handler's own) ahead of the final one, with
// the header map as it is, as net/http does. 100 Continue is dropped: it
// answers the client's Expect: 100-continue, and net/http has answered
// that already, when the request body was first read (the whole body was
// read before the handler ran); Envoy answers the expectation itself too
// and never forwards the upstream's 100. Once the final status is given,
// a 1xx is dropped, as net/http drops a WriteHeader after the first.
func (rw *responseWriter) writeInformational(code int) {
	if code == http.StatusContinue || rw.started {
		return
	}
	rw.w.WriteHeader(code)
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	if !rw.started {
		rw.WriteHeader(http.StatusOK)
	}
	if !rw.ended && len(p) > 0 {
		rw.apply(rw.s.ResponseBody(rw.ctx, p, false))
	}
	return len(p), nil
}

// Flush passes on what the module has let through.
func (rw *responseWriter) Flush() {
	if f, ok := rw.w.(http.Flusher); ok && rw.headersSent {
		f.Flush()
	}
}

func (rw *responseWriter) finish() {
	if !rw.started {
		rw.WriteHeader(http.StatusOK)
	}
	if !rw.ended {
		rw.apply(rw.s.ResponseBody(rw.ctx, nil, true))
	}
	if !rw.headersSent {
		rw.awaitModule()
	}
	if !rw.headersSent {
		// The module held the response and never let it go: fail closed.
		writeLocal(rw.w, &host.LocalResponse{Status: http.StatusInternalServerError, Body: []byte("Internal Server Error")})
	}
}

// awaitModule waits, up to rw.wait, for a module that holds the response
// to let it go from a callout's response or a tick, as Envoy holds it
// until the module resumes it; it returns at once when nothing can.
func (rw *responseWriter) awaitModule() {
	ctx, cancel := context.WithTimeout(rw.ctx, rw.wait)
	defer cancel()
	for !rw.headersSent && !rw.ended {
		out, more := rw.s.Wait(ctx)
		rw.apply(out)
		if !more || ctx.Err() != nil {
			return
		}
	}
}

func (rw *responseWriter) apply(o host.Output) {
	if o.LocalResponse != nil && !rw.headersSent {
		writeLocal(rw.w, o.LocalResponse)
		rw.headersSent, rw.ended = true, true
		return
	}
	if o.Reset {
		rw.ended = true
		if !rw.headersSent {
			writeLocal(rw.w, &host.LocalResponse{Status: http.StatusServiceUnavailable})
			rw.headersSent = true
			return
		}
		panic(http.ErrAbortHandler) // cut the connection, as Envoy resets the stream
	}
	if o.Header != nil {
		h := rw.w.Header()
		clear(h)
		status := http.StatusOK
		for _, f := range o.Header {
			if f.Key == ":status" {
				var err error
				if status, err = strconv.Atoi(f.Value); err != nil {
					status = 0
				}
			} else if !strings.HasPrefix(f.Key, ":") {
				h.Add(f.Key, f.Value)
			}
		}
		if !validStatus(status) || !validHeader(o.Header) {
			rw.ended = true
			writeLocal(rw.w, &host.LocalResponse{Status: http.StatusInternalServerError, Body: []byte("Internal Server Error")})
			rw.headersSent = true
			return
		}
		rw.w.WriteHeader(status)
		rw.headersSent = true
	}
	if len(o.Body) > 0 {
		rw.w.Write(o.Body)
	}
	for _, f := range o.Trailer {
		rw.w.Header().Add(http.TrailerPrefix+f.Key, f.Value)
	}
}
