package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const checkSecret = "check-secret-value-0123456789abcdef"

func TestCheck(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(checkSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	twoRoutes := `{"routes":[
		{"name":"github","match":{"path":"/gh"},"scheme":"github","secrets":[{"id":"k1","env":"GH_SECRET"},{"id":"k2","env":"GH_OLD","optional":true}]},
		{"name":"stripe","match":{"path":"/st"},"scheme":"stripe","mode":"detect","secrets":[{"id":"live","env":"STRIPE_SECRET"}]}]}`
	tests := []struct {
		name       string
		config     string
		vars       map[string]string
		wantCode   int
		wantStdout []string
		wantStderr string
	}{
		{"all set", twoRoutes, map[string]string{"GH_SECRET": checkSecret, "STRIPE_SECRET": checkSecret}, exitOK,
			[]string{"github               scheme=github mode=enforce keys=k1 missing=GH_OLD", "stripe               scheme=stripe mode=detect keys=live missing=none", "ok: 2 routes"}, ""},
		{"secret from a file", twoRoutes, map[string]string{"GH_SECRET": checkSecret, "STRIPE_SECRET_FILE": secretFile}, exitOK,
			[]string{"keys=live missing=none"}, ""},
		{"secret missing", twoRoutes, map[string]string{"GH_SECRET": checkSecret}, exitFault,
			[]string{"stripe               scheme=stripe mode=detect keys=live missing=STRIPE_SECRET"}, `route "stripe": secret env STRIPE_SECRET is not set`},
		{"both missing", twoRoutes, nil, exitFault, nil, `route "github": secret env GH_SECRET is not set` + "\nhookguard check: " + `route "stripe": secret env STRIPE_SECRET is not set`},
		{"secret twice", twoRoutes, map[string]string{"GH_SECRET": checkSecret, "STRIPE_SECRET": checkSecret, "STRIPE_SECRET_FILE": secretFile}, exitFault, nil, "STRIPE_SECRET: set only one"},
		{"flat form", `{"secret_env":"PIPES_SECRET"}`, nil, exitFault, []string{"default              scheme=pipes"}, `route "default": secret env PIPES_SECRET is not set`},
		{"unknown scheme", `{"routes":[{"name":"x","scheme":"nope","secrets":[{"env":"GH_SECRET"}]}]}`, map[string]string{"GH_SECRET": checkSecret}, exitFault, nil, `route "x": unknown scheme`},
		{"two routes of one name", `{"routes":[{"name":"x","scheme":"github","secrets":[{"env":"GH_SECRET"}]},{"name":"x","scheme":"github","secrets":[{"env":"GH_SECRET"}]}]}`,
			map[string]string{"GH_SECRET": checkSecret}, exitFault, nil, `name "x" is used twice`},
		{"not JSON", `{"routes":`, nil, exitFault, nil, "configuration is not valid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI([]string{"check", writeTemp(t, tc.config)}, cliEnv(t, tc.vars))
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantStderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stderr %q", code, tc.wantCode, stdout, stderr, tc.wantStderr)
			}
			for _, want := range tc.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Fatalf("stdout does not say %q:\n%s", want, stdout)
				}
			}
			if strings.Contains(stdout+stderr, checkSecret) {
				t.Fatal("check printed a secret")
			}
		})
	}
}

// TestCheckStartsTheModule: what check passes is what the module starts
// with, so a module that cannot start fails the check.
func TestCheckStartsTheModule(t *testing.T) {
	env := cliEnv(t, map[string]string{"PIPES_SECRET": checkSecret, "HOOKGUARD_WASM": writeTemp(t, "not a module")})
	code, _, stderr := runCLI([]string{"check", writeTemp(t, `{"secret_env":"PIPES_SECRET"}`)}, env)
	if code != exitFault || !strings.Contains(stderr, "the module did not start") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
