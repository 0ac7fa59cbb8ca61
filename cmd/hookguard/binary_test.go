package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// TestBinary builds the command as `go install` would and runs version,
// check and verify as a person would.
func TestBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "hookguard")
	build := exec.Command("go", "build", "-o", bin, "./cmd/hookguard")
	build.Dir = testwasm.Root()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	wasm := filepath.Join(dir, "hookguard.wasm")
	if err := os.WriteFile(wasm, testwasm.Module(t), 0o644); err != nil {
		t.Fatal(err)
	}
	config := writeTemp(t, stripeConfig)
	when := time.Unix(1764547200, 0)
	capture := writeTemp(t, stripeCapture(t, `{"id":"evt_1"}`, when)["raw"])
	tests := []struct {
		name     string
		args     []string
		env      []string
		wantCode int
		want     string
	}{
		{"version", []string{"version"}, nil, 0, "github.com/hookguard/hookguard (devel)"},
		{"check, secret missing", []string{"check", config}, nil, 1, `route "stripe": secret env STRIPE_SECRET is not set`},
		{"check", []string{"check", config}, []string{"STRIPE_SECRET=" + verifySecret}, 0, "ok: 1 routes"},
		{"verify", []string{"verify", "--config", config, "--now", strconv.FormatInt(when.Unix(), 10), capture}, []string{"STRIPE_SECRET=" + verifySecret}, 0, "verdict: verified"},
		{"no subcommand", nil, nil, 2, "usage: hookguard"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = append([]string{"HOOKGUARD_WASM=" + wasm, "HOOKGUARD_CACHE_DIR=" + testwasm.CacheDir(), "PATH=" + os.Getenv("PATH")}, tc.env...)
			out, err := cmd.CombinedOutput()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode || !strings.Contains(string(out), tc.want) {
				t.Fatalf("exit %d (want %d), output:\n%s\nwant %q", code, tc.wantCode, out, tc.want)
			}
			if strings.Contains(string(out), verifySecret) {
				t.Fatal("the output holds the secret")
			}
		})
	}
}
