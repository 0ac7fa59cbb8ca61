package verify

import (
	"crypto/sha256"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Hook0's conformance vectors (hook0/hook0 clients/conformance/signature.json):
// secret, body and headers shared by all, each vector's signature header,
// checked at 1800000000 with a tolerance of 300 s.
const (
	hook0ConfSecret = "a-subscription-secret"
	hook0ConfBody   = `{"event":"user.created"}`
	hook0ConfV1     = "19a6fb8f6581715b241a93af02a58611c3b0ac7b747a8d2a5b120ee418d0c347" // over x-event-id x-delivery-id
	hook0ConfV1Rev  = "bf5f4e5fe0c9143510ae192f983316a09ed392d0104d2ce0faa3d7bce3687acb" // over x-delivery-id x-event-id
	hook0ConfV0     = "d17d66b66fca89390c5b967c45e8928fc732db07a0aabe8167b1e98213081ffe"
)

var hook0ConfNow = time.Unix(1800000000, 0)

func hook0Request(sig string, extra ...Field) *Request {
	h := []Field{{Name: "x-event-id", Value: "evt-1"}, {Name: "x-delivery-id", Value: "dlv-1"}, {Name: "content-type", Value: "application/json"}}
	h = append(h, extra...)
	if sig != "" {
		h = append(h, Field{Name: "x-hook0-signature", Value: sig})
	}
	return &Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: "/hooks/coinbase-cdp", Header: h}
}

