package plugin_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/internal/plugin"
	"github.com/hookguard/hookguard/filter/internal/proxywasm/proxytest"
	"github.com/hookguard/hookguard/internal/pairs"
	"github.com/hookguard/hookguard/internal/testing/cases"
)

// The clock of the key-fetch tests, and the SNS topic their routes take.
var (
	keyNow   = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	snsTopic = "arn:aws:sns:us-east-1:123456789012:orders"
	snsCert  = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"
)

const keyRoutes = `{"routes":[
 {"name":"sns","match":{"path":"/sns"},"scheme":"aws-sns","key_cluster":"aws","topic_arns":["` + "arn:aws:sns:us-east-1:123456789012:orders" + `"]},
 {"name":"snsc","match":{"path":"/snsc"},"scheme":"aws-sns","key_cluster":"aws","topic_arns":["` + "arn:aws:sns:us-east-1:123456789012:orders" + `"],"handshake":true},
 {"name":"pp","match":{"path":"/pp"},"scheme":"paypal","key_cluster":"paypal","webhook_ids":["WH-OTHER","WH-1"],"tolerance_seconds":300},
 {"name":"pl","match":{"path":"/pl"},"scheme":"plaid","key_cluster":"plaid","secrets":[{"id":"api","env":"PLAID_API"}]}]}`

func startKeys(t *testing.T, now *time.Time) *proxytest.Host {
	t.Helper()
	h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(keyRoutes), Env: map[string]string{"PLAID_API": "client-1:api-secret-1"},
		Now: func() time.Time { return *now }})
	t.Cleanup(h.Close)
	if !ok {
		t.Fatalf("plugin did not start: %v", h.Logs())
	}
	return h
}

func snsNotification(m func(*cases.SNSMessage)) []byte {
	msg := cases.SNSMessage{Type: "Notification", MessageId: "m-1", TopicArn: snsTopic, Subject: "s", Message: `{"order":1}`,
		Timestamp: "2026-12-01T11:59:00.000Z", SignatureVersion: "1", SigningCertURL: snsCert}
	if m != nil {
		m(&msg)
	}
	return cases.RemoteKeys().SignSNS(msg)
}

// post starts a POST to path with headers and body, paused or answered.
func post(h *proxytest.Host, path string, headers map[string]string, body []byte) *proxytest.Stream {
	hdr := []pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: path}, {Key: ":authority", Value: "hooks.example.test"}}
	for k, v := range headers {
		hdr = append(hdr, pairs.Pair{Key: k, Value: v})
	}
	s := h.NewStream()
	if s.Headers(hdr, false); s.Local == nil {
		s.Body(body, true)
	}
	return s
}

