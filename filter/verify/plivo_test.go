package verify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

var plivoNow = time.Unix(1764547200, 0)

const plivoToken = "plivo-auth-token-0123456789"

func plivoSig(token, signed string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte(signed))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// plivoRequest is a request to rawURL (scheme, authority and path with its
// query) with headers.
func plivoRequest(t *testing.T, method, rawURL, contentType string, headers ...string) *verify.Request {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	req := &verify.Request{Method: method, Scheme: u.Scheme, Authority: u.Host, Path: u.RequestURI()}
	if contentType != "" {
		req.Header = append(req.Header, verify.Field{Name: "content-type", Value: contentType})
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header = append(req.Header, verify.Field{Name: headers[i], Value: headers[i+1]})
	}
	return req
}

const formType = "application/x-www-form-urlencoded"

// TestPlivoSignedString checks the string hookguard signs against strings
// plivo 4.79.0's validateV3Signature accepted (each checked with the SDK
// when this test was written: validateV3Signature(method, url, nonce,
// "tok", base64 HMAC-SHA256 of the string, params) was true).
func TestPlivoSignedString(t *testing.T) {
	for _, tc := range []struct {
		name, method, url, body, signed string
	}{
		{"query and form", "POST", "https://h.test/cb?b=2&a=x%20y&a=%C3%A9", "Text=hi&From=%2B1&B=z&B=a",
			"https://h.test/cb?a=x y&a=é&b=2.BaBzFrom+1Texthi.n1"},
		{"form only", "POST", "https://h.test/cb", "Text=hi", "https://h.test/cb?Texthi.n1"},
		{"query only, empty form", "POST", "https://h.test/cb?q=1", "", "https://h.test/cb?q=1.n1"},
		{"neither", "POST", "https://h.test/cb", "", "https://h.test/cb.n1"},
		{"GET, port kept", "GET", "https://h.test:8443/cb?z=1&y=2", "", "https://h.test:8443/cb?y=2&z=1.n1"},
		{"JavaScript's sort order", "POST", "https://h.test/cb?e", "%F0%9F%98%80=1&%EF%BC%81=2", "https://h.test/cb?e=.\U0001F6001\uFF012.n1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := ""
			if tc.method == "POST" {
				ct = formType
			}
			req := plivoRequest(t, tc.method, tc.url, ct, "x-plivo-signature-v3", plivoSig("tok", tc.signed), "x-plivo-signature-v3-nonce", "n1")
			if id, err := verify.Verify(preset(t, "plivo", verify.Key{ID: "k", Secret: []byte("tok")}), req, []byte(tc.body), plivoNow); err != nil || id != "k" {
				t.Fatalf("got %q, %v", id, err)
			}
		})
	}
}

