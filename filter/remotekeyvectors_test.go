package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// remoteKeyVectors is testdata/remotekeys/vectors.json: AWS SNS, PayPal
// and Plaid deliveries that gen.py signed from the providers' documents
// with Python's cryptography, and that check.mjs verified with
// sns-validator, Node's crypto and jose; the certificate and the Plaid key
// they are signed under; and the routes that take them.
type remoteKeyVectors struct {
	Now            time.Time                  `json:"now"`
	CertPEM        string                     `json:"cert_pem"`
	PlaidKeyAnswer json.RawMessage            `json:"plaid_key_answer"`
	Env            map[string]string          `json:"env"`
	Routes         map[string]json.RawMessage `json:"routes"`
	Vectors        []remoteKeyVector          `json:"vectors"`
}

type remoteKeyVector struct {
	Name, Preset, Method, Path string
	Headers                    map[string]string
	Body                       string
	Valid                      bool
	Why                        string
}

func readRemoteKeyVectors(t *testing.T) *remoteKeyVectors {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testwasm.Root(), "testdata", "remotekeys", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f remoteKeyVectors
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("testdata/remotekeys/vectors.json: %v", err)
	}
	if len(f.Vectors) == 0 || f.Now.IsZero() || f.CertPEM == "" || len(f.Routes) == 0 {
		t.Fatal("testdata/remotekeys/vectors.json has no vectors, now, cert_pem or routes")
	}
	return &f
}

// config is the plugin configuration of the vectors' routes, in the
// order of their preset names.
func (f *remoteKeyVectors) config() []byte {
	presets := make([]string, 0, len(f.Routes))
	for p := range f.Routes {
		presets = append(presets, p)
	}
	sort.Strings(presets)
	routes := make([]json.RawMessage, 0, len(presets))
	for _, p := range presets {
		routes = append(routes, f.Routes[p])
	}
	config, _ := json.Marshal(map[string]any{"routes": routes})
	return config
}

// plaidCredentials is the Plaid route's one secret, "client_id:secret".
func (f *remoteKeyVectors) plaidCredentials(t *testing.T) (clientID, secret string) {
	t.Helper()
	var route struct{ Secrets []struct{ Env string } }
	if err := json.Unmarshal(f.Routes["plaid"], &route); err != nil || len(route.Secrets) != 1 {
		t.Fatal("the plaid route does not name one secret")
	}
	clientID, secret, ok := strings.Cut(f.Env[route.Secrets[0].Env], ":")
	if !ok {
		t.Fatal("the plaid route's secret is not client_id:secret")
	}
	return clientID, secret
}

// vectorKeyServer stands in for the providers' key endpoints: the
// certificate for any .pem (AWS SNS) or /v1/notifications/certs/ (PayPal)
// path, and Plaid's answer to POST /webhook_verification_key/get when the
// body carries the route's credentials and the key's id. It records the
// hosts it was asked for.
type vectorKeyServer struct {
	*httptest.Server
	mu    sync.Mutex
	hosts []string
}

func newVectorKeyServer(t *testing.T, f *remoteKeyVectors) *vectorKeyServer {
	t.Helper()
	clientID, secret := f.plaidCredentials(t)
	var answer struct{ Key struct{ Kid string } }
	if err := json.Unmarshal(f.PlaidKeyAnswer, &answer); err != nil || answer.Key.Kid == "" {
		t.Fatal("plaid_key_answer has no key.kid")
	}
	ks := &vectorKeyServer{}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.mu.Lock()
		ks.hosts = append(ks.hosts, r.Host)
		ks.mu.Unlock()
		var asked plaidKeyAsk
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.Method == "GET" && (strings.HasSuffix(r.URL.Path, ".pem") || strings.HasPrefix(r.URL.Path, "/v1/notifications/certs/")):
			io.WriteString(w, f.CertPEM)
		case r.Method == "POST" && r.URL.Path == "/webhook_verification_key/get" && json.Unmarshal(body, &asked) == nil &&
			asked == plaidKeyAsk{clientID, secret, answer.Key.Kid}:
			w.Header().Set("content-type", "application/json")
			w.Write(f.PlaidKeyAnswer)
		default:
			http.Error(w, "no such key", http.StatusBadRequest)
		}
	}))
	t.Cleanup(ks.Close)
	return ks
}

// plaidKeyAsk is the body of Plaid's POST /webhook_verification_key/get.
type plaidKeyAsk struct {
	ClientID string `json:"client_id"`
	Secret   string `json:"secret"`
	KeyID    string `json:"key_id"`
}

func (ks *vectorKeyServer) askedHosts() []string {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return slices.Clone(ks.hosts)
}

// snsMessageValue finds where a body's "Message" value starts.
var snsMessageValue = regexp.MustCompile(`"Message"\s*:\s*"`)

// tampered is body with one byte changed: the case of its first ASCII
// letter, or for AWS SNS the first in Message's value (a change elsewhere
// might only make the JSON malformed). It stays valid JSON and UTF-8.
func tampered(preset, body string) []byte {
	b := []byte(body)
	from := 0
	if preset == "aws-sns" {
		if loc := snsMessageValue.FindIndex(b); loc != nil {
			from = loc[1]
		}
	}
	for i := from; i < len(b); i++ {
		if c := b[i] | 0x20; c >= 'a' && c <= 'z' {
			b[i] ^= 0x20
			return b
		}
	}
	return nil
}

