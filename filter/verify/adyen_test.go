package verify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// adyenDocsKey, adyenDocsItem and its signature are Adyen's documented
// sample (docs.adyen.com, verify HMAC signatures).
const adyenDocsKey = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"

const adyenDocsBody = `{"live":"false","notificationItems":[{"NotificationRequestItem":{"additionalData":{"hmacSignature":"coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="},` +
	`"amount":{"currency":"EUR","value":1130},"eventCode":"AUTHORISATION","eventDate":"2019-01-01T01:00:00.000+01:00","merchantAccountCode":"TestMerchant",` +
	`"merchantReference":"TestPayment-1407325143704","originalReference":"","pspReference":"7914073381342284","success":"true"}}]}`

var adyenNow = time.Unix(1764547200, 0)

// adyenKey is a route key (hex) made from label.
func adyenKey(label string) string {
	sum := sha256.Sum256([]byte(label))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// adyenItem is one NotificationRequestItem signed under key (hex) as
// Adyen signs it, with extra fields merged in unsigned.
func adyenItem(t *testing.T, key, psp string, extra map[string]any) map[string]any {
	t.Helper()
	item := map[string]any{"pspReference": psp, "originalReference": "", "merchantAccountCode": "Acme",
		"merchantReference": "order:" + psp, "amount": map[string]any{"currency": "EUR", "value": 250},
		"eventCode": "AUTHORISATION", "success": "true", "eventDate": "2025-12-01T00:00:00+01:00"}
	data := psp + "::Acme:order:" + psp + ":250:EUR:AUTHORISATION:true"
	k, err := hex.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(data))
	item["additionalData"] = map[string]any{"hmacSignature": base64.StdEncoding.EncodeToString(m.Sum(nil))}
	for name, v := range extra {
		item[name] = v
	}
	return item
}

func adyenBody(t *testing.T, items ...map[string]any) []byte {
	t.Helper()
	var wrapped []any
	for _, it := range items {
		wrapped = append(wrapped, map[string]any{"NotificationRequestItem": it})
	}
	b, err := json.Marshal(map[string]any{"live": "false", "notificationItems": wrapped})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func adyenVerify(t *testing.T, body []byte, keys ...verify.Key) (string, error) {
	t.Helper()
	req := &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: "/hooks/adyen",
		Header: []verify.Field{{Name: "content-type", Value: "application/json"}}}
	return verify.Verify(preset(t, "adyen", keys...), req, body, adyenNow)
}

func TestAdyenDocsSample(t *testing.T) {
	if id, err := adyenVerify(t, []byte(adyenDocsBody), verify.Key{ID: "docs", Secret: []byte(adyenDocsKey)}); err != nil || id != "docs" {
		t.Fatalf("Adyen's sample: %q, %v", id, err)
	}
	// The key as the Customer Area shows it, in either case.
	if _, err := adyenVerify(t, []byte(adyenDocsBody), verify.Key{ID: "docs", Secret: []byte(strings.ToLower(adyenDocsKey))}); err != nil {
		t.Fatalf("lower-case key: %v", err)
	}
	for name, body := range map[string]string{
		"signature byte":  strings.Replace(adyenDocsBody, "coqCmt", "coqCmu", 1),
		"eventCode":       strings.Replace(adyenDocsBody, "AUTHORISATION", "AUTHORISATIOM", 1),
		"value":           strings.Replace(adyenDocsBody, "1130", "1131", 1),
		"success":         strings.Replace(adyenDocsBody, `"success":"true"`, `"success":"false"`, 1),
		"original absent": strings.Replace(adyenDocsBody, `"originalReference":"",`, `"originalReference":"x",`, 1),
	} {
		if _, err := adyenVerify(t, []byte(body), verify.Key{ID: "docs", Secret: []byte(adyenDocsKey)}); !errors.Is(err, verify.ErrSignatureMismatch) {
			t.Errorf("%s changed: %v, want ErrSignatureMismatch", name, err)
		}
	}
	// What Adyen does not sign is not covered: the preset's Notes say so.
	unsigned := strings.Replace(adyenDocsBody, "2019-01-01", "2020-02-02", 1)
	if _, err := adyenVerify(t, []byte(unsigned), verify.Key{ID: "docs", Secret: []byte(adyenDocsKey)}); err != nil {
		t.Fatalf("eventDate is not signed, yet: %v", err)
	}
	// An absent originalReference signs as the empty string.
	absent := strings.Replace(adyenDocsBody, `"originalReference":"",`, ``, 1)
	if _, err := adyenVerify(t, []byte(absent), verify.Key{ID: "docs", Secret: []byte(adyenDocsKey)}); err != nil {
		t.Fatalf("absent originalReference: %v", err)
	}
	nulled := strings.Replace(adyenDocsBody, `"originalReference":""`, `"originalReference":null`, 1)
	if _, err := adyenVerify(t, []byte(nulled), verify.Key{ID: "docs", Secret: []byte(adyenDocsKey)}); err != nil {
		t.Fatalf("null originalReference: %v", err)
	}
}

