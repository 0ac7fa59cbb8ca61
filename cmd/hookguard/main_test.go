package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// cliEnv is an environment for run: the module built for the tests, its
// cache, and vars.
func cliEnv(t *testing.T, vars map[string]string) func(string) string {
	t.Helper()
	env := map[string]string{"HOOKGUARD_WASM": writeTempBytes(t, testwasm.Module(t)), "HOOKGUARD_CACHE_DIR": testwasm.CacheDir()}
	for k, v := range vars {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// runCLI runs args and returns the exit status, stdout and stderr.
func runCLI(args []string, env func(string) string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, env, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestDispatch(t *testing.T) {
	env := cliEnv(t, nil)
	warmDir := filepath.Join(t.TempDir(), "cache")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no subcommand", nil, exitUsage, "", "usage: hookguard SUBCOMMAND"},
		{"unknown subcommand", []string{"proxy"}, exitUsage, "", `unknown subcommand "proxy"`},
		{"help", []string{"help"}, exitOK, "", "hookguard help SUBCOMMAND"},
		{"help of a subcommand", []string{"help", "verify"}, exitOK, "", "usage: hookguard verify"},
		{"help of no subcommand", []string{"help", "proxy"}, exitUsage, "", `no subcommand "proxy"`},
		{"serve -h", []string{"serve", "-h"}, exitOK, "", "HOOKGUARD_REDIS_URL"},
		{"serve bad flag", []string{"serve", "--port", "1"}, exitUsage, "", "flag provided but not defined"},
		{"serve argument", []string{"serve", "now"}, exitUsage, "", `unexpected argument "now"`},
		{"serve flag overrides variable", []string{"serve", "--upstream", "ftp://x"}, exitFault, "", "HOOKGUARD_UPSTREAM"},
		{"serve --warm-cache", []string{"serve", "--warm-cache", "--cache-dir", warmDir}, exitOK, "compiled the module into " + warmDir, ""},
		{"serve --warm-cache, cache off", []string{"serve", "--warm-cache", "--cache-dir", "off"}, exitUsage, "", "no cache directory"},
		{"serve --warm-cache, no module", []string{"serve", "--warm-cache", "--cache-dir", warmDir, "--wasm", "/does/not/exist.wasm"}, exitFault, "", "make build"},
		{"check without CONFIG", []string{"check"}, exitUsage, "", "want one CONFIG"},
		{"verify without --config", []string{"verify", "req.txt"}, exitUsage, "", "want --config CONFIG"},
		{"sign bad flag", []string{"sign", "-nope"}, exitUsage, "", "flag provided but not defined"},
		{"sign unknown preset", []string{"sign", "-preset", "nope"}, exitUsage, "", `no such preset`},
		{"version", []string{"version"}, exitOK, "go: go1.", ""},
		{"version argument", []string{"version", "x"}, exitUsage, "", "usage: hookguard version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tc.args, env)
			if code != tc.wantCode || !strings.Contains(stdout, tc.wantStdout) || !strings.Contains(stderr, tc.wantStderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stdout %q, stderr %q", code, tc.wantCode, stdout, stderr, tc.wantStdout, tc.wantStderr)
			}
		})
	}
	if entries, err := os.ReadDir(warmDir); err != nil || len(entries) == 0 {
		t.Fatalf("--warm-cache left %s empty: %v", warmDir, err)
	}
}
