package host_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
	"github.com/hookguard/hookguard/internal/testing/hosttest"
	"github.com/hookguard/hookguard/internal/testing/syncbuf"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// The probe modules (testdata/gen.py) pick a behaviour from the first
// character of the request path and report what they saw through metrics.

var probeShapes = []string{"probe_tinygo", "probe_rust"}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type probeOpts struct {
	module host.ModuleConfig
	plugin host.PluginConfig
}

func startProbe(t *testing.T, shape string, o probeOpts) (*host.Plugin, *syncbuf.Buffer) {
	t.Helper()
	ctx := context.Background()
	logs := &syncbuf.Buffer{}
	o.module.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
	mod, err := host.Compile(ctx, readFixture(t, shape), o.module)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mod.Close(ctx) })
	if o.plugin.Name == "" {
		o.plugin.Name = "probe-plugin"
	}
	if o.plugin.VMs == 0 {
		o.plugin.VMs = 1
	}
	p, err := mod.NewPlugin(ctx, o.plugin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	return p, logs
}

func probeHeader(path string, extra ...string) host.Header {
	h := host.Header{{Key: ":method", Value: "POST"}, {Key: ":path", Value: path}, {Key: ":authority", Value: "probe.test"}, {Key: ":scheme", Value: "http"}}
	for i := 0; i+1 < len(extra); i += 2 {
		h = append(h, host.HeaderField{Key: extra[i], Value: extra[i+1]})
	}
	return h
}

// send runs one request; chunks nil means no body. It returns the outcome
// and the stream's context id, after the stream is closed.
func send(t *testing.T, p *host.Plugin, h host.Header, chunks ...string) (*host.Outcome, uint32) {
	t.Helper()
	req := &host.Request{Header: h}
	if chunks != nil {
		var cs [][]byte
		for _, c := range chunks {
			cs = append(cs, []byte(c))
		}
		req.Body = &sliceReader{chunks: cs}
	}
	return hosttest.Handle(t, p, req)
}

type sliceReader struct{ chunks [][]byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

// callbacks returns the callbacks the module logged for one context.
func callbacks(logs *syncbuf.Buffer, id uint32) []string {
	var out []string
	re := regexp.MustCompile(`msg=(on_\w+) .*context_id=(\d+)`)
	for _, line := range strings.Split(logs.String(), "\n") {
		if m := re.FindStringSubmatch(line); m != nil && m[2] == fmt.Sprint(id) {
			out = append(out, m[1])
		}
	}
	return out
}

func TestSDKShapes(t *testing.T) {
	for _, shape := range probeShapes {
		t.Run(shape, func(t *testing.T) {
			p, logs := startProbe(t, shape, probeOpts{})
			t.Run("continue", func(t *testing.T) {
				out, id := send(t, p, probeHeader("/c"), "body")
				if out.LocalResponse != nil || string(out.Body) != "body" {
					t.Fatalf("got %+v", out)
				}
				want := []string{"on_request_headers", "on_request_body", "on_log", "on_done", "on_delete"}
				if got := callbacks(logs, id); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("callbacks %v, want %v", got, want)
				}
			})
			t.Run("header mutation", func(t *testing.T) {
				out, _ := send(t, p, probeHeader("/m", "x-replace", "old", "x-remove", "gone", "x-keep", "kept"))
				if v, _ := out.Header.Get("x-replace"); v != "new" {
					t.Errorf("x-replace = %q, want new", v)
				}
				if _, ok := out.Header.Get("x-remove"); ok {
					t.Error("x-remove is still there")
				}
				if v, _ := out.Header.Get("x-keep"); v != "kept" {
					t.Error("x-keep was lost")
				}
			})
			t.Run("properties and shared data", func(t *testing.T) {
				out, _ := send(t, p, probeHeader("/s"))
				if v, _ := out.Header.Get("x-plugin-name"); v != "probe-plugin" {
					t.Errorf("plugin_name property = %q", v)
				}
				if v, _ := out.Header.Get("x-shared"); v != "v1" {
					t.Errorf("shared data = %q", v)
				}
			})
			t.Run("local reply", func(t *testing.T) {
				out, _ := send(t, p, probeHeader("/r"), "body")
				lr := out.LocalResponse
				if lr == nil || lr.Status != 403 || string(lr.Body) != "denied" || lr.Details != "probe_denied" {
					t.Fatalf("got %+v", lr)
				}
				if v, _ := lr.Header.Get("x-probe"); v != "local" {
					t.Errorf("local reply headers %v", lr.Header)
				}
			})
		})
	}
}

