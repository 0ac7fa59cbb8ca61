package verify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// TestPublicKeyConfusion tries what an attacker who knows a route's public
// key could: a v1 (HMAC) entry keyed with that public key, signatures of
// the wrong size or of another key, a v1a entry on a route that only has
// secrets. None verifies.
func TestPublicKeyConfusion(t *testing.T) {
	now := time.Unix(1764547200, 0)
	const signing = "whsk_ZnV6ei1mdXp6LWZ1enotZnV6ei1mdXp6LWZ1enotZnU="
	pub, err := verify.PublicKeyFor("standard-webhooks", signing)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(pub, "whpk_"))
	body := []byte(`{"id":"evt"}`)
	base := &verify.Request{Method: "POST", Path: "/", Header: []verify.Field{{Name: "content-type", Value: "application/json"}}}
	valid, err := verify.Sign("standard-webhooks", signing, base, body, now)
	if err != nil {
		t.Fatal(err)
	}
	msg := verify.TestID + ".1764547200." + string(body)
	hmacWith := func(key []byte) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msg))
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	swHeaders := func(signature string) []verify.Field {
		return []verify.Field{{Name: "webhook-id", Value: verify.TestID}, {Name: "webhook-timestamp", Value: "1764547200"}, {Name: "webhook-signature", Value: signature}}
	}
	publicOnly := preset(t, "standard-webhooks", verify.Key{ID: "pk", Secret: []byte(pub)})
	secretOnly := preset(t, "standard-webhooks", verify.Key{ID: "sk", Secret: []byte("whsec_" + base64.StdEncoding.EncodeToString(raw))})
	discordPub, _ := verify.PublicKeyFor("discord", hex.EncodeToString(raw))
	discord := preset(t, "discord", verify.Key{ID: "d", Secret: []byte(discordPub)})
	for _, tc := range []struct {
		name   string
		scheme verify.Scheme
		header []verify.Field
		want   error
	}{
		{"v1 keyed with the raw public key", publicOnly, swHeaders("v1," + hmacWith(raw)), verify.ErrMalformedSignature},
		{"v1 keyed with the whpk_ text", publicOnly, swHeaders("v1," + hmacWith([]byte(pub))), verify.ErrMalformedSignature},
		{"v1a on a route with secrets only", secretOnly, valid, verify.ErrMalformedSignature},
		{"v1a of 63 bytes", publicOnly, swHeaders("v1a," + base64.StdEncoding.EncodeToString(make([]byte, 63))), verify.ErrMalformedSignature},
		{"v1a of zeros", publicOnly, swHeaders("v1a," + base64.StdEncoding.EncodeToString(make([]byte, 64))), verify.ErrSignatureMismatch},
		{"discord: the HMAC of the message under the public key", discord, []verify.Field{{Name: "x-signature-timestamp", Value: "1764547200"},
			{Name: "x-signature-ed25519", Value: hex.EncodeToString(append(make([]byte, 32), []byte(hmacWith(raw))[:32]...))}}, verify.ErrSignatureMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := *base
			req.Header = append(append([]verify.Field(nil), base.Header...), tc.header...)
			_, err := verify.Verify(tc.scheme, &req, body, now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	req := *base
	req.Header = append(append([]verify.Field(nil), base.Header...), valid...)
	if id, err := verify.Verify(publicOnly, &req, body, now); err != nil || id != "pk" {
		t.Fatalf("the valid v1a: %q, %v", id, err)
	}
}

// TestDecodePublicKey takes each form a provider shows a key in, and
// refuses what is not a key of the algorithm.
func TestDecodePublicKey(t *testing.T) {
	seed := strings.Repeat("ab", 32)
	hexKey, _ := verify.PublicKeyFor("discord", seed)
	b64Key, _ := verify.PublicKeyFor("telnyx", seed)
	whpk, _ := verify.PublicKeyFor("standard-webhooks", "whsk_"+base64.StdEncoding.EncodeToString(make([]byte, 32)))
	raw, _ := hex.DecodeString(hexKey)
	spki := base64.StdEncoding.EncodeToString(append([]byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}, raw...))
	pem := "-----BEGIN PUBLIC KEY-----\n" + spki + "\n-----END PUBLIC KEY-----\n"
	sendgrid, _ := verify.PublicKeyFor("sendgrid", seed)
	for _, tc := range []struct {
		alg  verify.Algorithm
		key  string
		size int // 0: refused
	}{
		{verify.Ed25519, hexKey, 32},
		{verify.Ed25519, strings.ToUpper(hexKey), 32},
		{verify.Ed25519, b64Key, 32},
		{verify.Ed25519, strings.TrimRight(b64Key, "="), 32},
		{verify.Ed25519, whpk, 32},
		{verify.Ed25519, spki, 32},
		{verify.Ed25519, pem, 32},
		{verify.Ed25519, " " + hexKey + "\n", 32},
		{verify.ECDSAP256SHA256, sendgrid, 65},
		{verify.ECDSAP256SHA256, "-----BEGIN PUBLIC KEY-----\n" + sendgrid + "\n-----END PUBLIC KEY-----", 65},
		{verify.Ed25519, sendgrid, 0},
		{verify.ECDSAP256SHA256, hexKey, 0},
		{verify.ECDSAP256SHA256, base64.StdEncoding.EncodeToString(append([]byte{4}, make([]byte, 64)...)), 0}, // not on the curve
		{verify.Ed25519, hexKey[:62], 0},
		{verify.Ed25519, "", 0},
		{verify.Ed25519, "-----BEGIN PRIVATE KEY-----\n" + spki + "\n-----END PRIVATE KEY-----", 0},
		{verify.SHA256, hexKey, 0},
	} {
		got, err := verify.DecodePublicKey(tc.alg, tc.key)
		if tc.size == 0 {
			if err == nil || !errors.Is(err, verify.ErrInvalidScheme) {
				t.Errorf("%s %q: accepted (%v)", tc.alg, tc.key, err)
			}
			continue
		}
		if err != nil || len(got) != tc.size {
			t.Errorf("%s %q: %d bytes, %v", tc.alg, tc.key, len(got), err)
		}
	}
}

// FuzzDecodePublicKey: arbitrary key text never panics, and what decodes
// builds a scheme.
func FuzzDecodePublicKey(f *testing.F) {
	for _, p := range []string{"discord", "telnyx", "sendgrid"} {
		info, _ := verify.LookupPreset(p)
		f.Add(info.ExampleKey)
	}
	f.Add("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----")
	f.Add("whpk_AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range []string{"discord", "sendgrid"} {
			info, _ := verify.LookupPreset(p)
			if _, err := verify.DecodePublicKey(info.HMAC.Algorithm, s); err == nil {
				if _, err := verify.Preset(p, verify.Options{Keys: []verify.Key{{ID: "k", Secret: []byte(s)}}}); err != nil {
					t.Fatalf("%s: decodes but does not build: %v", p, err)
				}
			}
		}
	})
}
