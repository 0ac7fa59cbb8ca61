package verify_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/reason"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/testing/cases"
)

func headerName(h string) string { return http.CanonicalHeaderKey(h) }

func describeSignature(h verify.HMAC) string {
	enc := string(h.Encoding)
	if enc == "" {
		enc = "hex"
	}
	sig := "<" + enc + ">"
	var lines []string
	switch h.SignatureFormat {
	case verify.KeyValue:
		sep := h.Separators
		if sep == "" {
			sep = ","
		}
		ts := ""
		if h.TimestampKey != "" {
			ts = h.TimestampKey + "=<ts>" + sep[:1]
		}
		lines = append(lines, fmt.Sprintf("`%s: %s%s=%s[%s%s=…]`", headerName(h.SignatureHeaders[0]), ts, h.SignatureKey, sig, sep[:1], h.SignatureKey))
	case verify.List:
		vs := h.VersionSeparator
		if vs == "" {
			vs = ","
		}
		lines = append(lines, fmt.Sprintf("`%s: %s%s%s[ %s%s…]`", headerName(h.SignatureHeaders[0]), h.SignatureKey, vs, sig, h.SignatureKey, vs))
	default:
		var names []string
		for _, n := range h.SignatureHeaders {
			names = append(names, fmt.Sprintf("`%s: %s%s`", headerName(n), h.SignaturePrefix, sig))
		}
		lines = append(lines, strings.Join(names, " or "))
	}
	if h.TimestampHeader != "" {
		lines = append(lines, fmt.Sprintf("`%s: <%s>`", headerName(h.TimestampHeader), timestampName(h.TimestampFormat)))
	}
	if h.IDHeader != "" {
		lines = append(lines, fmt.Sprintf("`%s: <id>`", headerName(h.IDHeader)))
	}
	return strings.Join(lines, ", ")
}

func timestampName(f verify.TimestampFormat) string {
	switch f {
	case verify.UnixMillis:
		return "unix ms"
	case verify.RFC3339:
		return "RFC 3339"
	}
	return "unix s"
}

// presetDoc renders docs/presets.md's per-preset reference from the
// preset table.
func presetDoc() string {
	var b strings.Builder
	for _, name := range verify.Presets() {
		info, _ := verify.LookupPreset(name)
		fmt.Fprintf(&b, "#### `%s`\n\n", name)
		fmt.Fprintf(&b, "- Headers: %s\n- Signed: %s\n", describeHeaders(info), describeSigned(info))
		h := info.HMAC
		if h.Tolerance > 0 {
			fmt.Fprintf(&b, "- Tolerance: %d s, both directions (`tolerance_seconds`)\n", int(h.Tolerance.Seconds()))
		} else {
			fmt.Fprintf(&b, "- Tolerance: none (the provider signs no timestamp)\n")
		}
		fmt.Fprintf(&b, "- Secret: %s\n", describeSecret(info))
		fmt.Fprintf(&b, "- Replays (`dedupe`): %s\n", describeIdentity(info))
		if info.Notes != "" {
			fmt.Fprintf(&b, "- Notes: %s\n", info.Notes)
		}
		fmt.Fprintf(&b, "- Route: `%s`\n", exampleRoute(info))
		env := envName(info)
		if info.JWKS != nil {
			fmt.Fprintf(&b, "- Test request: none: the provider signs with its own keys\n\n")
			continue
		}
		if info.Kind == verify.KindPublicKey {
			up := strings.ToUpper(name)
			fmt.Fprintf(&b, "- Test request, with a test key pair: `export %s_SIGNING_KEY=$(openssl rand -hex 32); export %s=$(go run ./cmd/hookguard sign --preset %s --public-key)`, start the gateway, then `go run ./cmd/hookguard sign --preset %s --send http://127.0.0.1:8080/hooks/%s`\n\n", up, env, name, name, name)
			continue
		}
		fmt.Fprintf(&b, "- Test request: `%s=… go run ./cmd/hookguard sign --preset %s --send http://127.0.0.1:8080/hooks/%s`\n\n", env, name, name)
	}
	return b.String()
}

// describeHeaders says what a preset's sender adds to a request.
func describeHeaders(info verify.PresetInfo) string {
	if info.DocHeaders != "" {
		return info.DocHeaders
	}
	return describeSignature(info.HMAC)
}

// describeSigned says what a preset's signature covers.
func describeSigned(info verify.PresetInfo) string {
	if info.DocSigned != "" {
		return info.DocSigned
	}
	h := info.HMAC
	alg := strings.ToUpper(string(h.Algorithm))
	if alg == "" {
		alg = "SHA256"
	}
	tmpl := h.Template
	if tmpl == "" {
		tmpl = "{body}"
	}
	signed := "HMAC-" + alg[:3] + "-" + alg[3:]
	switch h.Algorithm {
	case verify.Ed25519:
		signed = "an Ed25519 signature"
	case verify.ECDSAP256SHA256:
		signed = "an ECDSA P-256 signature (DER) of the SHA-256"
	}
	return fmt.Sprintf("%s of `%s`", signed, tmpl)
}

