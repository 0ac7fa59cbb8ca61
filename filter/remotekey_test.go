package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/cases"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
)

// keyServer stands in for AWS SNS's, PayPal's and Plaid's key endpoints
// (and SNS's subscription confirmation): it serves the stand-in
// provider's certificate and key, redirects /redirect.pem, is slow on
// /slow.pem, and records what it was asked.
type keyServer struct {
	*httptest.Server
	mu    sync.Mutex
	asked []string
}

func newKeyServer(t *testing.T) *keyServer {
	p := cases.RemoteKeys()
	ks := &keyServer{}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ks.mu.Lock()
		ks.asked = append(ks.asked, r.Method+" "+r.Host+r.URL.RequestURI())
		ks.mu.Unlock()
		switch {
		case r.URL.Path == "/redirect.pem":
			http.Redirect(w, r, "/SimpleNotificationService-1.pem", http.StatusFound)
		case r.URL.Path == "/slow.pem":
			time.Sleep(6 * time.Second)
		case strings.HasSuffix(r.URL.Path, ".pem") || strings.HasPrefix(r.URL.Path, "/v1/notifications/certs/"):
			w.Write(p.CertPEM)
		case r.URL.Path == "/webhook_verification_key/get" && string(body) == `{"client_id":"client-1","secret":"api-secret-1","key_id":"plaid-kid-1"}`:
			w.Write(p.PlaidKeyAnswer(false))
		case r.URL.Query().Get("Action") == "ConfirmSubscription":
			w.Write([]byte("<ConfirmSubscriptionResponse/>"))
		default:
			http.Error(w, "no", http.StatusBadRequest)
		}
	}))
	t.Cleanup(ks.Close)
	return ks
}

func (ks *keyServer) requests() []string {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return append([]string(nil), ks.asked...)
}

const remoteKeyRoutes = `{"routes":[
 {"name":"sns","match":{"path":"/sns"},"scheme":"aws-sns","key_cluster":"keys","topic_arns":["arn:aws:sns:us-east-1:123456789012:orders"],"handshake":true},
 {"name":"pp","match":{"path":"/pp"},"scheme":"paypal","key_cluster":"keys","webhook_ids":["WH-1"]},
 {"name":"pl","match":{"path":"/pl"},"scheme":"plaid","key_cluster":"keys","secrets":[{"id":"api","env":"PLAID_API"}]}]}`

// post sends a POST through p and returns its status (200: let through).
func post(t *testing.T, p *host.Plugin, path string, headers map[string]string, body []byte) int {
	t.Helper()
	req := &host.Request{Header: host.Header{{Key: ":method", Value: "POST"}, {Key: ":path", Value: path},
		{Key: ":authority", Value: "hooks.example.test"}}, Body: bytes.NewReader(body), MaxWait: 10 * time.Second}
	for k, v := range headers {
		req.Header = append(req.Header, host.HeaderField{Key: k, Value: v})
	}
	out, _ := hosttest.Handle(t, p, req)
	if out.LocalResponse == nil {
		return 200
	}
	return out.LocalResponse.Status
}

// TestRemoteKeysThroughModule: through the built module in the Go host,
// each remote-key preset waits for its key, fetched through the cluster
// from a local server standing in for the provider, then verifies; the
// key is fetched once per VM; a byte changed is refused; a redirect is
// not followed (503); a key server slower than the fetch's bound fails
// closed at the bound; an SNS subscription is confirmed at the edge.
func TestRemoteKeysThroughModule(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ks := newKeyServer(t)
	prov := cases.RemoteKeys()
	p := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(remoteKeyRoutes), Env: map[string]string{"PLAID_API": "client-1:api-secret-1"},
		AllowOnHeadersStopIteration: true, VMs: 1, Clusters: map[string]string{"keys": ks.URL}}, fixed(now))
	sns := func(cert, msg string) []byte {
		return prov.SignSNS(cases.SNSMessage{Type: "Notification", MessageId: "m-1", TopicArn: "arn:aws:sns:us-east-1:123456789012:orders",
			Message: msg, Timestamp: "2026-12-01T11:59:00.000Z", SignatureVersion: "2", SigningCertURL: cert})
	}
	cert := "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem"
	for i := 0; i < 3; i++ {
		if status := post(t, p, "/sns", nil, sns(cert, "hello")); status != 200 {
			t.Fatalf("sns delivery %d: %d", i, status)
		}
	}
	if got := ks.requests(); len(got) != 1 || got[0] != "GET sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem" {
		t.Fatalf("key server saw %q", got)
	}
	if status := post(t, p, "/sns", nil, bytes.Replace(sns(cert, "hello"), []byte("hello"), []byte("hellp"), 1)); status != 401 {
		t.Fatalf("tampered: %d", status)
	}
	if status := post(t, p, "/sns", nil, sns("https://sns.us-east-1.amazonaws.com/redirect.pem", "x")); status != 503 {
		t.Fatalf("redirected key: %d", status)
	}
	start := time.Now()
	if status := post(t, p, "/sns", nil, sns("https://sns.us-east-1.amazonaws.com/slow.pem", "x")); status != 503 {
		t.Fatalf("slow key server: %d", status)
	}
	if d := time.Since(start); d > 5500*time.Millisecond {
		t.Fatalf("the slow key server held the request %v", d)
	}
	sub := prov.SignSNS(cases.SNSMessage{Type: "SubscriptionConfirmation", MessageId: "m-s", Token: "tok", TopicArn: "arn:aws:sns:us-east-1:123456789012:orders",
		Message: "confirm", Timestamp: "2026-12-01T11:59:00.000Z", SignatureVersion: "1", SigningCertURL: cert,
		SubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:orders&Token=tok"})
	out, _ := hosttest.Handle(t, p, &host.Request{Header: host.Header{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/sns"},
		{Key: ":authority", Value: "hooks.example.test"}}, Body: bytes.NewReader(sub), MaxWait: 10 * time.Second})
	if out.LocalResponse == nil || out.LocalResponse.Status != 200 || !strings.Contains(string(out.LocalResponse.Body), "confirmed") {
		t.Fatalf("subscription: %+v", out.LocalResponse)
	}

	body := []byte(`{"id":"WH-1A","event_type":"PAYMENT.CAPTURE.COMPLETED"}`)
	pp := prov.SignPayPal("t-1", "2026-12-01T11:59:00Z", "WH-1", "https://api.paypal.com/v1/notifications/certs/CERT-1", body)
	if status := post(t, p, "/pp", pp, body); status != 200 {
		t.Fatalf("paypal: %d", status)
	}
	if status := post(t, p, "/pp", pp, []byte(`{"id":"WH-1B","event_type":"PAYMENT.CAPTURE.COMPLETED"}`)); status != 401 {
		t.Fatalf("paypal tampered: %d", status)
	}
	pl := map[string]string{"plaid-verification": prov.SignPlaid(body, now)}
	if status := post(t, p, "/pl", pl, body); status != 200 {
		t.Fatalf("plaid: %d (%q)", status, ks.requests())
	}
	if status := post(t, p, "/pl", pl, append(body, '\n')); status != 401 {
		t.Fatalf("plaid tampered: %d", status)
	}
}
