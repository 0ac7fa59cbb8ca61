package plugin_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/hookguard/hookguard/internal/pairs"
)

// getChallenge sends GET path?query with no signature and returns the
// local answer's status, body and content type (status 0: let through).
func getChallenge(t *testing.T, config string, env map[string]string, path, query string) (int, string, map[string]string) {
	t.Helper()
	h := start(t, config, env, time.Time{})
	s := h.NewStream()
	s.Headers([]pairs.Pair{{Key: ":method", Value: "GET"}, {Key: ":path", Value: path + "?" + query}, {Key: ":authority", Value: "hooks.test"}}, true)
	defer s.Done()
	if s.Local == nil {
		return 0, "", nil
	}
	headers := map[string]string{}
	for _, p := range s.Local.Header {
		headers[p.Key] = p.Value
	}
	return s.Local.Status, string(s.Local.Body), headers
}

// TestDropboxChallenge: Dropbox's unsigned ?challenge= GET is echoed as
// text/plain with nosniff — an opaque token only, once.
func TestDropboxChallenge(t *testing.T) {
	cfg := `{"routes":[{"name":"dropbox","match":{"path":"/hooks/dropbox","methods":["GET","POST"]},"scheme":"dropbox","secrets":[{"env":"S"}],"handshake":true}]}`
	env := map[string]string{"S": testSecret}
	status, body, headers := getChallenge(t, cfg, env, "/hooks/dropbox", "challenge=ZPjU1XcSm8tH1sJ9")
	if status != 200 || body != "ZPjU1XcSm8tH1sJ9" || headers["content-type"] != "text/plain" || headers["x-content-type-options"] != "nosniff" {
		t.Fatalf("challenge: %d %q %v", status, body, headers)
	}
	for _, q := range []string{"challenge=" + url.QueryEscape("<script>alert(1)</script>"), "challenge=a&challenge=b", "challenge="} {
		if status, body, _ := getChallenge(t, cfg, env, "/hooks/dropbox", q); status != 400 || body != "Bad request\n" {
			t.Errorf("%s: %d %q, want 400", q, status, body)
		}
	}
	if status, _, _ := getChallenge(t, cfg, env, "/hooks/dropbox", "other=1"); status != 401 {
		t.Errorf("a GET that is no challenge: %d, want 401 (unsigned)", status)
	}
}

// TestMetaChallenge: Meta's hub.challenge is echoed only for
// hub.mode=subscribe with the route's verify token.
func TestMetaChallenge(t *testing.T) {
	cfg := `{"routes":[{"name":"meta","match":{"path":"/hooks/meta"},"scheme":"meta","secrets":[{"env":"S"}],"handshake":true,"verify_token_env":"V"}]}`
	env := map[string]string{"S": testSecret, "V": "my-verify-token"}
	ok := "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my-verify-token"
	status, body, headers := getChallenge(t, cfg, env, "/hooks/meta", ok)
	if status != 200 || body != "1158201444" || headers["content-type"] != "text/plain" {
		t.Fatalf("challenge: %d %q %v", status, body, headers)
	}
	for _, q := range []string{
		"hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong",
		"hub.mode=subscribe&hub.challenge=1158201444",
		"hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=my-verify-token",
		"hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my-verify-token&hub.verify_token=my-verify-token",
		"hub.mode=subscribe&hub.challenge=" + url.QueryEscape(`{"a":1}`) + "&hub.verify_token=my-verify-token",
	} {
		if status, _, _ := getChallenge(t, cfg, env, "/hooks/meta", q); status != 400 {
			t.Errorf("%s: %d, want 400", q, status)
		}
	}
}

// TestOktaChallenge: Okta's one-time verification GET is answered with
// its X-Okta-Verification-Challenge as {"verification": …} — an opaque
// token only, once — and a GET without one is checked as any request.
func TestOktaChallenge(t *testing.T) {
	cfg := `{"routes":[{"name":"okta","match":{"path":"/hooks/okta","methods":["GET","POST"]},"scheme":"okta","secrets":[{"env":"S"}],"handshake":true}]}`
	h := start(t, cfg, map[string]string{"S": testSecret}, time.Time{})
	get := func(challenge ...string) (int, string, string) {
		s := h.NewStream()
		defer s.Done()
		hdr := []pairs.Pair{{Key: ":method", Value: "GET"}, {Key: ":path", Value: "/hooks/okta"}, {Key: ":authority", Value: "hooks.test"}}
		for _, c := range challenge {
			hdr = append(hdr, pairs.Pair{Key: "x-okta-verification-challenge", Value: c})
		}
		s.Headers(hdr, true)
		if s.Local == nil {
			return 0, "", ""
		}
		ct := ""
		for _, p := range s.Local.Header {
			if p.Key == "content-type" {
				ct = p.Value
			}
		}
		return s.Local.Status, string(s.Local.Body), ct
	}
	if status, body, ct := get("Nm1VYwZyw8Lx9lNbOo1aLxtNlOXwZbuK4dVrXEv2"); status != 200 || body != `{"verification":"Nm1VYwZyw8Lx9lNbOo1aLxtNlOXwZbuK4dVrXEv2"}` || ct != "application/json" {
		t.Fatalf("challenge: %d %q %q", status, body, ct)
	}
	for _, bad := range [][]string{{`{"event":"forged"}`}, {"a", "b"}, {""}} {
		if status, _, _ := get(bad...); status != 400 {
			t.Errorf("%q: %d, want 400", bad, status)
		}
	}
	if status, _, _ := get(); status != 401 {
		t.Errorf("a GET without a challenge: %d, want 401 (no token)", status)
	}
	if n, _ := h.Metric("hookguard.handshakes.route=okta"); n != 1 {
		t.Errorf("handshakes counted %d, want 1", n)
	}
}