// describeSecret says what a preset's route holds.
func describeSecret(info verify.PresetInfo) string {
	switch {
	case info.Kind == verify.KindPublicKey:
		return "none: the route holds the provider's public key (hex, base64, base64 DER or PEM), e.g. `" + info.ExampleKey + "`"
	case info.SecretEncoding == verify.Whsec:
		return "`whsec_` + base64, decoded (an unprefixed base64 secret works too)"
	case info.Kind == verify.KindBasic:
		return "the user name and password, as `user:password`"
	case info.JWKS != nil:
		return fmt.Sprintf("none: the provider's JWK Set, fetched through the route's `jwks_cluster` from %s%s", info.JWKS.Authority, info.JWKS.Path)
	case info.SecretEncoding == verify.Base64Secret:
		return "base64 as the provider shows it, decoded"
	case info.SecretEncoding == verify.HexSecret:
		return "hex as the provider shows it, decoded"
	}
	return "the string as the provider shows it"
}

// describeIdentity says how replay de-duplication knows a delivery of the
// preset again (verify.PresetInfo.Identity).
func describeIdentity(info verify.PresetInfo) string {
	h := info.HMAC
	var out string
	switch info.Identity()[0] {
	case verify.IdentitySignedID:
		out = fmt.Sprintf("by the signed `%s`, the same on every retry: a copy, or a retry signed again, is a duplicate", headerName(h.IDHeader))
	case verify.IdentityEventID:
		out = fmt.Sprintf("by the body's `%q`, the event's id, the same on every retry: a copy, or a retry signed again, is a duplicate (a body without it: by its signed content)", h.EventIDField)
	case verify.IdentityBody:
		out = "by the body's SHA-256: an exact copy is a duplicate, but a token signs nothing, so whoever holds it can send any body"
	case verify.IdentitySignedContent:
		out = "by what the signature covers: a copy is a duplicate"
		if info.Kind == verify.KindBodyField {
			out = "by the signed timestamp and token in the body: a copy is a duplicate"
			break
		}
		if info.SignsTimestamp() {
			out += "; a retry the provider signs again with a new timestamp is a new delivery"
		} else {
			out += ", and so is every retry (the provider signs no timestamp)"
		}
	}
	var unsigned []string
	for _, name := range info.DeliveryIDHeaders {
		if name != h.IDHeader && (info.Fallback == nil || name != info.Fallback.IDHeader) {
			unsigned = append(unsigned, "`"+headerName(name)+"`")
		}
	}
	if len(unsigned) > 0 {
		out += fmt.Sprintf("; %s is not signed: it only tags the entry, so that copies under another id are counted (`hookguard.dedupe_replayed`)", strings.Join(unsigned, " or "))
	}
	return out
}

// envName is the variable a preset's example route reads its key from.
func envName(info verify.PresetInfo) string {
	if info.Kind == verify.KindPublicKey {
		return strings.ToUpper(info.Name) + "_PUBLIC_KEY"
	}
	return strings.ToUpper(strings.ReplaceAll(info.Name, "-", "_")) + "_WEBHOOK_SECRET"
}

// exampleRoute is a route for the preset at /hooks/<name>, answering its
// handshake if it has one.
func exampleRoute(info verify.PresetInfo) string {
	if info.JWKS != nil {
		return fmt.Sprintf(`{"name": %q, "match": {"path": "/hooks/%s", "methods": ["POST"]}, "scheme": %q, "jwks_cluster": "google", "audiences": ["https://hooks.example.com/hooks/%s"], "require_claims": {"email": "push@PROJECT.iam.gserviceaccount.com"}}`,
			info.Name, info.Name, info.Name, info.Name)
	}
	if rk := info.RemoteKey; rk != nil {
		return remoteKeyRoute(info)
	}
	name, keys := info.Name, "secrets"
	if info.Kind == verify.KindPublicKey {
		keys = "public_keys"
	}
	methods, handshake := `"POST"`, ""
	if m := info.Handshake.Method; m != "" {
		handshake = `, "handshake": true`
		if m != "POST" {
			methods = fmt.Sprintf(`%q, "POST"`, m)
		}
		if info.Handshake.Kind == verify.HandshakeMeta {
			handshake += fmt.Sprintf(`, "verify_token_env": %q`, strings.ToUpper(name)+"_VERIFY_TOKEN")
		}
	}
	return fmt.Sprintf(`{"name": %q, "match": {"path": "/hooks/%s", "methods": [%s]}, "scheme": %q, "%s": [{"id": "current", "env": %q}]%s}`,
		name, name, methods, name, keys, envName(info), handshake)
}

