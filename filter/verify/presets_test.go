package verify_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/filter/verify"
)

// urlFormQuirks are the flags only KindURLForm implements.
const urlFormQuirks = verify.QuirkSignatureSettings | verify.QuirkBodySHA256 | verify.QuirkAllFormValues

// TestPresetTable checks each row of the preset table says what its kind
// needs, sets only flags the generic code implements for that kind, and
// builds with its stand-in key (what a route whose secrets are unset is
// checked with).
func TestPresetTable(t *testing.T) {
	names := verify.Presets()
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Fatalf("a preset name is used twice: %v", names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			p, ok := verify.LookupPreset(name)
			if !ok || p.Name != name {
				t.Fatalf("LookupPreset(%q) = %q, %v", name, p.Name, ok)
			}
			checkKind(t, p)
			if p.Quirks&urlFormQuirks != 0 && p.Kind != verify.KindURLForm {
				t.Errorf("kind %s sets a url-form flag", p.Kind)
			}
			if p.Quirks&verify.QuirkV1aPublicKeys != 0 && (p.Fallback != nil || p.LegacySHA1 != nil || p.KeyForm == "") {
				t.Error("QuirkV1aPublicKeys needs a key form, and combines with no fallback or legacy header")
			}
			if (p.Handshake.Kind == "") != (p.Handshake.Method == "") {
				t.Errorf("handshake %+v: set both its kind and its method, or neither", p.Handshake)
			}
			if p.LegacySHA1 != nil && p.LegacySHA1.Algorithm != verify.SHA1 {
				t.Errorf("the legacy header's algorithm is %q", p.LegacySHA1.Algorithm)
			}
			if p.BodyTimestampField != "" && p.HMAC.Tolerance == 0 {
				t.Error("a body timestamp without a tolerance")
			}
			o := verify.Options{Keys: []verify.Key{{ID: "unset", Secret: []byte(p.StandInKey)}}}
			if p.RemoteKey != nil && p.RemoteKey.BindField != "" {
				o.Bind = []string{"stand-in"}
			}
			if _, err := verify.Preset(name, o); err != nil {
				t.Errorf("with its stand-in key %q: %v", p.StandInKey, err)
			}
		})
	}
}

// checkKind checks what p's kind needs of its row.
func checkKind(t *testing.T, p verify.PresetInfo) {
	t.Helper()
	switch p.Kind {
	case verify.KindHMAC, verify.KindPublicKey:
		if p.HMAC.Algorithm.IsPublicKey() != (p.Kind == verify.KindPublicKey) {
			t.Errorf("kind %s with algorithm %q", p.Kind, p.HMAC.Algorithm)
		}
		if p.DocHeaders != "" || p.DocSigned != "" {
			t.Error("the reference describes the generic model's presets from their fields, not DocHeaders and DocSigned")
		}
	case verify.KindBasic:
		if len(p.SignatureHeaders) != 1 || p.SignatureHeaders[0] != "authorization" {
			t.Errorf("Basic credentials come in Authorization, not %v", p.SignatureHeaders)
		}
		fallthrough
	case verify.KindURLForm, verify.KindToken, verify.KindBodyField, verify.KindJWT, verify.KindAdyen, verify.KindBraintree,
		verify.KindHook0, verify.KindContentful, verify.KindPlivo, verify.KindPersona, verify.KindClientState:
		if p.DocHeaders == "" || p.DocSigned == "" {
			t.Error("a kind the generic model does not express needs DocHeaders and DocSigned")
		}
		inBody := p.Kind == verify.KindBodyField || p.Kind == verify.KindAdyen || p.Kind == verify.KindBraintree || p.Kind == verify.KindClientState
		want := 1
		if p.Kind == verify.KindPlivo {
			want = 2 // V3, and Ma-V3 under the main account's token
		}
		if !inBody && p.Kind != verify.KindJWT && len(p.SignatureHeaders) != want {
			t.Errorf("signature headers %v, want %d", p.SignatureHeaders, want)
		}
	case verify.KindSNS, verify.KindPayPal, verify.KindPlaid, verify.KindAdobe, verify.KindEBay:
		if p.DocHeaders == "" || p.DocSigned == "" {
			t.Error("a kind the generic model does not express needs DocHeaders and DocSigned")
		}
		if r := p.RemoteKey; r == nil || len(r.Hosts) == 0 || r.Authority == "" && r.BindField == "" {
			t.Errorf("a remote-key kind needs its pinned hosts, and a fixed endpoint or a field binding its deliveries: %+v", r)
		}
	default:
		t.Fatalf("unknown kind %q", p.Kind)
	}
	if p.Kind != verify.KindSNS && p.Kind != verify.KindPayPal && p.Kind != verify.KindPlaid && p.Kind != verify.KindAdobe && p.Kind != verify.KindEBay && p.RemoteKey != nil {
		t.Error("only a remote-key kind fetches keys")
	}
	if p.Kind != verify.KindPublicKey {
		return
	}
	if p.ExampleKey == "" || p.KeyForm == "" || p.SecretEncoding != verify.PublicKeyEncoding {
		t.Fatalf("a public-key preset needs an example key, a key form and PublicKeyEncoding")
	}
	if _, err := verify.DecodePublicKey(p.HMAC.Algorithm, p.ExampleKey); err != nil {
		t.Errorf("example key: %v", err)
	}
	// The example is in the form PublicKeyFor writes the provider's keys in.
	pub, err := verify.PublicKeyFor(p.Name, strings.Repeat("0123", 15)+"abcd")
	if err != nil || len(pub) != len(p.ExampleKey) {
		t.Errorf("PublicKeyFor: %q, %v; the example key is %q", pub, err, p.ExampleKey)
	}
}