// vectorChunk is the size of the chunks each vector is also sent in.
const vectorChunk = 7

// chunked reads r n bytes at a time, so the module sees many body chunks.
type chunked struct {
	r io.Reader
	n int
}

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// sendVector sends v's request, with body, in chunks of at most chunk
// bytes, and returns what became of it.
func sendVector(t *testing.T, p *host.Plugin, v remoteKeyVector, body []byte, chunk int) *host.Outcome {
	t.Helper()
	h := host.Header{{Key: ":method", Value: v.Method}, {Key: ":path", Value: v.Path}, {Key: ":authority", Value: "hooks.example.test"},
		{Key: ":scheme", Value: "https"}}
	names := make([]string, 0, len(v.Headers))
	for name := range v.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		h = append(h, host.HeaderField{Key: name, Value: v.Headers[name]})
	}
	out, _ := hosttest.Handle(t, p, &host.Request{Header: h, Body: chunked{bytes.NewReader(body), chunk}, MaxWait: 10 * time.Second})
	return out
}

// TestRemoteKeyVectorsThroughModule runs every vector of
// testdata/remotekeys through the built module in the Go host, its clock
// at the vectors' "now", its key cluster a local server with the vectors'
// certificate and Plaid key: a vector is let through, its body intact,
// whole or in 7-byte chunks, iff it is valid; a valid one with one byte of
// its body changed is refused with 401; and no key is asked of any host
// but the providers' own.
func TestRemoteKeyVectorsThroughModule(t *testing.T) {
	f := readRemoteKeyVectors(t)
	ks := newVectorKeyServer(t, f)
	p := newHookguardAt(t, nil, host.PluginConfig{Configuration: f.config(), Env: f.Env, AllowOnHeadersStopIteration: true, VMs: 1,
		Clusters: map[string]string{"keys": ks.URL}}, fixed(f.Now))
	valid := 0
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			for _, chunk := range []int{len(v.Body) + 1, vectorChunk} {
				how := "whole"
				if chunk == vectorChunk {
					how = fmt.Sprintf("in %d-byte chunks", chunk)
				}
				out := sendVector(t, p, v, []byte(v.Body), chunk)
				switch {
				case v.Valid && out.LocalResponse != nil:
					t.Fatalf("valid vector (%s), sent %s, refused with %d", v.Why, how, out.LocalResponse.Status)
				case v.Valid && string(out.Body) != v.Body:
					t.Fatalf("valid vector, sent %s, let through with its body changed", how)
				case !v.Valid && (out.LocalResponse == nil || out.LocalResponse.Status != http.StatusUnauthorized):
					t.Fatalf("invalid vector (%s), sent %s, not refused with 401: %+v", v.Why, how, out.LocalResponse)
				}
			}
			if !v.Valid {
				return
			}
			valid++
			body := tampered(v.Preset, v.Body)
			if body == nil {
				t.Fatal("no letter in the body to change")
			}
			if out := sendVector(t, p, v, body, len(body)+1); out.LocalResponse == nil || out.LocalResponse.Status != http.StatusUnauthorized {
				t.Fatalf("valid vector with one byte of its body changed not refused with 401: %+v", out.LocalResponse)
			}
		})
	}
	if valid == 0 {
		t.Fatal("no valid vector: the test proves nothing")
	}
	// Plaid's production API is the route's default key host
	// (plaid.com/docs/api/webhooks/webhook-verification/).
	allowed := append(certHosts(t, f), "production.plaid.com")
	for _, h := range ks.askedHosts() {
		if !slices.Contains(allowed, h) {
			t.Errorf("a key was asked of %q, not one of the providers' hosts the valid vectors name (%q)", h, allowed)
		}
	}
}

// certHosts are the hosts of the certificate URLs the valid vectors name.
func certHosts(t *testing.T, f *remoteKeyVectors) []string {
	t.Helper()
	var hosts []string
	for _, v := range f.Vectors {
		if !v.Valid {
			continue
		}
		raw := v.Headers["paypal-cert-url"]
		if v.Preset == "aws-sns" {
			var m struct{ SigningCertURL string }
			if err := json.Unmarshal([]byte(v.Body), &m); err != nil {
				t.Fatalf("%s: the body is not JSON: %v", v.Name, err)
			}
			raw = m.SigningCertURL
		}
		if rest, ok := strings.CutPrefix(raw, "https://"); ok {
			hosts = append(hosts, strings.SplitN(rest, "/", 2)[0])
		}
	}
	return hosts
}

// TestRemoteKeyVectorsAreCurrent reruns gen.py where Python has a
// cryptography that signs deterministic ECDSA: vectors.json must be what
// it writes (scripts/generate also runs check.mjs on it).
func TestRemoteKeyVectorsAreCurrent(t *testing.T) {
	dir := filepath.Join(testwasm.Root(), "testdata", "remotekeys")
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed; the committed vectors.json is still run through the module")
	}
	cmd := exec.Command("python3", "gen.py")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil && strings.Contains(stderr.String(), "no deterministic ECDSA") {
		t.Skip(strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		t.Fatalf("python3 gen.py: %v: %s", err, stderr.Bytes())
	}
	want, err := os.ReadFile(filepath.Join(dir, "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("testdata/remotekeys/vectors.json is stale: run `cd testdata/remotekeys && python3 gen.py > vectors.json && node check.mjs`")
	}
}
