package verify

import (
	"bytes"
	"crypto/elliptic"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"
)

var eventIDCases = []struct {
	body, field string
	want        string // "" for none
}{
	{`{"id":"evt_1","object":"event"}`, "id", "evt_1"},
	{" \n{ \"object\": {\"id\": \"nested\"}, \"id\" : \"evt_2\" }", "id", "evt_2"},
	{`{"data":{"id":"x"}}`, "id", ""},
	{`{"text":"a \"id\": \"fake\"","id":"evt_3"}`, "id", "evt_3"},
	{`{"list":[1,{"id":"x"},"]}"],"id":"evt_4"}`, "id", "evt_4"},
	{`{"id":123}`, "id", "123"},
	{`{"id":-5e3,"x":1}`, "id", "-5e3"},
	{`{"id":{"a":1}}`, "id", ""},
	{`{"id":null}`, "id", ""},
	{`{"id":["a"]}`, "id", ""},
	{`[{"id":"a"}]`, "id", ""},
	{`{"id":"` + strings.Repeat("x", maxEventID+1) + `"}`, "id", ""},
	{`{"id":"` + strings.Repeat("x", maxEventID) + `"}`, "id", strings.Repeat("x", maxEventID)},
	{`{"i\"d":"a","id":"b"}`, "id", "b"},
	{`{"id":"a\"b"}`, "id", `a\"b`},
	{`{"ID":"a"}`, "id", ""},
	{`{"id":"first","id":"second"}`, "id", "first"},
	{`{"` + strings.Repeat("k", 300) + `":1,"id":"z"}`, "id", "z"},
	{`{"` + strings.Repeat("k", 300) + `":1}`, strings.Repeat("k", 300), ""},
	{`{}`, "id", ""},
	{``, "id", ""},
	{`{"id":"unterminated`, "id", ""},
	{`{"id":5`, "id", ""},
	{`{"type":"event_callback","event":{"event_id":"no"},"event_id":"Ev1"}`, "event_id", "Ev1"},
	{"id=evt_1&x=2", "id", ""},
}

// TestEventIDScanner finds a top-level field in any chunking, and nothing
// anywhere else.
func TestEventIDScanner(t *testing.T) {
	for _, tc := range eventIDCases {
		for _, size := range []int{1, 2, 7, 1 << 20} {
			var s eventIDScanner
			s.reset(tc.field)
			for b := []byte(tc.body); len(b) > 0; {
				n := min(size, len(b))
				s.write(b[:n])
				b = b[n:]
			}
			if got := s.value(); string(got) != tc.want || (tc.want == "") != (got == nil) {
				t.Errorf("%.60q in %d-byte chunks: got %q, want %q", tc.body, size, got, tc.want)
			}
		}
	}
}

// FuzzEventIDScanner: any body in any chunking gives what it gives whole,
// and a value found in valid JSON is the top-level field's.
func FuzzEventIDScanner(f *testing.F) {
	for _, tc := range eventIDCases {
		f.Add([]byte(tc.body), uint8(3))
	}
	f.Fuzz(func(t *testing.T, body []byte, size uint8) {
		whole := scanAll(body, len(body)+1)
		if chunked := scanAll(body, int(size)%9+1); !bytes.Equal(chunked, whole) {
			t.Fatalf("chunked %q, whole %q", chunked, whole)
		}
		var doc map[string]json.RawMessage
		if whole != nil && json.Valid(body) {
			if json.Unmarshal(body, &doc) != nil || doc["id"] == nil {
				t.Fatalf("found %q in %q, which has no top-level id", whole, body)
			}
		}
	})
}

func scanAll(body []byte, size int) []byte {
	var s eventIDScanner
	s.reset("id")
	for len(body) > 0 {
		n := min(size, len(body))
		s.write(body[:n])
		body = body[n:]
	}
	return bytes.Clone(s.value())
}

// identify verifies body with headers through s and returns the
// delivery's identity.
func identify(t *testing.T, s Scheme, req *Request, body []byte, now time.Time) Identity {
	t.Helper()
	c, err := s.Begin(req, now)
	if err != nil {
		t.Fatal(err)
	}
	var d Identified
	d.Reset(c)
	if !d.NeedsBody() {
		t.Fatal("an identified check must read the body")
	}
	for _, b := range [][]byte{body[:len(body)/2], body[len(body)/2:]} {
		d.Write(b)
	}
	if _, err := d.Verify(); err != nil {
		t.Fatal(err)
	}
	d.Release()
	id, ok := d.Identity()
	if !ok {
		t.Fatal("no identity")
	}
	return id
}

func signed(t *testing.T, preset, secret string, req Request, body []byte, at time.Time) *Request {
	t.Helper()
	hdr, err := Sign(preset, secret, &req, body, at)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = append(append([]Field(nil), req.Header...), hdr...)
	return &req
}

var identityNow = time.Unix(1764547200, 0)