func TestAdyenItems(t *testing.T) {
	k1, k2 := adyenKey("k1"), adyenKey("k2")
	keys := []verify.Key{{ID: "k1", Secret: []byte(k1)}, {ID: "k2", Secret: []byte(k2)}}
	two := adyenBody(t, adyenItem(t, k2, "PSP1", nil), adyenItem(t, k2, "PSP2", nil))
	if id, err := adyenVerify(t, two, keys...); err != nil || id != "k2" {
		t.Fatalf("two items under k2: %q, %v", id, err)
	}
	bad := adyenItem(t, k2, "PSP2", nil)
	bad["eventCode"] = "REFUND"
	mixed := adyenBody(t, adyenItem(t, k1, "PSP1", nil), adyenItem(t, k2, "PSP2", nil))
	many := make([]map[string]any, 17)
	for i := range many {
		many[i] = adyenItem(t, k1, "PSP"+strconv.Itoa(i), nil)
	}
	sixteen := adyenBody(t, many[:16]...)
	if id, err := adyenVerify(t, sixteen, keys...); err != nil || id != "k1" {
		t.Fatalf("16 items: %q, %v", id, err)
	}
	unsignedItem := adyenItem(t, k1, "PSP2", nil)
	delete(unsignedItem, "additionalData")
	emptySig := adyenItem(t, k1, "PSP2", map[string]any{"additionalData": map[string]any{"hmacSignature": ""}})
	noAmount := adyenItem(t, k1, "PSP2", nil)
	delete(noAmount, "amount")
	for _, tc := range []struct {
		name string
		body string
		want error
	}{
		{"one item forged", string(adyenBody(t, adyenItem(t, k2, "PSP1", nil), bad)), verify.ErrSignatureMismatch},
		{"items under different keys", string(mixed), verify.ErrSignatureMismatch},
		{"one item unsigned", string(adyenBody(t, adyenItem(t, k1, "PSP1", nil), unsignedItem)), verify.ErrMissingSignature},
		{"an empty signature", string(adyenBody(t, emptySig)), verify.ErrMissingSignature},
		{"no items", `{"live":"false","notificationItems":[]}`, verify.ErrMissingSignature},
		{"no notificationItems", `{"live":"false"}`, verify.ErrMissingSignature},
		{"17 items", string(adyenBody(t, many...)), verify.ErrMalformedBody},
		{"not JSON", `notificationItems=1`, verify.ErrMalformedBody},
		{"a JSON array", `[]`, verify.ErrMalformedBody},
		{"items not an array", `{"notificationItems":{}}`, verify.ErrMalformedBody},
		{"an item not an object", `{"notificationItems":[{"NotificationRequestItem":"x"}]}`, verify.ErrMalformedBody},
		{"no amount", string(adyenBody(t, noAmount)), verify.ErrMalformedBody},
		{"signature not base64", strings.Replace(adyenDocsBody, "coqCmt/", "coqCmt%", 1), verify.ErrMalformedSignature},
		{"signature too short", strings.Replace(adyenDocsBody, "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=", "coqCmt/IZ4E3", 1), verify.ErrMalformedSignature},
		{"signature a number", strings.Replace(adyenDocsBody, `"coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="`, "1", 1), verify.ErrMalformedSignature},
		{"value a string", strings.Replace(adyenDocsBody, `"value":1130`, `"value":"1130"`, 1), verify.ErrMalformedBody},
		{"value a decimal", strings.Replace(adyenDocsBody, `"value":1130`, `"value":1130.0`, 1), verify.ErrMalformedBody},
		{"value an exponent", strings.Replace(adyenDocsBody, `"value":1130`, `"value":1.13e3`, 1), verify.ErrMalformedBody},
		{"value with a leading zero", strings.Replace(adyenDocsBody, `"value":1130`, `"value":-0`, 1), verify.ErrMalformedBody},
		{"value of 16 digits", strings.Replace(adyenDocsBody, `"value":1130`, `"value":1234567890123456`, 1), verify.ErrMalformedBody},
		{"no currency", strings.Replace(adyenDocsBody, `"currency":"EUR",`, ``, 1), verify.ErrMalformedBody},
		{"pspReference a number", strings.Replace(adyenDocsBody, `"7914073381342284"`, `7914073381342284`, 1), verify.ErrMalformedBody},
		// hookguard reads the last of two keys, another parser the first.
		{"eventCode twice", strings.Replace(adyenDocsBody, `"eventCode":"AUTHORISATION"`, `"eventCode":"REFUND","eventCode":"AUTHORISATION"`, 1), verify.ErrMalformedBody},
		{"an escaped duplicate", strings.Replace(adyenDocsBody, `"eventCode":"AUTHORISATION"`, `"\u0065ventCode":"REFUND","eventCode":"AUTHORISATION"`, 1), verify.ErrMalformedBody},
		{"a duplicate at the top", strings.Replace(adyenDocsBody, `{"live":"false",`, `{"notificationItems":[],"live":"false",`, 1), verify.ErrMalformedBody},
		{"a duplicate deep inside", strings.Replace(adyenDocsBody, `"additionalData":{`, `"additionalData":{"a":{"b":1,"b":2},`, 1), verify.ErrMalformedBody},
		{"trailing data", adyenDocsBody + `{}`, verify.ErrMalformedBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks := keys
			if strings.Contains(tc.body, "coqCmt") || strings.Contains(tc.body, "7914073381342284") {
				ks = []verify.Key{{ID: "docs", Secret: []byte(adyenDocsKey)}}
			}
			_, err := adyenVerify(t, []byte(tc.body), ks...)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err != nil && (strings.Contains(err.Error(), "PSP") || strings.Contains(err.Error(), "7914")) {
				t.Errorf("the error carries request data: %v", err)
			}
		})
	}
	// Same keys repeated in different objects are not duplicates.
	if _, err := adyenVerify(t, two, keys...); err != nil {
		t.Fatal(err)
	}
}

