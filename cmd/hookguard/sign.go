// The sign subcommand signs a test webhook the way a provider would, for
// trying a hookguard route by hand: it prints a curl command, or with
// --send URL sends the request and prints the status.
//
//	export STRIPE_WEBHOOK_SECRET=whsec_...
//	hookguard sign -preset stripe -url http://127.0.0.1:8080/hooks/stripe -data '{"id":"evt_1"}'
//	hookguard sign -preset stripe --send http://127.0.0.1:8080/hooks/stripe
//
// The secret is read from the environment variable -secret-env names
// (default <PRESET>_WEBHOOK_SECRET), never from the command line, where
// it would land in shell history. Public-key presets (discord, telnyx,
// sendgrid) sign with a private key of your own, for testing: any 32 bytes
// in hex, from <PRESET>_SIGNING_KEY; -public-key prints the public key the
// route needs (<PRESET>_PUBLIC_KEY in providers.json). A
// standard-webhooks whsk_ key signs v1a.
//
//	export DISCORD_SIGNING_KEY=$(openssl rand -hex 32)
//	export DISCORD_PUBLIC_KEY=$(hookguard sign -preset discord -public-key)
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// runSign is the sign subcommand.
func runSign(args []string, env func(string) string, stdout, stderr io.Writer) int {
	err := signCommand(args, lookupFrom(env), stdout, stderr, time.Now())
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errRejected):
		fmt.Fprintln(stderr, "hookguard sign:", err)
		return exitFault
	case errors.Is(err, errFlags):
		return exitUsage // the flag package has said why
	}
	fmt.Fprintln(stderr, "hookguard sign:", err)
	return exitUsage
}

// Errors from signCommand that decide its exit status.
var (
	errRejected = errors.New("the request was rejected")
	errFlags    = errors.New("bad flags")
)

// signCommand signs as args say, at now, with the secret from lookupEnv.
func signCommand(args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer, now time.Time) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	preset := fs.String("preset", "pipes", "the provider preset to sign as: "+strings.Join(verify.Presets(), ", "))
	target := fs.String("url", "http://127.0.0.1:8080/webhook", "where the request goes (URL-signing presets sign it)")
	data := fs.String("data", `{"event":"ping","source":"hookguard"}`, "the body")
	contentType := fs.String("content-type", "", "the Content-Type (default application/json; a form for "+strings.Join(formPresets(), ", ")+")")
	secretEnv := fs.String("secret-env", "", "environment variable holding the secret (default <PRESET>_WEBHOOK_SECRET)")
	var send sendFlag
	fs.Var(&send, "send", "send the request to `URL` (default -url) and print the status instead of a curl command")
	publicKey := fs.Bool("public-key", false, "print the public key of the signing key (public-key presets) and exit")
	showSigned := fs.Bool("show-signed-string", false, "also print the exact string the signature covers, the secret redacted")
	if err := send.parse(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errFlags, err)
	}
	if send.url != "" {
		*target = send.url
	}
	info, ok := verify.LookupPreset(*preset)
	if !ok {
		return fmt.Errorf("-preset %q: no such preset (%s)", *preset, strings.Join(verify.Presets(), ", "))
	}
	if *secretEnv == "" {
		*secretEnv = strings.ToUpper(strings.ReplaceAll(*preset, "-", "_")) + "_WEBHOOK_SECRET"
		if info.Kind == verify.KindPublicKey {
			*secretEnv = strings.ToUpper(*preset) + "_SIGNING_KEY"
		}
	}
	secret, ok := lookupEnv(*secretEnv)
	if !ok || secret == "" {
		return fmt.Errorf("set %s to the secret (or name another variable with -secret-env)", *secretEnv)
	}
	if *publicKey {
		pub, err := verify.PublicKeyFor(*preset, secret)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, pub)
		return nil
	}
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-url %q is not an absolute URL", *target)
	}
	if *contentType == "" {
		*contentType = "application/json"
		if info.Kind == verify.KindURLForm || info.Kind == verify.KindBraintree || info.Kind == verify.KindPlivo {
			*contentType = "application/x-www-form-urlencoded"
		}
	}
	body := []byte(*data)
	req := &verify.Request{Method: http.MethodPost, Scheme: u.Scheme, Authority: u.Host, Path: u.RequestURI(),
		Header: []verify.Field{{Name: "content-type", Value: *contentType}}}
	var headers []verify.Field
	switch {
	case info.Kind == verify.KindBodyField:
		body, err = mailgunBody(secret, body, now)
	default:
		if info.BodyTimestampField != "" {
			body = withBodyTimestamp(body, info.BodyTimestampField, now)
		}
		headers, body, err = verify.SignRequest(*preset, secret, req, body, now)
	}
	if err != nil {
		return err
	}
	if *showSigned {
		if err := printSignedString(stdout, *preset, secret, req, headers, body, now); err != nil {
			return err
		}
	}
	headers = append([]verify.Field{{Name: "content-type", Value: *contentType}}, headers...)
	if send.set {
		return sendRequest(stdout, *target, headers, body)
	}
	printCurl(stdout, *target, headers, body, info.Kind, *secretEnv, secret)
	return nil
}

