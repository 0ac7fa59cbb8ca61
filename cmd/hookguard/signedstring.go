package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// errNoSignedString: the preset signs in code of its own (a form's
// sorted parameters, a body field, a token), so there is no template to
// show the string of.
var errNoSignedString = errors.New("--show-signed-string: cannot show what this preset signs")

// printSignedString prints the exact bytes the signature covers, for a
// preset of the generic model: its template filled in for this request.
// The string is proven before it is printed: signed alone, as a template
// of just {body}, it must give the signature Sign gave. The secret is not
// part of the string; were it ever, it is redacted.
func printSignedString(w io.Writer, preset, secret string, req *verify.Request, headers []verify.Field, body []byte, now time.Time) error {
	info, _ := verify.LookupPreset(preset)
	if info.Kind != verify.KindHMAC && info.Kind != verify.KindPublicKey {
		return fmt.Errorf("%w: %s is of kind %s", errNoSignedString, preset, info.Kind)
	}
	h := info.HMAC
	signed := *req
	signed.Header = append(append([]verify.Field(nil), req.Header...), headers...)
	ts := signedTimestamp(h, &signed, now)
	text := fillTemplate(h, &signed, body, ts)
	if err := proveSignedString(preset, h, secret, &signed, text, headers, ts); err != nil {
		return err
	}
	if len(secret) > 0 {
		text = strings.ReplaceAll(text, secret, "[secret redacted]")
	}
	fmt.Fprintf(w, "signed string (%d bytes, between the markers):\n>>>%s<<<\n\n", len(text), text)
	return nil
}

// templateOf is h's template, or its default.
func templateOf(h verify.HMAC) string {
	if h.Template == "" {
		return "{body}"
	}
	return h.Template
}

// signedTimestamp is the timestamp a sender signed: its header's, or,
// where the signature header carries it (Stripe's t=), now as the preset
// writes it.
func signedTimestamp(h verify.HMAC, req *verify.Request, now time.Time) string {
	if h.TimestampHeader != "" {
		v, _ := req.Single(strings.ToLower(h.TimestampHeader))
		return v
	}
	switch h.TimestampFormat {
	case verify.UnixMillis:
		return strconv.FormatInt(now.UnixMilli(), 10)
	case verify.RFC3339:
		return now.UTC().Format(time.RFC3339)
	}
	return strconv.FormatInt(now.Unix(), 10)
}

// fillTemplate fills h's template for req, body and the signed
// timestamp ts, as the sender does.
func fillTemplate(h verify.HMAC, req *verify.Request, body []byte, ts string) string {
	var b strings.Builder
	t := templateOf(h)
	for len(t) > 0 {
		i := strings.IndexByte(t, '{')
		j := strings.IndexByte(t[max(i, 0):], '}')
		if i < 0 || j < 0 {
			b.WriteString(t)
			break
		}
		b.WriteString(t[:i])
		b.WriteString(templateValue(h, req, body, ts, t[i+1:i+j]))
		t = t[i+j+1:]
	}
	return b.String()
}

// templateValue is one template variable's value.
func templateValue(h verify.HMAC, req *verify.Request, body []byte, ts, name string) string {
	single := func(header string) string { v, _ := req.Single(strings.ToLower(header)); return v }
	switch {
	case name == "body":
		return string(body)
	case name == "method":
		return req.Method
	case name == "path":
		return req.Path
	case name == "url":
		return verify.RequestURL(req, h.PublicURL)
	case name == "id":
		return single(h.IDHeader)
	case name == "timestamp":
		return ts
	case strings.HasPrefix(name, "header:"):
		return single(strings.TrimPrefix(name, "header:"))
	}
	return "{" + name + "}"
}

// proveSignedString signs text alone, as a bare signature over a template
// of just {body}, and finds that signature in the signature header: a
// string that would mislead is never printed.
func proveSignedString(preset string, h verify.HMAC, secret string, req *verify.Request, text string, headers []verify.Field, ts string) error {
	plain := verify.HMAC{Algorithm: h.Algorithm, Encoding: h.Encoding, SignatureHeaders: h.SignatureHeaders, Template: "{body}"}
	header := ""
	for _, f := range headers {
		if strings.EqualFold(f.Name, h.SignatureHeaders[0]) {
			header = f.Value
		}
	}
	sig, err := signWith(plain, preset, secret, req, text, ts)
	if err != nil || sig == "" || !strings.Contains(header, sig) {
		return fmt.Errorf("%w: %s's signature could not be reproduced from the filled template", errNoSignedString, preset)
	}
	return nil
}

// signWith signs text as h, at ts, with the preset's secret decoding.
func signWith(h verify.HMAC, preset, secret string, req *verify.Request, text, ts string) (string, error) {
	info, _ := verify.LookupPreset(preset)
	var key []byte
	var err error
	if h.Algorithm.IsPublicKey() {
		key, err = verify.DecodePrivateKey(h.Algorithm, secret)
	} else {
		key, err = verify.DecodeSecret(info.SecretEncoding, secret)
	}
	if err != nil {
		return "", err
	}
	h.Keys = []verify.Key{{Secret: key}}
	return h.Sign(req, []byte(text), ts)
}
