// Package envoy_test checks hookguard's Envoy setup from the Go side: the
// plugin configuration embedded in envoy.yaml runs in our own gateway, and
// the e2e suite runs the conformance matrix against Envoy in docker compose.
// The bootstrap's validation against Envoy's API is in ./validate.
package envoy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
	"github.com/hookguard/hookguard/internal/testing/cases"
	"github.com/hookguard/hookguard/internal/testing/conformance"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
	"sigs.k8s.io/yaml"
)

// embeddedPluginConfig returns the StringValue envoy.yaml hands the module.
func embeddedPluginConfig(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var found []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["@type"] == "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm" {
				cfg, _ := v["config"].(map[string]any)
				conf, _ := cfg["configuration"].(map[string]any)
				if s, ok := conf["value"].(string); ok {
					found = append(found, s)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	if len(found) != 1 {
		t.Fatalf("found %d wasm plugin configurations in envoy.yaml, want 1", len(found))
	}
	return found[0]
}

func randomSecret(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitFor polls until ok reports true or the time is up.
func waitFor(timeout time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if ok() {
			return true
		}
		time.Sleep(250 * time.Millisecond)
	}
	return false
}

// TestEmbeddedConfigInGateway runs the gateway `make run` starts, with the
// plugin configuration copied out of envoy.yaml, and runs the conformance
// matrix against it: one source of truth for configuration.
func TestEmbeddedConfigInGateway(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "plugin.json")
	if err := os.WriteFile(cfgPath, []byte(embeddedPluginConfig(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	wasmPath := filepath.Join(dir, "hookguard.wasm")
	if err := os.WriteFile(wasmPath, testwasm.Module(t), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "gateway")
	build := exec.Command("go", "build", "-o", bin, "./cmd/hookguard")
	build.Dir = testwasm.Root()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/hookguard: %v\n%s", err, out)
	}

	secret := randomSecret(t)
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "PIPES_WEBHOOK_SECRET="+secret, "HOOKGUARD_ADDR="+addr,
		"HOOKGUARD_CONFIG="+cfgPath, "HOOKGUARD_WASM="+wasmPath, "HOOKGUARD_CACHE_DIR="+testwasm.CacheDir())
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			t.Logf("gateway output:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	if !waitFor(60*time.Second, func() bool {
		resp, err := http.Get(base + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}) {
		t.Fatal("gateway did not answer within 60s")
	}
	conformance.Run(t, conformance.Target{BaseURL: base, Cases: cases.Pipes([]byte(secret), 1<<20), EchoesBody: true})
}

// compose runs docker compose on envoy/docker-compose.yaml.
func compose(ctx context.Context, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "docker", append([]string{"compose", "-f", "docker-compose.yaml"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	return cmd.CombinedOutput()
}

// adminGET reads Envoy's admin interface, which listens on loopback inside
// the container only, through docker compose exec.
func adminGET(ctx context.Context, env []string, path string) (string, error) {
	script := fmt.Sprintf(`exec 3<>/dev/tcp/127.0.0.1/9901 && printf 'GET %s HTTP/1.0\r\n\r\n' >&3 && cat <&3`, path)
	out, err := compose(ctx, env, "exec", "-T", "envoy", "bash", "-c", script)
	return string(out), err
}

// TestEnvoyE2E runs the conformance matrix against Envoy in docker compose:
// make e2e. ENVOY_IMAGE picks the Envoy release.
func TestEnvoyE2E(t *testing.T) {
	if os.Getenv("HOOKGUARD_E2E") != "1" {
		t.Skip("Envoy e2e runs with `make e2e` (HOOKGUARD_E2E=1); it needs a Docker engine with compose")
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Skipf("Envoy e2e needs a running Docker engine with compose; `docker info` failed: %s", firstLine(out, err))
	}
	wasm := filepath.Join(testwasm.Root(), "build", "hookguard.wasm")
	if _, err := os.Stat(wasm); err != nil {
		t.Fatalf("%v: run `make build` first (compose mounts build/hookguard.wasm)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	secret := randomSecret(t)
	port := freePort(t)
	env := []string{"PIPES_WEBHOOK_SECRET=" + secret, "HOOKGUARD_ENVOY_PORT=" + strconv.Itoa(port)}

	dumpLogs := func() {
		out, _ := compose(context.Background(), env, "logs", "--no-color")
		t.Logf("docker compose logs:\n%s", out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			dumpLogs()
		}
		if out, err := compose(context.Background(), env, "down", "-v", "--remove-orphans"); err != nil {
			t.Logf("docker compose down: %v\n%s", err, out)
		}
	})
	if out, err := compose(ctx, env, "up", "-d", "--wait"); err != nil {
		if out2, err2 := compose(ctx, env, "up", "-d"); err2 != nil { // older compose: no --wait
			t.Fatalf("docker compose up: %v\n%s\n%s", err, out, out2)
		}
	}
	if !waitFor(90*time.Second, func() bool {
		out, err := adminGET(ctx, env, "/ready")
		return err == nil && strings.Contains(out, "LIVE")
	}) {
		t.Fatal("Envoy did not report LIVE on /ready within 90s")
	}

	conformance.Run(t, conformance.Target{BaseURL: "http://127.0.0.1:" + strconv.Itoa(port), Cases: cases.Pipes([]byte(secret), 1<<20)})

	stats, err := adminGET(ctx, env, "/stats?filter=hookguard")
	if err != nil {
		t.Fatalf("reading /stats: %v", err)
	}
	// /stats shows full names; the tags apply to /stats/prometheus.
	for _, want := range []string{"wasmcustom.hookguard.requests_verified.route=default.key=PIPES_WEBHOOK_SECRET: ", "wasmcustom.hookguard.requests_rejected.route=default.reason=missing_signature: "} {
		if !strings.Contains(stats, want) {
			t.Errorf("/stats lacks %q:\n%s", want, stats)
		}
	}
	if strings.Contains(stats, "key=PIPES_WEBHOOK_SECRET: 0\n") {
		t.Errorf("no verified request counted:\n%s", stats)
	}
}

func firstLine(out []byte, err error) string {
	s := strings.TrimSpace(string(out))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return ee.Error()
		}
		return err.Error()
	}
	return s
}

// TestIstioPluginConfig runs istio/wasmplugin.yaml's pluginConfig in our
// host the way Istio runs it (no allow_on_headers_stop_iteration): a signed
// webhook goes through, a forged one gets 401.
func TestIstioPluginConfig(t *testing.T) {
	data, err := os.ReadFile("istio/wasmplugin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Spec struct {
			PluginConfig map[string]any `json:"pluginConfig"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	cfg, err := json.Marshal(doc.Spec.PluginConfig) // Istio hands a Struct to the plugin as JSON
	if err != nil {
		t.Fatal(err)
	}
	secret := randomSecret(t)
	ctx := context.Background()
	mw, err := nethttp.NewMiddleware(ctx, testwasm.Module(t), nethttp.Config{
		Module: host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()},
		Plugin: host.PluginConfig{Configuration: cfg, Env: map[string]string{"PIPES_WEBHOOK_SECRET": secret}, VMs: 1},
	})
	if err != nil {
		t.Fatalf("module refused the Istio pluginConfig: %v", err)
	}
	defer mw.Close(ctx)
	srv := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	})))
	defer srv.Close()
	conformance.Run(t, conformance.Target{BaseURL: srv.URL, Cases: cases.Pipes([]byte(secret), 1<<20), EchoesBody: true})
}

// TestOneSourceOfConfiguration: the gateway's default configuration is the
// one envoy.yaml embeds.
func TestOneSourceOfConfiguration(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testwasm.Root(), "cmd", "hookguard", "default-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gateway, envoy any
	if err := json.Unmarshal(data, &gateway); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(embeddedPluginConfig(t)), &envoy); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gateway) != fmt.Sprint(envoy) {
		t.Fatalf("gateway default %v differs from envoy.yaml's %v", gateway, envoy)
	}
}
