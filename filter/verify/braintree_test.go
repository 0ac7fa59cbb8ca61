package verify_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

var braintreeNow = time.Unix(1764547200, 0)

// braintreeSig is the hex HMAC-SHA1 Braintree puts in bt_signature: its
// key is the SHA-1 of the private key.
func braintreeSig(private, payload string) string {
	k := sha1.Sum([]byte(private))
	m := hmac.New(sha1.New, k[:])
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil))
}

func braintreePayload(kind string) string {
	xml := `<?xml version="1.0" encoding="UTF-8"?>` + "\n<notification>\n  <kind>" + kind + "</kind>\n</notification>\n"
	b64 := base64.StdEncoding.EncodeToString([]byte(xml))
	// As Braintree's Ruby encodes it: lines of 60, each ending in a newline.
	var lines []string
	for len(b64) > 60 {
		lines, b64 = append(lines, b64[:60]), b64[60:]
	}
	return strings.Join(append(lines, b64), "\n") + "\n"
}

// flip is another base64 digit than c.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func braintreeForm(signature, payload string, extra ...string) []byte {
	v := url.Values{"bt_signature": {signature}, "bt_payload": {payload}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Add(extra[i], extra[i+1])
	}
	return []byte(v.Encode())
}

func braintreeVerify(t *testing.T, body []byte, keys ...verify.Key) (string, error) {
	t.Helper()
	req := &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: "/hooks/braintree",
		Header: []verify.Field{{Name: "content-type", Value: "application/x-www-form-urlencoded"}}}
	return verify.Verify(preset(t, "braintree", keys...), req, body, braintreeNow)
}

