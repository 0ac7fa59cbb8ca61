// Package cases is the one table of webhook requests that every layer is
// tested against: the pure-Go core, the built .wasm in our host, and the
// gateway over HTTP. A case says what the client sends (headers, body and
// its chunking, and the time it is received) and what must happen (status,
// reason, and what the upstream sees). The table knows no scheme: Pipes
// returns the Pipes.bot cases, Providers the providers' vectors.
package cases

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// Case is one request and its expected verdict.
type Case struct {
	Name string
	// Method and Path default to POST /webhook; Authority, when set,
	// overrides the one the runner sends to.
	Method, Path, Authority string
	// Header is what the client sends besides the pseudo-headers, with
	// lower-case names, in order.
	Header []verify.Field
	Body   []byte
	// Chunks splits the body into pieces of these sizes, the last piece
	// taking whatever remains; nil sends the body in one piece.
	Chunks []int
	// Trailers ends the request with a trailer block instead of with the
	// last body chunk.
	Trailers bool
	// WantStatus is the status the client sees: 200 from the upstream when
	// the request is let through, or the filter's rejection.
	WantStatus int
	// Now is when the request arrives; zero means the case does not
	// depend on time.
	Now time.Time
	// WantErr is what the core returns (nil when accepted).
	WantErr error
	// WantKeyID is the key id reported when accepted ("" = any).
	WantKeyID string
	// WantVerified is the X-Hookguard-Verified the upstream must see; ""
	// means none (checked where the case sets CheckVerified).
	WantVerified  string
	CheckVerified bool
	// WantGone are headers that must not reach the upstream.
	WantGone []string
	// WantAuthenticate says a rejection carries WWW-Authenticate.
	WantAuthenticate bool
	// WantUpstream are headers the upstream must see with exactly one
	// value, this one.
	WantUpstream map[string]string
	// WantAnswer, when set, is the JSON the filter answers with itself
	// (a provider handshake), with status 200; nothing goes upstream.
	WantAnswer []byte
	// WantAnswerText, when set, is the plain text the filter answers with
	// itself (an echo, Braintree's challenge answer).
	WantAnswerText string
}

// Request is what a scheme sees of the case, sent to authority.
func (c Case) Request(authority string) *verify.Request {
	method, path := c.Method, c.Path
	if method == "" {
		method = "POST"
	}
	if path == "" {
		path = "/webhook"
	}
	if c.Authority != "" {
		authority = c.Authority
	}
	return &verify.Request{Method: method, Scheme: "http", Authority: authority, Path: path, Header: c.Header}
}

// Values returns the values of header name, in order.
func (c Case) Values(name string) []string {
	var out []string
	for _, f := range c.Header {
		if f.Name == name {
			out = append(out, f.Value)
		}
	}
	return out
}

// sigs is a Pipes.bot request's header: one X-Pipes-Signature per value.
func sigs(values ...string) []verify.Field {
	var h []verify.Field
	for _, v := range values {
		h = append(h, verify.Field{Name: "x-pipes-signature", Value: v})
	}
	return h
}

// Upstream reports whether the request must reach the upstream.
func (c Case) Upstream() bool { return c.WantStatus == http.StatusOK }

// SplitBody returns the body cut as Chunks says.
func (c Case) SplitBody() [][]byte {
	if len(c.Chunks) == 0 {
		return [][]byte{c.Body}
	}
	var out [][]byte
	rest := c.Body
	for _, n := range c.Chunks {
		if n > len(rest) {
			n = len(rest)
		}
		out = append(out, rest[:n])
		rest = rest[n:]
	}
	if len(rest) > 0 {
		out = append(out, rest)
	}
	return out
}

// BodyReader returns a reader that yields the body one chunk per Read, as
// Chunks says, so each chunk reaches the filter as its own body callback
// (or goes out as its own HTTP chunk).
func (c Case) BodyReader() io.Reader { return &chunkReader{chunks: c.SplitBody()} }

type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

// Marker is in every case body, so a test can search logs for body bytes.
const Marker = "BODY-MARKER-7f3a"

// body returns a body of exactly n bytes that contains Marker.
func body(n int) []byte {
	b := bytes.Repeat([]byte("x"), n)
	copy(b, Marker)
	return b
}