func hook0Scheme(t *testing.T, secret string) Scheme {
	t.Helper()
	s, err := Preset("coinbase-cdp", Options{Keys: []Key{{ID: "k", Secret: []byte(secret)}}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHook0Conformance runs Hook0's published vectors: the v1 ones as
// Hook0 says; the v0 ones are all refused, since hookguard verifies v1
// only (a v0 covers no header).
func TestHook0Conformance(t *testing.T) {
	s := hook0Scheme(t, hook0ConfSecret)
	for _, tc := range []struct {
		name, sig string
		want      error
	}{
		{"a header-scheme signature verifies", "t=1800000000,h=x-event-id x-delivery-id,v1=" + hook0ConfV1, nil},
		{"the header scheme is the one verified when both are offered", "t=1800000000,h=x-event-id x-delivery-id,v0=bf5f4e5fe0c9143510ae192f983316a09ed392d0104d2ce0faa3d7bce3687acb,v1=" + hook0ConfV1, nil},
		{"a right weaker code does not rescue a wrong stronger one", "t=1800000000,h=x-event-id x-delivery-id,v0=" + hook0ConfV0 + ",v1=" + hook0ConfV1Rev, ErrSignatureMismatch},
		{"the order the covered headers are named in is signed", "t=1800000000,h=x-delivery-id x-event-id,v1=" + hook0ConfV1, ErrSignatureMismatch},
		{"the covered headers are read in the order named", "t=1800000000,h=x-delivery-id x-event-id,v1=" + hook0ConfV1Rev, nil},
		{"a header the signature covers that the request did not carry", "t=1800000000,h=x-event-id x-missing,v1=" + hook0ConfV1, ErrMalformedSignature},
		{"a body-scheme signature (refused: v0 alone)", "t=1800000000,v0=" + hook0ConfV0, ErrMalformedSignature},
		{"a v0 code that is not hexadecimal", "t=1800000000,v0=" + hook0ConfV0[:63] + "z", ErrMalformedSignature},
		{"a moment older than the tolerance (v0: refused as v0 alone)", "t=1799999699,v0=4168cc6c683357e103055b48584715f12e2baa4e679b8e076254247f11edf34d", ErrMalformedSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := Verify(s, hook0Request(tc.sig), []byte(hook0ConfBody), hook0ConfNow)
			if tc.want == nil && (err != nil || id != "k") || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %q, %v; want %v", id, err, tc.want)
			}
		})
	}
}

// TestHook0Refusals checks each way X-Hook0-Signature or the headers it
// names can be wrong gets its own error before any body byte, and that
// no error carries request data.
func TestHook0Refusals(t *testing.T) {
	s := hook0Scheme(t, hook0ConfSecret)
	good := "t=1800000000,h=x-event-id x-delivery-id,v1=" + hook0ConfV1
	many := make([]string, 33)
	for i := range many {
		many[i] = "x-h" + strconv.Itoa(i)
	}
	for _, tc := range []struct {
		name string
		req  *Request
		want error
	}{
		{"no signature header", hook0Request(""), ErrMissingSignature},
		{"an empty signature header", hook0Request("", Field{Name: "x-hook0-signature", Value: ""}), ErrMissingSignature},
		{"the signature header twice", hook0Request(good, Field{Name: "x-hook0-signature", Value: good}), ErrMalformedSignature},
		{"no v1", hook0Request("t=1800000000,h=x-event-id"), ErrMalformedSignature},
		{"v1 not hex", hook0Request("t=1800000000,h=x-event-id x-delivery-id,v1=" + hook0ConfV1[:63] + "g"), ErrMalformedSignature},
		{"v1 short", hook0Request("t=1800000000,h=x-event-id x-delivery-id,v1=" + hook0ConfV1[:62]), ErrMalformedSignature},
		{"v1 twice", hook0Request(good + ",v1=" + hook0ConfV1), ErrMalformedSignature},
		{"t twice", hook0Request("t=1800000000," + good), ErrMalformedSignature},
		{"h twice", hook0Request("h=x-event-id x-delivery-id," + good), ErrMalformedSignature},
		{"an entry without '='", hook0Request(good + ",junk"), ErrMalformedSignature},
		{"17 entries", hook0Request(good + strings.Repeat(",x=1", 14)), ErrMalformedSignature},
		{"no t", hook0Request("h=x-event-id x-delivery-id,v1=" + hook0ConfV1), ErrMissingTimestamp},
		{"t not digits", hook0Request("t=+1800000000,h=x-event-id x-delivery-id,v1=" + hook0ConfV1), ErrMalformedTimestamp},
		{"t with a leading zero", hook0Request("t=01800000000,h=x-event-id x-delivery-id,v1=" + hook0ConfV1), ErrMalformedTimestamp},
		{"t 301 s old", hook0Request("t=1799999699,h=x-event-id x-delivery-id,v1=" + hook0ConfV1), ErrTimestampOutOfTolerance},
		{"t 301 s ahead", hook0Request("t=1800000301,h=x-event-id x-delivery-id,v1=" + hook0ConfV1), ErrTimestampOutOfTolerance},
		{"an empty h", hook0Request("t=1800000000,h=,v1=" + hook0ConfV1), ErrMalformedSignature},
		{"two spaces in h", hook0Request("t=1800000000,h=x-event-id  x-delivery-id,v1=" + hook0ConfV1), ErrMalformedSignature},
		{"an upper-case name", hook0Request("t=1800000000,h=X-Event-Id x-delivery-id,v1=" + hook0ConfV1), ErrMalformedSignature},
		{"a name with a dot", hook0Request("t=1800000000,h=x.event,v1="+hook0ConfV1, Field{Name: "x.event", Value: "1"}), ErrMalformedSignature},
		{"a name twice", hook0Request("t=1800000000,h=x-event-id x-event-id,v1=" + hook0ConfV1), ErrMalformedSignature},
		{"h names the signature header", hook0Request("t=1800000000,h=x-hook0-signature,v1=" + hook0ConfV1), ErrMalformedSignature},
		{"33 names", hook0Request("t=1800000000,h=" + strings.Join(many, " ") + ",v1=" + hook0ConfV1), ErrMalformedSignature},
		{"a named header absent", hook0Request("t=1800000000,h=x-event-id x-absent,v1=" + hook0ConfV1), ErrMalformedSignature},
		{"a named header twice", hook0Request(good, Field{Name: "x-event-id", Value: "evt-2"}), ErrMalformedSignature},
		{"a named header not UTF-8", hook0Request("t=1800000000,h=x-bin,v1="+hook0ConfV1, Field{Name: "x-bin", Value: "\xff"}), ErrMalformedSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Begin(tc.req, hook0ConfNow)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			for _, leak := range []string{"evt-1", "dlv-1", "x-event-id", "x-absent", hook0ConfSecret, hook0ConfV1[:16]} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("the error carries request data or the secret: %v", err)
				}
			}
		})
	}
	// What the references allow and hookguard takes too: spaces around
	// entries, unknown entries, h absent (no header signed).
	for name, sig := range map[string]string{
		"spaces around entries": " t = 1800000000 , h=x-event-id x-delivery-id ,v1= " + hook0ConfV1,
		"an unknown entry":      good + ",v2=abc",
	} {
		if _, err := Verify(s, hook0Request(sig), []byte(hook0ConfBody), hook0ConfNow); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	noH := "t=1800000000,v1=" + hexMAC(t, SHA256, hook0ConfSecret, []byte("1800000000..."+hook0ConfBody))
	if _, err := Verify(s, hook0Request(noH), []byte(hook0ConfBody), hook0ConfNow); err != nil {
		t.Errorf("v1 without h: %v", err)
	}
}

