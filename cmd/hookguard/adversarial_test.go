package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/testing/cases"
	"github.com/hookguard/hookguard/internal/testing/conformance"
)

// startRoutesGateway runs the gateway with cases.RoutesConfig, its clock at
// cases.RoutesTime.
func startRoutesGateway(t *testing.T) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "routes.json")
	if err := os.WriteFile(cfg, []byte(strings.Replace(cases.RoutesConfig, "%s", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	env := cases.RoutesEnv(testSecret)
	env["HOOKGUARD_CONFIG"] = cfg
	base, _ := startGatewayAt(t, env, func() time.Time { return cases.RoutesTime })
	return base
}

// TestAdversarialOverHTTP runs docs/security.md's attack matrix against the
// gateway: the module-level cases an HTTP client can send, then attacks on
// HTTP's own framing, written byte for byte.
func TestAdversarialOverHTTP(t *testing.T) {
	base := startRoutesGateway(t)
	var sendable []cases.Case
	for _, tc := range cases.Adversarial(testSecret) {
		if tc.HTTPSendable() {
			sendable = append(sendable, tc)
		}
	}
	conformance.Run(t, conformance.Target{BaseURL: base, Cases: sendable, EchoesBody: true})

	addr := strings.TrimPrefix(base, "http://")
	for _, tc := range rawAttacks() {
		t.Run(tc.name, func(t *testing.T) {
			statuses, closed := exchange(t, addr, tc.raw, len(tc.want), tc.halfClose)
			if !slices.Equal(statuses, tc.want) {
				t.Fatalf("answered %v, want %v", statuses, tc.want)
			}
			if tc.wantClosed && !closed {
				t.Fatal("the connection stayed open")
			}
		})
	}
}

// rawAttack is bytes written to a fresh connection and the statuses that
// must come back, in order.
type rawAttack struct {
	name       string
	raw        string
	want       []int
	wantClosed bool
	halfClose  bool // close our side for writing after raw, as a client that lied about its length
}

func rawAttacks() []rawAttack {
	sig := verify.SignPipes([]byte(testSecret), []byte("hello"))
	post := func(extra, body string) string {
		return "POST /e HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n" + body
	}
	signed := "X-Pipes-Signature: " + sig + "\r\n"
	chunked := "Transfer-Encoding: chunked\r\n"
	return []rawAttack{
		{name: "pipelined: valid, then forged", raw: post(signed+"Content-Length: 5\r\n", "hello") +
			post("X-Pipes-Signature: "+strings.Repeat("0", 64)+"\r\nContent-Length: 5\r\n", "hello"), want: []int{200, 401}},
		{name: "Content-Length and chunked: chunked framing, then the connection closed", raw: post(signed+"Content-Length: 3\r\n"+chunked, "5\r\nhello\r\n0\r\n\r\n"), want: []int{200}, wantClosed: true},
		{name: "two different Content-Lengths", raw: post(signed+"Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), want: []int{400}, wantClosed: true},
		{name: "a transfer coding other than chunked", raw: post(signed+"Transfer-Encoding: gzip, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), want: []int{501}, wantClosed: true},
		{name: "Content-Length longer than the body", raw: post(signed+"Content-Length: 100\r\n", "hello"), want: []int{400}, wantClosed: true, halfClose: true},
		{name: "Content-Length shorter than the body: the rest is a request of its own, verified too", raw: post(signed+"Content-Length: 5\r\n", "hello") +
			post("Content-Length: 5\r\n", "hello"), want: []int{200, 401}},
		{name: "chunk extensions", raw: post(signed+chunked, "2;name=value\r\nhe\r\n3;x\r\nllo\r\n0\r\n\r\n"), want: []int{200}},
		{name: "signature only in a trailer", raw: post("Trailer: X-Pipes-Signature\r\n"+chunked, "5\r\nhello\r\n0\r\n"+signed+"\r\n"), want: []int{401}},
		{name: "bare CR in a header value", raw: post("X-A: a\r"+signed+"Content-Length: 5\r\n", "hello"), want: []int{400}, wantClosed: true},
		// net/http unfolds it, as RFC 9112 §5.2 allows: the value is the
		// valid signature, so this verifies; a forged one folded would not.
		{name: "obs-fold continuation line", raw: post("X-Pipes-Signature:\r\n "+sig+"\r\nContent-Length: 5\r\n", "hello"), want: []int{200}},
		{name: "obs-fold continuation line, forged", raw: post("X-Pipes-Signature:\r\n "+strings.Repeat("0", 64)+"\r\nContent-Length: 5\r\n", "hello"), want: []int{401}},
		{name: "NUL in a header value", raw: post("X-A: a\x00b\r\n"+signed+"Content-Length: 5\r\n", "hello"), want: []int{400}, wantClosed: true},
		{name: "space before a header's colon", raw: post("X-Pipes-Signature : "+sig+"\r\nContent-Length: 5\r\n", "hello"), want: []int{400}, wantClosed: true},
		{name: "absolute URI in the request line", raw: "POST http://elsewhere.test/e HTTP/1.1\r\nHost: x\r\n" + signed + "Content-Length: 5\r\n\r\nhello", want: []int{200}},
		{name: "HTTP/1.0 without Host, unsigned", raw: "POST /e HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", want: []int{401}, wantClosed: true},
		{name: "Expect: 100-continue, signed", raw: post(signed+"Expect: 100-continue\r\nContent-Length: 5\r\n", "hello"), want: []int{200}},
		// MaxHeaderBytes is 60 KiB; net/http reads 4 KiB past it before refusing.
		{name: "70 KiB of headers", raw: post(strings.Repeat("X-Pad: "+strings.Repeat("a", 1000)+"\r\n", 70)+signed+"Content-Length: 5\r\n", "hello"), want: []int{431}, wantClosed: true},
	}
}

// exchange writes raw to a new connection and reads up to n final
// responses (1xx skipped); closed reports that the server then closed.
func exchange(t *testing.T, addr, raw string, n int, halfClose bool) (statuses []int, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	if halfClose {
		c.(*net.TCPConn).CloseWrite()
	}
	br := bufio.NewReader(c)
	for len(statuses) < n {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return statuses, true
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 200 {
			statuses = append(statuses, resp.StatusCode)
		}
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	_, err = br.ReadByte()
	return statuses, err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestSecurityDocListsEveryAttack: docs/security.md's attack matrix has a row for
// every case the tests run, so the page and the tests cannot drift apart.
func TestSecurityDocListsEveryAttack(t *testing.T) {
	doc, err := os.ReadFile("../../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tc := range cases.Adversarial(testSecret) {
		names = append(names, tc.Name)
	}
	for _, a := range rawAttacks() {
		names = append(names, a.name)
	}
	for _, n := range names {
		if !strings.Contains(string(doc), "| "+n+" |") {
			t.Errorf("docs/security.md has no row for %q", n)
		}
	}
}