func header(ps []pairs.Pair, key string) string {
	for _, p := range ps {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}

// TestSNSKeyFetched: an SNS delivery waits for its certificate, fetched
// once through the route's cluster from the URL's pinned host, and then
// verifies; a second delivery uses the cached certificate; a tampered
// one, or one from another topic, is refused once the key is in.
func TestSNSKeyFetched(t *testing.T) {
	now := keyNow
	h := startKeys(t, &now)
	s := post(h, "/sns", nil, snsNotification(nil))
	if s.Local != nil || s.Continued || len(h.Calls) != 1 {
		t.Fatalf("not waiting for the key: %v %v %d", s.Local, s.Continued, len(h.Calls))
	}
	c := h.Calls[0]
	if c.Cluster != "aws" || header(c.Header, ":authority") != "sns.us-east-1.amazonaws.com" ||
		header(c.Header, ":path") != "/SimpleNotificationService-0123456789abcdef.pem" || header(c.Header, ":method") != "GET" {
		t.Fatalf("fetch %+v", c)
	}
	h.RespondHTTPCall(c.Token, 200, cases.RemoteKeys().CertPEM)
	if s.Local != nil || !s.Continued || !strings.HasPrefix(header(s.UpstreamHeader, "x-hookguard-verified"), "route=sns") {
		t.Fatalf("after the key: %v %v %v", s.Local, s.Continued, s.UpstreamHeader)
	}
	s.Done()
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
	}{
		{"v2", snsNotification(func(m *cases.SNSMessage) { m.SignatureVersion = "2"; m.MessageId = "m-2" }), 0},
		{"no subject", snsNotification(func(m *cases.SNSMessage) { m.Subject = "" }), 0},
		{"tampered", []byte(strings.Replace(string(snsNotification(nil)), `order\":1`, `order\":2`, 1)), 401},
		{"other topic", snsNotification(func(m *cases.SNSMessage) { m.TopicArn = snsTopic + "-x" }), 401},
		{"unknown version", snsNotification(func(m *cases.SNSMessage) { m.SignatureVersion = "3" }), 401},
	} {
		s := post(h, "/sns", nil, tc.body)
		switch {
		case tc.status == 0 && (s.Local != nil || !s.Continued):
			t.Errorf("%s: refused %v", tc.name, s.Local)
		case tc.status != 0 && (s.Local == nil || s.Local.Status != tc.status):
			t.Errorf("%s: %v, want %d", tc.name, s.Local, tc.status)
		}
		s.Done()
	}
	if len(h.Calls) != 1 {
		t.Fatalf("%d fetches, want the one", len(h.Calls))
	}
	// An hour on, the certificate is fetched again.
	now = now.Add(time.Hour + time.Second)
	s = post(h, "/sns", nil, snsNotification(nil))
	if len(h.Calls) != 2 {
		t.Fatalf("%d fetches after the cache expired, want 2", len(h.Calls))
	}
	h.RespondHTTPCall(h.Calls[1].Token, 200, cases.RemoteKeys().CertPEM)
	if !s.Continued {
		t.Fatalf("refused after the refetch: %v", s.Local)
	}
}

// TestKeyURLPinned: a certificate URL off the provider's hosts is refused
// without a fetch: lookalike hosts, user info, ports, other schemes,
// paths, queries.
func TestKeyURLPinned(t *testing.T) {
	now := keyNow
	h := startKeys(t, &now)
	for _, u := range []string{
		"https://sns.us-east-1.amazonaws.com.evil.test/x.pem",
		"https://evilsns.us-east-1.amazonaws.com/x.pem",
		"https://sns.us-east-1.evil.amazonaws.com/x.pem",
		"https://sns.amazonaws.com/x.pem",
		"https://sns.us_east.amazonaws.com/x.pem",
		"https://sns.us-east-1.amazonaws.com@evil.test/x.pem",
		"https://evil.test@sns.us-east-1.amazonaws.com/x.pem",
		"https://evil.test\\@sns.us-east-1.amazonaws.com/x.pem",
		"https://sns.us-east-1.amazonaws.com:8443/x.pem",
		"http://sns.us-east-1.amazonaws.com/x.pem",
		"https://sns.us-east-1.amazonaws.com/x.pem?redirect=https://evil.test/",
		"https://sns.us-east-1.amazonaws.com/x.pem#f",
		"https://sns.us-east-1.amazonaws.com/x.txt",
		"https://sns.us-east-1.amazonaws.com/%2e%2e/x.pem",
		"https://SNS.us-east-1.amazonaws.com/x.pem",
		"//sns.us-east-1.amazonaws.com/x.pem",
	} {
		s := post(h, "/sns", nil, snsNotification(func(m *cases.SNSMessage) { m.SigningCertURL = u }))
		if s.Local == nil || s.Local.Status != 401 {
			t.Errorf("%s: %v, want 401", u, s.Local)
		}
		s.Done()
	}
	for _, u := range []string{"https://api.paypal.com.evil.test/v1/notifications/certs/C", "https://api.paypal.com/v1/other/C",
		"https://api.paypal.com:444/v1/notifications/certs/C"} {
		body := []byte(`{"id":"WH-E1"}`)
		s := post(h, "/pp", cases.RemoteKeys().SignPayPal("t-1", "2026-12-01T11:59:00Z", "WH-1", u, body), body)
		if s.Local == nil || s.Local.Status != 401 {
			t.Errorf("%s: %v, want 401", u, s.Local)
		}
		s.Done()
	}
	if len(h.Calls) != 0 {
		t.Fatalf("fetched %+v", h.Calls)
	}
}

