package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/filter/verify"
)

// TestEveryFieldHasAScheme: each field of a route is one every route may
// set or one some scheme takes, and each field a scheme lists is a field of
// a route, so that neither list can drift from rawRoute.
func TestEveryFieldHasAScheme(t *testing.T) {
	var fields []string
	rt := reflect.TypeFor[rawRoute]()
	for i := 0; i < rt.NumField(); i++ {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		fields = append(fields, name)
	}
	taken := slices.Clone(commonFields)
	for _, name := range append(slices.Clone(baseSchemes), verify.Presets()...) {
		s, _, ok := lookupScheme(name)
		if !ok {
			t.Fatalf("scheme %q is not described", name)
		}
		for _, f := range s.fields {
			if !slices.Contains(fields, f) {
				t.Errorf("scheme %q takes %q, which is no route field", name, f)
			}
		}
		taken = append(taken, s.fields...)
	}
	for _, f := range fields {
		if !slices.Contains(taken, f) {
			t.Errorf("route field %q is in no scheme's list: every route setting it would be refused", f)
		}
	}
}

// TestFieldOutsideItsScheme: a field the route's scheme does not take is
// refused, naming the field and the scheme.
func TestFieldOutsideItsScheme(t *testing.T) {
	for _, tc := range []struct{ route, field, scheme string }{
		{`{"name":"a","scheme":"token","token_header":"x","algorithm":"sha1","secrets":[{"value":"v"}]}`, "algorithm", "token"},
		{`{"name":"a","scheme":"basic","token_query":"t","secrets":[{"value":"u:p"}]}`, "token_query", "basic"},
		{`{"name":"a","scheme":"hmac","signature_header":"x","issuer":"i","secrets":[{"value":"v"}]}`, "issuer", "hmac"},
		{`{"name":"a","scheme":"slack","allow_sha1":true,"secrets":[{"value":"v"}]}`, "allow_sha1", "slack"},
		{`{"name":"a","scheme":"stripe","handshake":true,"secrets":[{"value":"v"}]}`, "handshake", "stripe"},
		{`{"name":"a","scheme":"jwt","jwks_env":"J","public_keys":[{"value":"v"}]}`, "public_keys", "jwt"},
	} {
		_, _, err := Parse([]byte(`{"routes":[`+tc.route+`]}`), func(string) (string, bool) { return "", false })
		if err == nil || !strings.Contains(err.Error(), `"`+tc.field+`" is not a field of scheme "`+tc.scheme+`"`) {
			t.Errorf("%s: %v", tc.route, err)
		}
	}
}
