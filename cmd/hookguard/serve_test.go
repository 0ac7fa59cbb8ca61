package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/testing/cases"
	"github.com/hookguard/hookguard/internal/testing/conformance"
	"github.com/hookguard/hookguard/internal/testing/syncbuf"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

const testSecret = "gateway-test-secret-0123456789abcdef"

// startGateway runs the gateway as `make run` does, on a free port, with
// env as its whole environment. It returns the base URL and its stdout.
func startGateway(t *testing.T, env map[string]string) (string, *syncbuf.Buffer) {
	t.Helper()
	return startGatewayAt(t, env, nil)
}

// startGatewayAt is startGateway with the module's clock pinned.
func startGatewayAt(t *testing.T, env map[string]string, clock func() time.Time) (string, *syncbuf.Buffer) {
	t.Helper()
	base, stdout, _ := launchGateway(t, env, clock)
	return base, stdout
}

// launchGateway runs the gateway with env as its whole environment and
// the module's clock pinned (nil: the wall clock), until the test ends.
// It returns the base URL and what the gateway prints and logs.
func launchGateway(t *testing.T, env map[string]string, clock func() time.Time) (base string, stdout, stderr *syncbuf.Buffer) {
	t.Helper()
	wasmPath := filepath.Join(t.TempDir(), "hookguard.wasm")
	if err := os.WriteFile(wasmPath, testwasm.Module(t), 0o644); err != nil {
		t.Fatal(err)
	}
	env["HOOKGUARD_WASM"] = wasmPath
	env["HOOKGUARD_ADDR"] = "127.0.0.1:0"
	env["HOOKGUARD_CACHE_DIR"] = testwasm.CacheDir()
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncbuf.Buffer{}, &syncbuf.Buffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, lookup, stdout, stderr, ready, clock) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway: %v", err)
		}
		if t.Failed() {
			t.Logf("gateway log:\n%s", stderr.String())
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr, stdout, stderr
	case err := <-done:
		done <- err // for the cleanup, which waits for the gateway to end
		t.Fatalf("gateway did not start: %v\n%s", err, stderr.String())
	// Generous: a cold compile under -race, with every test package
	// compiling the module at once on a small machine, took over 30 s.
	// This waits for start-up; it is not a speed check.
	case <-time.After(3 * time.Minute):
		t.Fatal("gateway did not start in 3 minutes")
	}
	return "", nil, nil
}

// TestConformance runs the shared matrix over HTTP against the gateway.
func TestConformance(t *testing.T) {
	const maxBody = 64 << 10
	cfg := filepath.Join(t.TempDir(), "config.json")
	os.WriteFile(cfg, []byte(`{"secret_env":"PIPES_WEBHOOK_SECRET","max_body_bytes":`+strconv.Itoa(maxBody)+`}`), 0o644)
	base, _ := startGateway(t, map[string]string{"PIPES_WEBHOOK_SECRET": testSecret, "HOOKGUARD_CONFIG": cfg})
	conformance.Run(t, conformance.Target{BaseURL: base, Cases: cases.Pipes([]byte(testSecret), maxBody), EchoesBody: true})
}

// TestDefaultConfigCap checks the embedded default: a 1 MiB cap.
func TestDefaultConfigCap(t *testing.T) {
	base, _ := startGateway(t, map[string]string{"PIPES_WEBHOOK_SECRET": testSecret})
	for _, tc := range cases.Pipes([]byte(testSecret), verify.DefaultMaxBodyBytes) {
		if !strings.Contains(tc.Name, "cap") && tc.Name != "valid" {
			continue
		}
		t.Run(tc.Name, func(t *testing.T) {
			status, _, err := conformance.Send(http.DefaultClient, base, tc)
			if err != nil || status != tc.WantStatus {
				t.Fatalf("got %d, %v; want %d", status, err, tc.WantStatus)
			}
		})
	}
}

