package cases

import (
	"encoding/base64"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// RoutesConfig has a route in each mode, Basic auth, signature stripping
// and a rotated Stripe secret; %s is where "unmatched" goes.
const RoutesConfig = `{"routes":[
 {"name":"enforce","match":{"path":"/e"},"secrets":[{"id":"k","env":"SECRET"}]},
 {"name":"detect","match":{"path":"/d"},"mode":"detect","secrets":[{"id":"k","env":"SECRET"}]},
 {"name":"off","match":{"path":"/o"},"mode":"off"},
 {"name":"strip","match":{"path":"/s","methods":["POST"]},"secrets":[{"id":"k","env":"SECRET"}],"strip_signature_headers":true},
 {"name":"basic","match":{"path":"/b"},"scheme":"basic","secrets":[{"id":"ops","env":"BASIC"}]},
 {"name":"hosted","match":{"authority":"*.example.com","path_prefix":"/h/"},"secrets":[{"id":"k","env":"SECRET"}]},
 {"name":"stripe","match":{"path":"/stripe"},"scheme":"stripe","secrets":[{"id":"live","env":"STRIPE"},{"id":"rolled","env":"STRIPE_OLD"}]},
 {"name":"first","match":{"path_prefix":"/ord/"},"secrets":[{"id":"k","env":"SECRET"}]},
 {"name":"second","match":{"path":"/ord/x"},"scheme":"basic","secrets":[{"id":"ops","env":"BASIC"}]}
]%s}`

// RoutesTime is when the route cases arrive.
var RoutesTime = time.Unix(1764547200, 0)

// RoutesEnv is the environment RoutesConfig reads, for secret.
func RoutesEnv(secret string) map[string]string {
	return map[string]string{"SECRET": secret, "BASIC": "hook:correct-horse-battery",
		"STRIPE": "whsec_live_0123456789abcdef", "STRIPE_OLD": "whsec_old_0123456789abcdef"}
}

// Routes returns the route table's cases for secret, with unmatched as
// RoutesConfig's "unmatched" ("" for the default). Every request carries
// a spoofed X-Hookguard-Verified, which must never reach the upstream.
func Routes(secret, unmatched string) []Case {
	env := RoutesEnv(secret)
	body := []byte(`{"event":"` + Marker + `"}`)
	spoof := verify.Field{Name: "x-hookguard-verified", Value: "route=enforce; key=k"}
	sig := func(s string) []verify.Field { return []verify.Field{spoof, {Name: "x-pipes-signature", Value: s}} }
	valid, forged := verify.SignPipes([]byte(secret), body), verify.SignPipes([]byte("not-the-secret"), body)
	stripeAt := func(key string, at time.Time) []verify.Field {
		h, err := verify.Sign("stripe", key, &verify.Request{}, body, at)
		if err != nil {
			panic(err)
		}
		return append(h, spoof)
	}
	basic := func(userPass string) []verify.Field {
		return []verify.Field{spoof, {Name: "authorization", Value: "Basic " + b64(userPass)}}
	}
	noRoute := 404
	if unmatched == "allow" {
		noRoute = 200
	}
	now := RoutesTime
	table := []Case{
		{Name: "enforce valid", Path: "/e", Header: sig(valid), WantStatus: 200, WantVerified: "route=enforce; key=k"},
		{Name: "enforce forged", Path: "/e", Header: sig(forged), WantStatus: 401},
		{Name: "enforce unsigned", Path: "/e", Header: []verify.Field{spoof}, WantStatus: 401},
		{Name: "detect valid", Path: "/d", Header: sig(valid), WantStatus: 200, WantVerified: "route=detect; key=k"},
		{Name: "detect forged", Path: "/d", Header: sig(forged), WantStatus: 200},
		{Name: "detect unsigned", Path: "/d", Header: []verify.Field{spoof}, WantStatus: 200},
		{Name: "off", Path: "/o", Header: sig(forged), WantStatus: 200},
		{Name: "strip valid", Path: "/s", Header: sig(valid), WantStatus: 200, WantVerified: "route=strip; key=k", WantGone: []string{"x-pipes-signature"}},
		{Name: "method not routed", Method: "PUT", Path: "/s", Header: sig(valid), WantStatus: noRoute},
		{Name: "basic valid", Path: "/b", Header: basic(env["BASIC"]), WantStatus: 200, WantVerified: "route=basic; key=ops"},
		{Name: "basic wrong", Path: "/b", Header: basic("hook:wrong"), WantStatus: 401, WantAuthenticate: true},
		{Name: "basic missing", Path: "/b", Header: []verify.Field{spoof}, WantStatus: 401, WantAuthenticate: true},
		{Name: "wildcard host", Authority: "a.b.example.com:8443", Path: "/h/x", Header: sig(valid), WantStatus: 200, WantVerified: "route=hosted; key=k"},
		{Name: "wildcard not the apex", Authority: "example.com", Path: "/h/x", Header: sig(valid), WantStatus: noRoute},
		{Name: "stripe current key", Path: "/stripe", Header: stripeAt(env["STRIPE"], now), WantStatus: 200, WantVerified: "route=stripe; key=live"},
		{Name: "stripe rolled key at -299 s", Path: "/stripe", Header: stripeAt(env["STRIPE_OLD"], now.Add(-299*time.Second)), WantStatus: 200, WantVerified: "route=stripe; key=rolled"},
		{Name: "stripe at -301 s", Path: "/stripe", Header: stripeAt(env["STRIPE"], now.Add(-301*time.Second)), WantStatus: 401},
		{Name: "stripe at +301 s", Path: "/stripe", Header: stripeAt(env["STRIPE"], now.Add(301*time.Second)), WantStatus: 401},
		{Name: "first match wins", Path: "/ord/x", Header: sig(valid), WantStatus: 200, WantVerified: "route=first; key=k"},
		{Name: "first match wins, not the later exact one", Path: "/ord/x", Header: basic(env["BASIC"]), WantStatus: 401},
		{Name: "no route", Path: "/elsewhere", Header: sig(valid), WantStatus: noRoute},
	}
	for i := range table {
		table[i].Body, table[i].Now, table[i].CheckVerified = body, now, true
	}
	return table
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// RoutesMetrics are counters Routes(secret, "") must leave, by name.
var RoutesMetrics = map[string]int64{
	"hookguard.requests_verified.route=stripe.key=rolled":                        1,
	"hookguard.requests_rejected.route=stripe.reason=timestamp_out_of_tolerance": 2,
	"hookguard.requests_unverified.route=detect.reason=invalid_signature":        1,
	"hookguard.requests_unverified.route=detect.reason=missing_signature":        1,
	"hookguard.requests_rejected.route=_unmatched.reason=no_route":               3,
	"hookguard.requests_rejected.route=basic.reason=unauthorized":                1,
	"hookguard.requests_rejected.route=basic.reason=missing_signature":           1,
	"hookguard.requests_verified.route=enforce.key=k":                            1,
}