// remoteKeyRoute is the example route of a preset whose keys are fetched
// from the provider: the cluster, and what binds its deliveries, or its
// API credentials.
func remoteKeyRoute(info verify.PresetInfo) string {
	rk, extra := info.RemoteKey, ""
	switch rk.BindField {
	case "topic_arns":
		extra = `, "topic_arns": ["arn:aws:sns:us-east-1:123456789012:orders"], "handshake": true`
	case "webhook_ids":
		extra = `, "webhook_ids": ["WH-0000000000000000A"], "tolerance_seconds": 300, "dedupe": {}`
	case "client_ids":
		extra = `, "client_ids": ["YOUR_INTEGRATION_API_KEY"], "dedupe": {}`
	}
	if rk.Credentials {
		extra += fmt.Sprintf(`, "secrets": [{"id": "api", "env": %q}]`, strings.ToUpper(info.Name)+"_API_CREDENTIALS")
	}
	if info.Handshake.Kind != "" && rk.BindField != "topic_arns" {
		extra += `, "handshake": true`
	}
	if info.Handshake.Kind == verify.HandshakeEBay {
		extra += fmt.Sprintf(`, "verify_token_env": %q`, strings.ToUpper(info.Name)+"_VERIFY_TOKEN")
	}
	methods := `"POST"`
	if m := info.Handshake.Method; m != "" && m != "POST" {
		methods = fmt.Sprintf(`%q, "POST"`, m)
	}

	return fmt.Sprintf(`{"name": %q, "match": {"path": "/hooks/%s", "methods": [%s]}, "scheme": %q, "key_cluster": %q%s}`,
		info.Name, info.Name, methods, info.Name, info.Name, extra)
}

// presetsDocPath is the generated preset reference.
func presetsDocPath() string {
	return repoFile("docs/presets.md")
}

// TestPresetsDoc checks docs/presets.md's preset reference is what the
// preset table says (HOOKGUARD_UPDATE=1 rewrites it).
func TestPresetsDoc(t *testing.T) {
	path := presetsDocPath()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- presets:begin (generated by TestPresetsDoc) -->\n", "<!-- presets:end -->"
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("docs/presets.md has no presets section markers")
	}
	want := s[:i+len(begin)] + "\n" + presetDoc() + s[j:]
	if os.Getenv("HOOKGUARD_UPDATE") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != s {
		t.Fatal("docs/presets.md's preset reference is stale: run `HOOKGUARD_UPDATE=1 go test -run TestPresetsDoc ./filter/verify`")
	}
}

// repoFile is the path of a file at the repository's root.
func repoFile(name string) string {
	return filepath.Join(cases.TestdataDir(), "..", "..", filepath.FromSlash(name))
}

// The docs the tests below hold to the preset and reason tables.
const (
	readmeDoc        = "README.md"
	configurationDoc = "docs/configuration.md"
)

// TestDocsReasons checks docs/configuration.md's table of reasons lists
// every reason with its status and body, and nothing else.
func TestDocsReasons(t *testing.T) {
	data, err := os.ReadFile(repoFile(configurationDoc))
	if err != nil {
		t.Fatal(err)
	}
	// A reason's row: its name, a status, a body, when.
	reasonRow := regexp.MustCompile("^\\| `[a-z_]+` \\| [1-5][0-9][0-9] \\| `")
	rows := 0
	for _, line := range strings.Split(string(data), "\n") {
		if reasonRow.MatchString(line) {
			rows++
		}
	}
	for _, r := range reason.All {
		row := fmt.Sprintf("| `%s` | %d | `%s` |", r.Name, r.Status, reason.Body(r.Status))
		if !strings.Contains(string(data), row) {
			t.Errorf("%s lacks the row %q", configurationDoc, row)
		}
	}
	if rows != len(reason.All) {
		t.Errorf("%s's reasons table has %d rows, want %d", configurationDoc, rows, len(reason.All))
	}
}

