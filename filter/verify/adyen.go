package verify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

// KindAdyen is Adyen's standard notifications: a JSON body whose
// notificationItems[].NotificationRequestItem each carry, in
// additionalData.hmacSignature, the base64 HMAC-SHA256 (key: the
// hex-decoded HMAC key) of eight of the item's fields joined by colons. A
// request verifies only if every item does, under one key. The body is
// buffered.
const KindAdyen PresetKind = "adyen"

// maxAdyenItems bounds the items of one notification, as maxSignatures
// bounds the signatures of a header: each item is a signature to check
// under every key.
const maxAdyenItems = maxSignatures

// adyenSignedFields are the item's fields Adyen signs, in order; value and
// currency are amount's (@adyen/api-library's HmacValidator.getDataToSign).
var adyenSignedFields = [...]string{"pspReference", "originalReference", "merchantAccountCode", "merchantReference",
	"value", "currency", "eventCode", "success"}

func init() {
	kindBuilders[KindAdyen] = func(p PresetInfo, o Options) (Scheme, error) { return newAdyen(p.SecretEncoding, o) }
}

// adyen verifies Adyen's standard notifications (KindAdyen).
type adyen struct {
	keys []Key // decoded
}

func newAdyen(enc SecretEncoding, o Options) (Scheme, error) {
	if err := checkKeys(o.Keys); err != nil {
		return nil, err
	}
	keys, err := DecodeKeys(o.Keys, enc)
	if err != nil {
		return nil, err
	}
	return &adyen{keys: keys}, nil
}

func (a *adyen) Begin(*Request, time.Time) (Check, error) { return &adyenCheck{a: a}, nil }

type adyenCheck struct {
	a *adyen
	bufferedBody
	signed [][]byte // each item's signed string, once verified
}

func (c *adyenCheck) wants() (bool, string) { return false, "" }

// identity is the signed strings', item by item: Adyen signs nothing else
// of the body, and no timestamp.
func (c *adyenCheck) identity(*[32]byte, []byte) (Identity, bool) {
	if len(c.signed) == 0 {
		return Identity{}, false
	}
	return sumOf(IdentitySignedContent, c.signed...), true
}

func (c *adyenCheck) Verify() (string, error) {
	items, err := adyenItems(c.body)
	if err != nil {
		return "", err
	}
	data := make([][]byte, len(items))
	sigs := make([][]byte, len(items))
	for i, item := range items {
		if data[i], sigs[i], err = adyenItem(item); err != nil {
			return "", err
		}
	}
	// Every item under the same key: the first of the route's keys that
	// signed them all.
	for _, k := range c.a.keys {
		all := true
		for i := range items {
			if !hmac.Equal(adyenMAC(k.Secret, data[i]), sigs[i]) {
				all = false
				break
			}
		}
		if all {
			c.signed = data
			return k.ID, nil
		}
	}
	return "", ErrSignatureMismatch
}

// adyenItems returns the NotificationRequestItem objects of a
// notification, each as a map of its fields. A body with a key twice in
// any object is refused: hookguard and the application could read
// different values.
func adyenItems(body []byte) ([]map[string]json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil || !uniqueJSONKeys(body) {
		return nil, ErrMalformedBody
	}
	raw, ok := top["notificationItems"]
	if !ok || isNull(raw) {
		return nil, ErrMissingSignature
	}
	var wrappers []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &wrappers); err != nil {
		return nil, ErrMalformedBody
	}
	if len(wrappers) == 0 {
		return nil, ErrMissingSignature
	}
	if len(wrappers) > maxAdyenItems {
		return nil, errorf(ErrMalformedBody, "%d notification items; at most %d", len(wrappers), maxAdyenItems)
	}
	items := make([]map[string]json.RawMessage, len(wrappers))
	for i, w := range wrappers {
		if err := json.Unmarshal(w["NotificationRequestItem"], &items[i]); err != nil || items[i] == nil {
			return nil, ErrMalformedBody
		}
	}
	return items, nil
}

// adyenItem returns the string an item's signature covers and the
// signature.
func adyenItem(item map[string]json.RawMessage) (data, sig []byte, err error) {
	var additional map[string]json.RawMessage
	if raw, ok := item["additionalData"]; ok {
		if json.Unmarshal(raw, &additional) != nil {
			return nil, nil, ErrMalformedBody
		}
	}
	s, _, err := adyenString(additional["hmacSignature"])
	switch {
	case err != nil:
		return nil, nil, ErrMalformedSignature
	case s == "":
		return nil, nil, ErrMissingSignature
	}
	sig, err = base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(sig) != sha256.Size {
		return nil, nil, ErrMalformedSignature
	}
	data, err = adyenSignedData(item)
	return data, sig, err
}

// adyenSignedData is the eight fields joined by colons, an absent (or
// null) field as the empty string, as Adyen's documentation says. An item
// without an amount, or whose amount lacks its value or currency, is
// refused: the Node and Java SDKs fail on it, and the Go SDK would sign
// "0" for the value; so is a field of another JSON type than Adyen sends.
func adyenSignedData(item map[string]json.RawMessage) ([]byte, error) {
	var amount map[string]json.RawMessage
	if json.Unmarshal(item["amount"], &amount) != nil || amount == nil || amount["value"] == nil || amount["currency"] == nil {
		return nil, ErrMalformedBody
	}
	var b bytes.Buffer
	for i, name := range adyenSignedFields {
		if i > 0 {
			b.WriteByte(':')
		}
		var v string
		var err error
		switch name {
		case "value":
			v, err = adyenValue(amount["value"])
		case "currency":
			var ok bool
			if v, ok, err = adyenString(amount["currency"]); err == nil && !ok {
				err = ErrMalformedBody
			}
		case "success":
			v, err = adyenSuccess(item["success"])
		default:
			v, _, err = adyenString(item[name])
		}
		if err != nil {
			return nil, err
		}
		b.WriteString(v)
	}
	return b.Bytes(), nil
}