// Pipes returns the Pipes.bot table for secret and a body cap of maxBody
// bytes: the first release's 23 cases, unchanged.
func Pipes(secret []byte, maxBody int) []Case {
	sign := func(b []byte) string { return verify.SignPipes(secret, b) }
	jsonBody := []byte(`{"event":"` + Marker + `","id":42,"text":"héllo"}`)
	valid := sign(jsonBody)
	tampered := bytes.Replace(jsonBody, []byte("42"), []byte("43"), 1)
	chunky := body(1000)
	under, at, over := body(maxBody-1), body(maxBody), body(maxBody+1)

	return []Case{
		{Name: "valid", Body: jsonBody, Header: sigs(valid), WantStatus: 200},
		{Name: "valid upper-case hex", Body: jsonBody, Header: sigs(strings.ToUpper(valid)), WantStatus: 200},
		{Name: "missing header", Body: jsonBody, WantStatus: 401, WantErr: verify.ErrMissingSignature},
		{Name: "empty header", Body: jsonBody, Header: sigs(""), WantStatus: 401, WantErr: verify.ErrMissingSignature},
		{Name: "wrong secret", Body: jsonBody, Header: sigs(verify.SignPipes([]byte("not-the-secret"), jsonBody)), WantStatus: 401, WantErr: verify.ErrSignatureMismatch},
		{Name: "tampered body", Body: tampered, Header: sigs(valid), WantStatus: 401, WantErr: verify.ErrSignatureMismatch},
		{Name: "truncated signature", Body: jsonBody, Header: sigs(valid[:62]), WantStatus: 401, WantErr: verify.ErrMalformedSignature},
		{Name: "odd-length signature", Body: jsonBody, Header: sigs(valid + "a"), WantStatus: 401, WantErr: verify.ErrMalformedSignature},
		{Name: "non-hex signature", Body: jsonBody, Header: sigs("zz" + valid[2:]), WantStatus: 401, WantErr: verify.ErrMalformedSignature},
		{Name: "prefixed signature", Body: jsonBody, Header: sigs("sha256=" + valid), WantStatus: 401, WantErr: verify.ErrMalformedSignature},
		{Name: "duplicate header same value", Body: jsonBody, Header: sigs(valid, valid), WantStatus: 401, WantErr: verify.ErrMalformedSignature},
		{Name: "duplicate header one forged", Body: jsonBody, Header: sigs(sign([]byte("other")), valid), WantStatus: 401, WantErr: verify.ErrMalformedSignature},
		{Name: "empty body", Body: nil, Header: sigs(sign(nil)), WantStatus: 200},
		{Name: "empty body wrong signature", Body: nil, Header: sigs(valid), WantStatus: 401, WantErr: verify.ErrSignatureMismatch},
		{Name: "one-byte chunks", Body: chunky, Header: sigs(sign(chunky)), Chunks: ones(len(chunky)), WantStatus: 200},
		{Name: "one-byte chunks tampered", Body: append([]byte("y"), chunky[1:]...), Header: sigs(sign(chunky)), Chunks: ones(len(chunky)), WantStatus: 401, WantErr: verify.ErrSignatureMismatch},
		{Name: "irregular chunks", Body: chunky, Header: sigs(sign(chunky)), Chunks: []int{1, 7, 300, 2, 499}, WantStatus: 200},
		{Name: "trailers end the stream", Body: jsonBody, Header: sigs(valid), Chunks: []int{5}, Trailers: true, WantStatus: 200},
		{Name: "trailers end a tampered stream", Body: tampered, Header: sigs(valid), Chunks: []int{5}, Trailers: true, WantStatus: 401, WantErr: verify.ErrSignatureMismatch},
		{Name: "body just under the cap", Body: under, Header: sigs(sign(under)), Chunks: []int{maxBody / 3, maxBody / 3}, WantStatus: 200},
		{Name: "body at the cap", Body: at, Header: sigs(sign(at)), Chunks: []int{maxBody / 2}, WantStatus: 200},
		{Name: "body over the cap", Body: over, Header: sigs(sign(over)), Chunks: []int{maxBody / 2}, WantStatus: 413, WantErr: verify.ErrBodyTooLarge},
		{Name: "body over the cap in one chunk", Body: over, Header: sigs(sign(over)), WantStatus: 413, WantErr: verify.ErrBodyTooLarge},
	}
}

func ones(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

// String names a case for failure messages without printing its body.
func (c Case) String() string {
	return fmt.Sprintf("%s (%d body bytes, %d headers)", c.Name, len(c.Body), len(c.Header))
}