// TestKeyServerFails: a key server that fails, answers non-200 (a
// redirect too) or not a certificate refuses its waiting requests with 503
// key_unavailable and Retry-After; the failure is remembered for 10 s,
// then fetched again.
func TestKeyServerFails(t *testing.T) {
	for _, answer := range []struct {
		status int
		body   string
	}{{0, ""}, {500, ""}, {302, ""}, {200, "not a certificate"}, {200, strings.Repeat("x", 70<<10)}} {
		now := keyNow
		h := startKeys(t, &now)
		a, b := post(h, "/sns", nil, snsNotification(nil)), post(h, "/sns", nil, snsNotification(nil))
		if len(h.Calls) != 1 {
			t.Fatalf("%d fetches for two requests of one key", len(h.Calls))
		}
		h.RespondHTTPCall(h.Calls[0].Token, answer.status, []byte(answer.body))
		for _, s := range []*proxytest.Stream{a, b} {
			if s.Local == nil || s.Local.Status != 503 || header(s.Local.Header, "retry-after") != "5" || s.Continued {
				t.Fatalf("%d %.20q: %+v", answer.status, answer.body, s.Local)
			}
		}
		if n, _ := h.Metric("hookguard.requests_rejected.route=sns.reason=key_unavailable"); n != 2 {
			t.Errorf("counted %d rejections: %v", n, h.Metrics())
		}
		c := post(h, "/sns", nil, snsNotification(nil))
		if c.Local == nil || c.Local.Status != 503 || len(h.Calls) != 1 {
			t.Fatalf("within 10 s: %v, %d fetches", c.Local, len(h.Calls))
		}
		now = now.Add(10 * time.Second)
		post(h, "/sns", nil, snsNotification(nil))
		if len(h.Calls) != 2 {
			t.Fatalf("after 10 s: %d fetches", len(h.Calls))
		}
	}
}

// TestKeyWaiterGone: a request whose stream ends while it waits is
// forgotten: the answer resumes only the others.
func TestKeyWaiterGone(t *testing.T) {
	now := keyNow
	h := startKeys(t, &now)
	a, b := post(h, "/sns", nil, snsNotification(nil)), post(h, "/sns", nil, snsNotification(nil))
	a.Done()
	h.RespondHTTPCall(h.Calls[0].Token, 200, cases.RemoteKeys().CertPEM)
	if !b.Continued || a.Continued || a.Local != nil {
		t.Fatalf("a %v %v, b %v %v", a.Continued, a.Local, b.Continued, b.Local)
	}
}

