package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// scrapeConfig has a route for each kind of counter the module keeps: a
// verified, de-duplicated route (whose store failures are let on, so
// dedupe_bypassed is defined too), one in detect mode, and a handshake.
const scrapeConfig = `{"routes": [
  {"name": "pipes", "match": {"path": "/pipes"}, "scheme": "pipes", "secrets": [{"id": "k1", "env": "SCRAPE_SECRET"}],
   "dedupe": {"on_store_failure": "allow"}},
  {"name": "watch", "match": {"path": "/watch"}, "scheme": "pipes", "mode": "detect", "secrets": [{"id": "k1", "env": "SCRAPE_SECRET"}]},
  {"name": "dropbox", "match": {"path": "/dropbox"}, "scheme": "dropbox", "handshake": true, "secrets": [{"id": "app", "env": "SCRAPE_SECRET"}]}
]}`

// scrapeSecret is a test key, not a secret.
const scrapeSecret = "scrape-test-key-0123456789abcdef0123456789"

// Host limits low enough for a few requests to pass each of them.
var scrapeLimits = nethttp.Limits{BodyTimeout: time.Second, LargeBodyBytes: 1 << 10, MaxLargeBodyBytes: 128 << 10}

const scrapeBufferLimit = 2 << 10

// series is one sample line of a Prometheus text page.
type series struct {
	family string
	labels map[string]string
	value  string
}

// scrapeMetrics serves scrapeConfig through the module in the Go host, as
// the gateway does, sends requests that move every counter the module and
// the host keep, and returns the plugin's /metrics page, parsed.
func scrapeMetrics(t *testing.T) []series {
	t.Helper()
	ctx := context.Background()
	mw, err := nethttp.NewMiddleware(ctx, testwasm.Module(t), nethttp.Config{
		Module: host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()},
		Plugin: host.PluginConfig{
			Configuration:               []byte(scrapeConfig),
			Env:                         map[string]string{"SCRAPE_SECRET": scrapeSecret},
			AllowOnHeadersStopIteration: true,
			BufferLimitBytes:            scrapeBufferLimit,
			VMs:                         1,
		},
		Limits: scrapeLimits,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mw.Close(ctx) })
	srv := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) })))
	t.Cleanup(srv.Close)

	for _, rq := range scrapeRequests(srv.URL) {
		got := send(t, rq.req)
		if got != rq.status {
			t.Errorf("%s: status %d, want %d", rq.what, got, rq.status)
		}
	}
	addr := srv.Listener.Addr().String()
	if got := partBody(t, addr, 100, 10); got != http.StatusRequestTimeout {
		t.Errorf("a stalled body: status %d, want 408", got)
	}
	// More than the host's 32 KiB reads: at least one is handed to the
	// module, which holds it, before the body stalls.
	if got := partBody(t, addr, 64<<10, 40<<10); got != http.StatusRequestEntityTooLarge {
		t.Errorf("a body the module holds past the host's buffer: status %d, want 413", got)
	}
	var page bytes.Buffer
	if err := mw.Plugin().Metrics().WritePrometheus(&page); err != nil {
		t.Fatal(err)
	}
	return parsePrometheus(t, page.String())
}

type scrapeRequest struct {
	what   string
	req    *http.Request
	status int
}

// scrapeRequests are the requests scrapeMetrics sends, in order, and the
// status each gets.
func scrapeRequests(base string) []scrapeRequest {
	body := `{"event":"scrape"}`
	mac := hmac.New(sha256.New, []byte(scrapeSecret))
	mac.Write([]byte(body))
	signed := hex.EncodeToString(mac.Sum(nil))
	post := func(path, sig string, body string) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		if sig != "" {
			r.Header.Set("X-Pipes-Signature", sig)
		}
		return r
	}
	challenge, _ := http.NewRequest(http.MethodGet, base+"/dropbox?challenge=abc123", nil)
	overloaded := post("/pipes", signed, strings.Repeat("x", 256<<10))
	return []scrapeRequest{
		{"a signed request", post("/pipes", signed, body), http.StatusOK},
		{"its copy", post("/pipes", signed, body), http.StatusOK},
		{"a forged request", post("/pipes", strings.Repeat("0", 64), body), http.StatusUnauthorized},
		{"a forged request in detect mode", post("/watch", strings.Repeat("0", 64), body), http.StatusOK},
		{"no route", post("/nowhere", signed, body), http.StatusNotFound},
		{"Dropbox's challenge", challenge, http.StatusOK},
		{"a body over the large-body budget", overloaded, http.StatusServiceUnavailable},
	}
}

func send(t *testing.T, r *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// partBody sends headers declaring a body of length bytes, and sent of
// them, then waits for the answer: the rest never comes.
func partBody(t *testing.T, addr string, length, sent int) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /pipes HTTP/1.1\r\nHost: x\r\nX-Pipes-Signature: %s\r\nContent-Length: %d\r\n\r\n%s",
		strings.Repeat("0", 64), length, strings.Repeat("x", sent))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// parsePrometheus reads the sample lines of a text page.
func parsePrometheus(t *testing.T, page string) []series {
	t.Helper()
	var out []series
	for _, line := range strings.Split(strings.TrimSpace(page), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a sample line: %q", line)
		}
		s := series{family: m[1], labels: map[string]string{}, value: m[3]}
		for _, kv := range labelPair.FindAllStringSubmatch(m[2], -1) {
			s.labels[kv[1]] = kv[2]
		}
		out = append(out, s)
	}
	return out
}
