package plugin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/internal/proxywasm/proxytest"
	"github.com/hookguard/hookguard/internal/pairs"
)

// TestMondayChallenge: a monday route with "handshake": true echoes the
// unsigned URL challenge — a body that is {"challenge": <opaque token>}
// alone — and nothing else: a body with more fields, or a token that is
// not opaque, is an unsigned delivery and refused; without "handshake"
// the challenge is refused too.
func TestMondayChallenge(t *testing.T) {
	h := start(t, `{"routes":[{"name":"m","match":{"path":"/m"},"scheme":"monday","secrets":[{"env":"S"}],"handshake":true},
		{"name":"n","match":{"path":"/n"},"scheme":"monday","secrets":[{"env":"S"}]}]}`, map[string]string{"S": testSecret}, time.Now())
	post := func(path, body string) *proxytest.Stream {
		return h.Run(proxytest.Request{Header: []pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: path},
			{Key: ":authority", Value: "h"}, {Key: "content-type", Value: "application/json"}}, Body: strings.NewReader(body)})
	}
	token := "YQIn0dCoBu2zspb4TpQTXz8WKRpZOjXi9r7_7__BBA9HoPDHPrzKBKXUIquIoNL0BiTJzobUQ2uQD0wq0yDYHg"
	s := post("/m", `{"challenge": "`+token+`"}`)
	if s.Local == nil || s.Local.Status != 200 || string(s.Local.Body) != `{"challenge":"`+token+`"}` || s.Continued {
		t.Fatalf("challenge: %+v", s.Local)
	}
	if n, _ := h.Metric("hookguard.handshakes.route=m"); n != 1 {
		t.Errorf("handshakes counted %d", n)
	}
	for name, tc := range map[string]struct{ path, body string }{
		"more fields":    {"/m", `{"challenge": "` + token + `", "event": {"type": "create_item"}}`},
		"json token":     {"/m", `{"challenge": "{\"type\":\"x\"}"}`},
		"no handshake":   {"/n", `{"challenge": "` + token + `"}`},
		"empty token":    {"/m", `{"challenge": ""}`},
		"unsigned event": {"/m", `{"event": {"type": "create_item"}}`},
	} {
		if s := post(tc.path, tc.body); s.Local == nil || s.Local.Status != 401 {
			t.Errorf("%s: %+v", name, s.Local)
		}
	}
}