// TestSNSSubscription: a verified SubscriptionConfirmation goes to the
// application, unless the route confirms at the edge: then its
// SubscribeURL (pinned) is fetched and the request answered 200; one AWS
// refuses is 503; a SubscribeURL off AWS's hosts is refused unfetched.
func TestSNSSubscription(t *testing.T) {
	now := keyNow
	h := startKeys(t, &now)
	sub := func(u string) []byte {
		return cases.RemoteKeys().SignSNS(cases.SNSMessage{Type: "SubscriptionConfirmation", MessageId: "m-s", Token: "tok-1", TopicArn: snsTopic,
			Message: "You have chosen to subscribe", Timestamp: "2026-12-01T11:59:00.000Z", SignatureVersion: "1", SigningCertURL: snsCert, SubscribeURL: u})
	}
	good := "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + snsTopic + "&Token=tok-1"
	s := post(h, "/sns", nil, sub(good))
	h.RespondHTTPCall(h.Calls[0].Token, 200, cases.RemoteKeys().CertPEM)
	if !s.Continued || len(h.Calls) != 1 {
		t.Fatalf("without handshake: %v %d", s.Local, len(h.Calls))
	}
	s = post(h, "/snsc", map[string]string{"x-amz-sns-message-type": "SubscriptionConfirmation"}, sub(good))
	h.RespondHTTPCall(h.Calls[1].Token, 200, cases.RemoteKeys().CertPEM) // the route's own cache
	if len(h.Calls) != 3 || header(h.Calls[2].Header, ":path") != "/?Action=ConfirmSubscription&TopicArn="+snsTopic+"&Token=tok-1" ||
		header(h.Calls[2].Header, ":authority") != "sns.us-east-1.amazonaws.com" {
		t.Fatalf("confirmation fetch: %+v", h.Calls)
	}
	h.RespondHTTPCall(h.Calls[2].Token, 200, []byte("<ConfirmSubscriptionResponse/>"))
	if s.Local == nil || s.Local.Status != 200 || s.Continued {
		t.Fatalf("confirmed: %+v %v", s.Local, s.Continued)
	}
	if n, _ := h.Metric("hookguard.handshakes.route=snsc"); n != 1 {
		t.Errorf("handshakes counted %d: %v", n, h.Metrics())
	}
	s = post(h, "/snsc", nil, sub(good))
	h.RespondHTTPCall(h.Calls[3].Token, 403, nil)
	if s.Local == nil || s.Local.Status != 503 {
		t.Fatalf("refused confirmation: %+v", s.Local)
	}
	for _, u := range []string{"https://evil.test/?Action=ConfirmSubscription", "https://sns.us-east-1.amazonaws.com/?Action=Publish",
		"https://sns.us-east-1.amazonaws.com/x?Action=ConfirmSubscription", "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"} {
		s = post(h, "/snsc", nil, sub(u))
		if s.Local == nil || s.Local.Status != 401 || len(h.Calls) != 4 {
			t.Errorf("%s: %+v, %d calls", u, s.Local, len(h.Calls))
		}
	}
	s = post(h, "/snsc", map[string]string{"x-amz-sns-message-type": "Notification"}, sub(good))
	if s.Local == nil || s.Local.Status != 401 {
		t.Errorf("type header disagreeing: %+v", s.Local)
	}
}

// TestPayPalKeyFetched: PayPal's signature under the fetched certificate,
// for one of the route's webhook ids; a body with another CRC32, another
// webhook id, another algorithm or a time out of tolerance is refused.
func TestPayPalKeyFetched(t *testing.T) {
	now := keyNow
	h := startKeys(t, &now)
	cert := "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"
	body := []byte(`{"id":"WH-1A","event_type":"PAYMENT.CAPTURE.COMPLETED"}`)
	sign := func(id, ts, webhook string, b []byte) map[string]string {
		return cases.RemoteKeys().SignPayPal(id, ts, webhook, cert, b)
	}
	s := post(h, "/pp", sign("t-1", "2026-12-01T11:59:00Z", "WH-1", body), body)
	if len(h.Calls) != 1 || header(h.Calls[0].Header, ":authority") != "api-m.sandbox.paypal.com" ||
		header(h.Calls[0].Header, ":path") != "/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77" {
		t.Fatalf("fetch %+v", h.Calls)
	}
	h.RespondHTTPCall(h.Calls[0].Token, 200, cases.RemoteKeys().CertPEM)
	if !s.Continued || !strings.Contains(header(s.UpstreamHeader, "x-hookguard-verified"), "key=WH-1") {
		t.Fatalf("refused: %+v %v", s.Local, s.UpstreamHeader)
	}
	bad := map[string]*proxytest.Stream{
		"tampered":     post(h, "/pp", sign("t-2", "2026-12-01T11:59:00Z", "WH-1", body), append([]byte(" "), body...)),
		"webhook":      post(h, "/pp", sign("t-3", "2026-12-01T11:59:00Z", "WH-2", body), body),
		"past":         post(h, "/pp", sign("t-4", "2026-12-01T11:54:59Z", "WH-1", body), body),
		"future":       post(h, "/pp", sign("t-5", "2026-12-01T12:05:01Z", "WH-1", body), body),
		"no timestamp": post(h, "/pp", sign("t-6", "", "WH-1", body), body),
	}
	algo := sign("t-7", "2026-12-01T11:59:00Z", "WH-1", body)
	algo["paypal-auth-algo"] = "SHA1withRSA"
	bad["algorithm"] = post(h, "/pp", algo, body)
	for name, s := range bad {
		if s.Local == nil || s.Local.Status != 401 {
			t.Errorf("%s: %+v", name, s.Local)
		}
	}
	for _, ts := range []string{"2026-12-01T11:55:00Z", "2026-12-01T12:05:00Z"} { // at the tolerance
		if s := post(h, "/pp", sign("t-8", ts, "WH-1", body), body); !s.Continued {
			t.Errorf("%s refused: %+v", ts, s.Local)
		}
	}
}