// TestPresetsDocRoutesParse: every route the preset reference shows is one
// config.Parse takes as it stands (with its variables set), so a reader
// who copies one gets a working route — a handshake included.
func TestPresetsDocRoutesParse(t *testing.T) {
	re := regexp.MustCompile("(?m)^- Route: `(.*)`$")
	routes := re.FindAllStringSubmatch(presetDoc(), -1)
	if len(routes) != len(verify.Presets()) {
		t.Fatalf("%d routes for %d presets", len(routes), len(verify.Presets()))
	}
	for _, m := range routes {
		cfg := `{"routes":[` + m[1] + `]}`
		var name struct {
			Name string `json:"name"`
		}
		json.Unmarshal([]byte(m[1]), &name)
		info, _ := verify.LookupPreset(name.Name)
		value := "readme-route-secret-0123456789abcdef"
		switch {
		case info.Kind == "public-key":
			value = info.ExampleKey
		case info.SecretEncoding == verify.Whsec:
			value = "whsec_cmVhZG1lLXJvdXRlLXNlY3JldC0wMTIzNDU2Nzg5"
		case info.Kind == verify.KindBasic || info.RemoteKey != nil:
			value = "readme:route-password-0123456789"
		case info.SecretEncoding == verify.Base64Secret:
			value = "cmVhZG1lLXJvdXRlLXNlY3JldC0wMTIzNDU2Nzg5"
		case info.SecretEncoding == verify.HexSecret:
			value = "726561646d652d726f7574652d736563726574"
		}
		lookup := func(string) (string, bool) { return value, true }
		parsed, _, err := config.Parse([]byte(cfg), lookup)
		if err != nil {
			t.Errorf("%s: %v", m[1], err)
			continue
		}
		if method := config.HandshakeMethod(name.Name); method != "" && parsed.Routes[0].Handshake == "" {
			t.Errorf("%s: the route does not answer its handshake", name.Name)
		}
	}
}

// TestREADMEPresetCount: the README's count of presets is the table's
// (HOOKGUARD_UPDATE=1 rewrites it).
func TestREADMEPresetCount(t *testing.T) {
	path := repoFile(readmeDoc)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("It knows %d presets", len(verify.Presets()))
	if os.Getenv("HOOKGUARD_UPDATE") != "" {
		data = regexp.MustCompile(`It knows \d+ presets`).ReplaceAll(data, []byte(want))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(string(data), want) {
		t.Fatalf("%s does not say %q", readmeDoc, want)
	}
}

// identityLines are docs/configuration.md's lists of presets by how replay
// de-duplication knows a delivery again.
func identityLines() []string {
	var signedID, eventID, untimed, timed, body []string
	for _, name := range verify.Presets() {
		info, _ := verify.LookupPreset(name)
		h, quoted := info.HMAC, "`"+name+"`"
		switch info.Identity()[0] {
		case verify.IdentitySignedID:
			signedID = append(signedID, quoted)
		case verify.IdentityEventID:
			eventID = append(eventID, fmt.Sprintf("%s (`%s`)", quoted, h.EventIDField))
		case verify.IdentityBody:
			body = append(body, quoted)
		case verify.IdentitySignedContent:
			if info.SignsTimestamp() {
				timed = append(timed, quoted)
			} else {
				untimed = append(untimed, quoted)
			}
		}
	}
	return []string{
		"- **A signed delivery id** (a copy, or a retry signed again, is a duplicate): " + strings.Join(signedID, ", ") + ".",
		"- **The event's id in the signed body** (a copy, or a retry signed again, is a duplicate): " + strings.Join(eventID, ", ") + ".",
		"- **The signed content, with no timestamp** (a copy and every retry are duplicates): " + strings.Join(untimed, ", ") + ".",
		"- **The signed content, with a timestamp** (a copy is a duplicate; a retry the provider signs again is a new delivery): " + strings.Join(timed, ", ") + ".",
		"- **The body, under a token or Basic credentials that sign nothing** (a copy is a duplicate; whoever holds the credential can send any body): " + strings.Join(body, ", ") + ".",
	}
}

// TestDocsIdentities: docs/configuration.md's de-duplication section lists
// every preset under how its deliveries are identified, as the table says
// (HOOKGUARD_UPDATE=1 rewrites the lists).
func TestDocsIdentities(t *testing.T) {
	path := repoFile(configurationDoc)
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("HOOKGUARD_UPDATE") != "" {
		doc = []byte(replaceListLines(string(doc), identityLines()))
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, line := range identityLines() {
		if !strings.Contains(string(doc), "\n"+line+"\n") {
			t.Errorf("%s lacks, on a line of its own (HOOKGUARD_UPDATE=1 go test -run TestDocsIdentities ./filter/verify):\n%s", configurationDoc, line)
		}
	}
}

// replaceListLines replaces each line of doc that starts as one of lines
// does, up to its closing "**", with it.
func replaceListLines(doc string, lines []string) string {
	out := strings.Split(doc, "\n")
	for _, line := range lines {
		head := line[:strings.Index(line[4:], "**")+6]
		for i, l := range out {
			if strings.HasPrefix(l, head) {
				out[i] = line
			}
		}
	}
	return strings.Join(out, "\n")
}
