package plugin_test

import (
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/internal/proxywasm/proxytest"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pairs"
)

// sendTwitch sends body as Twitch EventSub would, signed under secret at
// now, and returns the stream.
func sendTwitch(t *testing.T, h *proxytest.Host, secret, body string, now time.Time) *proxytest.Stream {
	t.Helper()
	header := []pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/hooks/twitch"}, {Key: ":authority", Value: "hooks.test"},
		{Key: "twitch-eventsub-message-id", Value: "e76c6bd4-55c9-4987-8304-da1588d8988b"},
		{Key: "twitch-eventsub-message-type", Value: "webhook_callback_verification"}}
	req := &verify.Request{Method: "POST", Path: "/hooks/twitch", Authority: "hooks.test",
		Header: []verify.Field{{Name: "twitch-eventsub-message-id", Value: "e76c6bd4-55c9-4987-8304-da1588d8988b"}}}
	signed, err := verify.Sign("twitch", secret, req, []byte(body), now)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range signed {
		header = append(header, pairs.Pair{Key: f.Name, Value: f.Value})
	}
	s := h.NewStream()
	if s.Headers(header, false); s.Local == nil {
		s.Body([]byte(body), true)
	}
	return s
}

// TestTwitchVerification: a webhook_callback_verification Twitch signed
// is answered with its challenge as text/plain; one signed under another
// secret is refused; a notification, or a challenge that is not an opaque
// token, goes on to the application.
func TestTwitchVerification(t *testing.T) {
	now := time.Unix(1764547200, 0)
	h := start(t, `{"routes":[{"name":"twitch","match":{"path":"/hooks/twitch"},"scheme":"twitch","secrets":[{"env":"S"}],"handshake":true}]}`,
		map[string]string{"S": testSecret}, now)
	verification := `{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"webhook_callback_verification_pending","type":"channel.follow","version":"1"}}`

	s := sendTwitch(t, h, testSecret, verification, now)
	if s.Local == nil || s.Local.Status != 200 || string(s.Local.Body) != "pogchamp-kappa-360noscope-vohiyo" || s.Continued {
		t.Fatalf("verification: %+v (continued %v)", s.Local, s.Continued)
	}
	if got := values(s.Local.Header)("content-type"); len(got) != 1 || got[0] != "text/plain" {
		t.Fatalf("content-type %v", got)
	}
	s.Done()

	if s := sendTwitch(t, h, "not-the-"+testSecret, verification, now); s.Local == nil || s.Local.Status != 401 {
		t.Fatalf("verification under another secret: %+v", s.Local)
	}
	for _, body := range []string{
		`{"subscription":{"status":"enabled","type":"channel.follow"},"event":{"user_name":"x"}}`,
		`{"challenge":"{\"forged\":1}","subscription":{"status":"webhook_callback_verification_pending"}}`,
	} {
		s := sendTwitch(t, h, testSecret, body, now)
		if s.Local != nil || !s.Continued {
			t.Errorf("%s: %+v, want it to go on", body, s.Local)
		}
		s.Done()
	}
}
