package cases

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// RemoteKeyFile is testdata/remotekeys/vectors.json: AWS SNS, PayPal,
// Plaid and Adobe I/O Events deliveries that gen.py signed from the
// providers' documents with Python's cryptography, and that check.mjs
// verified with sns-validator, Node's crypto, jose and Adobe's
// aio-lib-events; the certificate, the Plaid key and Adobe's public keys
// (by their paths on Adobe's key host) they are signed under; and the
// routes that take them.
type RemoteKeyFile struct {
	Now             time.Time                  `json:"now"`
	CertPEM         string                     `json:"cert_pem"`
	PlaidKeyAnswer  json.RawMessage            `json:"plaid_key_answer"`
	AdobePublicKeys map[string]string          `json:"adobe_public_keys"`
	Env             map[string]string          `json:"env"`
	Routes          map[string]json.RawMessage `json:"routes"`
	Vectors         []RemoteKeyVector          `json:"vectors"`
}

type RemoteKeyVector struct {
	Name, Preset, Method, Path string
	Headers                    map[string]string
	Body                       string
	Valid                      bool
	Why                        string
}

func ReadRemoteKeyFile(t testing.TB) *RemoteKeyFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(TestdataDir(), "..", "remotekeys", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f RemoteKeyFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("testdata/remotekeys/vectors.json: %v", err)
	}
	if len(f.Vectors) == 0 || f.Now.IsZero() || f.CertPEM == "" || len(f.Routes) == 0 {
		t.Fatal("testdata/remotekeys/vectors.json has no vectors, now, cert_pem or routes")
	}
	if _, ok := f.Routes["adobe-io"]; ok && len(f.AdobePublicKeys) == 0 {
		t.Fatal("testdata/remotekeys/vectors.json has an adobe-io route but no adobe_public_keys")
	}
	return &f
}

// Config is the plugin configuration of the vectors' routes, in the
// order of their preset names.
func (f *RemoteKeyFile) Config() []byte {
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

// PlaidCredentials is the Plaid route's one secret, "client_id:secret".
func (f *RemoteKeyFile) PlaidCredentials(t testing.TB) (clientID, secret string) {
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

// RemoteKeyServer stands in for the providers' key endpoints: Adobe's
// public key for each of its paths, the certificate for any other .pem
// (AWS SNS) or /v1/notifications/certs/ (PayPal) path, and Plaid's answer
// to POST /webhook_verification_key/get when the body carries the route's
// credentials and the key's id. It records the hosts it was asked for.
type RemoteKeyServer struct {
	*httptest.Server
	mu    sync.Mutex
	hosts []string
}

func NewRemoteKeyServer(t testing.TB, f *RemoteKeyFile) *RemoteKeyServer {
	t.Helper()
	clientID, secret := f.PlaidCredentials(t)
	var answer struct{ Key struct{ Kid string } }
	if err := json.Unmarshal(f.PlaidKeyAnswer, &answer); err != nil || answer.Key.Kid == "" {
		t.Fatal("plaid_key_answer has no key.kid")
	}
	ks := &RemoteKeyServer{}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.mu.Lock()
		ks.hosts = append(ks.hosts, r.Host)
		ks.mu.Unlock()
		var asked plaidKeyAsk
		body, _ := io.ReadAll(r.Body)
		adobeKey, isAdobeKey := f.AdobePublicKeys[r.URL.Path]
		switch {
		case r.Method == "GET" && isAdobeKey:
			io.WriteString(w, adobeKey)
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

func (ks *RemoteKeyServer) AskedHosts() []string {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return slices.Clone(ks.hosts)
}

// snsMessageValue finds where a body's "Message" value starts.
var snsMessageValue = regexp.MustCompile(`"Message"\s*:\s*"`)

// Tampered is body with one byte changed: the case of its first ASCII
// letter, or for AWS SNS the first in Message's value (a change elsewhere
// might only make the JSON malformed). It stays valid JSON and UTF-8.
func Tampered(preset, body string) []byte {
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
