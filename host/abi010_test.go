package host_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
)

// ABI 0.1.0, which Istio's own stats and metadata_exchange plugins and
// mosn's examples declare and Envoy still runs: the probe
// (testdata/abi010_probe.wat) takes its headers callbacks without
// end_of_stream and uses the host calls Envoy links only for 0.1.0.

const (
	abi010PluginConfig = "configured"
	abi010VMConfig     = "the vm configuration"
)

func startABI010(t *testing.T, cfg host.PluginConfig) *host.Plugin {
	t.Helper()
	cfg.Configuration, cfg.VMConfiguration = []byte(abi010PluginConfig), []byte(abi010VMConfig)
	p, _ := startProbe(t, "abi010_probe", probeOpts{plugin: cfg})
	return p
}

func TestABI010Loads(t *testing.T) {
	ctx := context.Background()
	m, err := host.Compile(ctx, readFixture(t, "abi010_probe"), host.ModuleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	if v := m.ABIVersion(); v != "0.1.0" {
		t.Fatalf("ABIVersion() = %q, want 0.1.0", v)
	}
	// The probe's proxy_on_configure rejects a configuration whose size is
	// not the one announced: proxy_get_configuration gave it the plugin's.
	p := startABI010(t, host.PluginConfig{})
	if got := hosttest.Metric(t, p, "abi010.vm_start_config").Value; got != int64(len(abi010VMConfig)) {
		t.Errorf("proxy_get_configuration in proxy_on_vm_start gave %d bytes, want the VM configuration's %d", got, len(abi010VMConfig))
	}
}

// TestABI010Runs: each behaviour of the probe, as Envoy runs it.
func TestABI010Runs(t *testing.T) {
	t.Run("continue", func(t *testing.T) {
		p := startABI010(t, host.PluginConfig{})
		out, _ := send(t, p, probeHeader("/c"), "body")
		if out.LocalResponse != nil || string(out.Body) != "body" {
			t.Fatalf("got %+v, want the request to go on", out)
		}
		if v, _ := out.Header.Get("x-config"); v != abi010PluginConfig {
			t.Errorf("x-config = %q, want the plugin configuration proxy_on_configure read, %q", v, abi010PluginConfig)
		}
		// Two parameters: num_headers is the second, the count of entries.
		if got := hosttest.Metric(t, p, "abi010.num_headers").Value; got != int64(len(probeHeader("/c"))) {
			t.Errorf("num_headers = %d, want %d", got, len(probeHeader("/c")))
		}
		// Envoy's getConfiguration outside proxy_on_configure is the VM's.
		if got := hosttest.Metric(t, p, "abi010.stream_config").Value; got != int64(len(abi010VMConfig)) {
			t.Errorf("proxy_get_configuration in a stream gave %d bytes, want the VM configuration's %d", got, len(abi010VMConfig))
		}
		if got := hosttest.Metric(t, p, "abi010.route_cache_cleared").Value; got != 1 {
			t.Errorf("proxy_clear_route_cache answered OK %d times, want 1", got)
		}
	})
	t.Run("a tick continues the request", func(t *testing.T) {
		// Envoy's default: the Pause from the headers holds the body until
		// proxy_continue_request, then delivers it in one callback.
		p := startABI010(t, host.PluginConfig{})
		out, took := handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader("/k"), Body: bodyOf("ti", "ck")})
		if out.LocalResponse != nil || string(out.Body) != "tick" {
			t.Fatalf("got %+v, body %q; want the request to go on", out.LocalResponse, out.Body)
		}
		if v, _ := out.Header.Get("x-resumed"); v != "tick" {
			t.Errorf("headers %v, want x-resumed: tick, added before proxy_continue_request", out.Header)
		}
		if v, _ := out.Header.Get("x-config"); v != abi010PluginConfig {
			t.Errorf("headers %v, want x-config: %s", out.Header, abi010PluginConfig)
		}
		if got := hosttest.Metric(t, p, "abi010.continued").Value; got != 1 {
			t.Errorf("proxy_continue_request answered OK %d times, want 1", got)
		}
		if took > 10*time.Second {
			t.Errorf("took %v", took)
		}
	})
	t.Run("the body continues the request", func(t *testing.T) {
		p := startABI010(t, host.PluginConfig{AllowOnHeadersStopIteration: true})
		out, _ := handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader("/b"), Body: bodyOf("bo", "dy")})
		if out.LocalResponse != nil || string(out.Body) != "body" {
			t.Fatalf("got %+v, body %q; want the whole body to go on", out.LocalResponse, out.Body)
		}
		if v, _ := out.Header.Get("x-resumed"); v != "body" {
			t.Errorf("headers %v, want x-resumed: body", out.Header)
		}
		if got := hosttest.Metric(t, p, "abi010.continued").Value; got != 1 {
			t.Errorf("proxy_continue_request answered OK %d times, want 1", got)
		}
	})
	t.Run("without allow_on_headers_stop_iteration the body never comes", func(t *testing.T) {
		// As in Envoy: StopAllIteration holds the body, so nothing calls
		// proxy_continue_request. The host fails the request closed.
		p := startABI010(t, host.PluginConfig{})
		out, _ := handleWithin(t, p, 30*time.Second, &host.Request{Header: probeHeader("/b"), Body: bodyOf("body")})
		if lr := out.LocalResponse; lr == nil || lr.Status != 500 || lr.Details != "wasm_filter_stalled" {
			t.Fatalf("got %+v, want 500 wasm_filter_stalled", out.LocalResponse)
		}
	})
	t.Run("local response", func(t *testing.T) {
		p := startABI010(t, host.PluginConfig{})
		out, _ := send(t, p, probeHeader("/l"), "body")
		lr := out.LocalResponse
		if lr == nil || lr.Status != 403 || string(lr.Body) != "denied by 0.1.0" || lr.Details != "abi010_denied" {
			t.Fatalf("got %+v, want the module's 403", lr)
		}
		// The reply went through the module's two-parameter
		// proxy_on_response_headers, as Envoy encodes it through the filter.
		if v, _ := lr.Header.Get("x-from"); v != "abi010" {
			t.Errorf("headers %v, want x-from: abi010", lr.Header)
		}
		if v, _ := lr.Header.Get("x-abi"); v != "0.1.0" {
			t.Errorf("headers %v, want x-abi: 0.1.0 from proxy_on_response_headers", lr.Header)
		}
		// :status, x-from and the content-type Envoy adds.
		if got := hosttest.Metric(t, p, "abi010.response_num_headers").Value; got != 3 {
			t.Errorf("response num_headers = %d, want 3", got)
		}
	})
	t.Run("a tick continues the response", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p := startABI010(t, host.PluginConfig{})
		s, err := p.NewStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close(context.Background())
		if out, err := s.HandleRequest(ctx, &host.Request{Header: probeHeader("/r")}); err != nil || out.LocalResponse != nil || out.Header == nil {
			t.Fatalf("request: %+v, %v", out, err)
		}
		if o := s.ResponseHeaders(ctx, host.Header{{Key: ":status", Value: "200"}, {Key: "x-up", Value: "1"}}, false); o.Header != nil {
			t.Fatalf("the response headers went on while the module paused them: %+v", o)
		}
		if o := s.ResponseBody(ctx, []byte("resp"), true); o.Body != nil || o.End {
			t.Fatalf("the response body went on while the module paused: %+v", o)
		}
		out, _ := s.Wait(ctx)
		if v, _ := out.Header.Get("x-resumed"); v != "response" {
			t.Fatalf("response headers %v, want x-resumed: response", out.Header)
		}
		if v, _ := out.Header.Get("x-abi"); v != "0.1.0" {
			t.Errorf("response headers %v, want x-abi: 0.1.0", out.Header)
		}
		if string(out.Body) != "resp" || !out.End || out.LocalResponse != nil || out.Reset {
			t.Fatalf("got %+v, want the whole response", out)
		}
		if got := hosttest.Metric(t, p, "abi010.response_num_headers").Value; got != 2 {
			t.Errorf("response num_headers = %d, want 2", got)
		}
		if got := hosttest.Metric(t, p, "abi010.continued").Value; got != 1 {
			t.Errorf("proxy_continue_response answered OK %d times, want 1", got)
		}
	})
}

