// Package gosdk checks hookguard's presets against the providers' own Go
// SDKs: stripe-go, go-github, standard-webhooks, slack-go, twilio-go,
// go-pagerduty and go-buildkite.
// It is a module of its own, so the main module does not depend on them;
// `make test` runs it.
package gosdk

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty/webhookv3"
	"github.com/buildkite/go-buildkite/v4"
	"github.com/google/go-github/v74/github"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/testing/cases"
	"github.com/slack-go/slack"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v82/webhook"
	"github.com/twilio/twilio-go/client"
)

// vectors returns every request the npm SDKs signed, the requests
// verify.Sign made (ours.json, recorded in vectors.json's verdicts), and
// the providers' published vectors, by preset.
func vectors(t *testing.T) map[string][]cases.ProviderVector {
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	published, err := cases.ReadPublished()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]cases.ProviderVector{}
	for _, v := range append(f.Vectors, published...) {
		out[v.Preset] = append(out[v.Preset], v)
	}
	return out
}

func header(v cases.ProviderVector) http.Header {
	h := http.Header{}
	for k, val := range v.Headers {
		h.Set(k, val)
	}
	return h
}

// theirVerifiers are the Go SDKs' verifiers, each with the tolerance its
// vectors' age needs.
var theirVerifiers = map[string]func(v cases.ProviderVector) error{
	"stripe": func(v cases.ProviderVector) error {
		return webhook.ValidatePayloadWithTolerance([]byte(v.Body), v.Headers["stripe-signature"], v.Secret, 50*365*24*time.Hour)
	},
	"github": func(v cases.ProviderVector) error {
		return github.ValidateSignature(v.Headers["x-hub-signature-256"], []byte(v.Body), []byte(v.Secret))
	},
	"standard-webhooks": func(v cases.ProviderVector) error {
		wh, err := standardwebhooks.NewWebhook(v.Secret)
		if err != nil {
			return err
		}
		return wh.VerifyIgnoringTimestamp([]byte(v.Body), header(v))
	},
	"pagerduty": func(v cases.ProviderVector) error {
		return webhookv3.VerifySignature(request(v), v.Secret)
	},
	"buildkite": func(v cases.ProviderVector) error {
		_, err := buildkite.ValidatePayload(request(v), []byte(v.Secret))
		return err
	},
	"twilio": func(v cases.ProviderVector) error {
		rv := client.NewRequestValidator(v.Secret)
		u, _ := url.Parse(v.URL)
		if u.Query().Has("bodySHA256") {
			if !rv.ValidateBody(v.URL, []byte(v.Body), v.Headers["x-twilio-signature"]) {
				return errRejected
			}
			return nil
		}
		form, _ := url.ParseQuery(v.Body)
		params := map[string]string{}
		for k := range form {
			params[k] = form.Get(k)
		}
		if !rv.Validate(v.URL, params, v.Headers["x-twilio-signature"]) {
			return errRejected
		}
		return nil
	},
}

// request is v as an *http.Request, for the SDKs that read one.
func request(v cases.ProviderVector) *http.Request {
	return &http.Request{Method: "POST", Header: header(v), Body: io.NopCloser(bytes.NewReader([]byte(v.Body)))}
}

type rejected struct{}

func (rejected) Error() string { return "rejected" }

var errRejected error = rejected{}

// TestTheirVerifiersAcceptTheVectors runs every vector hookguard is tested
// with through the provider's Go SDK too: the SDKs agree with each other
// and with the published examples.
func TestTheirVerifiersAcceptTheVectors(t *testing.T) {
	all := vectors(t)
	for preset, verify := range theirVerifiers {
		if len(all[preset]) == 0 {
			t.Fatalf("no vectors for %s", preset)
		}
		for _, v := range all[preset] {
			if strings.HasPrefix(v.Secret, "whpk_") {
				continue // v1a (Ed25519): the Go library we pin verifies v1 only
			}
			t.Run(v.Name, func(t *testing.T) {
				if err := verify(v); err != nil {
					t.Fatalf("%s (%s): %v", v.Oracle+v.Source, preset, err)
				}
			})
		}
	}
}