func TestAdyenKeys(t *testing.T) {
	for _, secret := range []string{"not hex", "ABC"} {
		_, err := verify.Preset("adyen", verify.Options{Keys: []verify.Key{{ID: "k", Secret: []byte(secret)}}})
		if !errors.Is(err, verify.ErrInvalidScheme) || strings.Contains(err.Error(), secret) {
			t.Errorf("secret %q: %v", secret, err)
		}
	}
	if _, err := verify.Preset("adyen", verify.Options{}); !errors.Is(err, verify.ErrNoKeys) {
		t.Errorf("no keys: %v", err)
	}
}

func TestAdyenSign(t *testing.T) {
	key := adyenKey("sign")
	req := &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: "/hooks/adyen"}
	// Any body becomes a notification of one item; a notification's items
	// are each signed.
	for _, body := range []string{`{"event":"x"}`, string(adyenBody(t, adyenItem(t, adyenKey("other"), "A", nil), adyenItem(t, adyenKey("other"), "B", nil)))} {
		hdr, signed, err := verify.SignRequest("adyen", key, req, []byte(body), adyenNow)
		if err != nil || hdr != nil {
			t.Fatalf("SignRequest: %v, %v", hdr, err)
		}
		if id, err := adyenVerify(t, signed, verify.Key{ID: "k", Secret: []byte(key)}); err != nil || id != "k" {
			t.Fatalf("signed %s: %q, %v", signed, id, err)
		}
	}
	if _, err := verify.Sign("adyen", key, req, []byte(`{}`), adyenNow); !errors.Is(err, verify.ErrInvalidScheme) {
		t.Fatalf("Sign for a preset that signs in the body: %v", err)
	}
	a, _, _ := verify.SignRequest("adyen", key, req, []byte(`{"n":1}`), adyenNow)
	_, b1, _ := verify.SignRequest("adyen", key, req, []byte(`{"n":1}`), adyenNow)
	_, b2, _ := verify.SignRequest("adyen", key, req, []byte(`{"n":2}`), adyenNow)
	if a != nil || string(b1) == string(b2) {
		t.Fatal("two bodies signed as one notification")
	}
}

// TestAdyenIdentity: a delivery is identified by what its signatures
// cover, so a copy with unsigned fields changed is the same delivery.
func TestAdyenIdentity(t *testing.T) {
	key := adyenKey("identity")
	s := preset(t, "adyen", verify.Key{ID: "k", Secret: []byte(key)})
	id := func(body []byte) verify.Identity {
		t.Helper()
		return identityOf(t, s, &verify.Request{Method: "POST", Path: "/hooks/adyen"}, body, adyenNow, verify.IdentitySignedContent)
	}
	first := id(adyenBody(t, adyenItem(t, key, "P1", nil)))
	if id(adyenBody(t, adyenItem(t, key, "P1", map[string]any{"eventDate": "2030-01-01T00:00:00Z", "reason": "replayed"}))) != first {
		t.Error("a copy with unsigned fields changed is a new delivery")
	}
	if id(adyenBody(t, adyenItem(t, key, "P2", nil))) == first {
		t.Error("another payment is the same delivery")
	}
	if id(adyenBody(t, adyenItem(t, key, "P1", nil), adyenItem(t, key, "P2", nil))) == first {
		t.Error("a batch is the same delivery as its first item")
	}
}