func TestRustShapeReadsLogLevel(t *testing.T) {
	p, _ := startProbe(t, "probe_rust", probeOpts{})
	if got := hosttest.Metric(t, p, "probe.log_level").Value; got != 0 {
		t.Fatalf("proxy_get_log_level = %d, want 0 (trace: the test logger takes everything)", got)
	}
}

func TestTicks(t *testing.T) {
	p, _ := startProbe(t, "probe_tinygo", probeOpts{plugin: host.PluginConfig{Configuration: []byte("T")}})
	deadline := time.Now().Add(5 * time.Second)
	for hosttest.Metric(t, p, "probe.ticks").Value < 3 {
		if time.Now().After(deadline) {
			t.Fatal("fewer than 3 ticks of a 5 ms period in 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfigureRejectedIsReturned(t *testing.T) {
	mod, err := host.Compile(context.Background(), readFixture(t, "probe_tinygo"), host.ModuleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close(context.Background())
	_, err = mod.NewPlugin(context.Background(), host.PluginConfig{Configuration: []byte("F"), VMs: 1})
	if !errors.Is(err, host.ErrConfigureRejected) || !strings.Contains(err.Error(), "probe: configuration refused") {
		t.Fatalf("got %v, want ErrConfigureRejected carrying the module's log line", err)
	}
}

// TestEnvoyFidelity checks, point by point, that the host behaves as Envoy
// does (research: proxy-wasm-abi.md).
func TestEnvoyFidelity(t *testing.T) {
	p, logs := startProbe(t, "probe_tinygo", probeOpts{plugin: host.PluginConfig{AllowOnHeadersStopIteration: true}})

	t.Run("body is cumulative after Pause", func(t *testing.T) {
		before := hosttest.Metric(t, p, "probe.body_sizes")
		out, _ := send(t, p, probeHeader("/p"), "abc", "defg", "hijkl")
		after := hosttest.Metric(t, p, "probe.body_sizes")
		// Sizes 3, 7, 12 — not 3, 4, 5 — because each callback returned Pause.
		if sum, n := after.Value-before.Value, after.Count-before.Count; sum != 22 || n != 3 {
			t.Fatalf("body_size sum %d over %d callbacks, want 22 over 3", sum, n)
		}
		if string(out.Body) != "abcdefghijkl" {
			t.Fatalf("upstream got %q", out.Body)
		}
	})
	t.Run("request headers unreadable after Continue", func(t *testing.T) {
		send(t, p, probeHeader("/h"), "x")
		if got := hosttest.Metric(t, p, "probe.status_after_continue").Value; got != 2 {
			t.Fatalf("get_header_map_value after Continue = %d, want BAD_ARGUMENT (2)", got)
		}
	})
	t.Run("poll_oneoff returns at once with no events", func(t *testing.T) {
		start := time.Now()
		send(t, p, probeHeader("/o"))
		if el := time.Since(start); el > 500*time.Millisecond {
			t.Fatalf("a 1 s poll_oneoff took %v; Envoy >= 1.39 does not sleep", el)
		}
		if e, n := hosttest.Metric(t, p, "probe.poll_errno").Value, hosttest.Metric(t, p, "probe.poll_nevents").Value; e != 0 || n != 0 {
			t.Fatalf("poll_oneoff errno %d nevents %d, want 0 and 0", e, n)
		}
	})
	t.Run("random_get capped at 64 KiB", func(t *testing.T) {
		send(t, p, probeHeader("/g"))
		if over, at := hosttest.Metric(t, p, "probe.random_65537").Value, hosttest.Metric(t, p, "probe.random_65536").Value; over != 28 || at != 0 {
			t.Fatalf("random_get 65537 -> %d (want EINVAL 28), 65536 -> %d (want 0)", over, at)
		}
	})
	t.Run("on_log then on_done then on_delete", func(t *testing.T) {
		_, id := send(t, p, probeHeader("/c"))
		got := callbacks(logs, id)
		if n := len(got); n < 3 || fmt.Sprint(got[n-3:]) != "[on_log on_done on_delete]" {
			t.Fatalf("callbacks %v", got)
		}
	})
	t.Run("malformed header map clears the map", func(t *testing.T) {
		out, _ := send(t, p, probeHeader("/w", "x-a", "1"))
		if len(out.Header) != 0 {
			t.Fatalf("headers after a malformed set_header_map_pairs: %v, want none", out.Header)
		}
	})
	t.Run("local reply from request headers", func(t *testing.T) {
		out, id := send(t, p, probeHeader("/r"), "body")
		if out.LocalResponse == nil || out.LocalResponse.Status != 403 {
			t.Fatalf("got %+v", out)
		}
		// Deferred until the callback returned; no more request callbacks;
		// the reply passes through the module's own response callbacks.
		want := "[on_request_headers on_response_headers on_response_body on_log on_done on_delete]"
		if got := callbacks(logs, id); fmt.Sprint(got) != want {
			t.Fatalf("callbacks %v, want %s", got, want)
		}
	})
	t.Run("local reply from response headers", func(t *testing.T) {
		ctx := context.Background()
		s, _ := p.NewStream(ctx)
		defer s.Close(ctx)
		if out, _ := s.HandleRequest(ctx, &host.Request{Header: probeHeader("/e")}); out.LocalResponse != nil {
			t.Fatalf("request answered: %+v", out.LocalResponse)
		}
		o := s.ResponseHeaders(ctx, host.Header{{Key: ":status", Value: "200"}}, false)
		if o.LocalResponse == nil || o.LocalResponse.Status != 502 || string(o.LocalResponse.Body) != "bad upstream" {
			t.Fatalf("got %+v", o)
		}
		if o2 := s.ResponseBody(ctx, []byte("x"), true); o2.Body != nil || o2.LocalResponse != nil {
			t.Fatalf("after a local reply the response went on: %+v", o2)
		}
	})
}

func TestHeadersPauseWithoutStopIteration(t *testing.T) {
	// Envoy's default: a Pause in headers withholds the body until the
	// module continues. The probe never does, so the host fails closed.
	p, logs := startProbe(t, "probe_tinygo", probeOpts{})
	out, id := send(t, p, probeHeader("/p"), "abc")
	if out.LocalResponse == nil || out.LocalResponse.Status != 500 {
		t.Fatalf("got %+v, want 500", out)
	}
	for _, cb := range callbacks(logs, id) {
		if cb == "on_request_body" {
			t.Fatal("the body was delivered although the headers stopped iteration")
		}
	}
}

func TestRestrictedCallbacks(t *testing.T) {
	for _, fixture := range []string{
		"bad_restricted_start",      // proxy_get_property, the host's own
		"bad_restricted_start_wasi", // sched_yield, which wazero implements
	} {
		t.Run("during start-up: "+fixture, func(t *testing.T) {
			mod, err := host.Compile(context.Background(), readFixture(t, fixture), host.ModuleConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer mod.Close(context.Background())
			_, err = mod.NewPlugin(context.Background(), host.PluginConfig{VMs: 1})
			if !errors.Is(err, host.ErrVMStart) || !strings.Contains(err.Error(), "restricted callback") {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("during allocation", func(t *testing.T) {
		p, _ := startProbe(t, "probe_tinygo", probeOpts{})
		out, _ := send(t, p, probeHeader("/A"))
		if out.LocalResponse == nil || out.LocalResponse.Status != 503 {
			t.Fatalf("got %+v, want 503 wasm_fail_stream", out)
		}
		if out, _ := send(t, p, probeHeader("/c")); out.LocalResponse != nil {
			t.Fatalf("the next request failed too: %+v", out.LocalResponse)
		}
	})
}

// TestGuestCannotHurtHost passes pointers outside the module's memory.
func TestGuestCannotHurtHost(t *testing.T) {
	p, _ := startProbe(t, "probe_tinygo", probeOpts{})
	send(t, p, probeHeader("/x"))
	if got := hosttest.Metric(t, p, "probe.bad_log_ptr").Value; got != 6 {
		t.Errorf("proxy_log with a bad pointer = %d, want INVALID_MEMORY_ACCESS (6)", got)
	}
	if got := hosttest.Metric(t, p, "probe.bad_ret_ptr").Value; got != 6 {
		t.Errorf("get_header_map_value with a bad return pointer = %d, want 6", got)
	}
	if out, _ := send(t, p, probeHeader("/c")); out.LocalResponse != nil {
		t.Fatalf("the VM did not survive: %+v", out.LocalResponse)
	}
}

func TestFaultsFailClosed(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		body       []string
	}{
		{"trap in request headers", "/t", nil},
		{"trap mid-body", "/b", []string{"abc", "def"}},
		{"call runs too long", "/l", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := startProbe(t, "probe_tinygo", probeOpts{
				module: host.ModuleConfig{CallTimeout: 200 * time.Millisecond},
				plugin: host.PluginConfig{VMs: 2},
			})
			start := time.Now()
			out, _ := send(t, p, probeHeader(tc.path), tc.body...)
			if out.LocalResponse == nil || out.LocalResponse.Status != 503 || out.LocalResponse.Details != "wasm_fail_stream" {
				t.Fatalf("got %+v, want 503 wasm_fail_stream", out)
			}
			if el := time.Since(start); el > 3*time.Second {
				t.Fatalf("the fault took %v to answer", el)
			}
			for i := 0; i < 4; i++ { // both VM slots, the failed one replaced
				if out, _ := send(t, p, probeHeader("/c"), "ok"); out.LocalResponse != nil {
					t.Fatalf("request %d after the fault: %+v", i, out.LocalResponse)
				}
			}
			if n := p.LiveVMs(); n != 2 {
				t.Fatalf("%d live VMs after replacement, want 2", n)
			}
		})
	}
}

// TestCloseWaitsForARunningCall closes the module while a call spins
// counting in memory: Close waits for the call to meet its deadline before
// the VM's memory is unmapped (unmapped under it, the process would fault),
// and the request fails closed.
func TestCloseWaitsForARunningCall(t *testing.T) {
	ctx := context.Background()
	mod, err := host.Compile(ctx, readFixture(t, "probe_tinygo"), host.ModuleConfig{CallTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	p, err := mod.NewPlugin(ctx, host.PluginConfig{VMs: 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *host.Outcome)
	go func() {
		out, _ := s.HandleRequest(ctx, &host.Request{Header: probeHeader("/L")})
		done <- out
	}()
	time.Sleep(100 * time.Millisecond) // the call is spinning by now
	start := time.Now()
	if err := mod.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Errorf("Close returned after %v, before the running call met its deadline", el)
	}
	if out := <-done; out == nil || out.LocalResponse == nil || out.LocalResponse.Status != 503 {
		t.Fatalf("the spinning request ended with %+v, want a 503", out)
	}
	s.Close(ctx)
	if n := p.LiveVMs(); n != 0 {
		t.Fatalf("%d VMs open after the module closed", n)
	}
	if _, err := mod.NewPlugin(ctx, host.PluginConfig{VMs: 1}); !errors.Is(err, host.ErrVMStart) {
		t.Fatalf("NewPlugin on a closed module: %v, want ErrVMStart", err)
	}
}

// TestCloseDuringNewPlugin closes the module while plugins start: each
// NewPlugin either fails or returns a plugin whose VMs are closed, and no
// VM is left open.
func TestCloseDuringNewPlugin(t *testing.T) {
	ctx := context.Background()
	wasm := readFixture(t, "probe_tinygo")
	for i := 0; i < 10; i++ {
		mod, err := host.Compile(ctx, wasm, host.ModuleConfig{})
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan *host.Plugin)
		go func() {
			p, _ := mod.NewPlugin(ctx, host.PluginConfig{VMs: 4})
			got <- p
		}()
		time.Sleep(time.Duration(i) * time.Millisecond)
		if err := mod.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if p := <-got; p != nil {
			if _, err := p.NewStream(ctx); !errors.Is(err, host.ErrPluginClosed) {
				t.Fatalf("a stream on a plugin of a closed module: %v, want ErrPluginClosed", err)
			}
			if n := p.LiveVMs(); n != 0 {
				t.Fatalf("%d VMs open after the module closed", n)
			}
		}
	}
}

func TestMemoryIsCapped(t *testing.T) {
	// 20000 pages (1.25 GiB) is over Envoy's 1 GiB, our default cap.
	p, _ := startProbe(t, "probe_tinygo", probeOpts{})
	send(t, p, probeHeader("/M"))
	if got := hosttest.Metric(t, p, "probe.grow").Value; got != -1 {
		t.Fatalf("memory.grow past the cap returned %d, want -1", got)
	}
}

// TestClientGoneStillEndsStream: a body that fails mid-way (the client went
// away) still gets on_log, on_done and on_delete.
func TestClientGoneStillEndsStream(t *testing.T) {
	p, logs := startProbe(t, "probe_tinygo", probeOpts{plugin: host.PluginConfig{AllowOnHeadersStopIteration: true}})
	ctx, cancel := context.WithCancel(context.Background())
	s, err := p.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	body := io.MultiReader(strings.NewReader("partial"), errReader{io.ErrUnexpectedEOF})
	_, err = s.HandleRequest(ctx, &host.Request{Header: probeHeader("/p"), Body: body})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("HandleRequest error %v, want the body's error", err)
	}
	cancel() // the request's context is gone too
	s.Close(ctx)
	got := callbacks(logs, s.ID())
	if n := len(got); n < 3 || fmt.Sprint(got[n-3:]) != "[on_log on_done on_delete]" {
		t.Fatalf("callbacks %v: the stream was not ended", got)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestModuleValidation(t *testing.T) {
	for _, tc := range []struct{ fixture, want string }{
		{"bad_no_abi", "no proxy_abi_version_0_2_0 or proxy_abi_version_0_2_1 export"},
		{"bad_wrong_signature", "export proxy_on_request_headers has signature (ii)->(i), want (iii)->(i)"},
		{"bad_no_allocator", "no proxy_on_memory_allocate or malloc export"},
		{"bad_no_http", "no HTTP callbacks"},
		{"bad_unknown_import", "imports env.proxy_does_not_exist, which the host does not provide"},
		{"bad_wasi_import", "imports wasi_snapshot_preview1.proc_raise, which Envoy does not provide"},
		{"bad_log_level_0_2_0", "ABI 0.2.0 modules cannot"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			_, err := host.Compile(context.Background(), readFixture(t, tc.fixture), host.ModuleConfig{})
			if !errors.Is(err, host.ErrNotProxyWasm) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrNotProxyWasm saying %q", err, tc.want)
			}
		})
	}
	t.Run("not wasm", func(t *testing.T) {
		if _, err := host.Compile(context.Background(), []byte("hello"), host.ModuleConfig{}); err == nil {
			t.Fatal("compiled text")
		}
	})
	t.Run("hookguard passes", func(t *testing.T) {
		m, err := host.Compile(context.Background(), testwasm.Module(t), host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close(context.Background())
		if m.ABIVersion() != "0.2.0" {
			t.Fatalf("ABI %q", m.ABIVersion())
		}
	})
}

// TestFidelityModules runs what other SDKs' modules need of Envoy: each
// compiles and starts, its _initialize calling the imports it needs (and
// trapping if one answers wrong).
func TestFidelityModules(t *testing.T) {
	for _, fixture := range []string{"fidelity_emscripten", "fidelity_wasi_unstable", "fidelity_start_environ"} {
		t.Run(fixture, func(t *testing.T) { startProbe(t, fixture, probeOpts{}) })
	}
}

// TestTrapInStreamCreate: a module that traps creating a stream's context
// gets that stream answered 503 wasm_fail_stream, as in Envoy, not the 500
// for a module that stopped a request.
func TestTrapInStreamCreate(t *testing.T) {
	ctx := context.Background()
	p, logs := startProbe(t, "trap_stream_create", probeOpts{})
	for i := range 2 { // and again on the replacement VM
		s, err := p.NewStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.HandleRequest(ctx, &host.Request{Header: host.Header{{Key: ":method", Value: "GET"}, {Key: ":path", Value: "/"}}})
		s.Close(ctx)
		if err != nil || out.LocalResponse == nil || out.LocalResponse.Status != 503 || out.LocalResponse.Details != "wasm_fail_stream" {
			t.Fatalf("stream %d: %+v, %v", i, out.LocalResponse, err)
		}
	}
	if strings.Contains(logs.String(), "stopped the request") {
		t.Fatalf("misleading log: %s", logs.String())
	}
}

// TestFixturesAreCurrent rebuilds the probe modules where Python and wabt
// are installed and checks the committed files are what gen.py makes.
func TestFixturesAreCurrent(t *testing.T) {
	for _, tool := range []string{"python3", "wat2wasm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install wabt); the committed fixtures are still used", tool)
		}
	}
	dir := t.TempDir()
	if out, err := exec.Command("python3", filepath.Join("testdata", "gen.py"), dir).CombinedOutput(); err != nil {
		t.Fatalf("gen.py: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Fatal("gen.py wrote nothing")
	}
	for _, f := range files {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join("testdata", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("testdata/%s is stale: run python3 host/testdata/gen.py", filepath.Base(f))
		}
	}
}

// TestModuleOutputCannotPanicTheAdapter: a module's local reply with
// status 0 or 999, a header that would smuggle a line, or an unparsable
// :status on the response, fails the stream closed with 500 through
// host/nethttp; the client always gets a response, never a dropped
// connection.
func TestModuleOutputCannotPanicTheAdapter(t *testing.T) {
	for _, shape := range probeShapes {
		t.Run(shape, func(t *testing.T) {
			ctx := context.Background()
			mw, err := nethttp.NewMiddleware(ctx, readFixture(t, shape), nethttp.Config{
				Plugin: host.PluginConfig{Name: "probe", VMs: 1, AllowOnHeadersStopIteration: true}})
			if err != nil {
				t.Fatal(err)
			}
			defer mw.Close(ctx)
			srv := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("app")) })))
			defer srv.Close()
			for _, path := range []string{"/0", "/9", "/N", "/V", "/S"} {
				resp, err := http.Get(srv.URL + path)
				if err != nil {
					t.Fatalf("%s: %v (the adapter dropped the connection)", path, err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 500 || resp.Header.Get("X-Injected") != "" || strings.Contains(string(body), "app") {
					t.Errorf("%s: %d %q, headers %v", path, resp.StatusCode, body, resp.Header)
				}
			}
		})
	}
}
