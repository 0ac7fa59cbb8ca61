// Package validate checks envoy/envoy.yaml and envoy/docker-compose.yaml
// without Envoy: the bootstrap is parsed strictly into Envoy's own v3 API
// protos (go-control-plane, generated from the Envoy release we pin) and
// run through their validation rules.
//
// It is a module of its own so that Envoy's API protos, which only these
// checks need, are not among the requirements of hookguard's library.
package validate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"sigs.k8s.io/yaml"

	// Register every type an envoy.yaml may name in "@type".
	_ "github.com/envoyproxy/go-control-plane/envoy/config/overload/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/resource_monitors/downstream_connections/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/resource_monitors/fixed_heap/v3"
)

const (
	envoyDir     = ".."
	wasmInEnvoy  = "/etc/envoy/hookguard.wasm"
	secretEnvKey = "PIPES_WEBHOOK_SECRET"
	minEnvoy     = "1.39.0"
)

// parseBootstrap parses YAML strictly: an unknown field is an error, as it
// is for `envoy --mode validate`.
func parseBootstrap(data []byte) (*bootstrapv3.Bootstrap, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	b := &bootstrapv3.Bootstrap{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(js, b); err != nil {
		return nil, err
	}
	return b, b.ValidateAll()
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(envoyDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// wasmPlugin returns the plugin config of the bootstrap's Wasm HTTP filter.
func wasmPlugin(t *testing.T, b *bootstrapv3.Bootstrap) (*wasmv3.PluginConfig, []string) {
	t.Helper()
	var plugin *wasmv3.PluginConfig
	var filterOrder []string
	for _, l := range b.GetStaticResources().GetListeners() {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				hcm := &hcmv3.HttpConnectionManager{}
				if err := f.GetTypedConfig().UnmarshalTo(hcm); err != nil {
					continue
				}
				for _, hf := range hcm.GetHttpFilters() {
					filterOrder = append(filterOrder, hf.GetName())
					w := &wasmfilterv3.Wasm{}
					if hf.GetName() == "envoy.filters.http.wasm" && hf.GetTypedConfig().UnmarshalTo(w) == nil {
						plugin = w.GetConfig()
					}
				}
			}
		}
	}
	if plugin == nil {
		t.Fatal("envoy.yaml has no envoy.filters.http.wasm filter")
	}
	return plugin, filterOrder
}

// TestEnvoyYAML validates envoy.yaml against Envoy's v3 API and checks the
// settings hookguard relies on.
func TestEnvoyYAML(t *testing.T) {
	b, err := parseBootstrap(readFile(t, "envoy.yaml"))
	if err != nil {
		t.Fatalf("envoy.yaml is not a valid Envoy v3 bootstrap: %v", err)
	}
	p, order := wasmPlugin(t, b)
	if len(order) == 0 || order[0] != "envoy.filters.http.wasm" || order[len(order)-1] != "envoy.filters.http.router" {
		t.Errorf("HTTP filters %v: want the wasm filter first and the router last", order)
	}
	if p.GetFailurePolicy() != wasmv3.FailurePolicy_FAIL_CLOSED {
		t.Errorf("failure_policy = %v, want FAIL_CLOSED set explicitly", p.GetFailurePolicy())
	}
	if p.GetFailOpen() {
		t.Error("fail_open is set")
	}
	if !p.GetAllowOnHeadersStopIteration().GetValue() {
		t.Error("allow_on_headers_stop_iteration is not true: requests would stall in hookguard's header hold")
	}
	vm := p.GetVmConfig()
	if vm.GetRuntime() != "envoy.wasm.runtime.v8" {
		t.Errorf("runtime = %q, want envoy.wasm.runtime.v8", vm.GetRuntime())
	}
	if got := vm.GetCode().GetLocal().GetFilename(); got != wasmInEnvoy {
		t.Errorf("module file = %q, want %q (what docker-compose.yaml mounts)", got, wasmInEnvoy)
	}
	env := vm.GetEnvironmentVariables()
	if !contains(env.GetHostEnvKeys(), secretEnvKey) {
		t.Errorf("host_env_keys %v does not pass %s", env.GetHostEnvKeys(), secretEnvKey)
	}
	if _, inline := env.GetKeyValues()[secretEnvKey]; inline {
		t.Errorf("%s is set inline in envoy.yaml", secretEnvKey)
	}

	sv := &wrapperspb.StringValue{}
	if err := p.GetConfiguration().UnmarshalTo(sv); err != nil {
		t.Fatalf("plugin configuration is not a StringValue: %v", err)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(sv.GetValue()), &cfg); err != nil {
		t.Fatalf("plugin configuration is not JSON: %v", err)
	}
	if cfg["secret_env"] != secretEnvKey || cfg["secret"] != nil {
		t.Errorf("plugin configuration %v: want secret_env %q and no inline secret", cfg, secretEnvKey)
	}
	max, ok := cfg["max_body_bytes"].(float64)
	if !ok {
		max = 1 << 20 // the filter's default
	}
	for _, l := range b.GetStaticResources().GetListeners() {
		// Unset is Envoy's 1 MiB; Envoy's 413 must never pre-empt the filter's.
		if limit := l.GetPerConnectionBufferLimitBytes().GetValue(); float64(limit) < 2*max {
			t.Errorf("listener buffer limit %d is under twice max_body_bytes %v: Envoy's own uncounted 413 would answer first", limit, max)
		}
	}
	if len(b.GetOverloadManager().GetActions()) == 0 {
		t.Error("no overload manager actions: a flood could take Envoy's heap")
	}
	hcm := &hcmv3.HttpConnectionManager{}
	for _, l := range b.GetStaticResources().GetListeners() {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				if f.GetTypedConfig().UnmarshalTo(hcm) != nil {
					continue
				}
				for name, d := range map[string]interface{ AsDuration() time.Duration }{
					"request_headers_timeout": hcm.GetRequestHeadersTimeout(), "request_timeout": hcm.GetRequestTimeout(),
					"stream_idle_timeout": hcm.GetStreamIdleTimeout(), "common_http_protocol_options.idle_timeout": hcm.GetCommonHttpProtocolOptions().GetIdleTimeout(),
				} {
					if got := d.AsDuration(); got <= 0 || got > time.Minute {
						t.Errorf("%s = %v: want a bound of a minute or less, as the gateway has", name, got)
					}
				}
				if hcm.GetHttpProtocolOptions().GetAllowChunkedLength() {
					t.Error("allow_chunked_length is set: requests with both Content-Length and Transfer-Encoding would be accepted")
				}
			}
		}
	}
	if addr := b.GetAdmin().GetAddress().GetSocketAddress().GetAddress(); addr != "127.0.0.1" {
		t.Errorf("admin listens on %q, want loopback", addr)
	}
}

