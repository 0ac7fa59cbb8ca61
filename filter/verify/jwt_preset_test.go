package verify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// jwtPresets are the presets of kind jwt, and whether each binds the body.
var jwtPresets = map[string]bool{"vonage": true, "netlify": true, "messagebird": true, "monday": false, "jira-connect": false}

const jwtSecret = "jwt-preset-secret-0123456789abcdef"

var jwtNow = time.Unix(1764547200, 0)

func jwtRequest(preset, query string) *verify.Request {
	path := "/hooks/" + preset
	if query != "" {
		path += "?" + query
	}
	return &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: path,
		Header: []verify.Field{{Name: "content-type", Value: "application/json"}}}
}

// signed returns req with the headers verify.SignRequest adds for body.
func signed(t *testing.T, preset, secret string, req *verify.Request, body []byte, at time.Time) *verify.Request {
	t.Helper()
	hdr, out, err := verify.SignRequest(preset, secret, req, body, at)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(body) {
		t.Fatal("SignRequest changed the body")
	}
	r := *req
	r.Header = append(append([]verify.Field(nil), req.Header...), hdr...)
	return &r
}

func jwtPreset(t *testing.T, name string, o verify.Options) verify.Scheme {
	t.Helper()
	if o.Keys == nil {
		o.Keys = []verify.Key{{ID: "k1", Secret: []byte(jwtSecret)}}
	}
	s, err := verify.Preset(name, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestJWTPresetsSignVerify: what SignRequest makes verifies, in chunks,
// under the current key and a rotated one; a changed body is refused by
// the presets that bind it and let through (as their Notes say) by those
// that do not; another secret is refused.
func TestJWTPresetsSignVerify(t *testing.T) {
	body := []byte(`{"event":"héllo","n":1}`)
	for name, bindsBody := range jwtPresets {
		t.Run(name, func(t *testing.T) {
			info, ok := verify.LookupPreset(name)
			if !ok || info.Kind != verify.KindJWT || info.JWT.BindsBody() != bindsBody {
				t.Fatalf("preset %s: kind %q, binds body %v", name, info.Kind, info.JWT.BindsBody())
			}
			req := signed(t, name, jwtSecret, jwtRequest(name, "b=2&a=1"), body, jwtNow)
			s := jwtPreset(t, name, verify.Options{Keys: []verify.Key{{ID: "old", Secret: []byte("another-secret-0123456789abcdef")}, {ID: "k1", Secret: []byte(jwtSecret)}}})
			c, err := s.Begin(req, jwtNow)
			if err != nil {
				t.Fatal(err)
			}
			if c.NeedsBody() != bindsBody {
				t.Errorf("NeedsBody %v", c.NeedsBody())
			}
			for _, b := range body {
				c.Write([]byte{b})
			}
			if id, err := c.Verify(); err != nil || id != "k1" {
				t.Fatalf("got %q, %v", id, err)
			}
			tampered := append([]byte(nil), body...)
			tampered[len(tampered)-2] = '2'
			_, err = verify.Verify(s, req, tampered, jwtNow)
			if bindsBody && !errors.Is(err, verify.ErrSignatureMismatch) || !bindsBody && err != nil {
				t.Errorf("tampered body: %v", err)
			}
			if _, err := verify.Verify(jwtPreset(t, name, verify.Options{Keys: []verify.Key{{ID: "w", Secret: []byte("wrong-secret-0123456789abcdef")}}}), req, body, jwtNow); !errors.Is(err, verify.ErrSignatureMismatch) {
				t.Errorf("wrong secret: %v", err)
			}
			// The stand-in key builds.
			if _, err := verify.Preset(name, verify.Options{Keys: []verify.Key{{ID: "unset", Secret: []byte(info.StandInKey)}}}); err != nil {
				t.Errorf("stand-in key: %v", err)
			}
		})
	}
}

// token is a compact HS* JWS of claims under key.
func token(alg string, key string, claims map[string]any) string {
	h := map[string]func() hash.Hash{"HS256": sha256.New, "HS384": sha512.New384, "HS512": sha512.New}[alg]
	b64 := base64.RawURLEncoding
	payload, _ := json.Marshal(claims)
	input := b64.EncodeToString([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + b64.EncodeToString(payload)
	m := hmac.New(h, []byte(key))
	m.Write([]byte(input))
	return input + "." + b64.EncodeToString(m.Sum(nil))
}

func hexSum(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestJWTPresetErrors checks each preset fails closed, with the sentinel
// that says why.
func TestJWTPresetErrors(t *testing.T) {
	body := `{"a":1}`
	now := jwtNow.Unix()
	url := "https://hooks.example.test/hooks/"
	canon := func(method, path string) string {
		return hexSum(verify.CanonicalRequest(&verify.Request{Method: method, Authority: "hooks.example.test", Path: path}, ""))
	}
	type tc struct {
		name, preset, header, value, body string
		opts                              verify.Options
		want                              error // nil: accepted
	}
	auth := func(word, tok string) string { return strings.TrimSpace(word + " " + tok) }
	vonage := func(c map[string]any) string { return auth("Bearer", token("HS256", jwtSecret, c)) }
	mb := func(alg string, c map[string]any) string {
		base := map[string]any{"iss": "MessageBird", "jti": "j1", "iat": now, "exp": now + 300, "url_hash": hexSum(url + "messagebird"), "payload_hash": hexSum(body)}
		for k, v := range c {
			if v == nil {
				delete(base, k)
			} else {
				base[k] = v
			}
		}
		return token(alg, jwtSecret, base)
	}
	jira := func(c map[string]any) string {
		base := map[string]any{"iss": "client", "iat": now, "exp": now + 180, "qsh": canon("POST", "/hooks/jira-connect")}
		for k, v := range c {
			if v == nil {
				delete(base, k)
			} else {
				base[k] = v
			}
		}
		return auth("JWT", token("HS256", jwtSecret, base))
	}
	ten := 10 * time.Minute
	cases := []tc{
		{name: "valid", preset: "vonage", header: "authorization", value: vonage(map[string]any{"iat": now - 299, "payload_hash": hexSum(body)})},
		{name: "iat 5 min old", preset: "vonage", header: "authorization", value: vonage(map[string]any{"iat": now - 300, "payload_hash": hexSum(body)})},
		{name: "iat too old", preset: "vonage", header: "authorization", value: vonage(map[string]any{"iat": now - 301, "payload_hash": hexSum(body)}), want: verify.ErrTimestampOutOfTolerance},
		{name: "iat too old, tolerance 10 min", preset: "vonage", opts: verify.Options{Tolerance: &ten}, header: "authorization", value: vonage(map[string]any{"iat": now - 599, "payload_hash": hexSum(body)})},
		{name: "iat in the future", preset: "vonage", header: "authorization", value: vonage(map[string]any{"iat": now + 61, "payload_hash": hexSum(body)}), want: verify.ErrTimestampOutOfTolerance},
		{name: "no iat", preset: "vonage", header: "authorization", value: vonage(map[string]any{"payload_hash": hexSum(body)}), want: verify.ErrMissingTimestamp},
		{name: "expired", preset: "vonage", header: "authorization", value: vonage(map[string]any{"iat": now, "exp": now - 61, "payload_hash": hexSum(body)}), want: verify.ErrTimestampOutOfTolerance},
		{name: "no payload_hash", preset: "vonage", header: "authorization", value: vonage(map[string]any{"iat": now}), want: verify.ErrMalformedSignature},
		{name: "payload_hash not hex", preset: "vonage", header: "authorization", value: vonage(map[string]any{"iat": now, "payload_hash": strings.Repeat("zz", 32)}), want: verify.ErrMalformedSignature},
		{name: "payload_hash of another body", preset: "vonage", header: "authorization", value: vonage(map[string]any{"iat": now, "payload_hash": hexSum(body + " ")}), want: verify.ErrSignatureMismatch},
		{name: "upper-case payload_hash", preset: "vonage", header: "authorization", value: vonage(map[string]any{"iat": now, "payload_hash": strings.ToUpper(hexSum(body))})},
		{name: "Basic", preset: "vonage", header: "authorization", value: "Basic dXNlcjpwYXNz", want: verify.ErrMissingSignature},
		{name: "no scheme word", preset: "vonage", header: "authorization", value: token("HS256", jwtSecret, map[string]any{"iat": now, "payload_hash": hexSum(body)}), want: verify.ErrMissingSignature},
		{name: "HS512, not accepted", preset: "vonage", header: "authorization", value: auth("Bearer", token("HS512", jwtSecret, map[string]any{"iat": now, "payload_hash": hexSum(body)})), want: verify.ErrSignatureMismatch},
		{name: "oversized token", preset: "vonage", header: "authorization", value: "Bearer " + strings.Repeat("a", 17<<10), want: verify.ErrMalformedSignature},
		{name: "missing", preset: "vonage", want: verify.ErrMissingSignature},

		{name: "valid, no time", preset: "netlify", header: "x-webhook-signature", value: token("HS256", jwtSecret, map[string]any{"iss": "netlify", "sha256": hexSum(body)})},
		{name: "valid with iat", preset: "netlify", header: "x-webhook-signature", value: token("HS256", jwtSecret, map[string]any{"iss": "netlify", "iat": now, "sha256": hexSum(body)})},
		{name: "another issuer", preset: "netlify", header: "x-webhook-signature", value: token("HS256", jwtSecret, map[string]any{"iss": "netlify2", "sha256": hexSum(body)}), want: verify.ErrUnauthorized},
		{name: "expired", preset: "netlify", header: "x-webhook-signature", value: token("HS256", jwtSecret, map[string]any{"iss": "netlify", "exp": now - 61, "sha256": hexSum(body)}), want: verify.ErrTimestampOutOfTolerance},
		{name: "body changed", preset: "netlify", header: "x-webhook-signature", body: `{"a":2}`, value: token("HS256", jwtSecret, map[string]any{"iss": "netlify", "sha256": hexSum(body)}), want: verify.ErrSignatureMismatch},
		{name: "alg none", preset: "netlify", header: "x-webhook-signature", value: "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"netlify","sha256":"`+hexSum(body)+`"}`)) + ".", want: verify.ErrSignatureMismatch},

		{name: "valid", preset: "messagebird", header: "messagebird-signature-jwt", value: mb("HS256", nil)},
		{name: "valid HS512", preset: "messagebird", header: "messagebird-signature-jwt", value: mb("HS512", nil)},
		{name: "valid HS384", preset: "messagebird", header: "messagebird-signature-jwt", value: mb("HS384", nil)},
		{name: "no jti", preset: "messagebird", header: "messagebird-signature-jwt", value: mb("HS256", map[string]any{"jti": nil}), want: verify.ErrMalformedSignature},
		{name: "no exp", preset: "messagebird", header: "messagebird-signature-jwt", value: mb("HS256", map[string]any{"exp": nil}), want: verify.ErrMissingTimestamp},
		{name: "expired past the SDK's 5 s", preset: "messagebird", header: "messagebird-signature-jwt", value: mb("HS256", map[string]any{"exp": now - 6}), want: verify.ErrTimestampOutOfTolerance},
		{name: "expired within 5 s", preset: "messagebird", header: "messagebird-signature-jwt", value: mb("HS256", map[string]any{"exp": now - 4})},
		{name: "another issuer", preset: "messagebird", header: "messagebird-signature-jwt", value: mb("HS256", map[string]any{"iss": "Bird"}), want: verify.ErrUnauthorized},
		{name: "another URL", preset: "messagebird", header: "messagebird-signature-jwt", value: mb("HS256", map[string]any{"url_hash": hexSum(url + "messagebird?x=1")}), want: verify.ErrSignatureMismatch},
		{name: "public URL", preset: "messagebird", opts: verify.Options{PublicURL: "https://public.example"}, header: "messagebird-signature-jwt", value: mb("HS256", map[string]any{"url_hash": hexSum("https://public.example/hooks/messagebird")})},
		{name: "no url_hash", preset: "messagebird", header: "messagebird-signature-jwt", value: mb("HS256", map[string]any{"url_hash": nil}), want: verify.ErrMalformedSignature},
		{name: "no payload_hash, empty body", preset: "messagebird", header: "messagebird-signature-jwt", body: "-", value: mb("HS256", map[string]any{"payload_hash": nil})},
		{name: "no payload_hash, a body", preset: "messagebird", header: "messagebird-signature-jwt", value: mb("HS256", map[string]any{"payload_hash": nil}), want: verify.ErrSignatureMismatch},
		{name: "payload_hash of the empty body", preset: "messagebird", header: "messagebird-signature-jwt", body: "-", value: mb("HS256", map[string]any{"payload_hash": hexSum("")})},
		{name: "body changed", preset: "messagebird", header: "messagebird-signature-jwt", body: `{"a":2}`, value: mb("HS256", nil), want: verify.ErrSignatureMismatch},

		{name: "valid", preset: "monday", header: "authorization", value: token("HS256", jwtSecret, map[string]any{"aud": url + "monday", "exp": now + 300, "iat": now})},
		{name: "another body (not bound)", preset: "monday", header: "authorization", body: `{"b":2}`, value: token("HS256", jwtSecret, map[string]any{"aud": url + "monday", "exp": now + 300})},
		{name: "another endpoint", preset: "monday", header: "authorization", value: token("HS256", jwtSecret, map[string]any{"aud": url + "other", "exp": now + 300}), want: verify.ErrUnauthorized},
		{name: "no aud", preset: "monday", header: "authorization", value: token("HS256", jwtSecret, map[string]any{"exp": now + 300}), want: verify.ErrUnauthorized},
		{name: "no exp", preset: "monday", header: "authorization", value: token("HS256", jwtSecret, map[string]any{"aud": url + "monday"}), want: verify.ErrMissingTimestamp},
		{name: "expired", preset: "monday", header: "authorization", value: token("HS256", jwtSecret, map[string]any{"aud": url + "monday", "exp": now - 61}), want: verify.ErrTimestampOutOfTolerance},
		{name: "Bearer", preset: "monday", header: "authorization", value: "Bearer " + token("HS256", jwtSecret, map[string]any{"aud": url + "monday", "exp": now + 300}), want: verify.ErrMalformedSignature},

		{name: "valid", preset: "jira-connect", header: "authorization", value: jira(nil)},
		{name: "lower-case scheme word", preset: "jira-connect", header: "authorization", value: "jwt " + strings.TrimPrefix(jira(nil), "JWT ")},
		{name: "Bearer", preset: "jira-connect", header: "authorization", value: "Bearer " + strings.TrimPrefix(jira(nil), "JWT "), want: verify.ErrMissingSignature},
		{name: "qsh of GET", preset: "jira-connect", header: "authorization", value: jira(map[string]any{"qsh": canon("GET", "/hooks/jira-connect")}), want: verify.ErrSignatureMismatch},
		{name: "qsh of another path", preset: "jira-connect", header: "authorization", value: jira(map[string]any{"qsh": canon("POST", "/hooks/jira")}), want: verify.ErrSignatureMismatch},
		{name: "qsh with a query", preset: "jira-connect", header: "authorization", value: jira(map[string]any{"qsh": canon("POST", "/hooks/jira-connect?a=1")}), want: verify.ErrSignatureMismatch},
		{name: "context-qsh", preset: "jira-connect", header: "authorization", value: jira(map[string]any{"qsh": "context-qsh"}), want: verify.ErrSignatureMismatch},
		{name: "no qsh", preset: "jira-connect", header: "authorization", value: jira(map[string]any{"qsh": nil}), want: verify.ErrMalformedSignature},
		{name: "no iss", preset: "jira-connect", header: "authorization", value: jira(map[string]any{"iss": nil}), want: verify.ErrMalformedSignature},
		{name: "expired", preset: "jira-connect", header: "authorization", value: jira(map[string]any{"exp": now - 61}), want: verify.ErrTimestampOutOfTolerance},
		{name: "another body (not bound)", preset: "jira-connect", header: "authorization", body: `{"b":2}`, value: jira(nil)},
	}
	for _, c := range cases {
		t.Run(c.preset+"/"+c.name, func(t *testing.T) {
			req := jwtRequest(c.preset, "")
			if c.header != "" {
				req.Header = append(req.Header, verify.Field{Name: c.header, Value: c.value})
			}
			b := c.body
			switch b {
			case "":
				b = body
			case "-":
				b = ""
			}
			_, err := verify.Verify(jwtPreset(t, c.preset, c.opts), req, []byte(b), jwtNow)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

// TestCanonicalRequest checks the canonical requests atlassian-jwt 2.0.3's
// createCanonicalRequest(fromMethodAndUrl(method, url)) made (node, in
// testdata/providers).
func TestCanonicalRequest(t *testing.T) {
	for _, c := range [][3]string{
		{"POST", "/hooks/x", "POST&/hooks/x&"},
		{"get", "/", "GET&/&"},
		{"POST", "/a/b/?z=1&y=2", "POST&/a/b&y=2&z=1"},
		{"PUT", "/p&q?jwt=abc&a=%2B+%20&a=b&a=A", "PUT&/p%26q&a=%2B%20%20,A,b"},
		{"POST", "/hooks/jira-connect?user_id=u1&tag=b+c&tag=%C3%A9&flag", "POST&/hooks/jira-connect&flag=&tag=b%20c,%C3%A9&user_id=u1"},
		{"POST", "/x?a=%zz&b=~-._!(*)%27", "POST&/x&a=%25zz&b=~-._%21%28%2A%29%27"},
		{"DELETE", "/x?=v&k=", "DELETE&/x&=v&k="},
	} {
		req := &verify.Request{Method: c[0], Scheme: "https", Authority: "h", Path: c[1]}
		if got := verify.CanonicalRequest(req, ""); got != c[2] {
			t.Errorf("%s %s: got %q, want %q", c[0], c[1], got, c[2])
		}
	}
	// With a public URL, its path is the one signed.
	req := &verify.Request{Method: "POST", Authority: "internal:8080", Path: "/internal?b=1&a=2"}
	if got := verify.CanonicalRequest(req, "https://public.example/hooks/jira"); got != "POST&/hooks/jira&a=2&b=1" {
		t.Errorf("public URL: %q", got)
	}
}

// TestJWTPresetVectors runs the vectors of vectors.json of the jwt
// presets (gen-jwt-more.mjs) the way TestProviderVectors does, for the
// presets that do not bind the body too: the body may change, the URL,
// the token and the secret may not.
func TestJWTPresetVectors(t *testing.T) {
	f := providers(t)
	n := 0
	for _, v := range f.Vectors {
		bindsBody, ok := jwtPresets[v.Preset]
		if !ok {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			tc := v.Case(f.Time())
			s := preset(t, v.Preset, verify.Key{ID: "k1", Secret: []byte(v.Secret)})
			if id, err := runAt(s, tc, v.Authority()); err != nil || id != "k1" {
				t.Fatalf("got %q, %v (oracle %s)", id, err, v.Oracle)
			}
			other := tc
			other.Body = []byte(strings.Replace(string(tc.Body), "é", "e", 1))
			if _, err := runAt(s, other, v.Authority()); bindsBody != (err != nil) {
				t.Errorf("another body: %v", err)
			}
			moved := tc
			moved.Path = strings.Replace(tc.Path, "/hooks/", "/hooks/x", 1)
			if _, err := runAt(s, moved, v.Authority()); err == nil && v.Preset != "vonage" && v.Preset != "netlify" {
				t.Error("accepted at another path")
			}
			if _, err := runAt(s, tc, v.Authority()); err != nil {
				t.Fatal(err)
			}
			if _, err := runAt(s, tc, v.Authority()); err != nil {
				t.Fatal(err)
			}
			late := tc
			late.Now = f.Time().Add(time.Hour)
			if _, err := runAt(s, late, v.Authority()); v.Preset != "netlify" && !errors.Is(err, verify.ErrTimestampOutOfTolerance) {
				t.Errorf("an hour later: %v", err)
			}
		})
	}
	if n == 0 {
		t.Skip("vectors.json has no jwt-preset vectors yet: run gen.mjs --write in testdata/providers")
	}
}

// TestJWTPresetIdentity: a delivery's identity is its token's signed
// bytes with its body, so a copy is the same delivery, and another body
// under the same token (monday, jira-connect) is not.
func TestJWTPresetIdentity(t *testing.T) {
	for name := range jwtPresets {
		t.Run(name, func(t *testing.T) {
			s := jwtPreset(t, name, verify.Options{})
			req := signed(t, name, jwtSecret, jwtRequest(name, ""), []byte(`{"a":1}`), jwtNow)
			identify := func(body string) verify.Identity {
				return identityOf(t, s, req, []byte(body), jwtNow, verify.IdentitySignedContent)
			}
			if first, copied := identify(`{"a":1}`), identify(`{"a":1}`); first != copied {
				t.Error("a copy is another delivery")
			}
			if !jwtPresets[name] && identify(`{"a":1}`) == identify(`{"a":2}`) {
				t.Error("another body under the same token is the same delivery")
			}
			again := signed(t, name, jwtSecret, jwtRequest(name, ""), []byte(`{"a":1}`), jwtNow.Add(time.Second))
			info, _ := verify.LookupPreset(name)
			if same := again.Header[1].Value == req.Header[1].Value; same == info.JWT.SignsTime() {
				t.Errorf("signed again a second later: same token %v, SignsTime %v", same, info.JWT.SignsTime())
			}
		})
	}
}

// TestJWTPresetIdentityIgnoresClaimOrder: Netlify signs no time, so a
// retry it signs again carries the same claims, perhaps in another order
// or spacing (another JSON encoder): the same delivery.
func TestJWTPresetIdentityIgnoresClaimOrder(t *testing.T) {
	body := `{"a":1}`
	raw := func(payload string) string {
		b64 := base64.RawURLEncoding
		input := b64.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256"}`)) + "." + b64.EncodeToString([]byte(payload))
		m := hmac.New(sha256.New, []byte(jwtSecret))
		m.Write([]byte(input))
		return input + "." + b64.EncodeToString(m.Sum(nil))
	}
	s := jwtPreset(t, "netlify", verify.Options{})
	var ids []verify.Identity
	for _, payload := range []string{`{"sha256":"` + hexSum(body) + `","iss":"netlify"}`, `{ "iss": "netlify", "sha256": "` + hexSum(body) + `" }`} {
		req := jwtRequest("netlify", "")
		req.Header = append(req.Header, verify.Field{Name: "x-webhook-signature", Value: raw(payload)})
		ids = append(ids, identityOf(t, s, req, []byte(body), jwtNow, 0))
	}
	if ids[0] != ids[1] {
		t.Error("the same claims in another order are another delivery")
	}
}