// TestABIVersionLinking: a module links only the host calls Envoy
// registers for its ABI version, and its callbacks are checked against
// that version's signatures.
func TestABIVersionLinking(t *testing.T) {
	for _, tc := range []struct{ fixture, want string }{
		{"bad_continue_stream_0_1_0", "imports env.proxy_continue_stream, which ABI 0.1.0 modules cannot: Envoy links it only for ABI 0.2.0 and 0.2.1"},
		{"bad_continue_request_0_2_0", "imports env.proxy_continue_request, which ABI 0.2.0 modules cannot: Envoy links it only for ABI 0.1.0"},
		{"bad_headers_0_1_0", "export proxy_on_request_headers has signature (iii)->(i), want (ii)->(i) for ABI 0.1.0"},
		// Envoy takes the first marker: this module is 0.2.0, whose headers
		// callback has three parameters.
		{"bad_markers_0_2_0_first", "export proxy_on_request_headers has signature (ii)->(i), want (iii)->(i) for ABI 0.2.0"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			_, err := host.Compile(context.Background(), readFixture(t, tc.fixture), host.ModuleConfig{})
			if !errors.Is(err, host.ErrNotProxyWasm) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrNotProxyWasm saying %q", err, tc.want)
			}
		})
	}
	t.Run("first marker wins", func(t *testing.T) {
		ctx := context.Background()
		m, err := host.Compile(ctx, readFixture(t, "fidelity_markers_0_1_0_first"), host.ModuleConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close(ctx)
		if v := m.ABIVersion(); v != "0.1.0" {
			t.Fatalf("ABIVersion() = %q, want 0.1.0, the first marker's", v)
		}
		p, _ := startProbe(t, "fidelity_markers_0_1_0_first", probeOpts{})
		if out, _ := send(t, p, probeHeader("/"), "body"); out.LocalResponse != nil || string(out.Body) != "body" {
			t.Fatalf("got %+v, want the request to go on", out)
		}
	})
	t.Run("0.2.x unchanged", func(t *testing.T) {
		for shape, want := range map[string]string{"probe_tinygo": "0.2.0", "probe_rust": "0.2.1", "callout_probe": "0.2.0"} {
			m, err := host.Compile(context.Background(), readFixture(t, shape), host.ModuleConfig{})
			if err != nil {
				t.Fatalf("%s: %v", shape, err)
			}
			if v := m.ABIVersion(); v != want {
				t.Errorf("%s: ABIVersion() = %q, want %s", shape, v, want)
			}
			m.Close(context.Background())
		}
	})
}