// TestPlaidKeyFetched: Plaid's key is asked of its API with the route's
// credentials and the token's kid; the token then verifies, with the
// body's SHA-256 and a recent iat; an expired key is not used.
func TestPlaidKeyFetched(t *testing.T) {
	now := keyNow
	h := startKeys(t, &now)
	p := cases.RemoteKeys()
	body := []byte(`{"webhook_type":"TRANSACTIONS","webhook_code":"SYNC_UPDATES_AVAILABLE"}`)
	s := post(h, "/pl", map[string]string{"plaid-verification": p.SignPlaid(body, now.Add(-time.Minute))}, body)
	if len(h.Calls) != 1 {
		t.Fatalf("%d calls", len(h.Calls))
	}
	c := h.Calls[0]
	if c.Cluster != "plaid" || header(c.Header, ":method") != "POST" || header(c.Header, ":path") != "/webhook_verification_key/get" ||
		header(c.Header, ":authority") != "production.plaid.com" || header(c.Header, "content-type") != "application/json" ||
		string(c.Body) != `{"client_id":"client-1","secret":"api-secret-1","key_id":"plaid-kid-1"}` {
		t.Fatalf("fetch %+v %s", c, c.Body)
	}
	h.RespondHTTPCall(c.Token, 200, p.PlaidKeyAnswer(false))
	if !s.Continued {
		t.Fatalf("refused: %+v", s.Local)
	}
	for name, s := range map[string]*proxytest.Stream{
		"tampered": post(h, "/pl", map[string]string{"plaid-verification": p.SignPlaid(body, now)}, append(body, ' ')),
		"old":      post(h, "/pl", map[string]string{"plaid-verification": p.SignPlaid(body, now.Add(-5*time.Minute-time.Second))}, body),
		"missing":  post(h, "/pl", nil, body),
	} {
		if s.Local == nil || s.Local.Status != 401 {
			t.Errorf("%s: %+v", name, s.Local)
		}
	}
	for _, logged := range h.Logs() {
		if strings.Contains(logged.Msg, "api-secret-1") {
			t.Fatalf("the API secret was logged: %s", logged.Msg)
		}
	}
	h2 := startKeys(t, &now)
	s = post(h2, "/pl", map[string]string{"plaid-verification": p.SignPlaid(body, now)}, body)
	h2.RespondHTTPCall(h2.Calls[0].Token, 200, p.PlaidKeyAnswer(true))
	if s.Local == nil || s.Local.Status != 503 {
		t.Fatalf("expired key: %+v", s.Local)
	}
}