func TestPlivo(t *testing.T) {
	const u = "https://hooks.example.test/hooks/plivo?flow=inbound"
	body := "From=%2B15551230000&Text=h%C3%A9llo&To=%2B15559870000"
	signed := "https://hooks.example.test/hooks/plivo?flow=inbound.From+15551230000TexthélloTo+15559870000.123456"
	sub, main := plivoSig(plivoToken, signed), plivoSig("main-account-token", signed)
	keys := []verify.Key{{ID: "sub", Secret: []byte(plivoToken)}, {ID: "main", Secret: []byte("main-account-token")}}
	s := preset(t, "plivo", keys...)
	verifyWith := func(s verify.Scheme, method, body string, headers ...string) (string, error) {
		return verify.Verify(s, plivoRequest(t, method, u, formType, headers...), []byte(body), plivoNow)
	}
	for _, tc := range []struct {
		name    string
		headers []string
		want    string
	}{
		{"V3", []string{"x-plivo-signature-v3", sub, "x-plivo-signature-v3-nonce", "123456"}, "sub"},
		{"V3 and Ma-V3", []string{"x-plivo-signature-v3", sub, "x-plivo-signature-ma-v3", main, "x-plivo-signature-v3-nonce", "123456"}, "sub"},
		{"Ma-V3 alone", []string{"x-plivo-signature-ma-v3", main, "x-plivo-signature-v3-nonce", "123456"}, "main"},
		{"a list, rotating", []string{"x-plivo-signature-ma-v3", plivoSig("old", signed) + "," + main, "x-plivo-signature-v3-nonce", "123456"}, "main"},
		{"a list with spaces", []string{"x-plivo-signature-v3", plivoSig("old", signed) + ", " + sub, "x-plivo-signature-v3-nonce", "123456"}, "sub"},
		{"unpadded", []string{"x-plivo-signature-v3", strings.TrimRight(sub, "="), "x-plivo-signature-v3-nonce", "123456"}, "sub"},
	} {
		if id, err := verifyWith(s, "POST", body, tc.headers...); err != nil || id != tc.want {
			t.Errorf("%s: got %q, %v; want %s", tc.name, id, err, tc.want)
		}
	}
	if _, err := verifyWith(preset(t, "plivo", verify.Key{ID: "sub", Secret: []byte(plivoToken)}), "POST", body,
		"x-plivo-signature-ma-v3", main, "x-plivo-signature-v3-nonce", "123456"); !errors.Is(err, verify.ErrSignatureMismatch) {
		t.Errorf("the main account's signature without its token: %v", err)
	}
	// The parameters in another order, escaped otherwise: the same.
	if _, err := verifyWith(s, "POST", "To=%2b15559870000&Text=h%c3%a9llo&From=%2B15551230000", "x-plivo-signature-v3", sub, "x-plivo-signature-v3-nonce", "123456"); err != nil {
		t.Errorf("reordered form: %v", err)
	}
	sixteen := strings.TrimSuffix(strings.Repeat(plivoSig("x", signed)+",", 15), ",")
	many := strings.TrimSuffix(strings.Repeat(plivoSig("x", signed)+",", 16), ",")
	for _, tc := range []struct {
		name, method, body string
		headers            []string
		want               error
	}{
		{"a body byte", "POST", strings.Replace(body, "llo", "llp", 1), []string{"x-plivo-signature-v3", sub, "x-plivo-signature-v3-nonce", "123456"}, verify.ErrSignatureMismatch},
		{"a parameter added", "POST", body + "&x=1", []string{"x-plivo-signature-v3", sub, "x-plivo-signature-v3-nonce", "123456"}, verify.ErrSignatureMismatch},
		{"another nonce", "POST", body, []string{"x-plivo-signature-v3", sub, "x-plivo-signature-v3-nonce", "123457"}, verify.ErrSignatureMismatch},
		{"a signature byte", "POST", body, []string{"x-plivo-signature-v3", "A" + sub[1:], "x-plivo-signature-v3-nonce", "123456"}, verify.ErrSignatureMismatch},
		{"sixteen wrong", "POST", body, []string{"x-plivo-signature-v3", sixteen, "x-plivo-signature-ma-v3", plivoSig("y", signed), "x-plivo-signature-v3-nonce", "123456"}, verify.ErrSignatureMismatch},
		{"seventeen", "POST", body, []string{"x-plivo-signature-v3", many, "x-plivo-signature-ma-v3", sub, "x-plivo-signature-v3-nonce", "123456"}, verify.ErrMalformedSignature},
		{"no signature", "POST", body, []string{"x-plivo-signature-v3-nonce", "123456"}, verify.ErrMissingSignature},
		{"blank signature", "POST", body, []string{"x-plivo-signature-v3", " ", "x-plivo-signature-v3-nonce", "123456"}, verify.ErrMissingSignature},
		{"V3 twice", "POST", body, []string{"x-plivo-signature-v3", sub, "x-plivo-signature-v3", sub, "x-plivo-signature-v3-nonce", "123456"}, verify.ErrMalformedSignature},
		{"not base64", "POST", body, []string{"x-plivo-signature-v3", "%%" + sub[2:], "x-plivo-signature-v3-nonce", "123456"}, verify.ErrMalformedSignature},
		{"an empty entry", "POST", body, []string{"x-plivo-signature-v3", sub + ",", "x-plivo-signature-v3-nonce", "123456"}, verify.ErrMalformedSignature},
		{"a SHA-1 length", "POST", body, []string{"x-plivo-signature-v3", base64.StdEncoding.EncodeToString(make([]byte, 20)), "x-plivo-signature-v3-nonce", "123456"}, verify.ErrMalformedSignature},
		{"no nonce", "POST", body, []string{"x-plivo-signature-v3", sub}, verify.ErrMalformedSignature},
		{"nonce twice", "POST", body, []string{"x-plivo-signature-v3", sub, "x-plivo-signature-v3-nonce", "123456", "x-plivo-signature-v3-nonce", "123456"}, verify.ErrMalformedSignature},
		{"a dot in the nonce", "POST", body, []string{"x-plivo-signature-v3", sub, "x-plivo-signature-v3-nonce", "1.23456"}, verify.ErrMalformedSignature},
		{"PUT", "PUT", body, []string{"x-plivo-signature-v3", sub, "x-plivo-signature-v3-nonce", "123456"}, verify.ErrSignatureMismatch},
		{"a form that does not parse", "POST", body + "&%zz", []string{"x-plivo-signature-v3", sub, "x-plivo-signature-v3-nonce", "123456"}, verify.ErrMalformedBody},
		{"a GET with a body", "GET", body, []string{"x-plivo-signature-v3", sub, "x-plivo-signature-v3-nonce", "123456"}, verify.ErrMalformedBody},
	} {
		if _, err := verifyWith(s, tc.method, tc.body, tc.headers...); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	// A body that is not a form is not signed: refused.
	req := plivoRequest(t, "POST", u, "application/json", "x-plivo-signature-v3", plivoSig(plivoToken, "https://hooks.example.test/hooks/plivo?flow=inbound.123456"), "x-plivo-signature-v3-nonce", "123456")
	if _, err := verify.Verify(s, req, []byte(`{"a":1}`), plivoNow); !errors.Is(err, verify.ErrMalformedBody) {
		t.Errorf("a JSON body: %v", err)
	}
	if _, err := verify.Verify(s, req, nil, plivoNow); err != nil {
		t.Errorf("the same request without a body: %v", err)
	}
	// A query that does not parse.
	bad := plivoRequest(t, "GET", "https://hooks.example.test/hooks/plivo", "", "x-plivo-signature-v3", sub, "x-plivo-signature-v3-nonce", "123456")
	bad.Path += "?a=%zz"
	if _, err := verify.Verify(s, bad, nil, plivoNow); !errors.Is(err, verify.ErrMalformedBody) {
		t.Errorf("a query that does not parse: %v", err)
	}
}

// TestPlivoNonceCannotAbsorbTheString: with a '.' allowed in the nonce, a
// parameter's tail could move into it without changing the signed string.
func TestPlivoNonceCannotAbsorbTheString(t *testing.T) {
	s := preset(t, "plivo", verify.Key{ID: "k", Secret: []byte(plivoToken)})
	const u = "https://h.test/cb"
	sig := plivoSig(plivoToken, "https://h.test/cb?Texta.b.123")
	if _, err := verify.Verify(s, plivoRequest(t, "POST", u, formType, "x-plivo-signature-v3", sig, "x-plivo-signature-v3-nonce", "123"), []byte("Text=a.b"), plivoNow); err != nil {
		t.Fatal(err)
	}
	if _, err := verify.Verify(s, plivoRequest(t, "POST", u, formType, "x-plivo-signature-v3", sig, "x-plivo-signature-v3-nonce", "b.123"), []byte("Text=a"), plivoNow); !errors.Is(err, verify.ErrMalformedSignature) {
		t.Fatalf("the value's tail moved into the nonce: %v", err)
	}
}

// TestPlivoPublicURL: behind a proxy, the URL Plivo called is public_url's.
func TestPlivoPublicURL(t *testing.T) {
	signed := "https://hooks.example.com/hooks/plivo?a=1.Texthi.42"
	req := plivoRequest(t, "POST", "http://10.0.0.7:8080/hooks/plivo?a=1", formType, "x-plivo-signature-v3", plivoSig(plivoToken, signed), "x-plivo-signature-v3-nonce", "42")
	keys := []verify.Key{{ID: "k", Secret: []byte(plivoToken)}}
	if _, err := verify.Verify(preset(t, "plivo", keys...), req, []byte("Text=hi"), plivoNow); !errors.Is(err, verify.ErrSignatureMismatch) {
		t.Fatalf("without public_url: %v", err)
	}
	for _, public := range []string{"https://hooks.example.com", "https://hooks.example.com/hooks/plivo"} {
		s, err := verify.Preset("plivo", verify.Options{Keys: keys, PublicURL: public})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verify.Verify(s, req, []byte("Text=hi"), plivoNow); err != nil {
			t.Errorf("public_url %s: %v", public, err)
		}
	}
}

// TestPlivoSign: verify.SignRequest signs as Plivo does; its nonce changes
// with the time.
func TestPlivoSign(t *testing.T) {
	s := preset(t, "plivo", verify.Key{ID: "k", Secret: []byte(plivoToken)})
	for _, tc := range []struct{ method, ct, body string }{{"POST", formType, "B=2&A=1&A=0"}, {"GET", "", ""}, {"POST", formType, ""}} {
		req := plivoRequest(t, tc.method, "https://h.test/cb?z=9&y=8", tc.ct)
		hdr, out, err := verify.SignRequest("plivo", plivoToken, req, []byte(tc.body), plivoNow)
		if err != nil || string(out) != tc.body {
			t.Fatalf("SignRequest: %v", err)
		}
		req.Header = append(req.Header, hdr...)
		if id, err := verify.Verify(s, req, out, plivoNow.Add(time.Hour)); err != nil || id != "k" {
			t.Errorf("%s %q: %q, %v", tc.method, tc.body, id, err)
		}
	}
	req := plivoRequest(t, "POST", "https://h.test/cb", formType)
	a, _, _ := verify.SignRequest("plivo", plivoToken, req, []byte("A=1"), plivoNow)
	b, _, _ := verify.SignRequest("plivo", plivoToken, req, []byte("A=1"), plivoNow.Add(time.Second))
	if a[0] == b[0] {
		t.Error("the same nonce at another time")
	}
}

// TestPlivoIdentity: a delivery is identified by the string signed, nonce
// included, however its form is written.
func TestPlivoIdentity(t *testing.T) {
	s := preset(t, "plivo", verify.Key{ID: "k", Secret: []byte(plivoToken)})
	id := func(nonce, body string) verify.Identity {
		t.Helper()
		sig := plivoSig(plivoToken, "https://h.test/cb?A1B2."+nonce)
		req := plivoRequest(t, "POST", "https://h.test/cb", formType, "x-plivo-signature-v3", sig, "x-plivo-signature-v3-nonce", nonce)
		return identityOf(t, s, req, []byte(body), plivoNow, verify.IdentitySignedContent)
	}
	first := id("1", "A=1&B=2")
	if id("1", "B=2&A=%31") != first {
		t.Error("the same form reordered is a new delivery")
	}
	if id("2", "A=1&B=2") == first {
		t.Error("another nonce is the same delivery")
	}
}

// TestPlivoBodyCap: the buffered form is capped.
func TestPlivoBodyCap(t *testing.T) {
	s := preset(t, "plivo", verify.Key{ID: "k", Secret: []byte(plivoToken)})
	req := plivoRequest(t, "POST", "https://h.test/cb", formType, "x-plivo-signature-v3", plivoSig(plivoToken, "x"), "x-plivo-signature-v3-nonce", "1")
	c, err := s.Begin(req, plivoNow)
	if err != nil {
		t.Fatal(err)
	}
	c = verify.Limit(c, 8)
	if _, err := c.Write([]byte("A=123456789")); !errors.Is(err, verify.ErrBodyTooLarge) {
		t.Fatalf("write past the cap: %v", err)
	}
	if _, err := c.Verify(); !errors.Is(err, verify.ErrBodyTooLarge) {
		t.Fatalf("verify past the cap: %v", err)
	}
}