// TestHook0Sign: what Sign makes verifies, at the tolerance's edges too,
// and not with one byte of the body, a signed header, the timestamp or a
// header name changed.
func TestHook0Sign(t *testing.T) {
	secret := "hook0-sign-secret"
	s := hook0Scheme(t, secret)
	body := []byte(`{"type":"payments.transfers.completed","amount":"1.50"}`)
	base := Request{Method: "POST", Scheme: "https", Authority: "hooks.test", Path: "/hooks/coinbase-cdp",
		Header: []Field{{Name: "content-type", Value: "application/json"}, {Name: "x-event-id", Value: "e1"}, {Name: "x-event-type", Value: "payments.transfers.completed"}}}
	now := time.Unix(1764547200, 0)
	for _, at := range []time.Duration{0, -5 * time.Minute, 5 * time.Minute} {
		req := signed(t, "coinbase-cdp", secret, base, body, now.Add(at))
		if id, err := Verify(s, req, body, now); err != nil || id != "k" {
			t.Fatalf("signed at %v: %q, %v", at, id, err)
		}
	}
	req := signed(t, "coinbase-cdp", secret, base, body, now)
	sig, _ := req.Single("x-hook0-signature")
	if !strings.Contains(sig, ",h=content-type x-event-id x-event-type,") || !strings.Contains(sig, ",v0=") {
		t.Fatalf("Sign's header %q", sig)
	}
	for name, mutate := range map[string]func(r *Request){
		"a signed header": func(r *Request) { r.Header[1].Value = "e2" },
		"h": func(r *Request) {
			r.Header[3].Value = strings.Replace(sig, "h=content-type x-event-id x-event-type", "h=x-event-id x-event-type", 1)
		},
		"t": func(r *Request) { r.Header[3].Value = strings.Replace(sig, "t=1764547200", "t=1764547201", 1) },
	} {
		r := *req
		r.Header = append([]Field(nil), req.Header...)
		mutate(&r)
		if _, err := Verify(s, &r, body, now); !errors.Is(err, ErrSignatureMismatch) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	if _, err := Verify(s, req, []byte(strings.Replace(string(body), "1.50", "1.51", 1)), now); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("body changed: %v", err)
	}
	// Stripped to its v0, the request is refused: no downgrade.
	v0 := sig[:strings.Index(sig, ",h=")]
	r := *req
	r.Header = append(append([]Field(nil), req.Header[:3]...), Field{Name: "x-hook0-signature", Value: v0})
	if _, err := Verify(s, &r, body, now); !errors.Is(err, ErrMalformedSignature) {
		t.Errorf("v0 alone: %v", err)
	}
	// A rotation: a route with two keys verifies under either.
	two, err := Preset("coinbase-cdp", Options{Keys: []Key{{ID: "new", Secret: []byte("other")}, {ID: "old", Secret: []byte(secret)}}})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := Verify(two, req, body, now); err != nil || id != "old" {
		t.Errorf("rotation: %q, %v", id, err)
	}
}

// TestHook0Identity: a delivery's identity is SHA-256 over exactly what
// its v1 covers — the timestamp, h, the values, and the body — so
// unsigned headers and the v0 do not change it, and a re-signed retry
// (a new t) does.
func TestHook0Identity(t *testing.T) {
	s := hook0Scheme(t, hook0ConfSecret)
	body := []byte(hook0ConfBody)
	id := identify(t, s, hook0Request("t=1800000000,h=x-event-id x-delivery-id,v1="+hook0ConfV1), body, hook0ConfNow)
	want := sumOf(IdentitySignedContent, []byte("1800000000.x-event-id x-delivery-id.evt-1.dlv-1."), func() []byte { s := sha256.Sum256(body); return s[:] }())
	if id != want {
		t.Fatalf("identity %x, want SHA-256 over what v1 covers %x", id.Sum, want.Sum)
	}
	copied := hook0Request("t=1800000000,v0=0000,h=x-event-id x-delivery-id,v1="+hook0ConfV1, Field{Name: "user-agent", Value: "replayer"}, Field{Name: "x-request-id", Value: "minted"})
	if identify(t, s, copied, body, hook0ConfNow) != id {
		t.Error("a copy with unsigned headers changed is another delivery")
	}
	base := Request{Method: "POST", Path: "/hooks/coinbase-cdp", Header: []Field{{Name: "content-type", Value: "application/json"}}}
	a := identify(t, s, signed(t, "coinbase-cdp", hook0ConfSecret, base, body, hook0ConfNow), body, hook0ConfNow)
	b := identify(t, s, signed(t, "coinbase-cdp", hook0ConfSecret, base, body, hook0ConfNow.Add(time.Second)), body, hook0ConfNow)
	if a == b || a.Kind != IdentitySignedContent {
		t.Errorf("a re-signed retry (a new t) has the same identity, or the wrong kind: %v %v", a, b)
	}
}

// TestHook0Tolerance: the route's tolerance replaces the preset's 5
// minutes, and a negative one is refused.
func TestHook0Tolerance(t *testing.T) {
	wide := time.Hour
	s, err := Preset("coinbase-cdp", Options{Keys: []Key{{ID: "k", Secret: []byte(hook0ConfSecret)}}, Tolerance: &wide})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(s, hook0Request("t=1800000000,h=x-event-id x-delivery-id,v1="+hook0ConfV1), []byte(hook0ConfBody), hook0ConfNow.Add(59*time.Minute)); err != nil {
		t.Errorf("59 minutes old under a tolerance of an hour: %v", err)
	}
	negative := -time.Second
	if _, err := Preset("coinbase-cdp", Options{Keys: []Key{{ID: "k", Secret: []byte("x")}}, Tolerance: &negative}); !errors.Is(err, ErrInvalidScheme) {
		t.Errorf("a negative tolerance: %v", err)
	}
	if _, err := Preset("coinbase-cdp", Options{}); !errors.Is(err, ErrNoKeys) {
		t.Errorf("no keys: %v", err)
	}
}
