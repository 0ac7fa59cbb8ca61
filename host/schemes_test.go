package host_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/cases"
)

func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

// TestProvidersThroughModule runs every provider vector and its derived
// cases through the built module, one route per preset, with the module's
// clock pinned to the time the vectors were signed.
func TestProvidersThroughModule(t *testing.T) {
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	cfg, env := cases.RouteConfig(f)
	p := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(cfg), Env: env, AllowOnHeadersStopIteration: true, VMs: 1}, fixed(f.Time()))
	byName := map[string]cases.ProviderVector{}
	for _, v := range f.Vectors {
		byName[v.Name] = v
	}
	for _, tc := range cases.ProviderCases(f) {
		v := byName[strings.SplitN(tc.Name, "/", 2)[0]]
		t.Run(tc.Name, func(t *testing.T) {
			req := caseRequest(tc)
			for i := range req.Header {
				if req.Header[i].Key == ":authority" {
					req.Header[i].Value = v.Authority()
				}
			}
			out, _ := handle(t, p, req)
			r := result{status: 200, upstream: true, body: out.Body, header: out.Header}
			if out.LocalResponse != nil {
				r = result{status: out.LocalResponse.Status, body: out.LocalResponse.Body}
			}
			checkResult(t, r, tc)
			if r.upstream {
				if got, _ := r.header.Get("x-hookguard-verified"); got != "route="+v.Preset+"; key=k1" {
					t.Fatalf("X-Hookguard-Verified = %q", got)
				}
			}
		})
	}
	// The same vectors fail once the module's clock leaves each preset's
	// tolerance (presets that sign a timestamp).
	late := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(cfg), Env: env, AllowOnHeadersStopIteration: true, VMs: 1}, fixed(f.Time().Add(25*time.Hour)))
	for _, v := range f.Vectors {
		info, _ := verify.LookupPreset(v.Preset)
		if info.HMAC.TimestampHeader == "" && info.HMAC.TimestampKey == "" && v.Preset != "linear" && v.Preset != "mailgun" {
			continue
		}
		t.Run(v.Name+"/a day later", func(t *testing.T) {
			req := caseRequest(v.Case(time.Time{}))
			out, _ := handle(t, late, req)
			if out.LocalResponse == nil || out.LocalResponse.Status != 401 {
				t.Fatal("a day-old delivery was let through")
			}
		})
	}
}

// routesConfig has a route in each mode, Basic auth, and signature
// stripping, over the Pipes.bot scheme.
const routesConfig = `{"routes":[
 {"name":"enforce","match":{"path":"/e"},"secrets":[{"id":"k","env":"SECRET"}]},
 {"name":"detect","match":{"path":"/d"},"mode":"detect","secrets":[{"id":"k","env":"SECRET"}]},
 {"name":"off","match":{"path":"/o"},"mode":"off"},
 {"name":"strip","match":{"path":"/s","methods":["POST"]},"secrets":[{"id":"k","env":"SECRET"}],"strip_signature_headers":true},
 {"name":"basic","match":{"path":"/b"},"scheme":"basic","secrets":[{"id":"ops","env":"BASIC"}]},
 {"name":"stripe","match":{"path":"/stripe"},"scheme":"stripe","secrets":[{"id":"live","env":"STRIPE"},{"id":"rolled","env":"STRIPE_OLD"}]}
]%s}`

