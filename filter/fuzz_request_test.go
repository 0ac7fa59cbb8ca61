package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/cases"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
)

// requestPath is FuzzRequestPath's fixture: the providers' route table in
// the built module, and the same table parsed natively.
type requestPath struct {
	plugin *host.Plugin
	routes map[string]config.Route
	order  []config.Route // first match wins
	cases  []cases.Case
	file   cases.ProviderFile
}

var (
	requestPathOnce sync.Once
	requestPathFix  *requestPath
)

func newRequestPath(t testing.TB) *requestPath {
	requestPathOnce.Do(func() {
		f, err := cases.ReadProviders()
		if err != nil {
			t.Fatal(err)
		}
		cfg, env := cases.RouteConfig(f)
		parsed, _, err := config.Parse([]byte(cfg), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if err != nil {
			t.Fatal(err)
		}
		fix := &requestPath{routes: map[string]config.Route{}, cases: cases.RoutedCases(f), file: f}
		for _, r := range parsed.Routes {
			fix.routes[r.Name] = r
		}
		fix.order = parsed.Routes
		ctx := context.Background()
		mc := testModuleConfig()
		mc.Clock = fixed(f.Time())
		mod, err := host.Compile(ctx, moduleBytes(t), mc)
		if err != nil {
			t.Fatal(err)
		}
		// Shared by every fuzz run in this process: compiling the module
		// each time would leave the fuzzer a few runs a second.
		if fix.plugin, err = mod.NewPlugin(ctx, host.PluginConfig{Configuration: []byte(cfg), Env: env, AllowOnHeadersStopIteration: true, VMs: 1}); err != nil {
			t.Fatal(err)
		}
		requestPathFix = fix
	})
	if requestPathFix == nil {
		t.Fatal("fixture failed in an earlier run")
	}
	return requestPathFix
}

// mutate changes one thing about a signed request, as op says.
func mutate(tc cases.Case, op uint8, pos uint16, val []byte) cases.Case {
	tc.Header = append([]verify.Field(nil), tc.Header...)
	tc.Body = append([]byte(nil), tc.Body...)
	field := func() *verify.Field {
		if len(tc.Header) == 0 {
			tc.Header = append(tc.Header, verify.Field{Name: "x-empty"})
		}
		return &tc.Header[int(pos)%len(tc.Header)]
	}
	switch op % 9 {
	case 0: // as signed
	case 1: // overwrite body bytes
		if len(tc.Body) > 0 {
			copy(tc.Body[int(pos)%len(tc.Body):], val)
		} else {
			tc.Body = val
		}
	case 2: // truncate or extend the body
		if int(pos) < len(tc.Body) {
			tc.Body = tc.Body[:pos]
		} else {
			tc.Body = append(tc.Body, val...)
		}
	case 3: // replace a header's value
		field().Value = string(val)
	case 4: // overwrite part of a header's value
		f := field()
		v := []byte(f.Value)
		if len(v) > 0 {
			copy(v[int(pos)%len(v):], val)
		}
		f.Value = string(v)
	case 5: // send a header twice, the copy changed
		f := *field()
		f.Value += string(val)
		tc.Header = append(tc.Header, f)
	case 6: // drop a header
		i := int(pos) % max(1, len(tc.Header))
		if i < len(tc.Header) {
			tc.Header = append(tc.Header[:i], tc.Header[i+1:]...)
		}
	case 7: // add a header "name:value" from val
		name, value, _ := strings.Cut(string(val), ":")
		tc.Header = append(tc.Header, verify.Field{Name: strings.ToLower(name), Value: value})
	case 8: // another path under the same or another route
		tc.Path += string(val)
	}
	return tc
}

// FuzzRequestPath sends signed provider requests, mutated, through the
// built module in the host, cut into random chunks. The invariant is the
// filter's promise: a request let through carries a valid credential for
// exactly the bytes the upstream receives, under the key the filter names
// (checked natively, with the same route configuration), and a request the
// native verifier accepts under a route is not refused as unsigned.
//
//	go test ./filter -run '^$' -fuzz '^FuzzRequestPath$' -fuzztime 10m
func FuzzRequestPath(f *testing.F) {
	fix := newRequestPath(f)
	for i := range fix.cases {
		f.Add(uint16(i), uint8(0), uint16(0), []byte(nil), uint16(0))
		f.Add(uint16(i), uint8(1), uint16(3), []byte("X"), uint16(7))
		f.Add(uint16(i), uint8(4), uint16(i), []byte("0"), uint16(1))
	}
	f.Fuzz(func(t *testing.T, idx uint16, op uint8, pos uint16, val []byte, chunk uint16) {
		tc := mutate(fix.cases[int(idx)%len(fix.cases)], op, pos, val)
		if chunk > 0 {
			tc.Chunks = nil
			for n := 0; n < len(tc.Body); n += int(chunk) {
				tc.Chunks = append(tc.Chunks, int(chunk))
			}
		}
		out, _ := hosttest.Handle(t, fix.plugin, caseRequest(tc))
		vreq := tc.Request("example.test")
		if out.LocalResponse != nil {
			if out.LocalResponse.Status == 401 {
				// Refused: no route's native verifier accepts it either.
				for _, r := range fix.order {
					if r.Match.Matches(vreq.Method, vreq.Authority, vreq.Path) {
						if r.Handshake == config.HandshakeTwitterCRC && config.OpaqueToken(tc.Body) {
							break // what the CRC could have answered is refused by design
						}
						if keyID, err := nativeVerify(r, vreq, tc.Body, fix.file); err == nil {
							t.Fatalf("refused 401, but route %s verifies it natively under key %s", r.Name, keyID)
						}
						break
					}
				}
			}
			return
		}
		marked, _ := out.Header.Get(verifiedHeader)
		route, key := parseVerified(marked)
		r, ok := fix.routes[route]
		if !ok {
			t.Fatalf("let through without naming a route it verified under (%s: %q)", verifiedHeader, marked)
		}
		if !bytes.Equal(out.Body, tc.Body) {
			t.Fatalf("the upstream got %d bytes, not the %d sent", len(out.Body), len(tc.Body))
		}
		keyID, err := nativeVerify(r, vreq, tc.Body, fix.file)
		if err != nil || keyID != key {
			t.Fatalf("let through as route=%s key=%s, but natively: key %q, %v", route, key, keyID, err)
		}
	})
}

const verifiedHeader = "x-hookguard-verified"

// parseVerified splits "route=<name>; key=<id>".
func parseVerified(v string) (route, key string) {
	for _, part := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "route":
			route = val
		case "key":
			key = val
		}
	}
	return route, key
}

// nativeVerify runs route's scheme, compiled natively, over the request.
func nativeVerify(r config.Route, req *verify.Request, body []byte, f cases.ProviderFile) (string, error) {
	c, err := r.Scheme.Begin(req, f.Time())
	if err != nil {
		return "", err
	}
	c = verify.Limit(c, r.MaxBodyBytes)
	if _, err := c.Write(body); err != nil {
		return "", err
	}
	return c.Verify()
}
