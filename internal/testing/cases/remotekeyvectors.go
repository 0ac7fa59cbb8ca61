package cases

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
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
// Plaid, Adobe I/O Events and eBay deliveries that gen.py signed from the
// providers' documents with Python's cryptography (one eBay delivery eBay
// signed itself), and that check.mjs verified with sns-validator, Node's
// crypto, jose, Adobe's aio-lib-events and eBay's
// event-notification-nodejs-sdk; the certificate, the Plaid key, Adobe's
// public keys (by their paths on Adobe's key host), eBay's application
// token and keys (by kid) they are signed under; eBay's endpoint checks;
// and the routes that take them.
type RemoteKeyFile struct {
	Now             time.Time                  `json:"now"`
	CertPEM         string                     `json:"cert_pem"`
	PlaidKeyAnswer  json.RawMessage            `json:"plaid_key_answer"`
	AdobePublicKeys map[string]string          `json:"adobe_public_keys"`
	EBayTokenAnswer json.RawMessage            `json:"ebay_token_answer"`
	EBayPublicKeys  map[string]json.RawMessage `json:"ebay_public_keys"`
	EBayHandshake   EBayHandshake              `json:"ebay_handshake"`
	Env             map[string]string          `json:"env"`
	Routes          map[string]json.RawMessage `json:"routes"`
	Vectors         []RemoteKeyVector          `json:"vectors"`
}

// RemoteKeyVector is one delivery: Status, if set, is what an invalid one
// is answered instead of 401 (503 when no key can be had for it).
type RemoteKeyVector struct {
	Name, Preset, Method, Path string
	Headers                    map[string]string
	Body                       string
	Valid                      bool
	Status                     int
	Why                        string
}

// WantStatus is what the gateway answers v: 200 if it is valid, else its
// Status, else 401.
func (v RemoteKeyVector) WantStatus() int {
	switch {
	case v.Valid:
		return http.StatusOK
	case v.Status != 0:
		return v.Status
	}
	return http.StatusUnauthorized
}

