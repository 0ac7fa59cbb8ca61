package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/testing/rawhttp"
)

// countingUpstream is a net/http upstream: its handler reads the body,
// which sends 100 Continue if the request asked for it, and answers "ok".
func countingUpstream(t *testing.T) (string, func() int64) {
	t.Helper()
	var received atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		received.Add(1)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(up.Close)
	return up.URL, received.Load
}

// continueUpstream writes "HTTP/1.1 100 Continue" as soon as it has a
// request's head, asked or not, as servers that answer the expectation
// do; then it reads the body and answers "200 ok".
func continueUpstream(t *testing.T) (string, func() int64) {
	u := rawhttp.Start(t, "HTTP/1.1 100 Continue\r\n\r\n", "")
	return "http://" + u.Addr, u.Received
}

// expectContinue sends req with Expect: 100-continue from a client that
// waits up to a minute for 100 Continue before sending the body, and
// returns the final response (body read) and the 1xx codes before it.
func expectContinue(t *testing.T, req *http.Request) (*http.Response, string, []int) {
	t.Helper()
	req.Header.Set("Expect", "100-continue")
	var mu sync.Mutex
	var interim []int
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
		mu.Lock()
		defer mu.Unlock()
		interim = append(interim, code)
		return nil
	}}
	tr := &http.Transport{ExpectContinueTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	start := time.Now()
	resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("answered after %v: the client waited out its expectation", took)
	}
	mu.Lock()
	defer mu.Unlock()
	return resp, string(body), interim
}

// TestExpectContinueThroughGateway: a signed webhook sent with Expect:
// 100-continue through the gateway to an upstream that answers the
// expectation gets the upstream's 200, not a 500, and reaches the upstream
// once. The client sees one 100 Continue, the gateway's own (net/http's,
// when the filter reads the body); the upstream's is not passed on.
func TestExpectContinueThroughGateway(t *testing.T) {
	body := `{"event":"order.paid","id":"evt_1"}`
	sig := verify.SignPipes([]byte(testSecret), []byte(body))
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) (string, func() int64)
	}{
		{"net/http upstream", countingUpstream},
		{"upstream writes 100 Continue", continueUpstream},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, received := tc.start(t)
			base, _ := startGateway(t, map[string]string{"PIPES_WEBHOOK_SECRET": testSecret, "HOOKGUARD_UPSTREAM": target})

			req, _ := http.NewRequest(http.MethodPost, base+"/webhook", strings.NewReader(body))
			req.Header.Set(verify.PipesSignatureHeader, sig)
			resp, got, interim := expectContinue(t, req)
			if resp.StatusCode != http.StatusOK || got != "ok" || !slices.Equal(interim, []int{100}) {
				t.Fatalf("got %d %q after %v; want 100 Continue, then the upstream's 200 \"ok\"", resp.StatusCode, got, interim)
			}
			if n := received(); n != 1 {
				t.Fatalf("the upstream received the delivery %d times, want 1", n)
			}

			// Byte for byte: the head, then the body only once the
			// gateway says 100 Continue; one final answer follows.
			addr := strings.TrimPrefix(base, "http://")
			statuses, closing, rest := rawExpectContinue(t, addr, "/webhook", "X-Pipes-Signature: "+sig+"\r\n", body)
			if !slices.Equal(statuses, []int{100, 200}) || closing || rest != nil {
				t.Fatalf("answered %v (Connection: close %v), then %v; want 100, 200 and nothing more on the kept connection", statuses, closing, rest)
			}
			if n := received(); n != 2 {
				t.Fatalf("the upstream received %d deliveries, want 2", n)
			}

			// Refused at the headers: no 100 Continue, the 401 instead,
			// with Connection: close (the body was never asked for). The
			// server itself closes only once its body timeout passes:
			// net/http still waits for the unread body after the handler.
			statuses, closing, rest = rawExpectContinue(t, addr, "/webhook", "", body)
			if !slices.Equal(statuses, []int{401}) || !closing || (rest != nil && !errors.Is(rest, io.EOF)) {
				t.Fatalf("unsigned: answered %v (Connection: close %v), then %v; want 401 closing the connection", statuses, closing, rest)
			}
			if n := received(); n != 2 {
				t.Fatalf("the unsigned request reached the upstream")
			}
		})
	}
}

// rawExpectContinue writes a POST's head with Expect: 100-continue, waits
// for the first answer and writes the body only if it is 100 Continue;
// it returns the statuses read up to the first final one, whether that
// one closes the connection, and what the connection did next: nil if
// nothing came within 500 ms, else the error reading it (io.EOF: closed),
// or an error saying what more was sent.
func rawExpectContinue(t *testing.T, addr, path, headers, body string) (statuses []int, closing bool, next error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: hooks.test\r\nContent-Type: application/json\r\n%sExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", path, headers, len(body))
	br := bufio.NewReader(c)
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("after %v: %v", statuses, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode >= 200 {
			closing = resp.Close
			break
		}
		if resp.StatusCode == http.StatusContinue && len(statuses) == 1 {
			io.WriteString(c, body)
		}
	}
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := br.ReadByte(); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return statuses, closing, nil
		}
		return statuses, closing, err
	}
	line, _ := br.ReadString('\n')
	return statuses, closing, fmt.Errorf("more bytes after the final response: %q", line)
}

// TestExpectContinueDedupeThroughGateway: on a route with de-duplication a
// delivery sent with Expect: 100-continue to an upstream that writes 100
// Continue is accepted once (the filter settles on the upstream's 200, not
// its 100), and the sender's retry is answered as a duplicate without
// reaching the upstream.
func TestExpectContinueDedupeThroughGateway(t *testing.T) {
	now := time.Unix(1764547200, 0)
	upURL, received := continueUpstream(t)
	cfg := writeTemp(t, fleetConfig)
	base, _ := startGatewayAt(t, map[string]string{"HOOKGUARD_CONFIG": cfg, "SW_SECRET": fleetSecret, "HOOKGUARD_UPSTREAM": upURL},
		func() time.Time { return now })

	body := []byte(`{"type":"order.paid","delivery":"msg_continue"}`)
	signed, err := verify.Sign("standard-webhooks", fleetSecret,
		&verify.Request{Method: "POST", Path: "/", Header: []verify.Field{{Name: "webhook-id", Value: "msg_continue"}}}, body, now)
	if err != nil {
		t.Fatal(err)
	}
	for i, wantDuplicate := range []bool{false, true} {
		req, _ := http.NewRequest(http.MethodPost, base+"/", bytes.NewReader(body))
		req.Header.Set("webhook-id", "msg_continue")
		for _, f := range signed {
			req.Header.Set(f.Name, f.Value)
		}
		resp, got, interim := expectContinue(t, req)
		duplicate := resp.Header.Get("X-Hookguard-Duplicate") != ""
		if resp.StatusCode != http.StatusOK || duplicate != wantDuplicate || !slices.Equal(interim, []int{100}) {
			t.Fatalf("delivery %d: %d %q, duplicate %v, interim %v; want 200, duplicate %v", i+1, resp.StatusCode, got, duplicate, interim, wantDuplicate)
		}
	}
	if n := received(); n != 1 {
		t.Fatalf("the upstream received the delivery %d times, want 1", n)
	}
}