// TestAdobeKeyFetched: Adobe I/O Events' signature under the public key
// fetched from static.adobeioevents.com at the header's path, for one of
// the route's client ids; a key path off Adobe's host or climbing out is
// refused unfetched; the registration challenge is echoed as JSON.
func TestAdobeKeyFetched(t *testing.T) {
	now := keyNow
	h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(`{"routes":[{"name":"adobe","match":{"path":"/adobe"},"scheme":"adobe-io",
		"key_cluster":"adobe","client_ids":["api-key-1"],"handshake":true}]}`), Now: func() time.Time { return now }})
	t.Cleanup(h.Close)
	if !ok {
		t.Fatal(h.Logs())
	}
	p := cases.RemoteKeys()
	body := []byte(`{"event_id":"e-1","recipient_client_id":"api-key-1","event":{"x":1}}`)
	s := post(h, "/adobe", p.SignAdobe(body, "/prod/keys/pub-key-1.pem", "/prod/keys/pub-key-2.pem"), body)
	if len(h.Calls) != 1 || header(h.Calls[0].Header, ":authority") != "static.adobeioevents.com" || header(h.Calls[0].Header, ":path") != "/prod/keys/pub-key-1.pem" {
		t.Fatalf("fetch %+v", h.Calls)
	}
	h.RespondHTTPCall(h.Calls[0].Token, 200, p.AdobePublicKeyPEM())
	if !s.Continued {
		t.Fatalf("refused: %+v", s.Local)
	}
	// Tampered: the first key refuses it, so the second is fetched too.
	s = post(h, "/adobe", p.SignAdobe(body, "/prod/keys/pub-key-1.pem", "/prod/keys/pub-key-2.pem"), append([]byte(" "), body...))
	if len(h.Calls) != 2 || header(h.Calls[1].Header, ":path") != "/prod/keys/pub-key-2.pem" {
		t.Fatalf("second key: %+v", h.Calls)
	}
	h.RespondHTTPCall(h.Calls[1].Token, 200, p.AdobePublicKeyPEM())
	if s.Local == nil || s.Local.Status != 401 {
		t.Fatalf("tampered: %+v", s.Local)
	}
	other := []byte(`{"event_id":"e-2","recipient_client_id":"api-key-2"}`)
	for name, tc := range map[string]struct {
		headers map[string]string
		body    []byte
	}{
		"other client": {p.SignAdobe(other, "/prod/keys/pub-key-1.pem", "/prod/keys/pub-key-2.pem"), other},
		"climbing":     {p.SignAdobe(body, "/prod/../keys/x.pem", "/prod/../keys/y.pem"), body},
		"host in path": {p.SignAdobe(body, "@evil.test/x.pem", "@evil.test/y.pem"), body},
		"not pem":      {p.SignAdobe(body, "/prod/keys/x.txt", "/prod/keys/y.txt"), body},
		"none":         {nil, body},
	} {
		if s := post(h, "/adobe", tc.headers, tc.body); s.Local == nil || s.Local.Status != 401 {
			t.Errorf("%s: %+v", name, s.Local)
		}
	}
	if len(h.Calls) != 2 {
		t.Fatalf("fetched %+v", h.Calls)
	}
	s = h.Run(proxytest.Request{Header: []pairs.Pair{{Key: ":method", Value: "GET"}, {Key: ":path", Value: "/adobe?challenge=8ec8d794-e0ab-42df-9017-e3dada8e84f7"},
		{Key: ":authority", Value: "h"}}})
	if s.Local == nil || s.Local.Status != 200 || string(s.Local.Body) != `{"challenge":"8ec8d794-e0ab-42df-9017-e3dada8e84f7"}` {
		t.Fatalf("challenge: %+v", s.Local)
	}
	s = h.Run(proxytest.Request{Header: []pairs.Pair{{Key: ":method", Value: "GET"}, {Key: ":path", Value: "/adobe?challenge=%7B%22a%22%3A1%7D"},
		{Key: ":authority", Value: "h"}}})
	if s.Local == nil || s.Local.Status != 400 {
		t.Fatalf("a JSON challenge: %+v", s.Local)
	}
}

