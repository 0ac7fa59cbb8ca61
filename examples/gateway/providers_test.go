package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/cases"
	"github.com/hookguard/hookguard/internal/conformance"
)

// TestProvidersJSON runs every provider vector through the gateway
// configured with the shipped providers.json, as README.md says to run it:
// secrets in <PRESET>_WEBHOOK_SECRET, the tolerance widened for the
// vectors' signing time, and public_url for the presets that sign the URL.
func TestProvidersJSON(t *testing.T) {
	data, err := os.ReadFile("providers.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Routes []map[string]any `json:"routes"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range doc.Routes {
		names = append(names, r["name"].(string))
		r["tolerance_seconds"] = 10 * 365 * 24 * 3600
		switch r["scheme"] {
		case "twilio", "square", "hubspot", "mandrill":
			r["public_url"] = "http://127.0.0.1:8080"
		}
	}
	if got, want := strings.Join(names, ","), strings.Join(verify.Presets(), ","); got != want {
		t.Fatalf("providers.json routes %s, want one per preset: %s", got, want)
	}
	patched, _ := json.Marshal(doc)
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOOKGUARD_CONFIG": writeTempBytes(t, patched)}
	for _, v := range f.Vectors {
		env[strings.ToUpper(strings.ReplaceAll(v.Preset, "-", "_"))+"_WEBHOOK_SECRET"] = v.Secret
	}
	base, _ := startGateway(t, env)
	conformance.Run(t, conformance.Target{BaseURL: base, Cases: cases.ProviderCases(f), EchoesBody: true})
}

// TestUnsetSecretsFailClosed starts providers.json with one secret set:
// that route verifies, and the others refuse every request.
func TestUnsetSecretsFailClosed(t *testing.T) {
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	var github cases.ProviderVector
	for _, v := range f.Vectors {
		if v.Preset == "github" {
			github = v
		}
	}
	cfg, _ := os.ReadFile("providers.json")
	base, _ := startGateway(t, map[string]string{"HOOKGUARD_CONFIG": writeTempBytes(t, cfg), "GITHUB_WEBHOOK_SECRET": github.Secret})
	valid := github.Case(f.Time())
	stripe := valid
	stripe.Path, stripe.WantStatus = "/hooks/stripe", 500
	unrouted := valid
	unrouted.Path, unrouted.WantStatus = "/elsewhere", 404
	conformance.Run(t, conformance.Target{BaseURL: base, Cases: []cases.Case{valid, stripe, unrouted}})
}
