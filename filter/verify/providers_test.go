package verify_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/testing/cases"
)

var zeroTime time.Time

func providers(t *testing.T) cases.ProviderFile {
	t.Helper()
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func preset(t testing.TB, name string, keys ...verify.Key) verify.Scheme {
	t.Helper()
	s, err := verify.Preset(name, verify.Options{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func runAt(s verify.Scheme, tc cases.Case, authority string) (string, error) {
	return run(s, tc, authority, verify.DefaultMaxBodyBytes)
}

// TestProviderVectors checks every request a provider's SDK (or its
// documentation, where no SDK installs) signed: it verifies, in any
// chunking, and fails with one byte of body or signature changed or under
// another secret.
func TestProviderVectors(t *testing.T) {
	f := providers(t)
	presets := map[string]bool{}
	for _, v := range f.Vectors {
		presets[v.Preset] = true
	}
	if len(presets) < 25 {
		t.Fatalf("vectors cover %d presets, want at least 25", len(presets))
	}
	byName := map[string]cases.ProviderVector{}
	for _, v := range f.Vectors {
		byName[v.Name] = v
	}
	for _, tc := range cases.ProviderCases(f) {
		v := byName[strings.SplitN(tc.Name, "/", 2)[0]]
		t.Run(tc.Name, func(t *testing.T) {
			id, err := runAt(preset(t, v.Preset, verify.Key{ID: "k1", Secret: []byte(v.Secret)}), tc, v.Authority())
			if tc.WantStatus == 200 {
				if err != nil || id != "k1" {
					t.Fatalf("got key %q, %v; want k1 (oracle: %s)", id, err, v.Oracle)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
		})
	}
	for _, tc := range cases.SignedCases(f) {
		v := byName[strings.SplitN(tc.Name, "/", 2)[0]]
		t.Run("signed/"+tc.Name, func(t *testing.T) {
			s := preset(t, v.Preset, verify.Key{ID: "k0", Secret: []byte(cases.RotatedSecret(v.Preset))}, verify.Key{ID: "k1", Secret: []byte(v.Secret)})
			id, err := runAt(s, tc, v.Authority())
			if tc.WantStatus != 200 {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if want := "route=" + v.Preset + "; key=" + id; err != nil || want != tc.WantVerified {
				t.Fatalf("got key %q, %v; want %s", id, err, tc.WantVerified)
			}
		})
	}
	for _, v := range f.Vectors {
		t.Run(v.Name+"/wrong secret", func(t *testing.T) {
			wrong := cases.OtherKey(v.Preset, "wrong")
			if _, err := runAt(preset(t, v.Preset, verify.Key{ID: "k1", Secret: []byte(wrong)}), v.Case(f.Time()), v.Authority()); err == nil {
				t.Fatal("accepted under the wrong secret")
			}
		})
		t.Run(v.Name+"/rotation", func(t *testing.T) {
			old := verify.Key{ID: "old", Secret: []byte(v.Secret)}
			other := verify.Key{ID: "new", Secret: []byte(cases.OtherKey(v.Preset, "another"))}
			for _, keys := range [][]verify.Key{{other, old}, {old, other}} {
				id, err := runAt(preset(t, v.Preset, keys...), v.Case(f.Time()), v.Authority())
				if err != nil || id != "old" {
					t.Fatalf("keys %s,%s: got %q, %v; want old", keys[0].ID, keys[1].ID, id, err)
				}
			}
		})
	}
}

// TestGenericModelExpressesPresets runs each HMAC preset's vectors
// through the preset written out in the generic model.
func TestGenericModelExpressesPresets(t *testing.T) {
	f := providers(t)
	n := 0
	for _, v := range f.Vectors {
		info, _ := verify.LookupPreset(v.Preset)
		if info.Kind != "hmac" && info.Kind != "public-key" || strings.HasPrefix(v.Secret, "whpk_") {
			continue // a v1a vector: the written-out standard-webhooks is its v1 form
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			h := info.HMAC
			keys, err := verify.DecodeKeys([]verify.Key{{ID: "g", Secret: []byte(v.Secret)}}, info.SecretEncoding)
			if h.Algorithm.IsPublicKey() {
				keys, err = verify.DecodePublicKeys([]verify.Key{{ID: "g", Secret: []byte(v.Secret)}}, h.Algorithm)
			}
			if err != nil {
				t.Fatal(err)
			}
			h.Keys = keys
			s, err := verify.NewHMAC(h)
			if err != nil {
				t.Fatal(err)
			}
			if id, err := runAt(s, v.Case(f.Time()), v.Authority()); err != nil || id != "g" {
				t.Fatalf("generic form: %q, %v", id, err)
			}
		})
	}
	if n < 20 {
		t.Fatalf("only %d presets written out generically", n)
	}
}

// TestTimestampTolerance signs with verify.Sign at the edges of each
// timestamped preset's tolerance, in both directions, with the clock
// pinned: nothing reads the wall clock.
func TestTimestampTolerance(t *testing.T) {
	now := time.Unix(1764547200, 0)
	body := []byte(`{"event":"tolerance"}`)
	for _, name := range verify.Presets() {
		info, _ := verify.LookupPreset(name)
		h := info.HMAC
		if info.Kind != "hmac" || (h.TimestampHeader == "" && h.TimestampKey == "") {
			continue
		}
		tol := h.Tolerance
		secret := "tolerance-secret-0123456789abcdef"
		if info.SecretEncoding == verify.Whsec {
			secret = "whsec_dG9sZXJhbmNlLXRvbGVyYW5jZS10b2xlcmFuY2U="
		}
		for _, tc := range []struct {
			name   string
			offset time.Duration
			ok     bool
		}{
			{"at -tolerance", -tol, true},
			{"at +tolerance", tol, true},
			{"1 s inside, past", -tol + time.Second, true},
			{"1 s past, old", -tol - time.Second, false},
			{"1 s past, future", tol + time.Second, false},
			{"far past", -24 * time.Hour, false},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				req := &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: "/hooks/" + name}
				hdr, err := verify.Sign(name, secret, req, body, now.Add(tc.offset))
				if err != nil {
					t.Fatal(err)
				}
				req.Header = hdr
				_, err = verify.Verify(preset(t, name, verify.Key{ID: "k", Secret: []byte(secret)}), req, body, now)
				if tc.ok && err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if !tc.ok && !errors.Is(err, verify.ErrTimestampOutOfTolerance) {
					t.Fatalf("got %v, want ErrTimestampOutOfTolerance", err)
				}
			})
		}
		t.Run(name+"/tolerance widened", func(t *testing.T) {
			req := &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: "/hooks/" + name}
			req.Header, _ = verify.Sign(name, secret, req, body, now.Add(-400*24*time.Hour))
			wide := 500 * 24 * time.Hour
			s, err := verify.Preset(name, verify.Options{Keys: []verify.Key{{ID: "k", Secret: []byte(secret)}}, Tolerance: &wide})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := verify.Verify(s, req, body, now); err != nil {
				t.Fatalf("an old delivery with a wide tolerance: %v", err)
			}
		})
	}
}

// TestMalformedHeaders checks each way a signature header can be wrong
// gets its own error, before any body byte.
func TestMalformedHeaders(t *testing.T) {
	now := time.Unix(1764547200, 0)
	key := verify.Key{ID: "k", Secret: []byte("malformed-secret-0123456789abcdef")}
	sw := verify.Key{ID: "k", Secret: []byte("whsec_bWFsZm9ybWVkLW1hbGZvcm1lZC1tYWxmb3JtZWQ=")}
	ts := "1764547200"
	hex64 := strings.Repeat("ab", 32)
	b64 := "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="
	for _, tc := range []struct {
		name, preset string
		key          verify.Key
		header       []verify.Field
		want         error
	}{
		{"stripe no v1", "stripe", key, []verify.Field{{Name: "stripe-signature", Value: "t=" + ts + ",v0=" + hex64}}, verify.ErrMalformedSignature},
		{"stripe no t", "stripe", key, []verify.Field{{Name: "stripe-signature", Value: "v1=" + hex64}}, verify.ErrMissingTimestamp},
		{"stripe two t", "stripe", key, []verify.Field{{Name: "stripe-signature", Value: "t=" + ts + ",t=" + ts + ",v1=" + hex64}}, verify.ErrMalformedTimestamp},
		{"stripe t not a number", "stripe", key, []verify.Field{{Name: "stripe-signature", Value: "t=NaN,v1=" + hex64}}, verify.ErrMalformedTimestamp},
		{"stripe t signed", "stripe", key, []verify.Field{{Name: "stripe-signature", Value: "t=+" + ts + ",v1=" + hex64}}, verify.ErrMalformedTimestamp},
		{"stripe pair without =", "stripe", key, []verify.Field{{Name: "stripe-signature", Value: "t=" + ts + ",v1"}}, verify.ErrMalformedSignature},
		{"stripe short v1", "stripe", key, []verify.Field{{Name: "stripe-signature", Value: "t=" + ts + ",v1=abcd"}}, verify.ErrMalformedSignature},
		{"stripe wrong v1 among several", "stripe", key, []verify.Field{{Name: "stripe-signature", Value: "t=" + ts + ",v1=" + hex64 + ",v1=" + strings.Repeat("cd", 32)}}, verify.ErrSignatureMismatch},
		{"github missing", "github", key, nil, verify.ErrMissingSignature},
		{"github no prefix", "github", key, []verify.Field{{Name: "x-hub-signature-256", Value: hex64}}, verify.ErrMalformedSignature},
		{"github sha1 not enabled", "github", key, []verify.Field{{Name: "x-hub-signature", Value: "sha1=" + strings.Repeat("ab", 20)}}, verify.ErrMissingSignature},
		{"github twice", "github", key, []verify.Field{{Name: "x-hub-signature-256", Value: "sha256=" + hex64}, {Name: "x-hub-signature-256", Value: "sha256=" + hex64}}, verify.ErrMalformedSignature},
		{"shopify both spellings", "shopify", key, []verify.Field{{Name: "x-shopify-hmac-sha256", Value: b64}, {Name: "shopify-hmac-sha256", Value: b64}}, verify.ErrMalformedSignature},
		{"sw only v1a", "standard-webhooks", sw, []verify.Field{{Name: "webhook-id", Value: "m"}, {Name: "webhook-timestamp", Value: ts}, {Name: "webhook-signature", Value: "v1a," + b64}}, verify.ErrMalformedSignature},
		{"sw no id", "standard-webhooks", sw, []verify.Field{{Name: "webhook-timestamp", Value: ts}, {Name: "webhook-signature", Value: "v1," + b64}}, verify.ErrMalformedSignature},
		{"sw no timestamp", "standard-webhooks", sw, []verify.Field{{Name: "webhook-id", Value: "m"}, {Name: "webhook-signature", Value: "v1," + b64}}, verify.ErrMissingTimestamp},
		{"sw ms timestamp", "standard-webhooks", sw, []verify.Field{{Name: "webhook-id", Value: "m"}, {Name: "webhook-timestamp", Value: ts + "000"}, {Name: "webhook-signature", Value: "v1," + b64}}, verify.ErrTimestampOutOfTolerance},
		{"sw bad base64", "standard-webhooks", sw, []verify.Field{{Name: "webhook-id", Value: "m"}, {Name: "webhook-timestamp", Value: ts}, {Name: "webhook-signature", Value: "v1,!!!!"}}, verify.ErrMalformedSignature},
		{"slack bad prefix", "slack", key, []verify.Field{{Name: "x-slack-request-timestamp", Value: ts}, {Name: "x-slack-signature", Value: "v1=" + hex64}}, verify.ErrMalformedSignature},
		{"too many signatures", "stripe", key, []verify.Field{{Name: "stripe-signature", Value: "t=" + ts + strings.Repeat(",v1="+hex64, 17)}}, verify.ErrMalformedSignature},
		{"gitlab wrong token", "gitlab", key, []verify.Field{{Name: "x-gitlab-token", Value: "nope"}}, verify.ErrUnauthorized},
		{"twilio bad base64", "twilio", key, []verify.Field{{Name: "x-twilio-signature", Value: "not base64"}}, verify.ErrMalformedSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &verify.Request{Method: "POST", Scheme: "https", Authority: "h", Path: "/", Header: tc.header}
			_, err := verify.Verify(preset(t, tc.preset, tc.key), req, []byte("{}"), now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestSeveralSignaturesOneValid checks that a header listing several
// signatures passes when any one matches (a sender rolling its secret).
func TestSeveralSignaturesOneValid(t *testing.T) {
	now := time.Unix(1764547200, 0)
	body := []byte(`{"rotating":true}`)
	req := &verify.Request{Method: "POST", Scheme: "https", Authority: "h", Path: "/"}
	for _, tc := range []struct{ preset, secret, other, header, sep string }{
		{"stripe", "whsec_stripe-rotation-0123456789", "whsec_stripe-other", "stripe-signature", ","},
		{"standard-webhooks", "whsec_cm90YXRpb24tcm90YXRpb24tcm90YXRpb24=", "whsec_b3RoZXItb3RoZXItb3RoZXItb3RoZXI=", "webhook-signature", " "},
		{"paddle", "pdl_ntfset_rotation_0123456789", "pdl_ntfset_other", "paddle-signature", ";"},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			hdr, err := verify.Sign(tc.preset, tc.secret, req, body, now)
			if err != nil {
				t.Fatal(err)
			}
			other, err := verify.Sign(tc.preset, tc.other, req, body, now)
			if err != nil {
				t.Fatal(err)
			}
			for i := range hdr {
				if hdr[i].Name == tc.header {
					real := hdr[i].Value
					if k := strings.LastIndex(real, tc.sep); k >= 0 {
						real = real[k+1:]
					}
					hdr[i].Value = other[i].Value + tc.sep + real
				}
			}
			r := *req
			r.Header = hdr
			if _, err := verify.Verify(preset(t, tc.preset, verify.Key{ID: "k", Secret: []byte(tc.secret)}), &r, body, now); err != nil {
				t.Fatalf("%v", err)
			}
		})
	}
}

// TestTokenAndBasic covers the schemes for senders that cannot sign.
func TestTokenAndBasic(t *testing.T) {
	keys := []verify.Key{{ID: "a", Secret: []byte("token-aaaaaaaaaaaaaaaa")}, {ID: "b", Secret: []byte("token-bbbbbbbbbbbbbbbb")}}
	bearer, _ := verify.NewToken(verify.Token{Bearer: true, Keys: keys})
	header, _ := verify.NewToken(verify.Token{Header: "X-Api-Key", Keys: keys})
	query, _ := verify.NewToken(verify.Token{Query: "token", Keys: keys})
	basic, _ := verify.NewBasic(verify.Basic{Keys: []verify.Key{{ID: "ops", Secret: []byte("hook:s3cret-pass")}}})
	for _, tc := range []struct {
		name   string
		s      verify.Scheme
		path   string
		header []verify.Field
		wantID string
		want   error
	}{
		{"bearer b", bearer, "/", []verify.Field{{Name: "authorization", Value: "Bearer token-bbbbbbbbbbbbbbbb"}}, "b", nil},
		{"bearer lower-case scheme", bearer, "/", []verify.Field{{Name: "authorization", Value: "bearer token-aaaaaaaaaaaaaaaa"}}, "a", nil},
		{"bearer wrong", bearer, "/", []verify.Field{{Name: "authorization", Value: "Bearer token-c"}}, "", verify.ErrUnauthorized},
		{"bearer prefix of a token", bearer, "/", []verify.Field{{Name: "authorization", Value: "Bearer token-aaaa"}}, "", verify.ErrUnauthorized},
		{"bearer missing", bearer, "/", nil, "", verify.ErrMissingSignature},
		{"bearer is basic", bearer, "/", []verify.Field{{Name: "authorization", Value: "Basic eDp5"}}, "", verify.ErrMalformedSignature},
		{"header a", header, "/", []verify.Field{{Name: "x-api-key", Value: "token-aaaaaaaaaaaaaaaa"}}, "a", nil},
		{"header twice", header, "/", []verify.Field{{Name: "x-api-key", Value: "token-aaaaaaaaaaaaaaaa"}, {Name: "x-api-key", Value: "x"}}, "", verify.ErrMalformedSignature},
		{"query", query, "/hook?x=1&token=token-bbbbbbbbbbbbbbbb", nil, "b", nil},
		{"query missing", query, "/hook?x=1", nil, "", verify.ErrMissingSignature},
		{"query twice", query, "/hook?token=token-bbbbbbbbbbbbbbbb&token=y", nil, "", verify.ErrMalformedSignature},
		{"basic", basic, "/", []verify.Field{{Name: "authorization", Value: "Basic aG9vazpzM2NyZXQtcGFzcw=="}}, "ops", nil},
		{"basic wrong password", basic, "/", []verify.Field{{Name: "authorization", Value: "Basic aG9vazp3cm9uZw=="}}, "", verify.ErrUnauthorized},
		{"basic not base64", basic, "/", []verify.Field{{Name: "authorization", Value: "Basic ***"}}, "", verify.ErrMalformedSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &verify.Request{Method: "POST", Scheme: "https", Authority: "h", Path: tc.path, Header: tc.header}
			c, err := tc.s.Begin(req, zeroTime)
			if err == nil && c.NeedsBody() {
				t.Fatal("a token check waits for the body")
			}
			id := ""
			if err == nil {
				id, err = c.Verify()
			}
			if !errors.Is(err, tc.want) || id != tc.wantID || (tc.want == nil && err != nil) {
				t.Fatalf("got %q, %v; want %q, %v", id, err, tc.wantID, tc.want)
			}
		})
	}
}

// TestTwilioURLVariants checks the URL is tried as sent, without its port
// and with the default port, and that public_url replaces it.
func TestTwilioURLVariants(t *testing.T) {
	const token = "twilio-auth-token-0123456789abcdef"
	body := []byte("Body=hi&From=%2B1555")
	form := verify.Field{Name: "content-type", Value: "application/x-www-form-urlencoded"}
	signAt := func(authority string) []verify.Field {
		h, _ := verify.Sign("twilio", token, &verify.Request{Scheme: "https", Authority: authority, Path: "/sms?x=1", Header: []verify.Field{form}}, body, zeroTime)
		return append(h, form)
	}
	s := preset(t, "twilio", verify.Key{ID: "t", Secret: []byte(token)})
	for _, tc := range []struct{ signed, received string }{
		{"example.test", "example.test:443"},
		{"example.test:443", "example.test"},
		{"example.test", "example.test"},
	} {
		req := &verify.Request{Method: "POST", Scheme: "https", Authority: tc.received, Path: "/sms?x=1", Header: signAt(tc.signed)}
		if _, err := verify.Verify(s, req, body, zeroTime); err != nil {
			t.Errorf("signed for %s, received at %s: %v", tc.signed, tc.received, err)
		}
	}
	// Behind a TLS-terminating proxy the request arrives as http on
	// another host; public_url restores what Twilio signed.
	proxied := &verify.Request{Method: "POST", Scheme: "http", Authority: "10.0.0.7:8080", Path: "/sms?x=1", Header: signAt("hooks.example.test")}
	if _, err := verify.Verify(s, proxied, body, zeroTime); err == nil {
		t.Fatal("verified a rewritten URL without public_url")
	}
	pub, _ := verify.Preset("twilio", verify.Options{Keys: []verify.Key{{ID: "t", Secret: []byte(token)}}, PublicURL: "https://hooks.example.test"})
	if _, err := verify.Verify(pub, proxied, body, zeroTime); err != nil {
		t.Fatalf("public_url: %v", err)
	}
	// A JSON body without bodySHA256 is not signed at all.
	json := &verify.Request{Method: "POST", Scheme: "https", Authority: "example.test", Path: "/sms?x=1", Header: []verify.Field{{Name: "content-type", Value: "application/json"}, signAt("example.test")[0]}}
	if _, err := verify.Verify(s, json, []byte(`{"a":1}`), zeroTime); !errors.Is(err, verify.ErrMalformedBody) {
		t.Fatalf("unsigned JSON body: %v", err)
	}
}

// oursFile is testdata/providers/ours.json: requests verify.Sign made, for
// gen.mjs to check with the providers' SDKs.
type oursFile struct {
	Requests []oursRequest `json:"requests"`
}

type oursRequest struct {
	Name   string `json:"name"`
	Preset string `json:"preset"`
	Secret string `json:"secret"`
	// PublicKey, for a public-key scheme, is the route's key; Secret is
	// then the private key Sign used.
	PublicKey string            `json:"public_key,omitempty"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      string            `json:"body"`
}

// sdkVerified are the presets whose SDK has a verifier gen.mjs runs.
// (standard-webhooks-v1a is standard-webhooks signed with a whsk_ key.)
var sdkVerified = []string{"brex", "clerk", "coinbase-commerce", "discord", "etsy", "github", "gocardless", "hubspot", "incident-io", "jira-connect",
	"line", "linear", "lithic", "messagebird", "modern-treasury", "monday", "mux", "netlify", "openai", "orb", "paddle", "polar", "pusher", "razorpay", "render",
	"replicate", "resend", "sendgrid", "square", "standard-webhooks", "standard-webhooks-v1a", "stripe", "stytch", "supabase",
	"svix", "telnyx", "twilio", "plivo", "vonage", "webflow", "workos"}

func makeOurs(t *testing.T, now time.Time) []byte {
	var f oursFile
	for _, entry := range sdkVerified {
		name := strings.TrimSuffix(entry, "-v1a")
		secret := "ours-secret-0123456789abcdef0123"
		switch entry {
		case "standard-webhooks", "svix", "openai", "replicate", "lithic", "resend", "clerk", "stytch", "brex", "render", "supabase", "etsy", "incident-io":
			secret = "whsec_b3Vycy1vdXJzLW91cnMtb3Vycy1vdXJzLW91cnM="
		case "stripe":
			secret = "whsec_ours0123456789abcdef"
		case "discord", "telnyx", "sendgrid":
			secret = "6f75727300000000000000000000000000000000000000000000000000000001" // a private key
		case "standard-webhooks-v1a":
			secret = "whsk_b3Vyc291cnNvdXJzb3Vyc291cnNvdXJzb3Vyc291cnM="
		}
		var public string
		if info, _ := verify.LookupPreset(name); info.Kind == "public-key" || entry == "standard-webhooks-v1a" {
			var err error
			if public, err = verify.PublicKeyFor(name, secret); err != nil {
				t.Fatal(err)
			}
		}
		body := `{"id":"ours_1","text":"héllo"}`
		if name == "linear" {
			body = `{"id":"ours_1","text":"héllo","webhookTimestamp":` + strconv.FormatInt(now.UnixMilli(), 10) + `}`
		}
		ct := "application/json"
		path := "/hooks/" + name
		if name == "twilio" || name == "plivo" {
			body, ct = "Body=h%C3%A9llo&From=%2B15551230000&To=%2B15559870000", "application/x-www-form-urlencoded"
		}
		if name == "plivo" {
			path += "?CallUUID=ours-1"
		}
		req := &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: path,
			Header: []verify.Field{{Name: "content-type", Value: ct}}}
		hdr, err := verify.Sign(name, secret, req, []byte(body), now)
		if err != nil {
			t.Fatal(err)
		}
		headers := map[string]string{"content-type": ct}
		for _, h := range hdr {
			headers[h.Name] = h.Value
		}
		f.Requests = append(f.Requests, oursRequest{Name: entry, Preset: name, Secret: secret, PublicKey: public, URL: verify.RequestURL(req, ""), Headers: headers, Body: body})
	}
	data, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return append(data, '\n')
}

// TestOursPassTheirVerifiers checks ours.json is what verify.Sign makes
// now, and that each provider's SDK verified it (gen.mjs recorded the
// verdicts in vectors.json).
func TestOursPassTheirVerifiers(t *testing.T) {
	f := providers(t)
	want := makeOurs(t, f.Time())
	path := filepath.Join(cases.ProvidersDir(), "ours.json")
	if os.Getenv("HOOKGUARD_UPDATE") != "" {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("ours.json is stale: run `HOOKGUARD_UPDATE=1 go test -run TestOursPassTheirVerifiers ./filter/verify`, then regenerate vectors.json")
	}
	for _, name := range sdkVerified {
		v, ok := f.OursVerified[name]
		if !ok || !v.Verified {
			t.Errorf("%s: the provider's SDK (%s) did not verify verify.Sign's request", name, v.Oracle)
		}
	}
}

// TestProviderVectorsAreCurrent reruns gen.mjs where Node and the SDKs
// (npm ci in testdata/providers) are installed.
func TestProviderVectorsAreCurrent(t *testing.T) { cases.CheckNodeGenerator(t, cases.ProvidersDir()) }

func TestRequestURL(t *testing.T) {
	req := &verify.Request{Scheme: "http", Authority: "10.0.0.7:8080", Path: "/hooks/square?x=1"}
	for _, tc := range []struct{ public, want string }{
		{"", "http://10.0.0.7:8080/hooks/square?x=1"},
		{"https://hooks.example.com", "https://hooks.example.com/hooks/square?x=1"},
		{"https://hooks.example.com/", "https://hooks.example.com/hooks/square?x=1"},
		{"https://example.com/webhook", "https://example.com/webhook?x=1"},
		{"https://example.com/webhook?a=b", "https://example.com/webhook?a=b"},
	} {
		if got := verify.RequestURL(req, tc.public); got != tc.want {
			t.Errorf("public_url %q: got %q, want %q", tc.public, got, tc.want)
		}
	}
}

// FuzzPresetHeaders feeds arbitrary header values and bodies to every
// preset: nothing panics, and nothing verifies that was not signed.
func FuzzPresetHeaders(f *testing.F) {
	f.Add("t=1764547200,v1=abc", "v1,abc v1a,def", "1764547200", `{"webhookTimestamp":1}`, uint8(0))
	f.Add("sha256=00", "", "", "token=x&signature=y", uint8(7))
	f.Fuzz(func(t *testing.T, sig, list, ts, body string, pick uint8) {
		now := time.Unix(1764547200, 0)
		names := verify.Presets()
		name := names[int(pick)%len(names)]
		keys := []verify.Key{{ID: "k", Secret: []byte(cases.OtherKey(name, "fuzz"))}}
		if name == "standard-webhooks" { // v1 and v1a
			pk, err := verify.PublicKeyFor(name, "whsk_ZnV6ei1mdXp6LWZ1enotZnV6ei1mdXp6LWZ1enotZnU=")
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, verify.Key{ID: "pk", Secret: []byte(pk)})
		}
		s := preset(t, name, keys...)
		var h []verify.Field
		for _, n := range []string{"x-pipes-signature", "x-hub-signature-256", "x-hub-signature", "stripe-signature", "webhook-signature",
			"svix-signature", "x-slack-signature", "x-shopify-hmac-sha256", "x-twilio-signature", "paddle-signature", "x-orb-signature",
			"tiktok-signature", "calendly-webhook-signature", "linear-signature", "x-hubspot-signature-v3", "x-zm-signature",
			"x-signature-ed25519", "telnyx-signature-ed25519", "x-twilio-email-event-webhook-signature"} {
			h = append(h, verify.Field{Name: n, Value: sig})
		}
		for _, n := range []string{"webhook-timestamp", "svix-timestamp", "x-slack-request-timestamp", "x-hubspot-request-timestamp",
			"x-zendesk-webhook-signature-timestamp", "x-orb-timestamp", "x-zm-request-timestamp",
			"x-signature-timestamp", "telnyx-timestamp", "x-twilio-email-event-webhook-timestamp"} {
			h = append(h, verify.Field{Name: n, Value: ts})
		}
		// Whatever the preset reads, from its own description: a preset
		// added later is fuzzed without this list learning of it.
		info, _ := verify.LookupPreset(name)
		has := func(n string) bool { return slices.ContainsFunc(h, func(f verify.Field) bool { return f.Name == n }) }
		for _, n := range info.SignatureHeaders {
			if n = strings.ToLower(n); !has(n) {
				h = append(h, verify.Field{Name: n, Value: sig})
			}
		}
		if n := strings.ToLower(info.HMAC.TimestampHeader); n != "" && !has(n) {
			h = append(h, verify.Field{Name: n, Value: ts})
		}
		h = append(h, verify.Field{Name: "webhook-id", Value: list}, verify.Field{Name: "svix-id", Value: list},
			verify.Field{Name: "content-type", Value: "application/x-www-form-urlencoded"})
		req := &verify.Request{Method: "POST", Scheme: "https", Authority: "h", Path: "/?bodySHA256=" + list, Header: h}
		if _, err := verify.Verify(s, req, []byte(body), now); err == nil {
			t.Fatalf("%s verified a request nobody signed", name)
		}
	})
}

// TestPublishedVectors checks the vectors providers publish in their own
// documentation: each verifies (with a tolerance wide enough for its old
// timestamp), and fails with a byte of its body changed or once its
// timestamp leaves the default tolerance.
func TestPublishedVectors(t *testing.T) {
	vectors, err := cases.ReadPublished()
	if err != nil {
		t.Fatal(err)
	}
	wide := 20 * 365 * 24 * time.Hour
	now := time.Unix(1764547200, 0) // 2025-12-01, years after every vector
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			s, err := verify.Preset(v.Preset, verify.Options{Keys: []verify.Key{{ID: "k", Secret: []byte(v.Secret)}}, Tolerance: &wide, PublicURL: v.PublicURL})
			if err != nil {
				t.Fatal(err)
			}
			tc := v.Case(now)
			if _, err := runAt(s, tc, v.Authority()); err != nil {
				t.Fatalf("%s: %v", v.Source, err)
			}
			tc.Body = tamper(tc.Body)
			if _, err := runAt(s, tc, v.Authority()); err == nil {
				t.Fatal("verified with a byte of the body changed")
			}
			info, _ := verify.LookupPreset(v.Preset)
			if info.HMAC.TimestampHeader != "" || info.HMAC.TimestampKey != "" {
				strict := preset(t, v.Preset, verify.Key{ID: "k", Secret: []byte(v.Secret)})
				if _, err := runAt(strict, v.Case(now), v.Authority()); !errors.Is(err, verify.ErrTimestampOutOfTolerance) {
					t.Fatalf("with the default tolerance: %v", err)
				}
			}
		})
	}
}

// tamper changes one byte of b.
func tamper(b []byte) []byte {
	out := append([]byte(nil), b...)
	out[len(out)/2] ^= 1
	return out
}

// TestLegacySHA1 checks GitHub's and Square's legacy HMAC-SHA1 headers are
// accepted only with AllowSHA1, and only when the current header is absent.
func TestLegacySHA1(t *testing.T) {
	const secret = "legacy-secret-0123456789abcdef0123"
	body := []byte(`{"legacy":true}`)
	sha1Sig := func(data string, enc verify.Encoding, prefix string) string {
		h := verify.HMAC{Algorithm: verify.SHA1, Encoding: enc, SignatureHeaders: []string{"x"}, SignaturePrefix: prefix, Template: "{url}{body}", Keys: []verify.Key{{Secret: []byte(secret)}}}
		if data == "" {
			h.Template = "{body}"
		}
		s, err := h.Sign(&verify.Request{Scheme: "https", Authority: "h.example", Path: "/sq"}, body, "")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		preset string
		header verify.Field
	}{
		{"github", verify.Field{Name: "x-hub-signature", Value: sha1Sig("", verify.Hex, "sha1=")}},
		{"square", verify.Field{Name: "x-square-signature", Value: sha1Sig("url", verify.Base64, "")}},
	} {
		req := &verify.Request{Method: "POST", Scheme: "https", Authority: "h.example", Path: "/sq", Header: []verify.Field{tc.header}}
		keys := []verify.Key{{ID: "k", Secret: []byte(secret)}}
		strict, _ := verify.Preset(tc.preset, verify.Options{Keys: keys})
		if _, err := verify.Verify(strict, req, body, zeroTime); !errors.Is(err, verify.ErrMissingSignature) {
			t.Errorf("%s without allow_sha1: %v", tc.preset, err)
		}
		legacy, _ := verify.Preset(tc.preset, verify.Options{Keys: keys, AllowSHA1: true})
		if _, err := verify.Verify(legacy, req, body, zeroTime); err != nil {
			t.Errorf("%s with allow_sha1: %v", tc.preset, err)
		}
		if _, err := verify.Verify(legacy, req, append(body, ' '), zeroTime); err == nil {
			t.Errorf("%s with allow_sha1 accepted a changed body", tc.preset)
		}
	}
}

// TestHubSpotURLForms checks a v3 signature over the URL with HubSpot's
// documented escapes decoded, and over it as received, both verify.
func TestHubSpotURLForms(t *testing.T) {
	const secret = "hubspot-client-secret-0123456789ab"
	now := time.Unix(1764547200, 0)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	body := []byte(`[{"eventId":1}]`)
	raw := "https://hooks.example.com/hubspot?redirect=https%3A%2F%2Fapp.example.com%2Fx&a=b%40c"
	decoded := "https://hooks.example.com/hubspot?redirect=https://app.example.com/x&a=b@c"
	s := preset(t, "hubspot", verify.Key{ID: "k", Secret: []byte(secret)})
	for _, signed := range []string{decoded, raw} {
		g := verify.HMAC{Encoding: verify.Base64, SignatureHeaders: []string{"x-hubspot-signature-v3"}, Template: "{method}{url}{body}{timestamp}",
			TimestampHeader: "x-hubspot-request-timestamp", TimestampFormat: verify.UnixMillis, PublicURL: signed, Keys: []verify.Key{{Secret: []byte(secret)}}}
		probe := &verify.Request{Method: "POST", Path: "/ignored", Header: []verify.Field{{Name: "x-hubspot-request-timestamp", Value: ts}}}
		sig, err := g.Sign(probe, body, ts)
		if err != nil {
			t.Fatal(err)
		}
		req := &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.example.com", Path: raw[len("https://hooks.example.com"):],
			Header: []verify.Field{{Name: "x-hubspot-request-timestamp", Value: ts}, {Name: "x-hubspot-signature-v3", Value: sig}}}
		if _, err := verify.Verify(s, req, body, now); err != nil {
			t.Errorf("signed over %s: %v", signed, err)
		}
		if _, err := verify.Verify(s, req, append(body, ' '), now); err == nil {
			t.Errorf("signed over %s: accepted a changed body", signed)
		}
	}
}

// identityOf verifies body with req through s and returns the delivery's
// identity, which must be of kind want (0: any).
func identityOf(t *testing.T, s verify.Scheme, req *verify.Request, body []byte, now time.Time, want verify.IdentityKind) verify.Identity {
	t.Helper()
	c, err := s.Begin(req, now)
	if err != nil {
		t.Fatal(err)
	}
	var d verify.Identified
	d.Reset(c)
	d.Write(body)
	if _, err := d.Verify(); err != nil {
		t.Fatal(err)
	}
	id, ok := d.Identity()
	if !ok || want != 0 && id.Kind != want {
		t.Fatalf("identity %v, %v; want kind %v", id, ok, want)
	}
	return id
}