func TestBraintree(t *testing.T) {
	const pub, priv = "pub_abc", "priv_0123456789abcdef"
	payload := braintreePayload("subscription_went_past_due")
	sig := braintreeSig(priv, payload)
	pair := verify.Key{ID: "pair", Secret: []byte(pub + ":" + priv)}
	alone := verify.Key{ID: "alone", Secret: []byte(priv)}
	other := verify.Key{ID: "other", Secret: []byte("pub_other:priv_other")}
	ok := []struct {
		name string
		body []byte
		keys []verify.Key
		want string
	}{
		{"one pair", braintreeForm(pub+"|"+sig, payload), []verify.Key{pair}, "pair"},
		{"the private key alone", braintreeForm(pub+"|"+sig, payload), []verify.Key{alone}, "alone"},
		{"rotation", braintreeForm(pub+"|"+sig, payload), []verify.Key{other, pair}, "pair"},
		{"several pairs, ours second", braintreeForm("pub_other|"+braintreeSig("priv_other", "x")+"&"+pub+"|"+sig, payload), []verify.Key{pair}, "pair"},
		{"a pair without a bar is skipped", braintreeForm("junk&"+pub+"|"+sig, payload), []verify.Key{pair}, "pair"},
		// The SDK also accepts the signature of the payload with a newline
		// added, which a framework may have trimmed.
		{"signed with a final newline, sent without", braintreeForm(pub+"|"+sig, strings.TrimSuffix(payload, "\n")), []verify.Key{pair}, "pair"},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			if id, err := braintreeVerify(t, tc.body, tc.keys...); err != nil || id != tc.want {
				t.Fatalf("got %q, %v; want %s", id, err, tc.want)
			}
		})
	}
	// The bt_challenge answer is pub|HMAC(challenge): a signing oracle for
	// any hex string, which must never pass as a notification.
	challenge := "4f2c9a7b1e3d5f60718293a4b5c6d7e8"
	many := make([]string, 17)
	for i := range many {
		many[i] = "p" + strconv.Itoa(i) + "|" + sig
	}
	bad := []struct {
		name string
		body []byte
		keys []verify.Key
		want error
	}{
		{"another private key", braintreeForm(pub+"|"+braintreeSig("priv_wrong", payload), payload), []verify.Key{pair}, verify.ErrSignatureMismatch},
		{"another public key", braintreeForm("pub_else|"+sig, payload), []verify.Key{pair}, verify.ErrSignatureMismatch},
		// The SDK checks only the first pair of its public key.
		{"the public key's first pair wrong", braintreeForm(pub+"|"+braintreeSig("x", payload)+"&"+pub+"|"+sig, payload), []verify.Key{pair}, verify.ErrSignatureMismatch},
		{"payload changed", braintreeForm(pub+"|"+sig, payload[:30]+flip(payload[30])+payload[31:]), []verify.Key{pair}, verify.ErrSignatureMismatch},
		{"signature changed", braintreeForm(pub+"|"+sig[:39]+"0", payload), []verify.Key{pair}, verify.ErrSignatureMismatch},
		{"signature not hex", braintreeForm(pub+"|zz"+sig[2:], payload), []verify.Key{pair}, verify.ErrSignatureMismatch},
		{"a bt_challenge answer", braintreeForm(pub+"|"+braintreeSig(priv, challenge), challenge), []verify.Key{pair}, verify.ErrMalformedBody},
		{"a payload that is not XML", braintreeForm(pub+"|"+braintreeSig(priv, "aGVsbG8="), "aGVsbG8="), []verify.Key{pair}, verify.ErrMalformedBody},
		{"a payload not base64", braintreeForm(pub+"|"+braintreeSig(priv, "PG5v-"), "PG5v-"), []verify.Key{pair}, verify.ErrMalformedBody},
		{"a '+' sent unescaped", []byte("bt_signature=" + pub + "%7C" + sig + "&bt_payload=" + strings.ReplaceAll(url.QueryEscape(payload), "%2B", "+")), []verify.Key{pair}, verify.ErrMalformedBody},
		{"an unsigned field beside", braintreeForm(pub+"|"+sig, payload, "kind", "refund"), []verify.Key{pair}, verify.ErrMalformedBody},
		{"bt_payload twice", braintreeForm(pub+"|"+sig, payload, "bt_payload", payload), []verify.Key{pair}, verify.ErrMalformedBody},
		{"bt_signature twice", braintreeForm(pub+"|"+sig, payload, "bt_signature", pub+"|"+sig), []verify.Key{pair}, verify.ErrMalformedBody},
		{"no bt_payload", []byte("bt_signature=" + pub + "%7C" + sig), []verify.Key{pair}, verify.ErrMalformedBody},
		{"no bt_signature", []byte("bt_payload=" + url.QueryEscape(payload)), []verify.Key{pair}, verify.ErrMissingSignature},
		{"an empty body", nil, []verify.Key{pair}, verify.ErrMissingSignature},
		{"a signature without a bar", braintreeForm(sig, payload), []verify.Key{pair}, verify.ErrMalformedSignature},
		{"two bars in a pair", braintreeForm(pub+"|"+sig+"|x", payload), []verify.Key{pair}, verify.ErrMalformedSignature},
		{"17 pairs", braintreeForm(strings.Join(many, "&"), payload), []verify.Key{alone}, verify.ErrMalformedSignature},
		{"a bad escape", []byte("bt_signature=%zz&bt_payload=x"), []verify.Key{pair}, verify.ErrMalformedBody},
		{"JSON", []byte(`{"bt_signature":"` + pub + "|" + sig + `"}`), []verify.Key{pair}, verify.ErrMalformedBody},
	}
	if !strings.Contains(payload, "+") {
		t.Fatal("the payload has no '+' to send unescaped")
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := braintreeVerify(t, tc.body, tc.keys...)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), pub) || strings.Contains(err.Error(), sig[:8]) {
				t.Errorf("the error carries request data: %v", err)
			}
		})
	}
}