// printCurl prints the request as a curl command. A header that carries
// the secret itself (a token, HTTP Basic's credentials) names its
// variable instead, for the shell to expand: the secret is never printed.
func printCurl(w io.Writer, target string, headers []verify.Field, body []byte, kind verify.PresetKind, secretEnv, secret string) {
	fmt.Fprintf(w, "curl -sS -i -X POST %s", shellQuote(target))
	for _, h := range headers {
		switch {
		case kind == verify.KindBasic && strings.EqualFold(h.Name, "authorization"):
			fmt.Fprintf(w, " \\\n  -u \"$%s\"", secretEnv)
		case strings.Contains(h.Value, secret):
			fmt.Fprintf(w, " \\\n  -H %s\"$%s\"%s", shellQuote(h.Name+": "+before(h.Value, secret)), secretEnv, shellQuote(after(h.Value, secret)))
		default:
			fmt.Fprintf(w, " \\\n  -H %s", shellQuote(h.Name+": "+h.Value))
		}
	}
	fmt.Fprintf(w, " \\\n  --data-binary %s\n", shellQuote(string(body)))
}

func before(s, sep string) string { b, _, _ := strings.Cut(s, sep); return b }
func after(s, sep string) string  { _, a, _ := strings.Cut(s, sep); return a }

// formPresets are the presets that sign form parameters.
func formPresets() []string {
	var out []string
	for _, name := range verify.Presets() {
		if info, _ := verify.LookupPreset(name); info.Kind == verify.KindURLForm {
			out = append(out, name)
		}
	}
	return out
}

// withBodyTimestamp adds the timestamp field a preset reads from the body
// (Linear's webhookTimestamp, in ms), which its sender puts in every body
// and hookguard checks, to a JSON object that lacks it.
func withBodyTimestamp(body []byte, name string, now time.Time) []byte {
	t := bytes.TrimSpace(body)
	if len(t) < 2 || t[0] != '{' || bytes.Contains(t, []byte(strconv.Quote(name))) {
		return body
	}
	field := strconv.Quote(name) + ":" + strconv.FormatInt(now.UnixMilli(), 10)
	if rest := bytes.TrimSpace(t[1:]); len(rest) > 0 && rest[0] != '}' {
		field += ","
	}
	return append([]byte("{"+field), t[1:]...)
}

// mailgunBody wraps data as Mailgun's event-data, with the signature
// object Mailgun puts beside it.
func mailgunBody(key string, data []byte, now time.Time) ([]byte, error) {
	ts := strconv.FormatInt(now.Unix(), 10)
	token := strconv.FormatInt(now.UnixNano(), 36)
	sig := verify.SignMailgun(key, ts, token)
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"signature":{"timestamp":%q,"token":%q,"signature":%q},"event-data":%s}`, ts, token, sig, data)
	return b.Bytes(), nil
}

func sendRequest(stdout io.Writer, target string, headers []verify.Field, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for _, h := range headers {
		req.Header.Add(h.Name, h.Value)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	fmt.Fprintf(stdout, "%s\n%s\n", resp.Status, bytes.TrimSpace(got))
	if resp.StatusCode >= 400 {
		return errRejected
	}
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
