package plugin_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/internal/plugin"
	"github.com/hookguard/hookguard/filter/internal/proxywasm/proxytest"
	"github.com/hookguard/hookguard/internal/pairs"
)

// The diagnosis tests' clock, secrets and rotation instant.
var (
	diagNow    = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	diagRotate = "2026-12-01T00:00:00Z"
)

const (
	diagOld = "diagnosis-old-secret-0123456789abcdef"
	diagNew = "diagnosis-new-secret-0123456789abcdef"
)

const diagRoutes = `{"routes":[
 {"name":"gen","match":{"path":"/gen"},"scheme":"hmac","secrets":[{"id":"old","env":"OLD","not_after":"` + "2026-12-01T00:00:00Z" + `"},{"id":"new","env":"NEW","not_before":"` + "2026-12-01T00:00:00Z" + `"}],
  "signature_header":"x-sig","timestamp_header":"x-ts","template":"{timestamp}.{body}"},
 {"name":"gone","match":{"path":"/gone"},"scheme":"hmac","secrets":[{"id":"old","env":"OLD","not_after":"2026-01-01T00:00:00Z"}],"signature_header":"x-sig"},
 {"name":"stripe","match":{"path":"/stripe"},"scheme":"stripe","secrets":[{"id":"s","env":"NEW"}]},
 {"name":"square","match":{"path":"/square"},"scheme":"square","secrets":[{"id":"s","env":"NEW"}]},
 {"name":"detect","match":{"path":"/detect"},"scheme":"hmac","mode":"detect","secrets":[{"id":"s","env":"NEW"}],"signature_header":"x-sig"},
 {"name":"slack","match":{"path":"/slack"},"scheme":"slack","secrets":[{"id":"s","env":"NEW"}]},
 {"name":"unset","match":{"path":"/unset"},"scheme":"github","secrets":[{"id":"s","env":"UNSET","optional":true}]}]}`

func genSig(secret, ts, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + body))
	return hex.EncodeToString(m.Sum(nil))
}

