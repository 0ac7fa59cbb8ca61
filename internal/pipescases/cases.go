// Package pipescases is the one table of Pipes.bot requests that every layer
// is tested against: the pure-Go core, the built .wasm in our host, and the
// gateway over HTTP. A case says what the client sends and what must happen.
package pipescases

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/hookguard/hookguard/filter/verify"
)

// Case is one request and its expected verdict.
type Case struct {
	Name string
	Body []byte
	// Signatures are the X-Pipes-Signature values sent, in order; nil sends
	// no header at all.
	Signatures []string
	// Chunks splits the body into pieces of these sizes, the last piece
	// taking whatever remains; nil sends the body in one piece.
	Chunks []int
	// Trailers ends the request with a trailer block instead of with the
	// last body chunk.
	Trailers bool
	// WantStatus is the status the client sees: 200 from the upstream when
	// the request is let through, or the filter's rejection.
	WantStatus int
	// WantErr is what the core returns (nil when accepted).
	WantErr error
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

// Cases returns the table for secret and a body cap of maxBody bytes.
func Cases(secret []byte, maxBody int) []Case {
	sign := func(b []byte) string { return verify.SignPipes(secret, b) }
	jsonBody := []byte(`{"event":"` + Marker + `","id":42,"text":"héllo"}`)
	valid := sign(jsonBody)
	tampered := bytes.Replace(jsonBody, []byte("42"), []byte("43"), 1)
	chunky := body(1000)
	under, at, over := body(maxBody-1), body(maxBody), body(maxBody+1)

	return []Case{
		{Name: "valid", Body: jsonBody, Signatures: []string{valid}, WantStatus: 200},
		{Name: "valid upper-case hex", Body: jsonBody, Signatures: []string{strings.ToUpper(valid)}, WantStatus: 200},
		{Name: "missing header", Body: jsonBody, WantStatus: 401, WantErr: verify.ErrMissingSignature},
		{Name: "empty header", Body: jsonBody, Signatures: []string{""}, WantStatus: 401, WantErr: verify.ErrMissingSignature},
		{Name: "wrong secret", Body: jsonBody, Signatures: []string{verify.SignPipes([]byte("not-the-secret"), jsonBody)}, WantStatus: 401, WantErr: verify.ErrSignatureMismatch},
		{Name: "tampered body", Body: tampered, Signatures: []string{valid}, WantStatus: 401, WantErr: verify.ErrSignatureMismatch},
		{Name: "truncated signature", Body: jsonBody, Signatures: []string{valid[:62]}, WantStatus: 401, WantErr: verify.ErrMalformedSignature},
		{Name: "odd-length signature", Body: jsonBody, Signatures: []string{valid + "a"}, WantStatus: 401, WantErr: verify.ErrMalformedSignature},
		{Name: "non-hex signature", Body: jsonBody, Signatures: []string{"zz" + valid[2:]}, WantStatus: 401, WantErr: verify.ErrMalformedSignature},
		{Name: "prefixed signature", Body: jsonBody, Signatures: []string{"sha256=" + valid}, WantStatus: 401, WantErr: verify.ErrMalformedSignature},
		{Name: "duplicate header same value", Body: jsonBody, Signatures: []string{valid, valid}, WantStatus: 401, WantErr: verify.ErrMalformedSignature},
		{Name: "duplicate header one forged", Body: jsonBody, Signatures: []string{sign([]byte("other")), valid}, WantStatus: 401, WantErr: verify.ErrMalformedSignature},
		{Name: "empty body", Body: nil, Signatures: []string{sign(nil)}, WantStatus: 200},
		{Name: "empty body wrong signature", Body: nil, Signatures: []string{valid}, WantStatus: 401, WantErr: verify.ErrSignatureMismatch},
		{Name: "one-byte chunks", Body: chunky, Signatures: []string{sign(chunky)}, Chunks: ones(len(chunky)), WantStatus: 200},
		{Name: "one-byte chunks tampered", Body: append([]byte("y"), chunky[1:]...), Signatures: []string{sign(chunky)}, Chunks: ones(len(chunky)), WantStatus: 401, WantErr: verify.ErrSignatureMismatch},
		{Name: "irregular chunks", Body: chunky, Signatures: []string{sign(chunky)}, Chunks: []int{1, 7, 300, 2, 499}, WantStatus: 200},
		{Name: "trailers end the stream", Body: jsonBody, Signatures: []string{valid}, Chunks: []int{5}, Trailers: true, WantStatus: 200},
		{Name: "trailers end a tampered stream", Body: tampered, Signatures: []string{valid}, Chunks: []int{5}, Trailers: true, WantStatus: 401, WantErr: verify.ErrSignatureMismatch},
		{Name: "body just under the cap", Body: under, Signatures: []string{sign(under)}, Chunks: []int{maxBody / 3, maxBody / 3}, WantStatus: 200},
		{Name: "body at the cap", Body: at, Signatures: []string{sign(at)}, Chunks: []int{maxBody / 2}, WantStatus: 200},
		{Name: "body over the cap", Body: over, Signatures: []string{sign(over)}, Chunks: []int{maxBody / 2}, WantStatus: 413, WantErr: verify.ErrBodyTooLarge},
		{Name: "body over the cap in one chunk", Body: over, Signatures: []string{sign(over)}, WantStatus: 413, WantErr: verify.ErrBodyTooLarge},
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
	return fmt.Sprintf("%s (%d body bytes, %d signatures)", c.Name, len(c.Body), len(c.Signatures))
}