// TestTheirVerifiersAcceptOurSigns signs with verify.Sign and checks each
// Go SDK's verifier accepts the request.
func TestTheirVerifiersAcceptOurSigns(t *testing.T) {
	body := []byte(`{"id":"evt_go","text":"héllo"}`)
	now := time.Now() // the SDKs check freshness against their own clock
	for preset, secret := range map[string]string{
		"stripe": "whsec_go_sdk_0123456789", "github": "go-sdk-secret-0123456789abcdef",
		"standard-webhooks": "whsec_Z28tc2RrLWdvLXNkay1nby1zZGstZ28tc2Rr", "twilio": "go-sdk-twilio-token-0123456789",
		"pagerduty": "go-sdk-pagerduty-secret-0123456789", "buildkite": "go-sdk-buildkite-token-0123456789",
	} {
		t.Run(preset, func(t *testing.T) {
			v := cases.ProviderVector{Preset: preset, Secret: secret, URL: "https://hooks.example.test/hooks/" + preset, Body: string(body), Headers: map[string]string{}}
			req := &verify.Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: "/hooks/" + preset}
			if preset == "twilio" {
				v.Body = "Body=h%C3%A9llo&From=%2B15551230000"
				req.Header = []verify.Field{{Name: "content-type", Value: "application/x-www-form-urlencoded"}}
			}
			hdr, err := verify.Sign(preset, secret, req, []byte(v.Body), now)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range hdr {
				v.Headers[f.Name] = f.Value
			}
			if err := theirVerifiers[preset](v); err != nil {
				t.Fatalf("the SDK rejects verify.Sign's request: %v", err)
			}
		})
	}
	t.Run("slack", func(t *testing.T) {
		const secret = "go-sdk-slack-signing-secret-0123"
		req := &verify.Request{Method: "POST"}
		hdr, err := verify.Sign("slack", secret, req, body, now)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		for _, f := range hdr {
			h.Set(f.Name, f.Value)
		}
		sv, err := slack.NewSecretsVerifier(h, secret)
		if err != nil {
			t.Fatal(err)
		}
		sv.Write(body)
		if err := sv.Ensure(); err != nil {
			t.Fatalf("slack-go rejects verify.Sign's request: %v", err)
		}
	})
}

// TestOurVerifierAcceptsTheirSigns signs with the SDKs that can sign and
// checks the preset accepts it, and rejects it with the body changed.
func TestOurVerifierAcceptsTheirSigns(t *testing.T) {
	body := []byte(`{"id":"evt_go","n":1}`)
	now := time.Unix(1764547200, 0)
	swSecret := "whsec_Z28tc2RrLWdvLXNkay1nby1zZGstZ28tc2Rr"
	wh, err := standardwebhooks.NewWebhook(swSecret)
	if err != nil {
		t.Fatal(err)
	}
	swSig, err := wh.Sign("msg_go", now, body)
	if err != nil {
		t.Fatal(err)
	}
	stripeSigned := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_go_sdk_0123456789", Timestamp: now})
	for _, tc := range []struct {
		preset, secret string
		header         []verify.Field
	}{
		{"stripe", "whsec_go_sdk_0123456789", []verify.Field{{Name: "stripe-signature", Value: stripeSigned.Header}}},
		{"standard-webhooks", swSecret, []verify.Field{{Name: "webhook-id", Value: "msg_go"}, {Name: "webhook-timestamp", Value: "1764547200"}, {Name: "webhook-signature", Value: swSig}}},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			s, err := verify.Preset(tc.preset, verify.Options{Keys: []verify.Key{{ID: "k", Secret: []byte(tc.secret)}}})
			if err != nil {
				t.Fatal(err)
			}
			req := &verify.Request{Method: "POST", Header: tc.header}
			if _, err := verify.Verify(s, req, body, now); err != nil {
				t.Fatalf("the preset rejects the SDK's request: %v", err)
			}
			if _, err := verify.Verify(s, req, append([]byte(" "), body...), now); err == nil {
				t.Fatal("accepted with the body changed")
			}
		})
	}
}
