package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/cases"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// vectorChunk is the size of the chunks each vector is also sent in.
const vectorChunk = 7

// chunked reads r n bytes at a time, so the module sees many body chunks.
type chunked struct {
	r io.Reader
	n int
}

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// sendVector sends v's request, with body, in chunks of at most chunk
// bytes, and returns what became of it.
func sendVector(t *testing.T, p *host.Plugin, v cases.RemoteKeyVector, body []byte, chunk int) *host.Outcome {
	t.Helper()
	h := host.Header{{Key: ":method", Value: v.Method}, {Key: ":path", Value: v.Path}, {Key: ":authority", Value: "hooks.example.test"},
		{Key: ":scheme", Value: "https"}}
	names := make([]string, 0, len(v.Headers))
	for name := range v.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		h = append(h, host.HeaderField{Key: name, Value: v.Headers[name]})
	}
	out, _ := hosttest.Handle(t, p, &host.Request{Header: h, Body: chunked{bytes.NewReader(body), chunk}, MaxWait: 10 * time.Second})
	return out
}

// TestRemoteKeyVectorsThroughModule runs every vector of
// testdata/remotekeys through the built module in the Go host, its clock
// at the vectors' "now", its key cluster a local server with the vectors'
// certificate, Plaid key, Adobe public keys and eBay's token and keys: a
// vector is let through, its body intact, whole or in 7-byte chunks, iff
// it is valid, and an invalid one is refused with its status (401, or 503
// for a key eBay's API does not give); a valid one with one byte of its
// body changed is refused with 401; and no key is asked of any host but
// the providers' own.
func TestRemoteKeyVectorsThroughModule(t *testing.T) {
	f := cases.ReadRemoteKeyFile(t)
	ks := cases.NewRemoteKeyServer(t, f)
	p := newHookguardAt(t, nil, host.PluginConfig{Configuration: f.Config(), Env: f.Env, AllowOnHeadersStopIteration: true, VMs: 1,
		Clusters: map[string]string{"keys": ks.URL}}, fixed(f.Now))
	valid := 0
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			for _, chunk := range []int{len(v.Body) + 1, vectorChunk} {
				how := "whole"
				if chunk == vectorChunk {
					how = fmt.Sprintf("in %d-byte chunks", chunk)
				}
				out := sendVector(t, p, v, []byte(v.Body), chunk)
				switch {
				case v.Valid && out.LocalResponse != nil:
					t.Fatalf("valid vector (%s), sent %s, refused with %d", v.Why, how, out.LocalResponse.Status)
				case v.Valid && string(out.Body) != v.Body:
					t.Fatalf("valid vector, sent %s, let through with its body changed", how)
				case !v.Valid && (out.LocalResponse == nil || out.LocalResponse.Status != v.WantStatus()):
					t.Fatalf("invalid vector (%s), sent %s, not refused with %d: %+v", v.Why, how, v.WantStatus(), out.LocalResponse)
				}
			}
			if !v.Valid {
				return
			}
			valid++
			body := cases.Tampered(v.Preset, v.Body)
			if body == nil {
				t.Fatal("no letter in the body to change")
			}
			if out := sendVector(t, p, v, body, len(body)+1); out.LocalResponse == nil || out.LocalResponse.Status != http.StatusUnauthorized {
				t.Fatalf("valid vector with one byte of its body changed not refused with 401: %+v", out.LocalResponse)
			}
		})
	}
	if valid == 0 {
		t.Fatal("no valid vector: the test proves nothing")
	}
	// Plaid's production API is the route's default key host
	// (plaid.com/docs/api/webhooks/webhook-verification/).
	allowed := append(certHosts(t, f), "production.plaid.com")
	for _, h := range ks.AskedHosts() {
		if !slices.Contains(allowed, h) {
			t.Errorf("a key was asked of %q, not one of the providers' hosts the valid vectors name (%q)", h, allowed)
		}
	}
}

// adobeKeyHost serves Adobe I/O Events' public keys: a key path names a
// file there (developer.adobe.com/events/docs/guides/sdk/sdk_signature_verification).
const adobeKeyHost = "static.adobeioevents.com"