// TestEBayKeyFetched: eBay's key needs an application token: the route
// asks eBay's OAuth API for one with its credentials (Basic), then the
// Notification API for the kid's key (Bearer), both once; the
// notification then verifies; a token eBay refuses (401) is fetched anew;
// the endpoint check is answered with SHA-256(code + token + endpoint).
func TestEBayKeyFetched(t *testing.T) {
	now := keyNow
	h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(`{"routes":[{"name":"ebay","match":{"path":"/ebay"},"scheme":"ebay",
		"key_cluster":"ebay","secrets":[{"id":"app","env":"EBAY_APP"}],"handshake":true,"verify_token_env":"EBAY_TOKEN","public_url":"https://hooks.example.com/ebay"}]}`),
		Env: map[string]string{"EBAY_APP": "client-9:client-secret-9", "EBAY_TOKEN": "verification-token-0123456789abcdef0123"}, Now: func() time.Time { return now }})
	t.Cleanup(h.Close)
	if !ok {
		t.Fatal(h.Logs())
	}
	p := cases.RemoteKeys()
	body := []byte(`{"metadata":{"topic":"MARKETPLACE_ACCOUNT_DELETION","schemaVersion":"1.0"},"notification":{"notificationId":"n-1","data":{"username":"u"}}}`)
	s := post(h, "/ebay", map[string]string{"x-ebay-signature": p.SignEBay(body, "kid-1")}, body)
	if len(h.Calls) != 1 {
		t.Fatalf("calls %+v", h.Calls)
	}
	tok := h.Calls[0]
	if header(tok.Header, ":method") != "POST" || header(tok.Header, ":path") != "/identity/v1/oauth2/token" || header(tok.Header, ":authority") != "api.ebay.com" ||
		header(tok.Header, "authorization") != "Basic Y2xpZW50LTk6Y2xpZW50LXNlY3JldC05" || !strings.Contains(string(tok.Body), "grant_type=client_credentials") {
		t.Fatalf("token fetch %+v %s", tok, tok.Body)
	}
	h.RespondHTTPCall(tok.Token, 200, []byte(`{"access_token":"v^1.1#i^1#app-token","expires_in":7200,"token_type":"Application Access Token"}`))
	if len(h.Calls) != 2 {
		t.Fatalf("no key fetch: %+v", h.Calls)
	}
	key := h.Calls[1]
	if header(key.Header, ":path") != "/commerce/notification/v1/public_key/kid-1" || header(key.Header, "authorization") != "Bearer v^1.1#i^1#app-token" {
		t.Fatalf("key fetch %+v", key)
	}
	h.RespondHTTPCall(key.Token, 200, p.EBayKeyAnswer())
	if !s.Continued {
		t.Fatalf("refused: %+v", s.Local)
	}
	spaced := []byte(strings.ReplaceAll(string(body), `","`, `", "`))
	for name, tc := range map[string]struct {
		sig  string
		body []byte
	}{
		"pretty-printed": {p.SignEBay(body, "kid-1"), spaced},
	} {
		if s := post(h, "/ebay", map[string]string{"x-ebay-signature": tc.sig}, tc.body); !s.Continued {
			t.Errorf("%s: %+v", name, s.Local)
		}
	}
	for name, tc := range map[string]struct {
		sig  string
		body []byte
	}{
		"tampered": {p.SignEBay(body, "kid-1"), []byte(strings.Replace(string(body), "u", "v", 1))},
		"bad kid":  {p.SignEBay(body, "../x"), body},
		"not json": {"bm90IGpzb24=", body},
	} {
		if s := post(h, "/ebay", map[string]string{"x-ebay-signature": tc.sig}, tc.body); s.Local == nil || s.Local.Status != 401 {
			t.Errorf("%s: %+v", name, s.Local)
		}
	}
	// A new kid, and eBay refuses the token: the token is fetched again,
	// and the key once its failure is forgotten.
	s = post(h, "/ebay", map[string]string{"x-ebay-signature": p.SignEBay(body, "kid-2")}, body)
	h.RespondHTTPCall(h.Calls[2].Token, 401, nil)
	if len(h.Calls) != 4 || header(h.Calls[3].Header, ":path") != "/identity/v1/oauth2/token" {
		t.Fatalf("after a 401 the token is not fetched again: %+v", h.Calls)
	}
	h.RespondHTTPCall(h.Calls[3].Token, 200, []byte(`{"access_token":"second-token"}`))
	if s.Local == nil || s.Local.Status != 503 {
		t.Fatalf("refused token: %+v", s.Local)
	}
	now = now.Add(11 * time.Second)
	s = post(h, "/ebay", map[string]string{"x-ebay-signature": p.SignEBay(body, "kid-2")}, body)
	if last := h.Calls[len(h.Calls)-1]; header(last.Header, ":path") != "/commerce/notification/v1/public_key/kid-2" || header(last.Header, "authorization") != "Bearer second-token" {
		t.Fatalf("key fetch after the token's renewal: %+v", last)
	}
	h.RespondHTTPCall(h.Calls[len(h.Calls)-1].Token, 200, p.EBayKeyAnswer())
	if !s.Continued {
		t.Fatalf("kid-2 refused: %+v", s.Local)
	}
	code := "71745723d031455a"
	s = h.Run(proxytest.Request{Header: []pairs.Pair{{Key: ":method", Value: "GET"}, {Key: ":path", Value: "/ebay?challenge_code=" + code},
		{Key: ":authority", Value: "internal:8080"}}})
	sum := sha256.Sum256([]byte(code + "verification-token-0123456789abcdef0123" + "https://hooks.example.com/ebay"))
	if s.Local == nil || s.Local.Status != 200 || string(s.Local.Body) != `{"challengeResponse":"`+hex.EncodeToString(sum[:])+`"}` {
		t.Fatalf("challenge: %+v", s.Local)
	}
	// An attacker's code that is not opaque (a JSON payload, a space) is
	// refused, as every handshake's.
	for _, code := range []string{"%7B%22a%22%3A1%7D", "a%20b", ""} {
		s = h.Run(proxytest.Request{Header: []pairs.Pair{{Key: ":method", Value: "GET"}, {Key: ":path", Value: "/ebay?challenge_code=" + code},
			{Key: ":authority", Value: "h"}}})
		if s.Local == nil || s.Local.Status != 400 {
			t.Errorf("code %q: %+v", code, s.Local)
		}
	}
}