// TestDiagnosis: each rejection is logged with a hint that says what is
// wrong — and the hint, like every log line, holds no secret, signature
// or body byte; the response stays the reason's uniform one.
func TestDiagnosis(t *testing.T) {
	ts := strconv.FormatInt(diagNow.Unix(), 10)
	body := `{"event":"diagnosis-body-marker"}`
	good := genSig(diagNew, ts, body)
	cases := []struct {
		name, path string
		header     map[string]string
		body       string
		status     int
		hint       string
	}{
		{"expired secret", "/gen", map[string]string{"x-ts": ts, "x-sig": genSig(diagOld, ts, body)}, body, 401,
			`signed with secret \"old\", which expired at 2026-12-01T00:00:00Z (not_after)`},
		{"milliseconds", "/gen", map[string]string{"x-ts": ts + "000", "x-sig": good}, body, 401, "looks like milliseconds where seconds are expected"},
		{"behind", "/gen", map[string]string{"x-ts": strconv.FormatInt(diagNow.Unix()-3600, 10), "x-sig": good}, body, 401,
			"timestamp is 1h0m0s behind the clock; tolerance 5m0s"},
		{"ahead", "/gen", map[string]string{"x-ts": strconv.FormatInt(diagNow.Unix()+600, 10), "x-sig": good}, body, 401, "10m0s ahead of the clock"},
		{"malformed timestamp", "/gen", map[string]string{"x-ts": "12:00", "x-sig": good}, body, 401, "timestamp is not Unix seconds"},
		{"base64 for hex", "/gen", map[string]string{"x-ts": ts, "x-sig": "c2lnbmF0dXJlLW9mLTIwLWJ5dGVz"}, body, 401, "the signature"},
		{"short", "/gen", map[string]string{"x-ts": ts, "x-sig": strings.Repeat("ab", 20)}, body, 401,
			"the signature header is not what this scheme reads: hex of 32 bytes (sha256), in format plain; another algorithm, encoding or version, or the header twice?"},
		{"wrong secret", "/gen", map[string]string{"x-ts": ts, "x-sig": genSig("another-secret", ts, body)}, body, 401, "wrong secret, or the body changed"},
		{"content-length", "/gen", map[string]string{"x-ts": ts, "x-sig": good, "content-length": "99"}, body[:20], 401,
			"the body has 20 bytes where Content-Length said 99"},
		{"all expired", "/gone", map[string]string{"x-sig": good}, body, 401, "every secret of the route is outside its not_before/not_after"},
		{"other preset", "/stripe", map[string]string{"x-hub-signature-256": "sha256=" + good}, body, 401,
			"the request has x-hub-signature-256, github's signature header: is the route's scheme (stripe) right?"},
		{"url", "/square", map[string]string{"x-square-hmacsha256-signature": "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="}, body, 401, "set public_url"},
		{"detect", "/detect", map[string]string{"x-sig": strings.Repeat("ab", 20)}, body, 0, "not what this scheme reads: hex of 32 bytes"},
		{"no signature", "/stripe", nil, body, 401, "no stripe-signature header: where stripe sends its signature"},
		{"no timestamp", "/slack", map[string]string{"x-slack-signature": "v0=" + good}, body, 401,
			"no x-slack-request-timestamp header: where slack sends its timestamp"},
		{"unconfigured", "/unset", nil, body, 500, "none of the route's secrets (or its binding) is set"},
	}
	h := start(t, diagRoutes, map[string]string{"OLD": diagOld, "NEW": diagNew}, diagNow)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(h.Logs())
			hdr := []pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: tc.path}, {Key: ":authority", Value: "hooks.example.test"}, {Key: ":scheme", Value: "https"}}
			for k, v := range tc.header {
				hdr = append(hdr, pairs.Pair{Key: k, Value: v})
			}
			s := h.Run(proxytest.Request{Header: hdr, Body: strings.NewReader(tc.body)})
			switch {
			case tc.status == 0 && s.Local != nil:
				t.Fatalf("detect mode refused: %+v", s.Local)
			case tc.status != 0 && (s.Local == nil || s.Local.Status != tc.status):
				t.Fatalf("answer %+v, want %d", s.Local, tc.status)
			case s.Local != nil && strings.Contains(string(s.Local.Body), "hint"):
				t.Fatalf("the response carries the hint: %q", s.Local.Body)
			}
			logs := h.Logs()[before:]
			var line string
			for _, l := range logs {
				if strings.Contains(l.Msg, "hint=") {
					line = l.Msg
				}
				for _, leak := range []string{diagOld, diagNew, good, tc.header["x-sig"], "diagnosis-body-marker"} {
					if leak != "" && strings.Contains(l.Msg, leak) {
						t.Fatalf("log line leaks %q: %s", leak, l.Msg)
					}
				}
			}
			if !strings.Contains(line, tc.hint) {
				t.Fatalf("hint: %q, want %q in it", line, tc.hint)
			}
		})
	}
}

// TestSecretLives: a rotation with not_after and not_before ends by
// itself: before the instant only the old secret verifies, after it only
// the new one, with no reload.
func TestSecretLives(t *testing.T) {
	now := diagNow.Add(-time.Hour) // before the rotation
	h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(diagRoutes), Env: map[string]string{"OLD": diagOld, "NEW": diagNew},
		Now: func() time.Time { return now }})
	t.Cleanup(h.Close)
	if !ok {
		t.Fatal(h.Logs())
	}
	rotate, _ := time.Parse(time.RFC3339, diagRotate)
	body := `{"a":1}`
	try := func(secret string) bool {
		ts := strconv.FormatInt(now.Unix(), 10)
		s := h.Run(proxytest.Request{Header: []pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/gen"},
			{Key: ":authority", Value: "h"}, {Key: "x-ts", Value: ts}, {Key: "x-sig", Value: genSig(secret, ts, body)}}, Body: strings.NewReader(body)})
		return s.Local == nil
	}
	for _, step := range []struct {
		at       time.Time
		old, new bool
	}{
		{rotate.Add(-time.Hour), true, false},
		{rotate.Add(-time.Second), true, false},
		{rotate, false, true},
		{rotate.Add(24 * time.Hour), false, true},
		{rotate.Add(-time.Minute), true, false}, // a clock set back
	} {
		now = step.at
		if got := try(diagOld); got != step.old {
			t.Errorf("at %s the old secret verifies: %v", step.at, got)
		}
		if got := try(diagNew); got != step.new {
			t.Errorf("at %s the new secret verifies: %v", step.at, got)
		}
	}
}
