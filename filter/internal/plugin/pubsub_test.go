package plugin_test

import (
	"encoding/json"
	"testing"

	"github.com/hookguard/hookguard/filter/internal/plugin"
	"github.com/hookguard/hookguard/filter/internal/proxywasm/proxytest"
	"github.com/hookguard/hookguard/internal/pairs"
	"github.com/hookguard/hookguard/internal/testing/cases"
)

// pubsubRoute is a gcp-pubsub route holding the test JWK Set (standing in
// for Google's) with extra fields.
func pubsubRoute(t *testing.T, f cases.JWTFile, extra string) string {
	t.Helper()
	aud, _ := json.Marshal(f.PubSub.Audience)
	email, _ := json.Marshal(f.PubSub.Email)
	return `{"routes":[{"name":"ps","match":{"path":"/push"},"scheme":"gcp-pubsub","jwks":` + string(f.JWKS) +
		`,"audiences":[` + string(aud) + `],"require_claims":{"email":` + string(email) + `}` + extra + `}]}`
}

// TestPubSubTokens: Pub/Sub push tokens (signed by jose as Google signs
// them, checked by jose with Google's rules) verify only from the route's
// service account, verified by Google, for its audience, from Google's
// issuer, unexpired.
func TestPubSubTokens(t *testing.T) {
	f, err := cases.ReadJWT()
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, pubsubRoute(t, f, ""), nil, f.Time())
	if len(f.PubSub.Vectors) < 6 {
		t.Fatalf("%d Pub/Sub vectors", len(f.PubSub.Vectors))
	}
	for _, v := range f.PubSub.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			s := h.Run(proxytest.Request{Header: []pairs.Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/push"},
				{Key: ":authority", Value: "hooks.example.test"}, {Key: "authorization", Value: "Bearer " + v.Token}}})
			if through := s.Local == nil && s.Continued; through != v.Valid {
				t.Fatalf("let through %v, want %v (%v)", through, v.Valid, s.Local)
			}
			if !v.Valid && s.Local.Status != 401 {
				t.Fatalf("status %d, want 401", s.Local.Status)
			}
		})
	}
}

// TestPubSubRouteMustBind: a gcp-pubsub route that leaves the audience or
// the service account open, or holds secrets, does not start: Google
// signs tokens for anyone's service accounts.
func TestPubSubRouteMustBind(t *testing.T) {
	f, err := cases.ReadJWT()
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []string{
		`{"routes":[{"name":"ps","scheme":"gcp-pubsub","jwks_cluster":"google","require_claims":{"email":"a@b.iam.gserviceaccount.com"}}]}`,
		`{"routes":[{"name":"ps","scheme":"gcp-pubsub","jwks_cluster":"google","audiences":["https://x"]}]}`,
		`{"routes":[{"name":"ps","scheme":"gcp-pubsub","jwks_cluster":"google","audiences":["https://x"],"require_claims":{"email":""}}]}`,
		`{"routes":[{"name":"ps","scheme":"gcp-pubsub","secrets":[{"env":"S"}],"audiences":["https://x"],"require_claims":{"email":"a@b"}}]}`,
		pubsubRoute(t, f, `,"jwks_cluster":"google"`),
	} {
		h, ok := proxytest.Start(plugin.NewRoot, proxytest.Options{Config: []byte(cfg), Env: map[string]string{"S": "s"}})
		h.Close()
		if ok {
			t.Errorf("started with %s", cfg)
		}
	}
}
