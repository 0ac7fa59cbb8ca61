package plugin_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/internal/proxywasm/proxytest"
	"github.com/hookguard/hookguard/internal/pairs"
)

// TestJWTRouteBindsRequest: a generic jwt route with body_hash_claim and
// url_hash_claim (what Vonage's and MessageBird's presets set) lets a
// token through only with the body and URL it names.
func TestJWTRouteBindsRequest(t *testing.T) {
	key := []byte("jwt-binding-test-key-0123456789ab")
	now := time.Unix(1764547200, 0)
	jwks := `{"keys":[{"kty":"oct","kid":"k","alg":"HS256","k":"` + base64.RawURLEncoding.EncodeToString(key) + `"}]}`
	h := start(t, `{"routes":[{"name":"api","match":{"path_prefix":"/api"},"scheme":"jwt","jwks":`+jwks+
		`,"body_hash_claim":"payload_hash","url_hash_claim":"url_hash","public_url":"https://hooks.example.test"}]}`, nil, now)
	hexSum := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }
	token := func(claims map[string]any) string {
		claims["exp"] = now.Add(time.Minute).Unix()
		b64 := func(v any) string { j, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(j) }
		input := b64(map[string]string{"alg": "HS256", "kid": "k", "typ": "JWT"}) + "." + b64(claims)
		m := hmac.New(sha256.New, key)
		m.Write([]byte(input))
		return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	body, url := `{"event":"message"}`, "https://hooks.example.test/api/inbound"
	send := func(tok, path, b string) bool {
		s := h.Run(proxytest.Request{Header: []pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: path},
			{Key: ":authority", Value: "internal:8080"}, {Key: "authorization", Value: "Bearer " + tok},
			{Key: "content-length", Value: strconv.Itoa(len(b))}}, Body: strings.NewReader(b)})
		return s.Local == nil && s.Continued
	}
	bound := token(map[string]any{"payload_hash": hexSum(body), "url_hash": hexSum(url)})
	if !send(bound, "/api/inbound", body) {
		t.Fatal("the token's own body and URL: refused")
	}
	if send(bound, "/api/inbound", `{"event":"forged"}`) {
		t.Error("another body: let through")
	}
	if send(bound, "/api/other", body) {
		t.Error("another URL: let through")
	}
	if send(token(map[string]any{"url_hash": hexSum(url)}), "/api/inbound", body) {
		t.Error("a token that binds no body: let through")
	}
}