// TestAccessLogOmitsSecrets checks the access log format names no body
// and no signature header.
func TestAccessLogOmitsSecrets(t *testing.T) {
	m := regexp.MustCompile(`(?m)^\s*inline_string:\s*(.+)$`).FindStringSubmatch(string(readFile(t, "envoy.yaml")))
	if m == nil {
		t.Fatal("envoy.yaml has no access log format")
	}
	section := strings.ToLower(m[1])
	if !strings.Contains(section, "%response_code%") {
		t.Fatalf("found %q, which is not the access log format", m[1])
	}
	for _, bad := range []string{"signature", "%req(x-", "body", "%dynamic_metadata"} {
		if strings.Contains(section, bad) {
			t.Errorf("access log format mentions %q", bad)
		}
	}
}

// TestValidationIsStrict proves the check above can fail: a misspelt
// field, a bad enum and a missing required field are all refused.
func TestValidationIsStrict(t *testing.T) {
	good := string(readFile(t, "envoy.yaml"))
	assertRefused(t, good, func(b []byte) error { _, err := parseBootstrap(b); return err }, map[string]string{
		"unknown field":        strings.Replace(good, "failure_policy: FAIL_CLOSED", "failure_polcy: FAIL_CLOSED", 1),
		"bad enum":             strings.Replace(good, "failure_policy: FAIL_CLOSED", "failure_policy: FAIL_SOMETIMES", 1),
		"no cluster name":      strings.Replace(good, "- name: upstream\n    type: STRICT_DNS", "- type: STRICT_DNS", 1),
		"port out of range":    strings.Replace(good, "port_value: 10000", "port_value: 100000", 1),
		"unknown typed config": strings.Replace(good, "router.v3.Router", "router.v3.Ruter", 1),
	})
}