// TestEBayReindentedIsADuplicate: a notification re-indented still
// verifies, so dedupe must know it for the delivery it is.
func TestEBayReindentedIsADuplicate(t *testing.T) {
	now := keyNow
	h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(`{"routes":[{"name":"ebay","match":{"path":"/ebay"},"scheme":"ebay",
		"key_cluster":"ebay","secrets":[{"id":"app","env":"EBAY_APP"}],"dedupe":{}}]}`),
		Env: map[string]string{"EBAY_APP": "client-9:client-secret-9"}, Now: func() time.Time { return now }})
	t.Cleanup(h.Close)
	if !ok {
		t.Fatal(h.Logs())
	}
	p := cases.RemoteKeys()
	body := []byte(`{"metadata":{"topic":"MARKETPLACE_ACCOUNT_DELETION"},"notification":{"notificationId":"n-7"}}`)
	sig := map[string]string{"x-ebay-signature": p.SignEBay(body, "kid-1")}
	s := post(h, "/ebay", sig, body)
	h.RespondHTTPCall(h.Calls[0].Token, 200, []byte(`{"access_token":"t"}`))
	h.RespondHTTPCall(h.Calls[1].Token, 200, p.EBayKeyAnswer())
	if !s.Continued {
		t.Fatalf("refused: %+v", s.Local)
	}
	s.ResponseHeaders(200, nil)
	s.Done()
	again := post(h, "/ebay", sig, []byte(strings.ReplaceAll(string(body), `":`, `": `)))
	if again.Continued || again.Local == nil || again.Local.Status != 200 {
		t.Fatalf("the re-indented copy went on: %v %+v", again.Continued, again.Local)
	}
}
