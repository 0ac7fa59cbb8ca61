package verify_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/testing/cases"
)

func readJWT(t testing.TB) cases.JWTFile {
	t.Helper()
	f, err := cases.ReadJWT()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func jwtScheme(t testing.TB, f cases.JWTFile, header string) verify.Scheme {
	t.Helper()
	keys, err := verify.ParseJWKS(f.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	s, err := verify.NewJWT(verify.JWT{Header: header, Keys: keys, Issuer: f.Issuer, Audiences: []string{f.Audience},
		Leeway: time.Duration(f.Leeway) * time.Second, Claims: []string{"sub", "iat"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestJWTVectors runs every token jose signed: each algorithm, the leeway
// edges, wrong issuer and audience, unknown kid, "none", algorithm
// confusion and tampering.
func TestJWTVectors(t *testing.T) {
	f := readJWT(t)
	if len(f.Vectors) < 60 {
		t.Fatalf("%d vectors", len(f.Vectors))
	}
	s := jwtScheme(t, f, "")
	now := time.Unix(f.Now, 0)
	algs := map[string]bool{}
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			req := &verify.Request{Method: "POST", Path: "/", Header: []verify.Field{{Name: "authorization", Value: "Bearer " + v.Token}}}
			c, err := s.Begin(req, now)
			if !v.Valid {
				if err == nil {
					t.Fatalf("accepted (%s says it is invalid)", f.Oracle)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if c.NeedsBody() {
				t.Fatal("a JWT needs the body")
			}
			id, err := c.Verify()
			claims := c.(verify.ClaimsCheck).Claims()
			if err != nil || id != v.KID || claims["sub"] != v.Sub || claims["iat"] != "1764547200" {
				t.Fatalf("key %q claims %v, %v; want %s, sub %s", id, claims, err, v.KID, v.Sub)
			}
			algs[strings.SplitN(v.Name, "/", 2)[0]] = true
		})
	}
	if len(algs) != len(verify.JWTAlgorithms) {
		t.Fatalf("valid vectors cover %d algorithms, want %d", len(algs), len(verify.JWTAlgorithms))
	}
}

// TestJWTErrors maps failures to the reasons a client sees.
func TestJWTErrors(t *testing.T) {
	f := readJWT(t)
	now := time.Unix(f.Now, 0)
	token := func(name string) string {
		for _, v := range f.Vectors {
			if v.Name == name {
				return v.Token
			}
		}
		t.Fatalf("no vector %s", name)
		return ""
	}
	for _, tc := range []struct {
		name   string
		header string
		fields []verify.Field
		want   error
	}{
		{"no header", "", nil, verify.ErrMissingSignature},
		{"basic, not bearer", "", []verify.Field{{Name: "authorization", Value: "Basic dTpw"}}, verify.ErrMissingSignature},
		{"empty bearer", "", []verify.Field{{Name: "authorization", Value: "Bearer "}}, verify.ErrMissingSignature},
		{"two authorization headers", "", []verify.Field{{Name: "authorization", Value: "Bearer " + token("RS256/valid")}, {Name: "authorization", Value: "Bearer x"}}, verify.ErrMalformedSignature},
		{"not a JWT", "", []verify.Field{{Name: "authorization", Value: "Bearer abc"}}, verify.ErrMalformedSignature},
		{"oversized", "", []verify.Field{{Name: "authorization", Value: "Bearer " + strings.Repeat("a", 17<<10)}}, verify.ErrMalformedSignature},
		{"expired", "", []verify.Field{{Name: "authorization", Value: "Bearer " + token("RS256/expired past the leeway")}}, verify.ErrTimestampOutOfTolerance},
		{"no exp", "", []verify.Field{{Name: "authorization", Value: "Bearer " + token("RS256/no exp")}}, verify.ErrMissingTimestamp},
		{"wrong audience", "", []verify.Field{{Name: "authorization", Value: "Bearer " + token("ES256/wrong audience")}}, verify.ErrUnauthorized},
		{"confusion", "", []verify.Field{{Name: "authorization", Value: "Bearer " + token("confusion/HS256 with the RS256 public key (PEM)")}}, verify.ErrSignatureMismatch},
		{"none", "", []verify.Field{{Name: "authorization", Value: "Bearer " + token("none/with kid")}}, verify.ErrSignatureMismatch},
		{"a named header", "x-token", []verify.Field{{Name: "x-token", Value: token("EdDSA/valid")}}, nil},
		{"a named header, missing", "x-token", []verify.Field{{Name: "authorization", Value: "Bearer " + token("EdDSA/valid")}}, verify.ErrMissingSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jwtScheme(t, f, tc.header).Begin(&verify.Request{Header: tc.fields}, now)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestParseJWKS refuses keys that are not pinned, are private, or do not
// fit their algorithm.
func TestParseJWKS(t *testing.T) {
	f := readJWT(t)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	json.Unmarshal(f.JWKS, &set)
	byAlg := map[string]map[string]any{}
	for _, k := range set.Keys {
		byAlg[k["alg"].(string)] = k
	}
	key := func(alg string, change func(map[string]any)) map[string]any {
		k := map[string]any{}
		for n, v := range byAlg[alg] {
			k[n] = v
		}
		change(k)
		return k
	}
	jwks := func(keys ...map[string]any) string {
		b, _ := json.Marshal(map[string]any{"keys": keys})
		return string(b)
	}
	with := func(alg string, change func(map[string]any)) string { return jwks(key(alg, change)) }
	noKID := func(k map[string]any) { delete(k, "kid") }
	for _, tc := range []struct{ name, jwks string }{
		{"no alg", with("RS256", func(k map[string]any) { delete(k, "alg") })},
		{"alg none", with("RS256", func(k map[string]any) { k["alg"] = "none" })},
		{"HS256 on an RSA key", with("RS256", func(k map[string]any) { k["alg"] = "HS256" })},
		{"ES384 on a P-256 key", with("ES256", func(k map[string]any) { k["alg"] = "ES384" })},
		{"a private RSA key", with("RS256", func(k map[string]any) { k["d"] = "AQAB" })},
		{"an encryption key", with("RS256", func(k map[string]any) { k["use"] = "enc" })},
		{"a point off the curve", with("ES256", func(k map[string]any) { k["y"] = k["x"] })},
		{"a short HMAC key", with("HS256", func(k map[string]any) { k["k"] = "c2hvcnQ" })},
		{"a short RSA key", with("RS256", func(k map[string]any) { k["n"] = "AQAB" })},
		{"empty set", `{"keys":[]}`},
		{"not JSON", `{"keys":`},
		{"two keys without kid", jwks(key("HS256", noKID), key("HS384", noKID))},
		{"a kid twice", jwks(key("HS256", func(map[string]any) {}), key("HS384", func(k map[string]any) { k["kid"] = byAlg["HS256"]["kid"] }))},
	} {
		if _, err := verify.ParseJWKS([]byte(tc.jwks)); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// TestJWTVectorsAreCurrent reruns gen.mjs where Node and jose are
// installed (cd testdata/jwt && npm ci).
func TestJWTVectorsAreCurrent(t *testing.T) {
	cases.CheckNodeGenerator(t, filepath.Join(cases.TestdataDir(), "..", "jwt"))
}

// FuzzJWT feeds arbitrary JWK Sets and tokens: nothing panics, and a token
// verifies only under the vectors' own keys when it is one of the valid
// vectors (an arbitrary mutation never verifies).
func FuzzJWT(f *testing.F) {
	jf, err := cases.ReadJWT()
	if err != nil {
		f.Fatal(err)
	}
	valid := map[string]bool{}
	for _, v := range jf.Vectors {
		f.Add(string(jf.JWKS), v.Token)
		valid[v.Token] = v.Valid
	}
	f.Add(`{"keys":[{"kty":"RSA","alg":"RS256","n":"AQAB","e":"AQAB"}]}`, "a.b.c")
	keys, _ := verify.ParseJWKS(jf.JWKS)
	vectorsScheme, _ := verify.NewJWT(verify.JWT{Keys: keys, Issuer: jf.Issuer, Audiences: []string{jf.Audience}, Leeway: time.Duration(jf.Leeway) * time.Second})
	now := time.Unix(jf.Now, 0)
	f.Fuzz(func(t *testing.T, jwks, token string) {
		if ks, err := verify.ParseJWKS([]byte(jwks)); err == nil {
			if s, err := verify.NewJWT(verify.JWT{Keys: ks, Leeway: time.Minute}); err == nil {
				s.Begin(&verify.Request{Header: []verify.Field{{Name: "authorization", Value: "Bearer " + token}}}, now)
			}
		}
		_, err := vectorsScheme.Begin(&verify.Request{Header: []verify.Field{{Name: "authorization", Value: "Bearer " + token}}}, now)
		if err == nil && !valid[strings.TrimSpace(token)] {
			t.Fatalf("a token that is no valid vector verified: %q", token)
		}
	})
}
