package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/reason"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/cases"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
	"github.com/hookguard/hookguard/internal/testing/syncbuf"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// The tests in this directory run hookguard's built module (testwasm:
// $HOOKGUARD_WASM, or a build of this package) in our wazero host, the way
// Envoy runs it: what they test is what ships. The filter's libraries are
// tested natively in their own packages; the host's own tests, with
// hand-written modules, are in host/.

const (
	testSecret  = "host-test-secret-0123456789abcdef0123"
	testMaxBody = 64 << 10
)

func newHookguard(t testing.TB, logs *syncbuf.Buffer, configJSON string, env map[string]string) *host.Plugin {
	return newHookguardIn(t, logs, host.PluginConfig{
		Name: "hookguard", Configuration: []byte(configJSON), Env: env,
		AllowOnHeadersStopIteration: true, VMs: 2,
	})
}

func newHookguardIn(t testing.TB, logs *syncbuf.Buffer, cfg host.PluginConfig) *host.Plugin {
	t.Helper()
	return newHookguardAt(t, logs, cfg, nil)
}

// newHookguardAt starts the module with its clock pinned by clock (nil:
// the wall clock, for tests that do not depend on time).
func newHookguardAt(t testing.TB, logs *syncbuf.Buffer, cfg host.PluginConfig, clock func() time.Time) *host.Plugin {
	t.Helper()
	ctx := context.Background()
	var logger *slog.Logger
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
	}
	mc := testModuleConfig()
	mc.Logger = logger
	mc.Clock = clock
	mod, err := host.Compile(ctx, moduleBytes(t), mc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mod.Close(ctx) })
	p, err := mod.NewPlugin(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	return p
}

func caseRequest(tc cases.Case) *host.Request {
	r := tc.Request("example.test")
	h := host.Header{{Key: ":method", Value: r.Method}, {Key: ":path", Value: r.Path}, {Key: ":authority", Value: r.Authority}, {Key: ":scheme", Value: r.Scheme}}
	for _, f := range tc.Header {
		h = append(h, host.HeaderField{Key: f.Name, Value: f.Value})
	}
	req := &host.Request{Header: h}
	if tc.Body != nil || tc.Trailers {
		req.Body = tc.BodyReader()
	}
	if tc.Trailers {
		req.Trailers = func() host.Header { return host.Header{{Key: "x-trailer", Value: "done"}} }
	}
	return req
}

// result is what became of a case: the status the client saw, and what
// the upstream received when it was let through.
type result struct {
	status   int
	upstream bool
	body     []byte
	header   host.Header // the upstream's headers, or the local response's
}

func runCase(t *testing.T, p *host.Plugin, tc cases.Case) result {
	t.Helper()
	out, _ := hosttest.Handle(t, p, caseRequest(tc))
	if out.LocalResponse != nil {
		return result{status: out.LocalResponse.Status, body: out.LocalResponse.Body, header: out.LocalResponse.Header}
	}
	return result{status: 200, upstream: true, body: out.Body, header: out.Header}
}

// TestHookguardWasmCases runs the shared table through the real module in
// our host: each case's status and whether the upstream saw the request.
func TestHookguardWasmCases(t *testing.T) {
	p := newHookguard(t, nil, `{"secret_env":"SECRET","max_body_bytes":`+strconv.Itoa(testMaxBody)+`}`, map[string]string{"SECRET": testSecret})
	for _, tc := range cases.Pipes([]byte(testSecret), testMaxBody) {
		t.Run(tc.Name, func(t *testing.T) {
			checkResult(t, runCase(t, p, tc), tc)
		})
	}
}

// TestLogsNeverLeak runs the whole table with every log level on and
// checks no line carries the secret, a signature, or body bytes.
func TestLogsNeverLeak(t *testing.T) {
	logs := &syncbuf.Buffer{}
	p := newHookguard(t, logs, `{"secret_env":"SECRET","max_body_bytes":`+strconv.Itoa(testMaxBody)+`}`, map[string]string{"SECRET": testSecret})
	table := cases.Pipes([]byte(testSecret), testMaxBody)
	for _, tc := range table {
		runCase(t, p, tc)
	}
	out := logs.String()
	if !strings.Contains(out, "rejected request") || !strings.Contains(out, "verified request") {
		t.Fatalf("logs do not show outcomes; the check below would prove nothing:\n%s", out)
	}
	forbidden := map[string]string{"secret": testSecret, "body marker": cases.Marker}
	for _, tc := range table {
		for i, sig := range tc.Values("x-pipes-signature") {
			if len(sig) >= 16 {
				forbidden[fmt.Sprintf("signature %d of %s", i, tc.Name)] = sig[:16]
			}
		}
	}
	for what, s := range forbidden {
		if strings.Contains(strings.ToLower(out), strings.ToLower(s)) {
			t.Errorf("logs contain the %s", what)
		}
	}
}