// TestGeneratedSecretAndPrintedCurl checks that without a secret the
// gateway makes one, prints it once, and that the curl it prints works.
func TestGeneratedSecretAndPrintedCurl(t *testing.T) {
	base, stdout := startGateway(t, map[string]string{})
	out := stdout.String()
	secret := regexp.MustCompile(`(?m)^  ([0-9a-f]{64})$`).FindStringSubmatch(out)
	if secret == nil {
		t.Fatalf("no generated secret printed:\n%s", out)
	}
	if strings.Count(out, secret[1]) != 1 {
		t.Fatal("the generated secret is printed more than once")
	}
	m := regexp.MustCompile(`curl -sS -X POST (\S+) -H 'Content-Type: application/json' -H 'X-Pipes-Signature: ([0-9a-f]{64})' --data-binary '([^']*)'`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no signed curl printed:\n%s", out)
	}
	if !strings.HasPrefix(m[1], base) {
		t.Fatalf("curl targets %s, gateway is on %s", m[1], base)
	}
	if m[2] != verify.SignPipes([]byte(secret[1]), []byte(m[3])) {
		t.Fatal("printed signature is not the body's signature under the printed secret")
	}
	for _, sig := range []string{m[2], ""} {
		req, _ := http.NewRequest(http.MethodPost, m[1], strings.NewReader(m[3]))
		if sig != "" {
			req.Header.Set("X-Pipes-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: 200, false: 401}[sig != ""]; resp.StatusCode != want {
			t.Fatalf("signed=%v: got %d, want %d", sig != "", resp.StatusCode, want)
		}
	}
}

// TestIndependentSigners signs fresh bodies with Node's crypto and
// Python's hmac exactly as the Pipes.bot document's examples do, and sends
// them through the gateway.
func TestIndependentSigners(t *testing.T) {
	base, _ := startGateway(t, map[string]string{"PIPES_WEBHOOK_SECRET": testSecret})
	signers := map[string][]string{
		"node":    {"node", "-e", `process.stdout.write(require("crypto").createHmac("sha256", process.argv[1]).update(process.argv[2]).digest("hex"))`},
		"python3": {"python3", "-c", `import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest(), end="")`},
	}
	body := `{"event":"order.paid","amount":1999,"note":"crème brûlée ✓"}`
	for name, argv := range signers {
		t.Run(name, func(t *testing.T) {
			if _, err := exec.LookPath(argv[0]); err != nil {
				t.Skipf("%s not installed", argv[0])
			}
			sig, err := exec.Command(argv[0], append(argv[1:], testSecret, body)...).Output()
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				body string
				want int
			}{{body, 200}, {body + " ", 401}} {
				req, _ := http.NewRequest(http.MethodPost, base+"/webhook", strings.NewReader(tc.body))
				req.Header.Set("X-Pipes-Signature", string(sig))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Fatalf("got %d, want %d", resp.StatusCode, tc.want)
				}
			}
		})
	}
}

// TestBadSettingsFail checks each bad setting stops the gateway before it
// listens, with an error that names the setting.
func TestBadSettingsFail(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		wantInErr string
	}{
		{"upstream not a URL", map[string]string{"HOOKGUARD_UPSTREAM": "ftp://x"}, "HOOKGUARD_UPSTREAM"},
		{"config missing", map[string]string{"HOOKGUARD_CONFIG": "/does/not/exist.json"}, "HOOKGUARD_CONFIG: open"},
		{"config rejected", map[string]string{"HOOKGUARD_CONFIG": writeTemp(t, `{"secret_env":"PIPES_WEBHOOK_SECRET","mode":"x"}`)}, `HOOKGUARD_CONFIG: unknown configuration field "mode"`},
		{"config secret unset", map[string]string{"HOOKGUARD_CONFIG": writeTemp(t, `{"routes":[{"name":"a","scheme":"stripe","secrets":[{"env":"STRIPE_UNSET"}]}]}`)}, "unset or empty: STRIPE_UNSET"},
		{"bad log level", map[string]string{"HOOKGUARD_LOG_LEVEL": "loud"}, "HOOKGUARD_LOG_LEVEL"},
		{"bad body timeout", map[string]string{"HOOKGUARD_BODY_TIMEOUT": "10"}, "HOOKGUARD_BODY_TIMEOUT"},
		{"negative body timeout", map[string]string{"HOOKGUARD_BODY_TIMEOUT": "-1s"}, "HOOKGUARD_BODY_TIMEOUT"},
		{"wasm missing", map[string]string{"HOOKGUARD_WASM": "/does/not/exist.wasm"}, "make build"},
		{"bad address, secret generated", map[string]string{"HOOKGUARD_ADDR": "256.0.0.1:1", "PIPES_WEBHOOK_SECRET": ""}, "HOOKGUARD_ADDR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{
				"HOOKGUARD_WASM": writeTempBytes(t, testwasm.Module(t)), "HOOKGUARD_ADDR": "127.0.0.1:0",
				"HOOKGUARD_CACHE_DIR": testwasm.CacheDir(), "PIPES_WEBHOOK_SECRET": testSecret,
			}
			for k, v := range tc.env {
				env[k] = v
			}
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			stdout := &bytes.Buffer{}
			err := runGateway(ctx, lookup, stdout, &bytes.Buffer{}, nil)
			if err == nil {
				t.Fatal("gateway started")
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Fatalf("error %q does not say %q", err, tc.wantInErr)
			}
			if strings.Contains(stdout.String(), "generated secret") {
				t.Fatal("a generated secret was printed although start-up failed")
			}
		})
	}
}