// TestIdentityIgnoresUnsignedBytes: what a replayer can change without
// breaking the signature — unsigned headers, which of the keys or legacy
// headers verifies, an ECDSA signature's other form, a form's parameter
// order — does not change a delivery's identity; what the sender signed
// does.
func TestIdentityIgnoresUnsignedBytes(t *testing.T) {
	body := []byte(`{"id":"evt_1","type":"a"}`)
	post := Request{Method: "POST", Scheme: "https", Authority: "hooks.test", Path: "/h", Header: []Field{{Name: "content-type", Value: "application/json"}}}

	t.Run("github: delivery id, legacy SHA-1, rotation", func(t *testing.T) {
		s, err := Preset("github", Options{Keys: []Key{{ID: "new", Secret: []byte("new-secret")}, {ID: "old", Secret: []byte("old-secret")}}, AllowSHA1: true})
		if err != nil {
			t.Fatal(err)
		}
		a := signed(t, "github", "old-secret", post, body, identityNow)
		a.Header = append(a.Header, Field{Name: "x-github-delivery", Value: "1"})
		b := signed(t, "github", "new-secret", post, body, identityNow)
		b.Header = append(b.Header, Field{Name: "x-github-delivery", Value: "minted"}, Field{Name: "user-agent", Value: "replayer"})
		sha1Only := post
		sha1Only.Header = append(sha1Only.Header, Field{Name: "x-hub-signature", Value: "sha1=" + hexMAC(t, SHA1, "new-secret", body)})
		ia, ib, ic := identify(t, s, a, body, identityNow), identify(t, s, b, body, identityNow), identify(t, s, &sha1Only, body, identityNow)
		if ia != ib || ia != ic || ia.Kind != IdentitySignedContent {
			t.Fatalf("one delivery, three identities: %v %v %v", ia, ib, ic)
		}
		other := []byte(`{"id":"evt_2","type":"a"}`)
		if identify(t, s, signed(t, "github", "new-secret", post, other, identityNow), other, identityNow) == ia {
			t.Fatal("two deliveries, one identity")
		}
	})
	t.Run("stripe: the event id across a re-signed retry", func(t *testing.T) {
		s, _ := Preset("stripe", Options{Keys: []Key{{ID: "k", Secret: []byte("whsec_x")}}})
		a := identify(t, s, signed(t, "stripe", "whsec_x", post, body, identityNow), body, identityNow)
		b := identify(t, s, signed(t, "stripe", "whsec_x", post, body, identityNow.Add(time.Second)), body, identityNow)
		if a != b || a.Kind != IdentityEventID {
			t.Fatalf("a re-signed retry is another delivery: %v %v", a, b)
		}
		noID := []byte(`{"type":"a"}`)
		c := identify(t, s, signed(t, "stripe", "whsec_x", post, noID, identityNow), noID, identityNow)
		d := identify(t, s, signed(t, "stripe", "whsec_x", post, noID, identityNow.Add(time.Second)), noID, identityNow)
		if c.Kind != IdentitySignedContent || c == d {
			t.Fatalf("without an event id, the signed timestamp tells deliveries apart: %v %v", c, d)
		}
	})
	t.Run("standard webhooks: the signed id", func(t *testing.T) {
		secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("identity-test-secret"))
		s, _ := Preset("svix", Options{Keys: []Key{{ID: "k", Secret: []byte(secret)}}})
		withID := post
		withID.Header = append(withID.Header, Field{Name: "svix-id", Value: "msg_1"})
		a := identify(t, s, signed(t, "svix", secret, withID, body, identityNow), body, identityNow)
		b := identify(t, s, signed(t, "svix", secret, withID, []byte(`{"other":1}`), identityNow.Add(time.Second)), []byte(`{"other":1}`), identityNow)
		if a != b || a.Kind != IdentitySignedID {
			t.Fatalf("one signed id, two identities: %v %v", a, b)
		}
	})
	t.Run("twilio: the parameters in another order", func(t *testing.T) {
		form := Request{Method: "POST", Scheme: "https", Authority: "hooks.test", Path: "/sms", Header: []Field{{Name: "content-type", Value: "application/x-www-form-urlencoded"}}}
		s, _ := Preset("twilio", Options{Keys: []Key{{ID: "k", Secret: []byte("token")}}})
		a := signed(t, "twilio", "token", form, []byte("Body=hi&From=%2B1"), identityNow)
		ia := identify(t, s, a, []byte("Body=hi&From=%2B1"), identityNow)
		ib := identify(t, s, a, []byte("From=%2b1&Body=hi"), identityNow)
		if ia != ib {
			t.Fatalf("reordered parameters, another identity: %v %v", ia, ib)
		}
	})
	t.Run("sendgrid: the other form of an ECDSA signature", func(t *testing.T) {
		scalar := strings.Repeat("2a", 32)
		pub, err := PublicKeyFor("sendgrid", scalar)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Preset("sendgrid", Options{Keys: []Key{{ID: "k", Secret: []byte(pub)}}})
		if err != nil {
			t.Fatal(err)
		}
		req := signed(t, "sendgrid", scalar, post, body, identityNow)
		a := identify(t, s, req, body, identityNow)
		req.Header = flipECDSA(t, req.Header)
		if b := identify(t, s, req, body, identityNow); a != b {
			t.Fatalf("the signature's other form, another identity: %v %v", a, b)
		}
	})
}

// flipECDSA replaces SendGrid's signature (r, s) with (r, n−s), which
// verifies as well.
func flipECDSA(t *testing.T, h []Field) []Field {
	const name = "x-twilio-email-event-webhook-signature"
	out := append([]Field(nil), h...)
	for i, f := range out {
		if f.Name != name {
			continue
		}
		der, _ := base64.StdEncoding.DecodeString(f.Value)
		var sig struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &sig); err != nil {
			t.Fatal(err)
		}
		sig.S.Sub(elliptic.P256().Params().N, sig.S)
		flipped, _ := asn1.Marshal(sig)
		out[i].Value = base64.StdEncoding.EncodeToString(flipped)
		return out
	}
	t.Fatal("no signature")
	return nil
}

func hexMAC(t *testing.T, alg Algorithm, secret string, body []byte) string {
	t.Helper()
	h, err := HMAC{Algorithm: alg, SignatureHeaders: []string{"x"}, Keys: []Key{{Secret: []byte(secret)}}}.Sign(&Request{}, body, "")
	if err != nil {
		t.Fatal(err)
	}
	return h
}