func TestConfigurationErrorsFailPluginStart(t *testing.T) {
	ctx := context.Background()
	mod, err := host.Compile(ctx, testwasm.Module(t), host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close(ctx)
	tests := []struct {
		name, json string
		env        map[string]string
		wantInErr  string
	}{
		{"empty", ``, nil, "configuration is empty"},
		{"malformed", `{"secret_env":`, nil, "not valid JSON"},
		{"unknown field", `{"secret_env":"S","mode":"block"}`, map[string]string{"S": testSecret}, `unknown configuration field "mode"`},
		{"no secret", `{}`, nil, "no secret configured"},
		{"env unset", `{"secret_env":"S"}`, nil, "unset or empty: S"},
		{"env empty", `{"secret_env":"S"}`, map[string]string{"S": ""}, "unset or empty: S"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mod.NewPlugin(ctx, host.PluginConfig{Configuration: []byte(tc.json), Env: tc.env, VMs: 1})
			if err == nil {
				t.Fatal("plugin started with a bad configuration")
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Fatalf("error %q does not say %q", err, tc.wantInErr)
			}
		})
	}
}

var testConfig = `{"secret_env":"SECRET","max_body_bytes":` + strconv.Itoa(testMaxBody) + `}`

// reasonOf is the metric reason the filter must count for a case.
func reasonOf(tc cases.Case) string {
	if tc.WantErr == nil {
		return ""
	}
	return reason.Of(tc.WantErr).Name
}

// TestMetricsCountEveryOutcome runs the table and checks the counters the
// module defined, summed over its VMs as Envoy sums them.
func TestMetricsCountEveryOutcome(t *testing.T) {
	p := newHookguard(t, nil, testConfig, map[string]string{"SECRET": testSecret})
	want := map[string]int64{}
	for _, tc := range cases.Pipes([]byte(testSecret), testMaxBody) {
		runCase(t, p, tc)
		if r := reasonOf(tc); r != "" {
			want["hookguard.requests_rejected.route=default.reason="+r]++
		} else {
			want["hookguard.requests_verified.route=default.key=SECRET"]++
		}
	}
	got := map[string]int64{}
	for _, m := range p.Metrics().Snapshot() {
		if m.Kind != host.Counter {
			t.Errorf("%s is a %v, want a counter", m.Name, m.Kind)
		}
		got[m.Name] = m.Value
	}
	for name, n := range want {
		if got[name] != n {
			t.Errorf("%s = %d, want %d", name, got[name], n)
		}
	}
	var prom strings.Builder
	if err := p.Metrics().WritePrometheus(&prom); err != nil {
		t.Fatal(err)
	}
	wantLine := fmt.Sprintf("# TYPE hookguard_requests_verified counter\nhookguard_requests_verified{route=\"default\",key=\"SECRET\"} %d\n", want["hookguard.requests_verified.route=default.key=SECRET"])
	if !strings.Contains(prom.String(), wantLine) {
		t.Errorf("Prometheus text lacks %q:\n%s", wantLine, prom.String())
	}
	if want := `hookguard_requests_rejected{route="default",reason="invalid_signature"} `; !strings.Contains(prom.String(), want) {
		t.Errorf("Prometheus text lacks %q:\n%s", want, prom.String())
	}
	for _, name := range []string{"hookguard.config_rejected", "hookguard.requests_rejected.route=default.reason=internal_error"} {
		if v, ok := got[name]; !ok || v != 0 {
			t.Errorf("%s = %d (defined %v), want defined and 0", name, v, ok)
		}
	}
}

// TestHeaderModes runs the table with the filter's hold_headers on and
// off, in a host with and without Envoy's allow_on_headers_stop_iteration.
// Holding headers without that setting stalls in Envoy; our host fails it
// closed with 500 instead.
func TestHeaderModes(t *testing.T) {
	env := map[string]string{"SECRET": testSecret}
	for _, mode := range []struct {
		name          string
		holdHeaders   bool
		allowStopIter bool
		stalls        bool
	}{
		{"hold headers, Envoy allows stop", true, true, false},
		{"pass headers, Envoy default", false, false, false},
		{"pass headers, Envoy allows stop", false, true, false},
		{"hold headers, Envoy default", true, false, true},
	} {
		t.Run(mode.name, func(t *testing.T) {
			cfg := `{"secret_env":"SECRET","max_body_bytes":` + strconv.Itoa(testMaxBody) + `,"hold_headers":` + strconv.FormatBool(mode.holdHeaders) + `}`
			p := newHookguardIn(t, nil, host.PluginConfig{Configuration: []byte(cfg), Env: env, AllowOnHeadersStopIteration: mode.allowStopIter, VMs: 1})
			for _, tc := range cases.Pipes([]byte(testSecret), testMaxBody) {
				want := tc.WantStatus
				decidedAfterBody := tc.Body != nil && (tc.WantStatus == 200 || reasonOf(tc) == "invalid_signature" || reasonOf(tc) == "body_too_large")
				if mode.stalls && decidedAfterBody {
					want = 500 // the body is withheld, so no verdict comes
				}
				if r := runCase(t, p, tc); r.status != want {
					t.Errorf("%s: got %d, want %d", tc.Name, r.status, want)
				}
			}
		})
	}
}

func moduleBytes(t testing.TB) []byte { return testwasm.Module(t) }

// fixed is a clock that always reads t.
func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

func testModuleConfig() host.ModuleConfig {
	return host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()}
}

// checkResult checks what the client and the upstream saw of a case.
func checkResult(t *testing.T, r result, tc cases.Case) {
	t.Helper()
	if err := tc.Check(cases.Outcome{Status: r.status, Upstream: r.upstream, Body: r.body, Values: r.header.Values}); err != nil {
		t.Fatal(err)
	}
}