func TestBraintreeKeys(t *testing.T) {
	for _, secret := range []string{":priv", "pub:", "pu|b:priv"} {
		_, err := verify.Preset("braintree", verify.Options{Keys: []verify.Key{{ID: "k", Secret: []byte(secret)}}})
		if !errors.Is(err, verify.ErrInvalidScheme) || strings.Contains(err.Error(), secret) {
			t.Errorf("secret %q: %v", secret, err)
		}
	}
	if _, err := verify.Preset("braintree", verify.Options{}); !errors.Is(err, verify.ErrNoKeys) {
		t.Errorf("no keys: %v", err)
	}
}

func TestBraintreeSign(t *testing.T) {
	req := &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: "/hooks/braintree"}
	for _, secret := range []string{"pub_s:priv_s", "priv_s"} {
		for _, body := range [][]byte{[]byte(`{"event":"x"}`), braintreeForm("x|y", braintreePayload("check"))} {
			hdr, signed, err := verify.SignRequest("braintree", secret, req, body, braintreeNow)
			if err != nil || hdr != nil {
				t.Fatalf("SignRequest: %v, %v", hdr, err)
			}
			if id, err := braintreeVerify(t, signed, verify.Key{ID: "k", Secret: []byte(secret)}); err != nil || id != "k" {
				t.Fatalf("secret %q, body %s: %q, %v", secret, signed, id, err)
			}
		}
	}
}

// TestBraintreeIdentity: a delivery is identified by its signed payload,
// however the form around it is written.
func TestBraintreeIdentity(t *testing.T) {
	const pub, priv = "pub_i", "priv_i"
	s := preset(t, "braintree", verify.Key{ID: "k", Secret: []byte(pub + ":" + priv)})
	id := func(body []byte) verify.Identity {
		t.Helper()
		return identityOf(t, s, &verify.Request{Method: "POST", Path: "/hooks/braintree"}, body, braintreeNow, verify.IdentitySignedContent)
	}
	payload := braintreePayload("check")
	sig := braintreeSig(priv, payload)
	first := id(braintreeForm(pub+"|"+sig, payload))
	reordered := []byte("bt_payload=" + url.QueryEscape(payload) + "&bt_signature=" + url.QueryEscape(pub+"|"+sig))
	if id(reordered) != first {
		t.Error("the same form reordered is a new delivery")
	}
	if id(braintreeForm(pub+"|"+sig, strings.TrimSuffix(payload, "\n"))) != first {
		t.Error("the payload without its signed final newline is a new delivery")
	}
	if id(braintreeForm("pub_x|"+braintreeSig("q", "r")+"&"+pub+"|"+sig, payload)) != first {
		t.Error("the same payload under another signature list is a new delivery")
	}
	p2 := braintreePayload("disbursement")
	if id(braintreeForm(pub+"|"+braintreeSig(priv, p2), p2)) == first {
		t.Error("another notification is the same delivery")
	}
}

// TestBodySignedPresetRows checks the adyen and braintree rows as
// TestPresetTable checks a row of a kind it knows: what the reference
// needs, no signature header, and a scheme built with the stand-in key.
func TestBodySignedPresetRows(t *testing.T) {
	for name, kind := range map[string]verify.PresetKind{"adyen": verify.KindAdyen, "braintree": verify.KindBraintree} {
		p, ok := verify.LookupPreset(name)
		if !ok || p.Kind != kind || len(p.SignatureHeaders) != 0 || p.DocHeaders == "" || p.DocSigned == "" || p.Notes == "" {
			t.Errorf("%s: %+v", name, p)
		}
		if _, err := verify.Preset(name, verify.Options{Keys: []verify.Key{{ID: "unset", Secret: []byte(p.StandInKey)}}}); err != nil {
			t.Errorf("%s with its stand-in key %q: %v", name, p.StandInKey, err)
		}
		if got := p.Identity(); len(got) != 1 || got[0] != verify.IdentitySignedContent {
			t.Errorf("%s: identity %v", name, got)
		}
	}
}
