package verify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

var personaNow = time.Unix(1764547200, 0)

const personaBody = `{"data":{"type":"event","id":"evt_1","attributes":{"name":"inquiry.completed"}}}`

// personaGroup is one group as Persona's docs describe it: t=<ts>,v1=<hex
// HMAC-SHA256 of {t}.{body}>.
func personaGroup(secret string, at time.Time, body string) string {
	t := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(t + "." + body))
	return "t=" + t + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

func personaVerify(t *testing.T, s verify.Scheme, body string, header ...string) (string, error) {
	t.Helper()
	req := &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: "/hooks/persona",
		Header: []verify.Field{{Name: "content-type", Value: "application/json"}}}
	for _, h := range header {
		req.Header = append(req.Header, verify.Field{Name: "persona-signature", Value: h})
	}
	return verify.Verify(s, req, []byte(body), personaNow)
}

func TestPersona(t *testing.T) {
	const cur, old = "wbhsec_current", "wbhsec_old"
	s := preset(t, "persona", verify.Key{ID: "cur", Secret: []byte(cur)})
	both := preset(t, "persona", verify.Key{ID: "old", Secret: []byte(old)}, verify.Key{ID: "cur", Secret: []byte(cur)})
	g := func(secret string, offset time.Duration) string {
		return personaGroup(secret, personaNow.Add(offset), personaBody)
	}
	for _, tc := range []struct {
		name   string
		s      verify.Scheme
		header string
		want   string
	}{
		{"one group", s, g(cur, 0), "cur"},
		{"rotating: the route's key second", s, g(old, 0) + " " + g(cur, 0), "cur"},
		{"rotating: the route's key first", s, g(cur, 0) + " " + g(old, 0), "cur"},
		{"rotating, the route holding both", both, g(old, 0) + " " + g(cur, 0), "old"},
		{"each group its own timestamp", s, g(old, -time.Minute) + " " + g(cur, time.Minute), "cur"},
		{"a stale group beside a fresh one", s, g(old, -time.Hour) + " " + g(cur, 0), "cur"},
		{"at the tolerance", s, g(cur, -5*time.Minute), "cur"},
		{"extra spaces", s, "  " + g(old, 0) + "   " + g(cur, 0) + " ", "cur"},
		{"two v1 in a group", s, g(old, 0) + ",v1=" + strings.SplitN(g(cur, 0), "v1=", 2)[1], "cur"},
		{"an unknown key in a group", s, g(cur, 0) + ",v0=zz", "cur"},
	} {
		if id, err := personaVerify(t, tc.s, personaBody, tc.header); err != nil || id != tc.want {
			t.Errorf("%s: got %q, %v; want %s", tc.name, id, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name   string
		body   string
		header []string
		want   error
	}{
		{"a body byte", strings.Replace(personaBody, "evt_1", "evt_2", 1), []string{g(old, 0) + " " + g(cur, 0)}, verify.ErrSignatureMismatch},
		{"neither group under the route's key", personaBody, []string{g(old, 0) + " " + g("wbhsec_x", 0)}, verify.ErrSignatureMismatch},
		{"the route's group stale, the fresh one another key's", personaBody, []string{g(cur, -time.Hour) + " " + g(old, 0)}, verify.ErrSignatureMismatch},
		{"every group stale", personaBody, []string{g(cur, -6*time.Minute) + " " + g(cur, 6*time.Minute)}, verify.ErrTimestampOutOfTolerance},
		{"1 s past the tolerance", personaBody, []string{g(cur, -5*time.Minute-time.Second)}, verify.ErrTimestampOutOfTolerance},
		{"three groups", personaBody, []string{g(old, 0) + " " + g(cur, 0) + " " + g(cur, 0)}, verify.ErrMalformedSignature},
		{"no header", personaBody, nil, verify.ErrMissingSignature},
		{"a blank header", personaBody, []string{"  "}, verify.ErrMissingSignature},
		{"the header twice", personaBody, []string{g(cur, 0), g(cur, 0)}, verify.ErrMalformedSignature},
		{"a group without t", personaBody, []string{g(cur, 0) + " v1=" + strings.Repeat("0", 64)}, verify.ErrMissingTimestamp},
		{"a group with t twice", personaBody, []string{"t=1764547200," + g(cur, 0)}, verify.ErrMalformedTimestamp},
		{"a t that is not a number", personaBody, []string{"t=soon,v1=" + strings.Repeat("0", 64)}, verify.ErrMalformedTimestamp},
		{"a group without v1", personaBody, []string{g(cur, 0) + " t=1764547200"}, verify.ErrMalformedSignature},
		{"a v1 not hex", personaBody, []string{g(cur, 0) + " t=1764547200,v1=" + strings.Repeat("z", 64)}, verify.ErrMalformedSignature},
		{"a v1 too short", personaBody, []string{"t=1764547200,v1=abcd " + g(cur, 0)}, verify.ErrMalformedSignature},
		{"a pair without =", personaBody, []string{g(cur, 0) + ",v1"}, verify.ErrMalformedSignature},
		{"a malformed group beside a valid one, stale", personaBody, []string{g(cur, 0) + " t=1,v1=xyz"}, verify.ErrMalformedSignature},
		{"groups joined by a comma", personaBody, []string{g(old, 0) + "," + g(cur, 0)}, verify.ErrMalformedTimestamp},
	} {
		if _, err := personaVerify(t, s, tc.body, tc.header...); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	// The tolerance is the route's to change.
	wide := time.Hour
	w, err := verify.Preset("persona", verify.Options{Keys: []verify.Key{{ID: "cur", Secret: []byte(cur)}}, Tolerance: &wide})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := personaVerify(t, w, personaBody, g(cur, -30*time.Minute)); err != nil {
		t.Errorf("a 30-minute-old group with a 1 h tolerance: %v", err)
	}
}

// TestPersonaSign: verify.Sign signs one group, as Persona does outside a
// rotation.
func TestPersonaSign(t *testing.T) {
	req := &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: "/hooks/persona"}
	hdr, err := verify.Sign("persona", "wbhsec_s", req, []byte(personaBody), personaNow)
	if err != nil || len(hdr) != 1 || hdr[0].Name != "persona-signature" || hdr[0].Value != personaGroup("wbhsec_s", personaNow, personaBody) {
		t.Fatalf("Sign: %v, %v", hdr, err)
	}
	if _, err := personaVerify(t, preset(t, "persona", verify.Key{ID: "k", Secret: []byte("wbhsec_s")}), personaBody, hdr[0].Value); err != nil {
		t.Fatal(err)
	}
}

// TestPersonaIdentity: a delivery is identified by what the group that
// verified signs, its timestamp and the body: the same under either group
// of a rotation when both carry one timestamp; another when Persona signs
// it again later.
func TestPersonaIdentity(t *testing.T) {
	const cur, old = "wbhsec_current", "wbhsec_old"
	req := func(header string) *verify.Request {
		return &verify.Request{Method: "POST", Path: "/hooks/persona", Header: []verify.Field{{Name: "persona-signature", Value: header}}}
	}
	s := preset(t, "persona", verify.Key{ID: "old", Secret: []byte(old)}, verify.Key{ID: "cur", Secret: []byte(cur)})
	one := preset(t, "persona", verify.Key{ID: "cur", Secret: []byte(cur)})
	first := identityOf(t, s, req(personaGroup(old, personaNow, personaBody)+" "+personaGroup(cur, personaNow, personaBody)), []byte(personaBody), personaNow, verify.IdentitySignedContent)
	if identityOf(t, one, req(personaGroup(cur, personaNow, personaBody)), []byte(personaBody), personaNow, 0) != first {
		t.Error("the same signed content under the other group is a new delivery")
	}
	if identityOf(t, one, req(personaGroup(cur, personaNow.Add(time.Second), personaBody)), []byte(personaBody), personaNow, 0) == first {
		t.Error("a delivery signed at another time is the same")
	}
}