// adyenString reads a JSON string; absent or null is "" (ok false).
func adyenString(raw json.RawMessage) (s string, ok bool, err error) {
	if raw == nil || isNull(raw) {
		return "", false, nil
	}
	if json.Unmarshal(raw, &s) != nil {
		return "", false, ErrMalformedBody
	}
	return s, true, nil
}

// adyenSuccess reads success: Adyen sends the string "true" or "false";
// a JSON boolean is written as the SDK's join writes it.
func adyenSuccess(raw json.RawMessage) (string, error) {
	switch t := string(bytes.TrimSpace(raw)); t {
	case "true", "false":
		return t, nil
	}
	s, _, err := adyenString(raw)
	return s, err
}

// adyenValue reads amount.value, an integer in minor units, as the SDKs
// write it: its decimal digits. Only a plain integer of at most 15 digits
// is taken, so that Node's numbers (which the SDK uses) and Java's long
// agree on its text; anything else is refused.
func adyenValue(raw json.RawMessage) (string, error) {
	t := string(bytes.TrimSpace(raw))
	digits := strings.TrimPrefix(t, "-")
	if digits == "" || len(digits) > 15 || digits[0] == '0' && (len(digits) > 1 || t != digits) {
		return "", ErrMalformedBody
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", ErrMalformedBody
		}
	}
	return t, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func adyenMAC(key, data []byte) []byte {
	m := hmac.New(newSHA256, key)
	m.Write(data)
	return m.Sum(nil)
}

// uniqueJSONKeys reports whether data is JSON in which no object has a
// key twice (after unescaping).
func uniqueJSONKeys(data []byte) bool {
	type frame struct {
		object, wantKey bool
		keys            map[string]struct{}
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var stack []frame
	for {
		t, err := d.Token()
		if err == io.EOF {
			return len(stack) == 0
		}
		if err != nil {
			return false
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			if t == json.Delim('}') {
				stack = stack[:n-1]
				continue
			}
			k, _ := t.(string)
			if _, dup := stack[n-1].keys[k]; dup {
				return false
			}
			stack[n-1].keys[k] = struct{}{}
			stack[n-1].wantKey = false
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true // after this value, a key or '}'
		}
		switch t {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, wantKey: true, keys: map[string]struct{}{}})
		case json.Delim('['):
			stack = append(stack, frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}

// signAdyen signs as Adyen does: each item of a notification body, or,
// for any other body, a notification of one AUTHORISATION item of its
// own, made from now and the body (its pspReference and
// merchantReference), so that different requests differ.
func signAdyen(info PresetInfo, secret string, _ *Request, body []byte, now time.Time) ([]Field, []byte, error) {
	key, err := DecodeSecret(info.SecretEncoding, secret)
	if err != nil {
		return nil, nil, err
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil || top["notificationItems"] == nil {
		sum := sha256.Sum256(append([]byte(strconv.FormatInt(now.UnixNano(), 10)+":"), body...))
		psp := strconv.FormatUint(uint64(now.UnixNano())%1e16, 10)
		psp = strings.Repeat("0", 16-len(psp)) + psp
		body, _ = json.Marshal(map[string]any{"live": "false", "notificationItems": []any{map[string]any{"NotificationRequestItem": map[string]any{
			"additionalData": map[string]any{}, "amount": map[string]any{"currency": "EUR", "value": 1000},
			"eventCode": "AUTHORISATION", "eventDate": now.UTC().Format(time.RFC3339), "merchantAccountCode": "HookguardTest",
			"merchantReference": "hookguard-" + base64.RawURLEncoding.EncodeToString(sum[:9]), "pspReference": psp, "success": "true"}}}})
		top = nil
		if err := json.Unmarshal(body, &top); err != nil {
			return nil, nil, err
		}
	}
	var wrappers []map[string]json.RawMessage
	if err := json.Unmarshal(top["notificationItems"], &wrappers); err != nil {
		return nil, nil, errorf(ErrMalformedBody, "notificationItems")
	}
	for _, w := range wrappers {
		var item, additional map[string]json.RawMessage
		if err := json.Unmarshal(w["NotificationRequestItem"], &item); err != nil || item == nil {
			return nil, nil, errorf(ErrMalformedBody, "NotificationRequestItem")
		}
		data, err := adyenSignedData(item)
		if err != nil {
			return nil, nil, err
		}
		if raw, ok := item["additionalData"]; ok {
			_ = json.Unmarshal(raw, &additional)
		}
		if additional == nil {
			additional = map[string]json.RawMessage{}
		}
		additional["hmacSignature"], _ = json.Marshal(base64.StdEncoding.EncodeToString(adyenMAC(key, data)))
		item["additionalData"], _ = json.Marshal(additional)
		w["NotificationRequestItem"], _ = json.Marshal(item)
	}
	top["notificationItems"], _ = json.Marshal(wrappers)
	out, err := json.Marshal(top)
	return nil, out, err
}
