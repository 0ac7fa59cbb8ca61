// Package conformance is hookguard's one request matrix over real HTTP. It
// takes a base URL, so the same cases run against our gateway in make test
// and against Envoy in make e2e.
package conformance

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/hookguard/hookguard/internal/pipescases"
)

// Target is a running hookguard deployment.
type Target struct {
	// BaseURL is where webhooks are sent, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Secret is the secret the deployment verifies with.
	Secret []byte
	// MaxBodyBytes is the deployment's max_body_bytes.
	MaxBodyBytes int
	// EchoesBody says the upstream answers 200 with the body it received,
	// which proves the upstream saw the request unchanged.
	EchoesBody bool
	// Client sends the requests; nil means a client with a 10 s timeout.
	Client *http.Client
}

// Run sends every case to t.BaseURL+"/webhook" and checks the status and,
// for an echoing upstream, that an accepted body arrived unchanged.
func Run(t *testing.T, target Target) {
	client := target.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	for _, tc := range pipescases.Cases(target.Secret, target.MaxBodyBytes) {
		t.Run(tc.Name, func(t *testing.T) {
			status, body, err := Send(client, target.BaseURL+"/webhook", tc)
			if err != nil {
				t.Fatalf("%v: %v", tc, err)
			}
			if status != tc.WantStatus {
				t.Fatalf("%v: got status %d, want %d", tc, status, tc.WantStatus)
			}
			if target.EchoesBody && tc.Upstream() && !bytes.Equal(body, tc.Body) {
				t.Fatalf("%v: upstream echoed %d bytes, want the %d sent", tc, len(body), len(tc.Body))
			}
			if status == http.StatusUnauthorized && string(body) != "Invalid signature" {
				t.Fatalf("%v: 401 body %q, want %q", tc, body, "Invalid signature")
			}
		})
	}
}

// Send sends one case: chunked when the case has chunks or trailers,
// with a Content-Length otherwise.
func Send(client *http.Client, url string, tc pipescases.Case) (int, []byte, error) {
	var body io.Reader
	if tc.Body != nil {
		body = bytes.NewReader(tc.Body)
	}
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if tc.Signatures != nil {
		req.Header["X-Pipes-Signature"] = tc.Signatures
	}
	if len(tc.Chunks) > 0 || tc.Trailers {
		req.Body = io.NopCloser(tc.BodyReader())
		req.ContentLength = -1 // chunked transfer encoding
	}
	if tc.Trailers {
		req.Trailer = http.Header{"X-Trailer": {"done"}}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("send: %w", err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	return resp.StatusCode, got, err
}
