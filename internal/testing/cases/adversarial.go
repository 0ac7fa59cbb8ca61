package cases

import (
	"bytes"
	"compress/gzip"
	"strconv"
	"strings"

	"github.com/hookguard/hookguard/filter/verify"
)

// Adversarial is the attack matrix SECURITY.md lists, for a plugin
// configured by RoutesConfig (RoutesEnv(secret), RoutesTime): variants of
// signatures a forger or a sloppy proxy could send, against the Pipes
// route (/e), Stripe's structured header (/stripe) and Basic auth (/b).
// Each case's name is a row of SECURITY.md's table.
func Adversarial(secret string) []Case {
	env := RoutesEnv(secret)
	now := RoutesTime
	body := []byte(`{"event":"` + Marker + `","text":"héllo"}`)
	valid := verify.SignPipes([]byte(secret), body)
	pipes := func(v string) []verify.Field { return []verify.Field{{Name: "x-pipes-signature", Value: v}} }
	stripeHeader := func(v string) []verify.Field { return []verify.Field{{Name: "stripe-signature", Value: v}} }
	h, err := verify.Sign("stripe", env["STRIPE"], &verify.Request{}, body, now)
	if err != nil {
		panic(err)
	}
	stripeValid := h[0].Value // t=<now>,v1=<hex>
	t, v1, _ := strings.Cut(stripeValid, ",")
	var many []string
	for range 499 {
		many = append(many, "v1="+strings.Repeat("0", 64))
	}
	manyEntries := t + "," + strings.Join(many, ",") + "," + v1

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(body)
	zw.Close()
	compressed := gz.Bytes()
	binary := []byte("\x00\xff\xfe{\"nul\":\"\x00\"}\xc3\x28")

	basic := func(v string) []verify.Field { return []verify.Field{{Name: "authorization", Value: v}} }
	creds := b64(env["BASIC"])

	table := []Case{
		// Whitespace, case and prefix variants of the signature.
		// HTTP strips a value's surrounding whitespace before any filter
		// sees it; a host that did not would get a refusal, not a pass.
		{Name: "pipes: signature with a leading space", Path: "/e", Header: pipes(" " + valid), WantStatus: 401},
		{Name: "pipes: signature with a trailing tab", Path: "/e", Header: pipes(valid + "\t"), WantStatus: 401},
		{Name: "pipes: signature with a space inside", Path: "/e", Header: pipes(valid[:32] + " " + valid[32:]), WantStatus: 401},
		{Name: "pipes: upper-case hex", Path: "/e", Header: pipes(strings.ToUpper(valid)), WantStatus: 200},
		{Name: "pipes: header name in upper case", Path: "/e", Header: []verify.Field{{Name: "X-Pipes-Signature", Value: valid}}, WantStatus: 200},
		{Name: "pipes: sha256= prefix", Path: "/e", Header: pipes("sha256=" + valid), WantStatus: 401},
		{Name: "pipes: base64 of the right MAC", Path: "/e", Header: pipes(hexToBase64(valid)), WantStatus: 401},
		{Name: "pipes: the MAC twice over", Path: "/e", Header: pipes(valid + valid), WantStatus: 401},
		// Duplicates and conflicts.
		{Name: "pipes: valid and forged headers", Path: "/e", Header: append(pipes(valid), pipes(strings.Repeat("0", 64))...), WantStatus: 401},
		{Name: "pipes: two values in one header", Path: "/e", Header: pipes(valid + "," + valid), WantStatus: 401},
		// NUL, Unicode.
		{Name: "pipes: NUL after the signature", Path: "/e", Header: pipes(valid + "\x00"), WantStatus: 401},
		{Name: "pipes: full-width digits", Path: "/e", Header: pipes(strings.Map(fullWidth, valid)), WantStatus: 401},
		{Name: "pipes: signed binary body with NUL and invalid UTF-8", Path: "/e", Body: binary, Header: pipes(verify.SignPipes([]byte(secret), binary)), WantStatus: 200},
		// Compressed bodies: the raw bytes are what is signed and verified.
		{Name: "pipes: gzip body signed as sent", Path: "/e", Body: compressed, Header: append(pipes(verify.SignPipes([]byte(secret), compressed)), verify.Field{Name: "content-encoding", Value: "gzip"}), WantStatus: 200},
		{Name: "pipes: gzip body signed before compression", Path: "/e", Body: compressed, Header: append(pipes(valid), verify.Field{Name: "content-encoding", Value: "gzip"}), WantStatus: 401},
		// Structured headers: bounded work, no conflicts, sane numbers.
		{Name: "stripe: valid", Path: "/stripe", Header: stripeHeader(stripeValid), WantStatus: 200},
		{Name: "stripe: 500 v1 entries, the valid one last", Path: "/stripe", Header: stripeHeader(manyEntries), WantStatus: 401},
		// Entries are trimmed (the MAC must still match): Stripe's SDKs
		// would refuse this, Stripe never sends it, and it forges nothing.
		{Name: "stripe: spaces after the commas", Path: "/stripe", Header: stripeHeader(t + ", " + v1), WantStatus: 200},
		{Name: "stripe: upper-case V1", Path: "/stripe", Header: stripeHeader(t + ",V1" + v1[2:]), WantStatus: 401},
		{Name: "stripe: v0 only", Path: "/stripe", Header: stripeHeader(t + ",v0" + v1[2:]), WantStatus: 401},
		{Name: "stripe: two timestamps", Path: "/stripe", Header: stripeHeader(t + ",t=1," + v1), WantStatus: 401},
		{Name: "stripe: timestamp past int64", Path: "/stripe", Header: stripeHeader("t=99999999999999999999," + v1), WantStatus: 401},
		{Name: "stripe: negative timestamp", Path: "/stripe", Header: stripeHeader("t=-" + strconv.FormatInt(now.Unix(), 10) + "," + v1), WantStatus: 401},
		{Name: "stripe: timestamp with a plus sign", Path: "/stripe", Header: stripeHeader("t=+" + strconv.FormatInt(now.Unix(), 10) + "," + v1), WantStatus: 401},
		{Name: "stripe: timestamp in milliseconds", Path: "/stripe", Header: stripeHeader("t=" + strconv.FormatInt(now.UnixMilli(), 10) + "," + v1), WantStatus: 401},
		{Name: "stripe: the header sent twice", Path: "/stripe", Header: append(stripeHeader(stripeValid), stripeHeader(stripeValid)...), WantStatus: 401},
		// Basic auth.
		{Name: "basic: valid", Path: "/b", Header: basic("Basic " + creds), WantStatus: 200},
		{Name: "basic: scheme in lower case", Path: "/b", Header: basic("basic " + creds), WantStatus: 200},
		{Name: "basic: no space after the scheme", Path: "/b", Header: basic("Basic" + creds), WantStatus: 401},
		{Name: "basic: password with a trailing space", Path: "/b", Header: basic("Basic " + b64(env["BASIC"]+" ")), WantStatus: 401},
		{Name: "basic: user only", Path: "/b", Header: basic("Basic " + b64("hook")), WantStatus: 401},
		{Name: "basic: the header sent twice", Path: "/b", Header: append(basic("Basic "+creds), basic("Basic "+creds)...), WantStatus: 401},
	}
	for i := range table {
		if table[i].Body == nil {
			table[i].Body = body
		}
		table[i].Now = now
		// Basic routes answer a refusal with a challenge.
		table[i].WantAuthenticate = table[i].Path == "/b" && table[i].WantStatus == 401
	}
	return table
}

// HTTPSendable reports whether an HTTP client can send the case's headers
// as they are: no control characters but tab, no leading or trailing
// whitespace (HTTP strips it before any filter sees the value).
func (c Case) HTTPSendable() bool {
	for _, f := range c.Header {
		if strings.TrimSpace(f.Value) != f.Value {
			return false
		}
		for _, r := range f.Value {
			if r < 0x20 && r != '\t' || r == 0x7f {
				return false
			}
		}
	}
	return true
}

func fullWidth(r rune) rune {
	switch {
	case r >= '0' && r <= '9':
		return r - '0' + '０'
	case r >= 'a' && r <= 'f':
		return r - 'a' + 'ａ'
	}
	return r
}

func hexToBase64(h string) string {
	b := make([]byte, len(h)/2)
	for i := range b {
		n, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		b[i] = byte(n)
	}
	return b64(string(b))
}
