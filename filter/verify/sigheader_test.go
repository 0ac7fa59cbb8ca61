package verify_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// TestSignatureHeaderShapes: Recurly's positional header and DocuSign's
// one header per key, with what a sender or an attacker may put in them.
func TestSignatureHeaderShapes(t *testing.T) {
	now := time.Unix(1764547200, 0)
	body := []byte(`{"id":"1"}`)
	ms := "1764547200000"
	key := []byte("shape-test-key")
	sign := func(h verify.HMAC, ts string) string {
		h.Keys = []verify.Key{{Secret: key}}
		sig, err := h.Sign(&verify.Request{}, body, ts)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	recurly := verify.HMAC{SignatureHeaders: []string{"recurly-signature"}, SignatureFormat: verify.Positional,
		TimestampFormat: verify.UnixMillis, Template: "{timestamp}.{body}", Tolerance: time.Minute}
	good := sign(recurly, ms)
	other := sign(recurly, "1764547100000")
	sig := good[strings.IndexByte(good, ',')+1:]
	docusign := verify.HMAC{SignatureHeaders: []string{"x-ds-1", "x-ds-2"}, EverySignatureHeader: true, Encoding: verify.Base64}
	dsSig := sign(docusign, "")
	for _, tc := range []struct {
		name   string
		h      verify.HMAC
		header []verify.Field
		want   error
	}{
		{"positional", recurly, []verify.Field{{Name: "recurly-signature", Value: good}}, nil},
		{"positional, two signatures", recurly, []verify.Field{{Name: "recurly-signature", Value: ms + "," + strings.Repeat("0", 64) + "," + sig}}, nil},
		{"positional, another timestamp", recurly, []verify.Field{{Name: "recurly-signature", Value: ms + other[strings.IndexByte(other, ','):]}}, verify.ErrSignatureMismatch},
		{"positional, no signature", recurly, []verify.Field{{Name: "recurly-signature", Value: ms}}, verify.ErrMalformedSignature},
		{"positional, no timestamp", recurly, []verify.Field{{Name: "recurly-signature", Value: "," + sig}}, verify.ErrMalformedSignature},
		{"positional, seconds", recurly, []verify.Field{{Name: "recurly-signature", Value: "1764547200," + sig}}, verify.ErrTimestampOutOfTolerance},
		{"positional, 17 signatures", recurly, []verify.Field{{Name: "recurly-signature", Value: ms + strings.Repeat(","+sig, 17)}}, verify.ErrMalformedSignature},
		{"every header, a malformed one", docusign, []verify.Field{{Name: "x-ds-1", Value: "AAAA"}, {Name: "x-ds-2", Value: dsSig}}, verify.ErrMalformedSignature},
		{"every header, one matches", docusign, []verify.Field{{Name: "x-ds-1", Value: strings.Repeat("A", 43) + "="}, {Name: "x-ds-2", Value: dsSig}}, nil},
		{"every header, the first only", docusign, []verify.Field{{Name: "x-ds-1", Value: dsSig}}, nil},
		{"every header, none", docusign, nil, verify.ErrMissingSignature},
		{"every header, one twice", docusign, []verify.Field{{Name: "x-ds-2", Value: dsSig}, {Name: "x-ds-2", Value: dsSig}}, verify.ErrMalformedSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			h.Keys = []verify.Key{{ID: "k", Secret: key}}
			s, err := verify.NewHMAC(h)
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.Begin(&verify.Request{Method: "POST", Header: tc.header}, now)
			if err == nil {
				c.Write(body)
				_, err = c.Verify()
			}
			if !errors.Is(err, tc.want) || tc.want == nil && err != nil {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