// TestRoutesAndModes checks route selection, each mode, the unmatched
// default and setting, and that a client's X-Hookguard-Verified never
// reaches the upstream, whatever the route and mode.
func TestRoutesAndModes(t *testing.T) {
	now := time.Unix(1764547200, 0)
	env := map[string]string{"SECRET": testSecret, "BASIC": "hook:correct-horse-battery", "STRIPE": "whsec_live_0123456789abcdef", "STRIPE_OLD": "whsec_old_0123456789abcdef"}
	body := []byte(`{"event":"` + cases.Marker + `"}`)
	valid := verify.SignPipes([]byte(testSecret), body)
	forged := verify.SignPipes([]byte("not-the-secret"), body)
	spoof := verify.Field{Name: "x-hookguard-verified", Value: "route=enforce; key=k"}
	stripeAt := func(secret string, at time.Time) []verify.Field {
		h, err := verify.Sign("stripe", secret, &verify.Request{}, body, at)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	sig := func(s string) []verify.Field {
		return []verify.Field{spoof, {Name: "x-pipes-signature", Value: s}}
	}
	for _, unmatched := range []string{"", "reject", "allow"} {
		extra := ""
		if unmatched != "" {
			extra = `,"unmatched":"` + unmatched + `"`
		}
		p := newHookguardAt(t, nil, host.PluginConfig{Configuration: []byte(strings.Replace(routesConfig, "%s", extra, 1)), Env: env, AllowOnHeadersStopIteration: true, VMs: 1}, fixed(now))
		noRoute := 404
		if unmatched == "allow" {
			noRoute = 200
		}
		for _, tc := range []struct {
			name, path   string
			header       []verify.Field
			status       int
			verified     string // the X-Hookguard-Verified the upstream must see ("" = none)
			stripped     bool   // the signature header must not reach the upstream
			authenticate bool
		}{
			{"enforce valid", "/e", sig(valid), 200, "route=enforce; key=k", false, false},
			{"enforce forged", "/e", sig(forged), 401, "", false, false},
			{"enforce unsigned", "/e", []verify.Field{spoof}, 401, "", false, false},
			{"detect valid", "/d", sig(valid), 200, "route=detect; key=k", false, false},
			{"detect forged", "/d", sig(forged), 200, "", false, false},
			{"detect unsigned", "/d", []verify.Field{spoof}, 200, "", false, false},
			{"off", "/o", sig(forged), 200, "", false, false},
			{"strip valid", "/s", sig(valid), 200, "route=strip; key=k", true, false},
			{"basic valid", "/b", []verify.Field{spoof, {Name: "authorization", Value: "Basic aG9vazpjb3JyZWN0LWhvcnNlLWJhdHRlcnk="}}, 200, "route=basic; key=ops", false, false},
			{"basic wrong", "/b", []verify.Field{spoof, {Name: "authorization", Value: "Basic aG9vazp3cm9uZw=="}}, 401, "", false, true},
			{"basic missing", "/b", []verify.Field{spoof}, 401, "", false, true},
			{"stripe current key", "/stripe", append(stripeAt(env["STRIPE"], now), spoof), 200, "route=stripe; key=live", false, false},
			{"stripe rolled key", "/stripe", append(stripeAt(env["STRIPE_OLD"], now.Add(-299*time.Second)), spoof), 200, "route=stripe; key=rolled", false, false},
			{"stripe too old", "/stripe", stripeAt(env["STRIPE"], now.Add(-301*time.Second)), 401, "", false, false},
			{"stripe from the future", "/stripe", stripeAt(env["STRIPE"], now.Add(301*time.Second)), 401, "", false, false},
			{"method not routed", "/s?GET", sig(valid), noRoute, "", false, false},
			{"no route", "/elsewhere", sig(valid), noRoute, "", false, false},
		} {
			t.Run(unmatched+"/"+tc.name, func(t *testing.T) {
				c := cases.Case{Path: tc.path, Header: tc.header, Body: body}
				req := caseRequest(c)
				if tc.name == "method not routed" {
					req.Header[0].Value, req.Header[1].Value = "PUT", "/s"
				}
				out, _ := handle(t, p, req)
				if out.LocalResponse != nil {
					if out.LocalResponse.Status != tc.status {
						t.Fatalf("answered %d, want %d", out.LocalResponse.Status, tc.status)
					}
					_, has := out.LocalResponse.Header.Get("www-authenticate")
					if has != tc.authenticate {
						t.Fatalf("WWW-Authenticate present = %v, want %v", has, tc.authenticate)
					}
					return
				}
				if tc.status != 200 {
					t.Fatalf("let through, want %d", tc.status)
				}
				if got := out.Header.Values("x-hookguard-verified"); tc.verified == "" && len(got) != 0 || tc.verified != "" && (len(got) != 1 || got[0] != tc.verified) {
					t.Fatalf("upstream saw X-Hookguard-Verified %q, want %q", got, tc.verified)
				}
				if _, has := out.Header.Get("x-pipes-signature"); c.Values("x-pipes-signature") != nil && has == tc.stripped && tc.verified != "" {
					t.Fatalf("signature header reached the upstream = %v, want %v", has, !tc.stripped)
				}
			})
		}
		if unmatched == "" {
			for name, want := range map[string]int64{
				"hookguard.requests_verified.route=stripe.key=rolled":                        1,
				"hookguard.requests_rejected.route=stripe.reason=timestamp_out_of_tolerance": 2,
				"hookguard.requests_unverified.route=detect.reason=invalid_signature":        1,
				"hookguard.requests_rejected.route=_unmatched.reason=no_route":               2,
				"hookguard.requests_rejected.route=basic.reason=unauthorized":                1,
			} {
				if got := metric(t, p, name); got.Value != want {
					t.Errorf("%s = %d, want %d", name, got.Value, want)
				}
			}
		}
	}
}
