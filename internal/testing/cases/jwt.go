package cases

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// JWTFile is testdata/jwt/vectors.json: tokens jose signed (gen.mjs
// beside it), and the JWK Set, issuer and audience they are checked with.
type JWTFile struct {
	Oracle   string          `json:"oracle"`
	Now      int64           `json:"now"`
	Leeway   int64           `json:"leeway_seconds"`
	Issuer   string          `json:"issuer"`
	Audience string          `json:"audience"`
	JWKS     json.RawMessage `json:"jwks"`
	Vectors  []JWTVector     `json:"vectors"`
	// PubSub are Google Pub/Sub push tokens for the gcp-pubsub preset,
	// signed under the set's RS256 key standing in for Google's.
	PubSub struct {
		Audience string      `json:"audience"`
		Email    string      `json:"email"`
		Vectors  []JWTVector `json:"vectors"`
	} `json:"pubsub"`
}

// JWTVector is one token and whether it must verify (then under kid, with
// claim sub).
type JWTVector struct {
	Name  string `json:"name"`
	Token string `json:"token"`
	Valid bool   `json:"valid"`
	KID   string `json:"kid"`
	Sub   string `json:"sub"`
}

// ReadJWT reads testdata/jwt/vectors.json.
func ReadJWT() (JWTFile, error) {
	var f JWTFile
	data, err := os.ReadFile(filepath.Join(TestdataDir(), "..", "jwt", "vectors.json"))
	if err != nil {
		return f, err
	}
	return f, json.Unmarshal(data, &f)
}

// Time is the vectors' signing time.
func (f JWTFile) Time() time.Time { return time.Unix(f.Now, 0) }

// JWTRouteConfig is a plugin configuration with one jwt route, "api", at
// /api: the vectors' JWK Set from HOOKGUARD_TEST_JWKS, their issuer,
// audience and leeway, and sub forwarded as X-Jwt-Sub.
func JWTRouteConfig(f JWTFile) (string, map[string]string) {
	cfg, _ := json.Marshal(map[string]any{"routes": []any{map[string]any{"name": "api", "match": map[string]any{"path_prefix": "/api"},
		"scheme": "jwt", "jwks_env": "HOOKGUARD_TEST_JWKS", "issuer": f.Issuer, "audiences": []string{f.Audience},
		"leeway_seconds": f.Leeway, "forward_claims": map[string]string{"sub": "X-Jwt-Sub"}}}})
	return string(cfg), map[string]string{"HOOKGUARD_TEST_JWKS": string(f.JWKS)}
}

// JWTCases are the vectors as requests to JWTRouteConfig's route, each
// with a client-sent X-Jwt-Sub the filter must replace: a valid token goes
// upstream marked with its kid and its sub; any other is refused 401.
func JWTCases(f JWTFile) []Case {
	var out []Case
	for _, v := range f.Vectors {
		c := Case{Name: "jwt/" + v.Name, Path: "/api/events", Now: f.Time(), Body: []byte(`{"event":"jwt"}`),
			Header: []verify.Field{{Name: "authorization", Value: "Bearer " + v.Token}, {Name: "x-jwt-sub", Value: "admin"}}, WantStatus: 401}
		if v.Valid {
			c.WantStatus, c.CheckVerified, c.WantVerified = 200, true, "route=api; key="+v.KID
			c.WantUpstream = map[string]string{"x-jwt-sub": v.Sub}
		}
		if strings.HasPrefix(v.Name, "none/") {
			c.Name += " (alg none)"
		}
		out = append(out, c)
	}
	return out
}
