package host_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/pipescases"
	"github.com/hookguard/hookguard/internal/testwasm"
)

const (
	testSecret  = "host-test-secret-0123456789abcdef0123"
	testMaxBody = 64 << 10
)

// logBuffer collects every log line the host and the module write.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newHookguard(t testing.TB, logs *logBuffer, configJSON string, env map[string]string) *host.Plugin {
	t.Helper()
	ctx := context.Background()
	var logger *slog.Logger
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
	}
	mod, err := host.Compile(ctx, testwasm.Module(t), host.ModuleConfig{Logger: logger, CompilationCacheDir: testwasm.CacheDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mod.Close(ctx) })
	p, err := mod.NewPlugin(ctx, host.PluginConfig{
		Name: "hookguard", Configuration: []byte(configJSON), Env: env,
		AllowOnHeadersStopIteration: true, VMs: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	return p
}

func caseRequest(tc pipescases.Case) *host.Request {
	h := host.Header{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/webhook"}, {Key: ":authority", Value: "example.test"}, {Key: ":scheme", Value: "http"}}
	for _, sig := range tc.Signatures {
		h = append(h, host.HeaderField{Key: "x-pipes-signature", Value: sig})
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

func runCase(t *testing.T, p *host.Plugin, tc pipescases.Case) (status int, upstream bool, body []byte) {
	t.Helper()
	ctx := context.Background()
	s, err := p.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	out, err := s.HandleRequest(ctx, caseRequest(tc))
	if err != nil {
		t.Fatal(err)
	}
	if out.LocalResponse != nil {
		return out.LocalResponse.Status, false, out.LocalResponse.Body
	}
	return 200, true, out.Body
}

// TestHookguardWasmCases runs the shared table through the real module in
// our host: each case's status and whether the upstream saw the request.
func TestHookguardWasmCases(t *testing.T) {
	p := newHookguard(t, nil, `{"secret_env":"SECRET","max_body_bytes":`+strconv.Itoa(testMaxBody)+`}`, map[string]string{"SECRET": testSecret})
	for _, tc := range pipescases.Cases([]byte(testSecret), testMaxBody) {
		t.Run(tc.Name, func(t *testing.T) {
			status, upstream, body := runCase(t, p, tc)
			if status != tc.WantStatus || upstream != tc.Upstream() {
				t.Fatalf("got status %d upstream %v, want %d upstream %v", status, upstream, tc.WantStatus, tc.Upstream())
			}
			if upstream && !bytes.Equal(body, tc.Body) {
				t.Fatalf("upstream got %d body bytes, want the %d sent, unchanged", len(body), len(tc.Body))
			}
			if status == 401 && string(body) != "Invalid signature" {
				t.Fatalf("401 body = %q, want %q", body, "Invalid signature")
			}
		})
	}
}

// TestLogsNeverLeak runs the whole table with every log level on and
// checks no line carries the secret, a signature, or body bytes.
func TestLogsNeverLeak(t *testing.T) {
	logs := &logBuffer{}
	p := newHookguard(t, logs, `{"secret_env":"SECRET","max_body_bytes":`+strconv.Itoa(testMaxBody)+`}`, map[string]string{"SECRET": testSecret})
	cases := pipescases.Cases([]byte(testSecret), testMaxBody)
	for _, tc := range cases {
		runCase(t, p, tc)
	}
	out := logs.String()
	if !strings.Contains(out, "rejected request") || !strings.Contains(out, "verified request") {
		t.Fatalf("logs do not show outcomes; the check below would prove nothing:\n%s", out)
	}
	forbidden := map[string]string{"secret": testSecret, "body marker": pipescases.Marker}
	for _, tc := range cases {
		for _, sig := range tc.Signatures {
			if len(sig) >= 8 {
				forbidden["signature of "+tc.Name] = sig[:16]
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
			if fmt.Sprint(err) == "" {
				t.Fatal("empty error")
			}
		})
	}
}