// ebayAPIHost answers eBay's application tokens and Notification API keys
// (developer.ebay.com/api-docs/commerce/notification/resources/public_key/methods/getPublicKey).
const ebayAPIHost = "api.ebay.com"

// certHosts are the hosts of the certificate and key URLs the valid
// vectors name.
func certHosts(t *testing.T, f *cases.RemoteKeyFile) []string {
	t.Helper()
	var hosts []string
	for _, v := range f.Vectors {
		if !v.Valid {
			continue
		}
		raw := v.Headers["paypal-cert-url"]
		switch v.Preset {
		case "adobe-io":
			raw = "https://" + adobeKeyHost + "/"
		case "ebay":
			raw = "https://" + ebayAPIHost + "/"
		case "aws-sns":
			var m struct{ SigningCertURL string }
			if err := json.Unmarshal([]byte(v.Body), &m); err != nil {
				t.Fatalf("%s: the body is not JSON: %v", v.Name, err)
			}
			raw = m.SigningCertURL
		}
		if rest, ok := strings.CutPrefix(raw, "https://"); ok {
			hosts = append(hosts, strings.SplitN(rest, "/", 2)[0])
		}
	}
	return hosts
}

// TestRemoteKeyEBayHandshakeThroughModule answers each of testdata/remotekeys'
// eBay endpoint checks, GET ?challenge_code=…, through the built module on
// the vectors' ebay route (handshake, its verification token, public_url):
// 200, JSON, {"challengeResponse"} as eBay's SDK computes it.
func TestRemoteKeyEBayHandshakeThroughModule(t *testing.T) {
	f := cases.ReadRemoteKeyFile(t)
	hs := f.EBayHandshake
	var route struct {
		Match     struct{ Path string }
		PublicURL string `json:"public_url"`
	}
	if err := json.Unmarshal(f.Routes[hs.Route], &route); err != nil || route.PublicURL != hs.Endpoint {
		t.Fatalf("the %s route's public_url is not ebay_handshake's endpoint %q", hs.Route, hs.Endpoint)
	}
	p := newHookguardAt(t, nil, host.PluginConfig{Configuration: f.Config(), Env: f.Env, AllowOnHeadersStopIteration: true, VMs: 1},
		fixed(f.Now))
	for _, c := range hs.Challenges {
		v := cases.RemoteKeyVector{Method: "GET", Path: route.Match.Path + "?" + c.Query}
		out := sendVector(t, p, v, nil, vectorChunk)
		if out.LocalResponse == nil || out.LocalResponse.Status != http.StatusOK {
			t.Errorf("?%s: not answered with 200: %+v", c.Query, out.LocalResponse)
			continue
		}
		var answer map[string]string
		if err := json.Unmarshal(out.LocalResponse.Body, &answer); err != nil || len(answer) != 1 {
			t.Errorf("?%s: the answer is not JSON of one field: %q", c.Query, out.LocalResponse.Body)
		}
		if got := answer["challengeResponse"]; got != c.ChallengeResponse {
			t.Errorf("?%s: challengeResponse %q, eBay's SDK computes %q", c.Query, got, c.ChallengeResponse)
		}
		if ct, _ := out.LocalResponse.Header.Get("content-type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("?%s: content-type %q, not JSON", c.Query, ct)
		}
	}
}

// TestRemoteKeyVectorsAreCurrent reruns gen.py where Python has a
// cryptography that signs deterministic ECDSA: vectors.json must be what
// it writes (scripts/generate also runs check.mjs on it).
func TestRemoteKeyVectorsAreCurrent(t *testing.T) {
	dir := filepath.Join(testwasm.Root(), "testdata", "remotekeys")
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed; the committed vectors.json is still run through the module")
	}
	cmd := exec.Command("python3", "gen.py")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil && strings.Contains(stderr.String(), "no deterministic ECDSA") {
		t.Skip(strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		t.Fatalf("python3 gen.py: %v: %s", err, stderr.Bytes())
	}
	want, err := os.ReadFile(filepath.Join(dir, "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("testdata/remotekeys/vectors.json is stale: run `cd testdata/remotekeys && python3 gen.py > vectors.json && node check.mjs`")
	}
}
