package main

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

const verifySecret = "verify-secret-value-0123456789abcdef"

// stripeCapture signs body as Stripe would at when, and returns the
// signature header and the request in each capture format.
func stripeCapture(t *testing.T, body string, when time.Time) map[string]string {
	t.Helper()
	req := &verify.Request{Method: "POST", Scheme: "http", Authority: "hooks.example", Path: "/hooks/stripe"}
	hdr, err := verify.Sign("stripe", verifySecret, req, []byte(body), when)
	if err != nil || len(hdr) != 1 {
		t.Fatalf("sign: %v %v", hdr, err)
	}
	name, value := hdr[0].Name, hdr[0].Value
	return map[string]string{
		"raw": "POST /hooks/stripe HTTP/1.1\r\nHost: hooks.example\r\nContent-Type: application/json\r\n" + name + ": " + value +
			"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body,
		"json": `{"method":"POST","url":"http://hooks.example/hooks/stripe","headers":{"Content-Type":"application/json","` + name + `":"` + value +
			`"},"body_base64":"` + base64.StdEncoding.EncodeToString([]byte(body)) + `"}`,
		"har": `{"log":{"entries":[{"request":{"method":"POST","url":"http://hooks.example/hooks/stripe","headers":[{"name":"` + name + `","value":"` + value +
			`"}],"postData":{"mimeType":"application/json","text":` + strconv.Quote(body) + `}}}]}}`,
	}
}

const stripeConfig = `{"routes":[{"name":"stripe","match":{"path":"/hooks/stripe"},"scheme":"stripe","secrets":[{"id":"live","env":"STRIPE_SECRET"}]}]}`

func TestVerify(t *testing.T) {
	when := time.Unix(1764547200, 0)
	good := stripeCapture(t, `{"id":"evt_1"}`, when)
	tampered := strings.Replace(good["raw"], `"evt_1"`, `"evt_2"`, 1)
	config := writeTemp(t, stripeConfig)
	env := cliEnv(t, map[string]string{"STRIPE_SECRET": verifySecret})
	at := "--now=" + strconv.FormatInt(when.Unix(), 10)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"raw", []string{at, good["raw"]}, exitOK, []string{"verdict: verified", "status:  200", "route:   stripe", "key id:  live"}},
		{"json", []string{at, good["json"]}, exitOK, []string{"verdict: verified"}},
		{"har, format named", []string{at, "--format=har", good["har"]}, exitOK, []string{"verdict: verified"}},
		{"tampered body", []string{at, tampered}, exitFault, []string{"verdict: rejected", "status:  401", "reason:  invalid_signature", "route:   stripe",
			"hookguard: rejected request: route=stripe reason=invalid_signature"}},
		{"too old without --now", []string{good["raw"]}, exitFault, []string{"verdict: rejected", "reason:  timestamp_out_of_tolerance"}},
		{"no route", []string{at, strings.Replace(good["raw"], "/hooks/stripe", "/elsewhere", 1)}, exitFault, []string{"status:  404", "reason:  no_route", "route:   -"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"verify", "--config", config}, tc.args[:len(tc.args)-1]...)
			args = append(args, writeTemp(t, tc.args[len(tc.args)-1]))
			code, stdout, stderr := runCLI(args, env)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.wantCode, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Fatalf("output does not say %q:\n%s", w, stdout)
				}
			}
			if strings.Contains(stdout+stderr, verifySecret) {
				t.Fatal("verify printed the secret")
			}
		})
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	config := writeTemp(t, stripeConfig)
	env := cliEnv(t, map[string]string{"STRIPE_SECRET": verifySecret})
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"malformed capture": {[]string{"--config", config, writeTemp(t, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nshort")}, "shorter than declared"},
		"unknown format":    {[]string{"--config", config, "--format", "pcap", writeTemp(t, "{}")}, "unknown capture format"},
		"bad --now":         {[]string{"--config", config, "--now", "yesterday", writeTemp(t, "{}")}, "--now"},
		"config unset env":  {[]string{"--config", writeTemp(t, strings.ReplaceAll(stripeConfig, "STRIPE_SECRET", "UNSET")), writeTemp(t, `{"path":"/"}`)}, "UNSET"},
		"two requests":      {[]string{"--config", config, "a", "b"}, "one REQUEST"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(append([]string{"verify"}, tc.args...), env)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, want 2 saying %q: %s", code, tc.want, stderr)
			}
		})
	}
}

// TestSignShowsSignedString: the string printed is what Stripe signs,
// "{timestamp}.{body}", and neither it nor the curl holds the secret.
func TestSignShowsSignedString(t *testing.T) {
	env := func(k string) string {
		if k == "STRIPE_WEBHOOK_SECRET" {
			return verifySecret
		}
		return ""
	}
	code, stdout, stderr := runCLI([]string{"sign", "-preset", "stripe", "-data", `{"id":"evt_1"}`, "--show-signed-string"}, env)
	if code != exitOK || !strings.Contains(stdout, `>>>`) || !regexpMatch(`>>>\d{10}\.\{"id":"evt_1"\}<<<`, stdout) {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, verifySecret) {
		t.Fatal("sign printed the secret")
	}
	code, _, stderr = runCLI([]string{"sign", "-preset", "gitlab", "-secret-env", "STRIPE_WEBHOOK_SECRET", "--show-signed-string"}, env)
	if code != exitUsage || !strings.Contains(stderr, "gitlab is of kind token") {
		t.Fatalf("a token preset: exit %d: %s", code, stderr)
	}
}

// TestSignNeverPrintsTheSecret: presets that send the secret itself print
// a reference to its variable.
func TestSignNeverPrintsTheSecret(t *testing.T) {
	const secret = "user:sign-basic-secret-0123456789abcdef"
	for _, preset := range []string{"gitlab", "postmark"} {
		code, stdout, stderr := runCLI([]string{"sign", "-preset", preset, "-secret-env", "S"}, func(k string) string {
			if k == "S" {
				return secret
			}
			return ""
		})
		if code != exitOK || strings.Contains(stdout, secret) || !strings.Contains(stdout, `"$S"`) {
			t.Fatalf("%s: exit %d\n%s%s", preset, code, stdout, stderr)
		}
	}
}

// TestSignSendForms: --send URL, --send=URL and a bare -send after -url.
func TestSignSendForms(t *testing.T) {
	env := func(k string) string {
		if k == "PIPES_WEBHOOK_SECRET" {
			return verifySecret
		}
		return ""
	}
	base, _ := startGateway(t, map[string]string{"PIPES_WEBHOOK_SECRET": verifySecret})
	for _, args := range [][]string{
		{"--send", base + "/webhook"},
		{"--send=" + base + "/webhook"},
		{"-url", base + "/webhook", "-send"},
		{"--send", base + "/webhook", "-data", `{"a":1}`},
	} {
		code, stdout, stderr := runCLI(append([]string{"sign"}, args...), env)
		if code != exitOK || !strings.HasPrefix(stdout, "200 OK") {
			t.Fatalf("%q: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	code, stdout, _ := runCLI([]string{"sign", "--send", base + "/webhook"}, func(k string) string {
		if k == "PIPES_WEBHOOK_SECRET" {
			return "another-secret-0123456789abcdef-0123"
		}
		return ""
	})
	if code != exitFault || !strings.HasPrefix(stdout, "401 ") {
		t.Fatalf("wrong secret: exit %d\n%s", code, stdout)
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
