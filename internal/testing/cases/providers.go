package cases

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
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
	Name   string `json:"name"`
	Preset string `json:"preset"`
	Oracle string `json:"oracle"`
	Secret string `json:"secret"`
	// SigningKey, for a public-key preset, is the private key the vector
	// was signed with (test keys); Secret is then the route's public key.
	SigningKey string            `json:"signing_key,omitempty"`
	Method     string            `json:"method"`
	URL        string            `json:"url"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
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
	// Handshakes are provider challenges a route with "handshake": true
	// answers itself, each with the answer the provider expects.
	Handshakes []Handshake `json:"handshakes"`
	// OursVerified says, per preset, whether the provider's SDK verified
	// the request verify.Sign made (ours.json).
	OursVerified map[string]struct {
		Oracle   string `json:"oracle"`
		Verified bool   `json:"verified"`
	} `json:"ours_verified"`
}

// Handshake is one provider challenge: the request and the JSON answer.
type Handshake struct {
	ProviderVector
	Answer map[string]string `json:"answer"`
	// AnswerText is a plain-text answer (Braintree's), instead of Answer.
	AnswerText string `json:"answer_text"`
	// Unsigned: the provider does not sign the challenge (X's CRC,
	// Braintree's, Graph's validation), so without the handshake it is
	// refused.
	Unsigned bool `json:"unsigned"`
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
	info, _ := verify.LookupPreset(v.Preset)
	return Case{Name: v.Name, Method: v.Method, Path: v.Path(), Header: v.Header(), Body: []byte(v.Body), Now: now, WantStatus: 200,
		WantAuthenticate: info.Kind == verify.KindBasic} // a Basic route's 401s challenge
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
		if info, _ := verify.LookupPreset(v.Preset); info.SignsBody() { // credentials, and some JWTs, do not cover it
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

// signatureHeaders are where a preset's signatures (or token) are, for
// tampering; none for Mailgun, which signs in the body.
func signatureHeaders(preset string) []string {
	info, _ := verify.LookupPreset(preset)
	return info.SignatureHeaders
}

// tamperSignature changes one character of each signature header the
// vector carries (the last hex or base64 digit before any padding): for a
// preset that reads several (DocuSign's one per key), every one.
func tamperSignature(v ProviderVector) ([]verify.Field, bool) {
	names := signatureHeaders(v.Preset)
	h := v.Header()
	tampered := false
	for i := range h {
		if !slices.Contains(names, h[i].Name) {
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
		h[i].Value, tampered = string(s), true
	}
	return h, tampered
}

// RoutedCases are ProviderCases and SignedCases as a plugin configured by
// RouteConfig must answer them: each sent to its vector's authority, and,
// when let through, marked with the route and the key that matched.
func RoutedCases(f ProviderFile) []Case {
	authority := map[string]string{}
	preset := map[string]string{}
	for _, v := range f.Vectors {
		authority[v.Name], preset[v.Name] = v.Authority(), v.Preset
		authority[v.Preset], preset[v.Preset] = v.Authority(), v.Preset
	}
	ids := KeyIDs(f)
	all := append(append(ProviderCases(f), SignedCases(f)...), HandshakeCases(f)...)
	for _, h := range f.Handshakes {
		authority[h.Name] = h.Authority()
	}
	for i := range all {
		vector := strings.SplitN(all[i].Name, "/", 2)[0]
		all[i].Authority = authority[vector]
		if !all[i].CheckVerified {
			all[i].WantVerified, all[i].CheckVerified = "route="+preset[vector]+"; key="+ids[vector], true
		}
	}
	return all
}

// Signing is the key the vector was signed with: its secret, or for a
// public-key preset its private key.
func (v ProviderVector) Signing() string {
	if v.SigningKey != "" {
		return v.SigningKey
	}
	return v.Secret
}

// HandshakeCases are the provider handshakes, for RouteConfig's routes
// (which set "handshake": true): each answered by the filter as the
// provider expects; with its signature tampered (where signed), refused;
// X's CRC GET without a token, refused as unsigned; and
// HandshakeOracleCases.
func HandshakeCases(f ProviderFile) []Case {
	now := f.Time()
	var out []Case
	for _, h := range f.Handshakes {
		c := h.Case(now)
		c.Method = h.Method
		if c.WantAnswerText = h.AnswerText; c.WantAnswerText == "" {
			if c.WantAnswer, _ = json.Marshal(h.Answer); c.WantAnswer == nil {
				panic("handshake answer")
			}
		}
		out = append(out, c)
		if tampered, ok := tamperSignature(h.ProviderVector); ok {
			c.Name, c.Header, c.WantAnswer, c.WantAnswerText, c.WantStatus = h.Name+"/tampered signature", tampered, nil, "", 401
			out = append(out, c)
		} else {
			c.Name, c.Path, c.WantAnswer, c.WantAnswerText, c.WantStatus = h.Name+"/no token", "/hooks/"+h.Preset, nil, "", 401
			out = append(out, c)
		}
	}
	return append(out, HandshakeOracleCases(f)...)
}

// RotatedSecret is the second key RouteConfig gives each preset's route,
// listed before the vectors' own: a secret being rotated out.
func RotatedSecret(preset string) string { return OtherKey(preset, "rotated") }

// OtherKey is a route key for preset that signs none of the vectors, made
// from label: a secret, or for a public-key preset a public key.
func OtherKey(preset, label string) string { return routeKey(preset, secretFor(preset, label)) }

// secretFor makes a key of the form preset's senders sign with: a secret,
// or for a public-key preset a private key (hex).
func secretFor(preset, label string) string {
	info, _ := verify.LookupPreset(preset)
	switch {
	case info.Kind == "public-key":
		sum := sha256.Sum256([]byte(label + "-key-for-" + preset))
		return hex.EncodeToString(sum[:])
	case info.SecretEncoding == verify.Whsec:
		return "whsec_" + base64.StdEncoding.EncodeToString([]byte(label+"-key-for-"+preset))
	case info.Kind == verify.KindBasic:
		return label + ":password-for-" + preset
	case info.SecretEncoding == verify.Base64Secret:
		return base64.StdEncoding.EncodeToString([]byte(label + "-key-for-" + preset))
	case info.SecretEncoding == verify.HexSecret:
		return hex.EncodeToString([]byte(label + "-key-for-" + preset))
	}
	return label + "-secret-0123456789abcdef-" + preset
}

// routeKey is the key a route holds for a sender signing with signing:
// the secret itself, or the public key of a private one.
func routeKey(preset, signing string) string {
	if info, _ := verify.LookupPreset(preset); info.Kind != "public-key" && !strings.HasPrefix(signing, "whsk_") {
		return signing
	}
	pub, err := verify.PublicKeyFor(preset, signing)
	if err != nil {
		panic(err)
	}
	return pub
}

// KeyIDs names, per vector, the key RouteConfig gives its secret: "k1"
// for the first vector of each preset, "k2", "k3" … for further vectors
// signed under other keys (Standard Webhooks' v1a public key).
func KeyIDs(f ProviderFile) map[string]string {
	ids := map[string]string{}
	byPreset := map[string][]string{}
	for _, v := range f.Vectors {
		i := slices.Index(byPreset[v.Preset], v.Secret)
		if i < 0 {
			byPreset[v.Preset] = append(byPreset[v.Preset], v.Secret)
			i = len(byPreset[v.Preset]) - 1
		}
		ids[v.Name] = "k" + strconv.Itoa(i+1)
	}
	return ids
}

// RouteConfig returns a plugin configuration with one route per vector
// preset at /hooks/<preset>, each with the keys "k0" (RotatedSecret, from
// HOOKGUARD_TEST_<PRESET>_OLD), "k1" (the vectors' secret, from
// HOOKGUARD_TEST_<PRESET>) and, where a preset's vectors use more secrets,
// "k2" … (KeyIDs; HOOKGUARD_TEST_<PRESET>_K2 …), and the environment it
// needs.
func RouteConfig(f ProviderFile) (string, map[string]string) {
	env := map[string]string{}
	var routes []string
	var presets []string
	keys := map[string][]string{}
	ids := KeyIDs(f)
	for _, v := range f.Vectors {
		name := "HOOKGUARD_TEST_" + strings.ToUpper(strings.ReplaceAll(v.Preset, "-", "_"))
		if _, ok := keys[v.Preset]; !ok {
			presets = append(presets, v.Preset)
			env[name+"_OLD"] = RotatedSecret(v.Preset)
			keys[v.Preset] = []string{`{"id":"k0","env":` + strconv.Quote(name+"_OLD") + `}`}
		}
		id := ids[v.Name]
		if id != "k1" {
			name += "_" + strings.ToUpper(id)
		}
		if _, ok := env[name]; !ok {
			env[name] = v.Secret
			keys[v.Preset] = append(keys[v.Preset], `{"id":`+strconv.Quote(id)+`,"env":`+strconv.Quote(name)+`}`)
		}
	}
	handshakes := map[string]string{} // preset: its handshake's method
	for _, h := range f.Handshakes {
		handshakes[h.Preset] = h.Method
	}
	for _, p := range presets {
		if handshakes[p] == "GET" { // an unsigned GET (X's CRC, Braintree's challenge) is answered with the first key: the current one, k1
			keys[p] = append(keys[p][1:], keys[p][0])
		}
		handshake := ""
		if handshakes[p] != "" {
			handshake = `,"handshake":true` // the vectors are not handshake events: they still go upstream
		}
		routes = append(routes, `{"name":`+strconv.Quote(p)+`,"match":{"path":"/hooks/`+p+`"},"scheme":`+
			strconv.Quote(p)+`,"secrets":[`+strings.Join(keys[p], ",")+`]`+handshake+`}`)
	}
	return `{"routes":[` + strings.Join(routes, ",") + `]}`, env
}

// SignedCases are the cases verify.Sign makes for each vector's preset,
// for a route configured as RouteConfig configures it: signed under a
// secret the route lacks; under the rotated key (reported as k0); at the
// edges of the preset's tolerance and a second past them, both ways; with
// a bogus signature beside the valid one, for headers that list several;
// and with a malformed signature. Each carries the X-Hookguard-Verified
// the upstream must see.
func SignedCases(f ProviderFile) []Case {
	now := f.Time()
	var out []Case
	seen := map[string]bool{}
	for _, v := range f.Vectors {
		if seen[v.Preset] {
			continue
		}
		seen[v.Preset] = true
		info, _ := verify.LookupPreset(v.Preset)
		h := info.HMAC
		sign := func(name, secret string, at time.Time, status int, key string) Case {
			c := signedCase(v, name, secret, now, at)
			c.WantStatus = status
			if status == 200 {
				c.WantVerified = "route=" + v.Preset + "; key=" + key
			}
			c.CheckVerified = true
			return c
		}
		out = append(out,
			sign("wrong secret", secretFor(v.Preset, "unknown"), now, 401, ""),
			sign("rotated key", secretFor(v.Preset, "rotated"), now, 200, "k0"),
			sign("current key", v.Signing(), now, 200, "k1"),
		)
		tol, timed := h.Tolerance, h.TimestampHeader != "" || h.TimestampKey != "" || v.Preset == "linear"
		if v.Preset == "mailgun" {
			tol, timed = verify.DefaultTolerance, true
		}
		if timed {
			out = append(out,
				sign("1 s inside -tolerance", v.Signing(), now.Add(-tol+time.Second), 200, "k1"),
				sign("1 s inside +tolerance", v.Signing(), now.Add(tol-time.Second), 200, "k1"),
				sign("at -tolerance", v.Signing(), now.Add(-tol), 200, "k1"),
				sign("at +tolerance", v.Signing(), now.Add(tol), 200, "k1"),
				sign("1 s past -tolerance", v.Signing(), now.Add(-tol-time.Second), 401, ""),
				sign("1 s past +tolerance", v.Signing(), now.Add(tol+time.Second), 401, ""),
			)
		}
		if h.SignatureFormat == verify.KeyValue || h.SignatureFormat == verify.List {
			c := sign("several signatures, one valid", v.Signing(), now, 200, "k1")
			bogus := sign("bogus", secretFor(v.Preset, "unknown"), now, 401, "")
			sep := h.Separators
			if h.SignatureFormat == verify.List || sep == "" {
				sep = " "
				if h.SignatureFormat == verify.KeyValue {
					sep = ","
				}
			}
			name := h.SignatureHeaders[0]
			for i := range c.Header {
				if c.Header[i].Name == name {
					real := c.Header[i].Value
					if h.SignatureFormat == verify.KeyValue {
						real = real[strings.LastIndex(real, sep[:1])+1:]
					}
					c.Header[i].Value = bogus.Header[i].Value + sep[:1] + real
				}
			}
			out = append(out, c)
		}
		if names := signatureHeaders(v.Preset); len(names) > 0 {
			c := sign("malformed signature", v.Signing(), now, 401, "")
			for i := range c.Header {
				if c.Header[i].Name == names[0] {
					c.Header[i].Value = "%%not a signature%%"
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// signedCase is a request to v's route with a body of its own, which
// verify.SignRequest signs under secret at at, sent at now.
func signedCase(v ProviderVector, name, secret string, now, at time.Time) Case {
	c := v.Case(now)
	c.Name = v.Preset + "/" + name
	c.Body = []byte(`{"event":"signed by verify.Sign","n":1}`)
	if v.Preset == "linear" {
		c.Body = []byte(`{"event":"signed by verify.Sign","webhookTimestamp":` + strconv.FormatInt(at.UnixMilli(), 10) + `}`)
	}
	if ct := v.Headers["content-type"]; strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		c.Body = []byte("Body=signed+by+verify.Sign&n=1")
	}
	c.Header = []verify.Field{{Name: "content-type", Value: v.Headers["content-type"]}}
	hdr, body, err := verify.SignRequest(v.Preset, secret, c.Request(v.Authority()), c.Body, at)
	if err != nil {
		panic(err)
	}
	c.Body = body
	c.Header = append(c.Header, hdr...)
	return c
}

// GenericRouteConfig writes each HMAC and public-key preset of the vectors out in the
// generic model: one "hmac" route per preset at /hooks/<preset>, named
// <preset>-generic, with its secret from HOOKGUARD_TEST_<PRESET> (key k1).
// GenericCases are the cases it must answer.
func GenericRouteConfig(f ProviderFile) (string, map[string]string) {
	env := map[string]string{}
	var routes []map[string]any
	for _, p := range genericPresets(f) {
		info, _ := verify.LookupPreset(p)
		h := info.HMAC
		name := "HOOKGUARD_TEST_" + strings.ToUpper(strings.ReplaceAll(p, "-", "_"))
		for _, v := range f.Vectors {
			if _, set := env[name]; v.Preset == p && !set {
				env[name] = v.Secret // the first vector's: KeyIDs' k1
			}
		}
		route := map[string]any{"name": p + "-generic", "match": map[string]any{"path": "/hooks/" + p}, "scheme": "hmac",
			"secrets": []map[string]string{{"id": "k1", "env": name}}, "signature_header": h.SignatureHeaders[0],
			"tolerance_seconds": int64(h.Tolerance / time.Second), "secret_encoding": string(info.SecretEncoding)}
		if h.EverySignatureHeader {
			delete(route, "signature_header")
			route["signature_headers"], route["every_signature_header"] = h.SignatureHeaders, true
		}
		for field, value := range map[string]string{"algorithm": string(h.Algorithm), "encoding": string(h.Encoding),
			"signature_prefix": h.SignaturePrefix, "signature_format": string(h.SignatureFormat), "signature_key": h.SignatureKey,
			"timestamp_key": h.TimestampKey, "separators": h.Separators, "version_separator": h.VersionSeparator,
			"template": h.Template, "id_header": h.IDHeader, "event_id_field": h.EventIDField, "timestamp_header": h.TimestampHeader,
			"timestamp_format": string(h.TimestampFormat)} {
			if value != "" {
				route[field] = value
			}
		}
		routes = append(routes, route)
	}
	data, err := json.Marshal(map[string]any{"routes": routes})
	if err != nil {
		panic(err)
	}
	return string(data), env
}

// GenericCases are ProviderCases for the presets GenericRouteConfig writes
// out, marked with the generic routes' names.
func GenericCases(f ProviderFile) []Case {
	generic := map[string]bool{}
	for _, p := range genericPresets(f) {
		generic[p] = true
	}
	byName := map[string]ProviderVector{}
	for _, v := range f.Vectors {
		byName[v.Name] = v
	}
	ids := KeyIDs(f)
	var out []Case
	for _, c := range ProviderCases(f) {
		v := byName[strings.SplitN(c.Name, "/", 2)[0]]
		if !generic[v.Preset] || ids[v.Name] != "k1" {
			continue // the route has the preset's first key only
		}
		c.Authority, c.WantVerified, c.CheckVerified = v.Authority(), "route="+v.Preset+"-generic; key=k1", true
		out = append(out, c)
	}
	return out
}

// genericPresets are the vectors' presets of kind "hmac" or "public-key", sorted.
func genericPresets(f ProviderFile) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range f.Vectors {
		if info, _ := verify.LookupPreset(v.Preset); (info.Kind == "hmac" || info.Kind == "public-key") && !seen[v.Preset] {
			seen[v.Preset] = true
			out = append(out, v.Preset)
		}
	}
	sort.Strings(out)
	return out
}
