package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/testing/cases"
	"github.com/hookguard/hookguard/internal/testing/conformance"
)

// TestProvidersJSON runs every provider vector through the gateway
// configured with the shipped providers.json, as README.md says to run it:
// secrets in <PRESET>_WEBHOOK_SECRET (a second key in …_PREVIOUS), the
// module's clock pinned to when the vectors were signed, and public_url
// for the presets that sign the URL.
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
		info, _ := verify.LookupPreset(r["scheme"].(string))
		if info.Kind == verify.KindURLForm || info.Kind == verify.KindPlivo || strings.Contains(info.HMAC.Template, "{url}") ||
			info.JWT != nil && (info.JWT.AudienceURL || info.JWT.URLHashClaim != "") {
			r["public_url"] = "http://127.0.0.1:8080" // the vectors' URL: these presets sign it
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
		name := strings.ToUpper(strings.ReplaceAll(v.Preset, "-", "_")) + "_WEBHOOK_SECRET"
		if info, _ := verify.LookupPreset(v.Preset); info.Kind == "public-key" || strings.HasPrefix(v.Secret, "whpk_") {
			name = strings.ToUpper(strings.ReplaceAll(v.Preset, "-", "_")) + "_PUBLIC_KEY"
		}
		if old, set := env[name]; set && old != v.Secret {
			name += "_PREVIOUS" // a second vector under another key (Adyen's documented example): the route's second secret
		}
		env[name] = v.Secret
	}
	base, _ := startGatewayAt(t, env, f.Time)
	// The handshakes, and an attacker's attempts to make each sign a
	// payload: the key ids of providers.json are not the test routes'.
	handshakes := cases.HandshakeCases(f)
	for i := range handshakes {
		handshakes[i].CheckVerified = false
	}
	conformance.Run(t, conformance.Target{BaseURL: base, Cases: cases.ProviderCases(f), EchoesBody: true})
	conformance.Run(t, conformance.Target{BaseURL: base, Cases: handshakes})
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
	base, _ := startGatewayAt(t, map[string]string{"HOOKGUARD_CONFIG": writeTempBytes(t, cfg), "GITHUB_WEBHOOK_SECRET": github.Secret}, f.Time)
	valid := github.Case(f.Time())
	stripe := valid
	stripe.Path, stripe.WantStatus = "/hooks/stripe", 500
	unrouted := valid
	unrouted.Path, unrouted.WantStatus = "/elsewhere", 404
	conformance.Run(t, conformance.Target{BaseURL: base, Cases: []cases.Case{valid, stripe, unrouted}})
}

// TestPublishedVectorsThroughGateway sends the vectors providers publish
// through the gateway, a route each with tolerance_seconds widened for
// their old timestamps (and public_url where the provider signs the URL):
// each verifies, and each fails with a byte of its body changed.
func TestPublishedVectorsThroughGateway(t *testing.T) {
	vectors, err := cases.ReadPublished()
	if err != nil {
		t.Fatal(err)
	}
	var routes []map[string]any
	env := map[string]string{}
	var table []cases.Case
	for i, v := range vectors {
		name := "PUBLISHED_" + strconv.Itoa(i)
		routes = append(routes, map[string]any{"name": v.Name, "match": map[string]any{"path_prefix": "/published/" + v.Name},
			"scheme": v.Preset, "secrets": []map[string]any{{"id": "doc", "env": name}},
			"tolerance_seconds": 20 * 365 * 24 * 3600, "public_url": v.PublicURL})
		env[name] = v.Secret
		tc := v.Case(time.Time{})
		tc.Path = "/published/" + v.Name
		if q := strings.SplitN(v.Path(), "?", 2); len(q) == 2 {
			tc.Path += "?" + q[1]
		}
		tc.WantVerified, tc.CheckVerified = "route="+v.Name+"; key=doc", true
		table = append(table, tc)
		forged := tc
		forged.Name, forged.Body, forged.WantStatus = v.Name+"/tampered", append([]byte("x"), tc.Body[1:]...), 401
		table = append(table, forged)
	}
	cfg, _ := json.Marshal(map[string]any{"routes": routes})
	env["HOOKGUARD_CONFIG"] = writeTempBytes(t, cfg)
	base, _ := startGatewayAt(t, env, func() time.Time { return time.Unix(1764547200, 0) })
	conformance.Run(t, conformance.Target{BaseURL: base, Cases: table, EchoesBody: true})
}

// TestRemoteKeyPresetsThroughGateway: providers.json's aws-sns, paypal,
// plaid, adobe-io and ebay routes, bound by the environment
// (AWS_SNS_TOPIC_ARNS, PAYPAL_WEBHOOK_ID, PLAID_API_CREDENTIALS,
// ADOBE_IO_CLIENT_IDS, EBAY_APP_CREDENTIALS) and fetching keys through the
// provider-keys cluster (here a local server standing in for the
// providers), take testdata/remotekeys' independently checked vectors:
// each valid one verifies, each with a byte changed is refused with 401,
// and the invalid ones are refused with their status (401, or 503 for a
// key that cannot be had).
func TestRemoteKeyPresetsThroughGateway(t *testing.T) {
	f := cases.ReadRemoteKeyFile(t)
	ks := cases.NewRemoteKeyServer(t, f)
	var sns struct {
		TopicARNs []string `json:"topic_arns"`
	}
	var pp struct {
		WebhookIDs []string `json:"webhook_ids"`
	}
	var adobe struct {
		ClientIDs []string `json:"client_ids"`
	}
	json.Unmarshal(f.Routes["aws-sns"], &sns)
	json.Unmarshal(f.Routes["paypal"], &pp)
	json.Unmarshal(f.Routes["adobe-io"], &adobe)
	id, secret := f.PlaidCredentials(t)
	ebayID, ebaySecret := f.EBayCredentials(t)
	cfg, _ := os.ReadFile("providers.json")
	base, _ := startGatewayAt(t, map[string]string{"HOOKGUARD_CONFIG": writeTempBytes(t, cfg), "HOOKGUARD_CLUSTERS": "provider-keys=" + ks.URL,
		"AWS_SNS_TOPIC_ARNS": strings.Join(sns.TopicARNs, ","), "PAYPAL_WEBHOOK_ID": strings.Join(pp.WebhookIDs, ","),
		"PLAID_API_CREDENTIALS": id + ":" + secret, "ADOBE_IO_CLIENT_IDS": strings.Join(adobe.ClientIDs, ","),
		"EBAY_APP_CREDENTIALS": ebayID + ":" + ebaySecret}, func() time.Time { return f.Now })
	send := func(v cases.RemoteKeyVector, body []byte) int {
		req, _ := http.NewRequest(v.Method, base+"/hooks/"+v.Preset, bytes.NewReader(body))
		for k, val := range v.Headers {
			req.Header.Set(k, val)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, v := range f.Vectors {
		if got, want := send(v, []byte(v.Body)), v.WantStatus(); got != want {
			t.Errorf("%s (%s): %d, want %d", v.Name, v.Why, got, want)
		}
		if v.Valid {
			if got := send(v, cases.Tampered(v.Preset, v.Body)); got != 401 {
				t.Errorf("%s with a byte changed: %d, want 401", v.Name, got)
			}
		}
	}
}