// assertRefused checks parse refuses every mutation of good.
func assertRefused(t *testing.T, good string, parse func([]byte) error, mutations map[string]string) {
	t.Helper()
	for name, bad := range mutations {
		t.Run(name, func(t *testing.T) {
			if bad == good {
				t.Fatal("the mutation did not apply")
			}
			if err := parse([]byte(bad)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

type composeFile struct {
	Services map[string]struct {
		Image       string            `json:"image"`
		Ports       []string          `json:"ports"`
		Volumes     []string          `json:"volumes"`
		Environment map[string]string `json:"environment"`
	} `json:"services"`
}

var imageVar = regexp.MustCompile(`^\$\{[A-Z_]+:-([^}]+)\}$`)

// TestCompose checks the compose file parses, pins every image by tag
// (Envoy at >= 1.39.0), mounts paths that exist, publishes only the
// webhook port, and takes the secret from the environment.
func TestCompose(t *testing.T) {
	var c composeFile
	if err := yaml.Unmarshal(readFile(t, "docker-compose.yaml"), &c); err != nil {
		t.Fatalf("docker-compose.yaml does not parse: %v", err)
	}
	if len(c.Services) == 0 {
		t.Fatal("no services")
	}
	for name, s := range c.Services {
		image := s.Image
		if m := imageVar.FindStringSubmatch(image); m != nil {
			image = m[1] // the default an override falls back to
		}
		repo, tag, ok := strings.Cut(image, ":")
		if !ok || tag == "" || tag == "latest" || strings.Contains(tag, "latest") {
			t.Errorf("service %s: image %q is not pinned by tag", name, s.Image)
		}
		if strings.HasSuffix(repo, "envoyproxy/envoy") && !atLeast(tag, minEnvoy) {
			t.Errorf("service %s: Envoy %s is older than %s, which standard-Go wasm modules need", name, tag, minEnvoy)
		}
		for _, v := range s.Volumes {
			src, rest, _ := strings.Cut(v, ":")
			if _, err := os.Stat(filepath.Join(envoyDir, src)); err != nil && !strings.HasSuffix(src, "hookguard.wasm") {
				t.Errorf("service %s mounts %s, which does not exist", name, src)
			}
			if !strings.HasSuffix(rest, ":ro") {
				t.Errorf("service %s mounts %s writable", name, src)
			}
		}
	}
	envoy, ok := c.Services["envoy"]
	if !ok {
		t.Fatal("no envoy service")
	}
	if len(envoy.Ports) != 1 || !strings.HasSuffix(envoy.Ports[0], ":10000") {
		t.Errorf("envoy publishes %v, want only the webhook port 10000", envoy.Ports)
	}
	if !containsPrefix(envoy.Volumes, "../build/hookguard.wasm:"+wasmInEnvoy+":") {
		t.Errorf("envoy does not mount ../build/hookguard.wasm at %s (what envoy.yaml loads)", wasmInEnvoy)
	}
	if v := envoy.Environment[secretEnvKey]; !strings.HasPrefix(v, "${"+secretEnvKey) {
		t.Errorf("%s = %q, want it taken from the environment", secretEnvKey, v)
	}
}

func atLeast(tag, min string) bool {
	parse := func(s string) []int {
		s = strings.TrimPrefix(s, "v")
		var out []int
		for _, p := range strings.SplitN(s, ".", 3) {
			n, err := strconv.Atoi(strings.SplitN(p, "-", 2)[0])
			if err != nil {
				return nil
			}
			out = append(out, n)
		}
		return out
	}
	a, b := parse(tag), parse(min)
	if len(a) < 2 {
		return false
	}
	for i := range b {
		if i >= len(a) {
			return true
		}
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return true
}

func TestAtLeast(t *testing.T) {
	for tag, want := range map[string]bool{"v1.39.0": true, "v1.39.2": true, "v1.40.0": true, "v1.38.9": false, "v1.33.0": false, "v1.39": true, "dev": false, "v2.0.0": true} {
		if got := atLeast(tag, minEnvoy); got != want {
			t.Errorf("atLeast(%q) = %v, want %v", tag, got, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsPrefix(list []string, prefix string) bool {
	for _, x := range list {
		if strings.HasPrefix(x, prefix) {
			return true
		}
	}
	return false
}