func writeTemp(t *testing.T, s string) string { return writeTempBytes(t, []byte(s)) }

func writeTempBytes(t *testing.T, b []byte) string {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMetricsEndpoint(t *testing.T) {
	base, stdout := startGateway(t, map[string]string{"PIPES_WEBHOOK_SECRET": testSecret, "HOOKGUARD_METRICS_ADDR": "127.0.0.1:0"})
	resp, err := http.Post(base+"/webhook", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	m := regexp.MustCompile(`metrics: (http://\S+/metrics)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no metrics address printed:\n%s", stdout.String())
	}
	resp, err = http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "hookguard_requests_rejected{route=\"default\",reason=\"missing_signature\"} 1\n") {
		t.Fatalf("metrics do not count the unsigned request:\n%s", body)
	}
}

// TestProbes: /healthz and /readyz answer 200 on the metrics port while
// the gateway serves.
func TestProbes(t *testing.T) {
	_, stdout := startGateway(t, map[string]string{"PIPES_WEBHOOK_SECRET": testSecret, "HOOKGUARD_METRICS_ADDR": "127.0.0.1:0"})
	m := regexp.MustCompile(`metrics: (http://\S+)/metrics`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no metrics address printed:\n%s", stdout.String())
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(m[1] + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}

func TestCacheDir(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	for setting, want := range map[string]string{
		"":           filepath.Join(cache, "hookguard", "wazero"),
		"off":        "",
		"/tmp/cache": "/tmp/cache",
	} {
		if got := cacheDir(setting); got != want {
			t.Errorf("cacheDir(%q) = %q, want %q", setting, got, want)
		}
	}
	// A default that cannot be created means no cache, not a failed start.
	blocker := filepath.Join(cache, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", blocker)
	if got := cacheDir(""); got != "" {
		t.Errorf("cacheDir under a file = %q, want none", got)
	}
}

// TestOneTooLarge: a body over max_body_bytes gets the filter's 413, logged
// and counted, however it is framed: the host's buffer limit sits above it
// (a chunked body once got the host's own, uncounted 413).
func TestOneTooLarge(t *testing.T) {
	base, stdout := startGateway(t, map[string]string{"PIPES_WEBHOOK_SECRET": testSecret, "HOOKGUARD_METRICS_ADDR": "127.0.0.1:0"})
	over := verify.DefaultMaxBodyBytes + 1
	for _, tc := range []struct {
		name string
		body io.Reader
	}{
		{"declared length", bytes.NewReader(make([]byte, over))},
		{"chunked, just over", struct{ io.Reader }{bytes.NewReader(make([]byte, over))}},
		{"chunked, past the host's limit too", struct{ io.Reader }{bytes.NewReader(make([]byte, 3*verify.DefaultMaxBodyBytes))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, base+"/webhook", tc.body)
			req.Header.Set("X-Pipes-Signature", strings.Repeat("0", 64))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge || string(body) != "Payload too large\n" {
				t.Fatalf("got %d %q, want the filter's 413 \"Payload too large\"", resp.StatusCode, body)
			}
		})
	}
	m := regexp.MustCompile(`metrics: (http://\S+/metrics)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no metrics address printed:\n%s", stdout.String())
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `hookguard_requests_rejected{route="default",reason="body_too_large"} 3`+"\n") {
		t.Fatalf("the filter did not count all three:\n%s", page)
	}
	if strings.Contains(string(page), "payload_too_large") {
		t.Fatalf("the host answered one itself:\n%s", page)
	}
}