// EBayHandshake is eBay's endpoint check of the ebay route (Route): for
// each challenge, GET <path>?<Query> is answered {"challengeResponse":
// ChallengeResponse}, the hex SHA-256 of the code, the verification token
// in VerificationTokenEnv and Endpoint, the route's public_url.
type EBayHandshake struct {
	Route                string `json:"route"`
	Endpoint             string `json:"endpoint"`
	VerificationTokenEnv string `json:"verification_token_env"`
	Challenges           []struct {
		ChallengeCode     string `json:"challenge_code"`
		Query             string `json:"query"`
		ChallengeResponse string `json:"challenge_response"`
	} `json:"challenges"`
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
	if _, ok := f.Routes["ebay"]; ok && (len(f.EBayTokenAnswer) == 0 || len(f.EBayPublicKeys) == 0 || len(f.EBayHandshake.Challenges) == 0) {
		t.Fatal("testdata/remotekeys/vectors.json has an ebay route but no ebay_token_answer, ebay_public_keys or ebay_handshake")
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
	return f.clientCredentials(t, "plaid")
}

// EBayCredentials is the eBay route's one secret, "client_id:client_secret"
// of the eBay application.
func (f *RemoteKeyFile) EBayCredentials(t testing.TB) (clientID, secret string) {
	t.Helper()
	return f.clientCredentials(t, "ebay")
}

// clientCredentials is the one secret, "client_id:secret", of preset's route.
func (f *RemoteKeyFile) clientCredentials(t testing.TB, preset string) (clientID, secret string) {
	t.Helper()
	var route struct{ Secrets []struct{ Env string } }
	if err := json.Unmarshal(f.Routes[preset], &route); err != nil || len(route.Secrets) != 1 {
		t.Fatalf("the %s route does not name one secret", preset)
	}
	clientID, secret, ok := strings.Cut(f.Env[route.Secrets[0].Env], ":")
	if !ok {
		t.Fatalf("the %s route's secret is not client_id:secret", preset)
	}
	return clientID, secret
}

// RemoteKeyServer stands in for the providers' key endpoints: Adobe's
// public key for each of its paths, the certificate for any other .pem
// (AWS SNS) or /v1/notifications/certs/ (PayPal) path, Plaid's answer
// to POST /webhook_verification_key/get when the body carries the route's
// credentials and the key's id, and eBay's OAuth and Notification APIs
// (ebayAPI). It records the hosts it was asked for.
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
	ebay := newEBayAPI(t, f)
	ks := &RemoteKeyServer{}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.mu.Lock()
		ks.hosts = append(ks.hosts, r.Host)
		ks.mu.Unlock()
		var asked plaidKeyAsk
		body, _ := io.ReadAll(r.Body)
		adobeKey, isAdobeKey := f.AdobePublicKeys[r.URL.Path]
		switch {
		case ebay.serve(w, r, body):
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

// eBay's OAuth token path and Notification API key path
// (developer.ebay.com/api-docs/commerce/notification/resources/public_key/methods/getPublicKey).
const (
	ebayTokenPath = "/identity/v1/oauth2/token"
	ebayKeyPath   = "/commerce/notification/v1/public_key/"
)

// ebayTokenForm is the body of a client-credentials token request for
// eBay's public scope.
var ebayTokenForm = url.Values{"grant_type": {"client_credentials"}, "scope": {"https://api.ebay.com/oauth/api_scope"}}

// ebayAPI stands in for eBay's OAuth API, which issues ebay_token_answer
// only for the route's Basic credentials and the client-credentials form,
// and its Notification API, which answers a kid's key of ebay_public_keys
// only with "Bearer <that token>", and 404 for a kid it does not know.
type ebayAPI struct {
	clientID, secret string
	tokenAnswer      []byte
	token            string
	keys             map[string]json.RawMessage
}

// newEBayAPI is nil if the vectors have no ebay route.
func newEBayAPI(t testing.TB, f *RemoteKeyFile) *ebayAPI {
	t.Helper()
	if _, ok := f.Routes["ebay"]; !ok {
		return nil
	}
	e := &ebayAPI{tokenAnswer: f.EBayTokenAnswer, keys: f.EBayPublicKeys}
	e.clientID, e.secret = f.EBayCredentials(t)
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(f.EBayTokenAnswer, &answer); err != nil || answer.AccessToken == "" {
		t.Fatal("ebay_token_answer has no access_token")
	}
	e.token = answer.AccessToken
	return e
}

// serve answers r if it asks eBay's APIs, and reports whether it did.
func (e *ebayAPI) serve(w http.ResponseWriter, r *http.Request, body []byte) bool {
	switch {
	case e == nil:
		return false
	case r.URL.Path == ebayTokenPath:
		if r.Method != "POST" || !e.tokenAsked(r, body) {
			ebayError(w, http.StatusUnauthorized, "invalid_client")
			return true
		}
		w.Header().Set("content-type", "application/json")
		w.Write(e.tokenAnswer)
	case strings.HasPrefix(r.URL.Path, ebayKeyPath):
		scheme, token, _ := strings.Cut(r.Header.Get("authorization"), " ")
		key, known := e.keys[strings.TrimPrefix(r.URL.Path, ebayKeyPath)]
		switch {
		case r.Method != "GET" || !strings.EqualFold(scheme, "Bearer") || token != e.token:
			ebayError(w, http.StatusUnauthorized, "invalid_token")
		case !known:
			ebayError(w, http.StatusNotFound, "no key for the kid")
		default:
			w.Header().Set("content-type", "application/json")
			w.Write(key)
		}
	default:
		return false
	}
	return true
}

// tokenAsked reports whether r asks for an application token as eBay
// wants: the application's Basic credentials, and the client-credentials
// form for the public scope.
func (e *ebayAPI) tokenAsked(r *http.Request, body []byte) bool {
	id, secret, ok := r.BasicAuth()
	form, err := url.ParseQuery(string(body))
	mediaType, _, _ := strings.Cut(r.Header.Get("content-type"), ";")
	return ok && id == e.clientID && secret == e.secret && err == nil && maps.EqualFunc(form, ebayTokenForm, slices.Equal[[]string]) &&
		strings.EqualFold(strings.TrimSpace(mediaType), "application/x-www-form-urlencoded")
}

func ebayError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": message})
}
