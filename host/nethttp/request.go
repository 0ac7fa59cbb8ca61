package nethttp

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/hookguard/hookguard/host"
)

// hasBody reports whether r has a body to run through the module. A body
// of Content-Length 0 is none: the module sees end of stream with the
// headers, as Envoy sends it.
func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

// requestHeader turns r into an Envoy-style header map: pseudo-headers
// first, then every header value as its own lower-cased entry.
func requestHeader(r *http.Request, names *headerNames) host.Header {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	h := host.Header{
		{Key: ":authority", Value: r.Host},
		{Key: ":path", Value: r.URL.RequestURI()},
		{Key: ":method", Value: r.Method},
		{Key: ":scheme", Value: scheme},
	}
	return fromHTTPHeader(h, r.Header, names)
}

// fromHTTPHeader appends hh to h, names sorted and lower-cased, each value
// its own field.
func fromHTTPHeader(h host.Header, hh http.Header, names *headerNames) host.Header {
	var buf [32]string
	keys := buf[:0]
	for k := range hh {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		lk := names.toLower(k)
		for _, v := range hh[k] {
			h = append(h, host.HeaderField{Key: lk, Value: v})
		}
	}
	return h
}

// forwardedRequest is r as the module let it through.
func forwardedRequest(r *http.Request, out *host.Outcome, names *headerNames) *http.Request {
	// A shallow copy: every field the module could change is replaced,
	// never written through, so r's own values are untouched.
	r2 := r.WithContext(r.Context())
	r2.Header = make(http.Header, len(out.Header))
	for _, f := range out.Header {
		switch f.Key {
		case ":method":
			r2.Method = f.Value
		case ":path":
			if f.Value == r.URL.RequestURI() {
				break // unchanged: r's URL serves, unparsed again
			}
			if u, err := r.URL.Parse(f.Value); err == nil {
				r2.URL, r2.RequestURI = u, f.Value
			}
		case ":authority":
			r2.Host = f.Value
		case ":scheme", "transfer-encoding", "content-length", "expect":
			// Expect: the body is read and verified already, so there is
			// nothing to ask the upstream before sending it; net/http has
			// answered the client's 100-continue (and refused any other
			// expectation with 417). Envoy drops the header likewise.
		default:
			if !strings.HasPrefix(f.Key, ":") {
				k := names.toCanonical(f.Key)
				r2.Header[k] = append(r2.Header[k], f.Value)
			}
		}
	}
	r2.Body = io.NopCloser(bytes.NewReader(out.Body))
	r2.ContentLength = int64(len(out.Body))
	if len(out.Body) == 0 {
		r2.Body = http.NoBody
	}
	r2.Trailer = nil
	if len(out.Trailer) > 0 {
		r2.Trailer = http.Header{}
		for _, f := range out.Trailer {
			r2.Trailer.Add(f.Key, f.Value)
		}
	}
	return r2
}
