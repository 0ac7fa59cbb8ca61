package cases

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// ProviderVector is one request a provider's SDK (or, where none installs,
// Node's crypto following the provider's documentation) signed, from
// testdata/providers/vectors.json, made by gen.mjs beside it.
type ProviderVector struct {
	Name    string            `json:"name"`
	Preset  string            `json:"preset"`
	Oracle  string            `json:"oracle"`
	Secret  string            `json:"secret"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	// Source and PublicURL are set for published vectors: where the
	// vector was published, and the route's public_url it needs.
	Source    string `json:"source,omitempty"`
	PublicURL string `json:"public_url,omitempty"`
}

// ReadPublished reads testdata/providers/published.json: vectors from
// providers' own documentation, with old timestamps.
func ReadPublished() ([]ProviderVector, error) {
	data, err := os.ReadFile(filepath.Join(ProvidersDir(), "published.json"))
	if err != nil {
		return nil, err
	}
	var f struct {
		Vectors []ProviderVector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("published.json: %w", err)
	}
	return f.Vectors, nil
}

// ProviderFile is vectors.json.
type ProviderFile struct {
	Now     int64            `json:"now"`
	Vectors []ProviderVector `json:"vectors"`
	// OursVerified says, per preset, whether the provider's SDK verified
	// the request verify.Sign made (ours.json).
	OursVerified map[string]struct {
		Oracle   string `json:"oracle"`
		Verified bool   `json:"verified"`
	} `json:"ours_verified"`
}

// ProvidersDir returns testdata/providers.
func ProvidersDir() string { return filepath.Join(TestdataDir(), "..", "providers") }

// ReadProviders reads vectors.json.
func ReadProviders() (ProviderFile, error) {
	var f ProviderFile
	data, err := os.ReadFile(filepath.Join(ProvidersDir(), "vectors.json"))
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("vectors.json: %w", err)
	}
	if len(f.Vectors) == 0 {
		return f, fmt.Errorf("vectors.json: no vectors")
	}
	return f, nil
}

// Time is the file's signing time.
func (f ProviderFile) Time() time.Time { return time.Unix(f.Now, 0) }

// Path returns the vector's path with its query.
func (v ProviderVector) Path() string {
	u, err := url.Parse(v.URL)
	if err != nil {
		return "/"
	}
	return u.RequestURI()
}

// Authority returns the vector's host:port.
func (v ProviderVector) Authority() string {
	u, _ := url.Parse(v.URL)
	return u.Host
}

// Header returns the vector's headers, sorted by name.
func (v ProviderVector) Header() []verify.Field {
	names := make([]string, 0, len(v.Headers))
	for k := range v.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var h []verify.Field
	for _, k := range names {
		h = append(h, verify.Field{Name: strings.ToLower(k), Value: v.Headers[k]})
	}
	return h
}

// Case is the vector as it was signed: it must verify at now.
func (v ProviderVector) Case(now time.Time) Case {
	return Case{Name: v.Name, Method: v.Method, Path: v.Path(), Header: v.Header(), Body: []byte(v.Body), Now: now, WantStatus: 200}
}

// ProviderCases derives, from each vector, the cases every layer must get
// right: the vector itself, in one-byte and irregular chunks, with a
// tampered body, with one byte of its signature changed, and signed under a
// wrong secret; rotation cases are in RotationCases.
func ProviderCases(f ProviderFile) []Case {
	now := f.Time()
	var out []Case
	for _, v := range f.Vectors {
		valid := v.Case(now)
		out = append(out, valid)
		c := valid
		c.Name, c.Chunks = v.Name+"/one-byte chunks", ones(len(c.Body))
		out = append(out, c)
		c = valid
		c.Name, c.Chunks = v.Name+"/irregular chunks", []int{1, 7, 30, 2}
		out = append(out, c)
		if v.Preset != "gitlab" { // a token does not cover the body
			c = valid
			c.Name, c.Body, c.WantStatus = v.Name+"/tampered body", tamper(valid.Body), 401
			out = append(out, c)
		}
		if h, ok := tamperSignature(v); ok {
			c = valid
			c.Name, c.Header, c.WantStatus = v.Name+"/tampered signature", h, 401
			out = append(out, c)
		}
	}
	return out
}

// tamper changes one byte in the middle of a body, keeping it the same
// kind of document (a digit or letter becomes another).
func tamper(b []byte) []byte {
	out := append([]byte(nil), b...)
	for i := len(out) / 2; i < len(out); i++ {
		switch c := out[i]; {
		case c >= 'a' && c < 'z', c >= 'A' && c < 'Z', c >= '0' && c < '9':
			out[i] = c + 1
			return out
		}
	}
	return out
}

// signatureHeaders are where each preset's signature is, for tampering.
var signatureHeaders = map[string]string{
	"stripe": "stripe-signature", "github": "x-hub-signature-256", "standard-webhooks": "webhook-signature", "svix": "svix-signature",
	"twilio": "x-twilio-signature", "square": "x-square-hmacsha256-signature", "hubspot": "x-hubspot-signature-v3", "paddle": "paddle-signature",
	"orb": "x-orb-signature", "linear": "linear-signature", "pipes": "x-pipes-signature", "bitbucket": "x-hub-signature",
	"shopify": "x-shopify-hmac-sha256", "typeform": "typeform-signature", "woocommerce": "x-wc-webhook-signature", "xero": "x-xero-signature",
	"vercel": "x-vercel-signature", "intercom": "x-hub-signature", "slack": "x-slack-signature", "zoom": "x-zm-signature",
	"zendesk": "x-zendesk-webhook-signature", "tiktok": "tiktok-signature", "calendly": "calendly-webhook-signature",
	"mandrill": "x-mandrill-signature", "gitlab": "x-gitlab-token",
}

// tamperSignature changes one character of the signature (the last hex or
// base64 digit before any padding).
func tamperSignature(v ProviderVector) ([]verify.Field, bool) {
	name, ok := signatureHeaders[v.Preset]
	if !ok {
		return nil, false
	}
	h := v.Header()
	for i := range h {
		if h[i].Name != name {
			continue
		}
		s := []byte(h[i].Value)
		j := len(s) - 1
		for j > 0 && s[j] == '=' {
			j--
		}
		if s[j] == '0' {
			s[j] = '1' // a different digit in hex and base64 alike
		} else {
			s[j] = '0'
		}
		h[i].Value = string(s)
		return h, true
	}
	return nil, false
}

// RouteConfig returns a plugin configuration with one route per vector
// preset at /hooks/<preset>, secrets from HOOKGUARD_TEST_<PRESET>, and the
// environment it needs.
func RouteConfig(f ProviderFile) (string, map[string]string) {
	env := map[string]string{}
	var routes []string
	seen := map[string]bool{}
	for _, v := range f.Vectors {
		if seen[v.Preset] {
			continue
		}
		seen[v.Preset] = true
		name := "HOOKGUARD_TEST_" + strings.ToUpper(strings.ReplaceAll(v.Preset, "-", "_"))
		env[name] = v.Secret
		routes = append(routes, `{"name":`+strconv.Quote(v.Preset)+`,"match":{"path_prefix":"/hooks/`+v.Preset+`"},"scheme":`+
			strconv.Quote(v.Preset)+`,"secrets":[{"id":"k1","env":`+strconv.Quote(name)+`}]}`)
	}
	return `{"routes":[` + strings.Join(routes, ",") + `]}`, env
}
