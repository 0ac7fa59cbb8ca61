package host

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"

	"github.com/hookguard/hookguard/internal/abi"
)

// PluginConfig is what Envoy's PluginConfig and VmConfig carry for one
// plugin. Only Configuration is usually needed.
type PluginConfig struct {
	// Name, RootID and VMID are Envoy's plugin name, root_id and vm_id,
	// readable by the module as the plugin_name, plugin_root_id and
	// plugin_vm_id properties.
	Name, RootID, VMID string
	// Configuration is the plugin configuration, delivered verbatim in
	// proxy_on_configure (what Envoy does with a StringValue).
	Configuration []byte
	// VMConfiguration is delivered in proxy_on_vm_start.
	VMConfiguration []byte
	// Env is the module's whole environment (Envoy's
	// vm_config.environment_variables). Nothing else from the host process
	// is visible to the module.
	Env map[string]string
	// AllowOnHeadersStopIteration is Envoy's allow_on_headers_stop_iteration.
	// When false (Envoy's default) a Pause from a headers callback withholds
	// the body from the module until it calls proxy_continue_stream; when
	// true the body callbacks still arrive. hookguard needs it true: it holds
	// the headers while it hashes the body.
	AllowOnHeadersStopIteration bool
	// VMs is how many VMs serve requests, each with its own root context,
	// as Envoy runs one per worker thread. Zero means runtime.NumCPU(). A
	// new stream goes to the first idle VM, or round robin when all are
	// busy, and stays there.
	VMs int
	// BufferLimitBytes caps the body the host buffers for the module, like
	// Envoy's per-connection buffer limit: over it a request gets 413 and a
	// response 500, logged and counted as hookguard.host.payload_too_large.
	// Zero means 2 MiB: above a module's own cap (hookguard's max_body_bytes
	// is 1 MiB by default), so the module's 413 is the one clients see.
	// Envoy's default is 1 MiB; envoy/envoy.yaml raises it likewise.
	BufferLimitBytes int
	// SharedData is the store behind proxy_get_shared_data and
	// proxy_set_shared_data. Nil keeps it in memory, shared by this
	// plugin's VMs; a store outside the process (package
	// host/redisdata) shares it between hosts.
	SharedData SharedData
	// Clusters are the upstreams proxy_http_call may name, as Envoy's
	// clusters: name → base URL ("http://127.0.0.1:9000"). The call's
	// :path is appended and its :authority sent as Host. None: every call
	// is refused (BadArgument, as Envoy answers an unknown cluster).
	// "https://*" is a cluster that reaches the call's :authority itself
	// over HTTPS, as Envoy's dynamic forward proxy cluster does (for keys
	// the module fetches from hosts it pins, such as AWS SNS's regions).
	Clusters map[string]string
	// HTTPClient makes proxy_http_call's requests; nil means a client of
	// its own, which, as Envoy, follows no redirect. The call's timeout
	// bounds each request either way.
	HTTPClient *http.Client
}

// Errors from starting a plugin. The wrapped text includes the error lines
// the module logged, which is where it says what is wrong.
var (
	ErrVMStart            = errors.New("module failed to start")
	ErrConfigureRejected  = errors.New("module rejected its plugin configuration")
	ErrPluginClosed       = errors.New("plugin is closed")
	errInvalidPluginField = errors.New("invalid plugin configuration")
)

const defaultBufferLimit = 2 << 20

// Plugin is a configured proxy-wasm plugin running in a set of VMs. It is
// safe for concurrent use: each stream is pinned to one VM, and a VM runs
// one callback at a time while its streams interleave.
type Plugin struct {
	module  *Module
	cfg     PluginConfig
	metrics *Metrics
	shared  SharedData

	vms     []atomic.Pointer[vm] // read without a lock on the request path
	mu      sync.Mutex           // serializes replacing a failed VM, and Close
	closed  atomic.Bool
	next    atomic.Uint32
	liveVMs atomic.Int64  // instances not yet closed, to prove none leaks
	stop    chan struct{} // stops the watchdog
}

// NewPlugin starts cfg.VMs VMs of the module and configures each. Any VM
// that fails to start or rejects the configuration fails the whole call.
func (m *Module) NewPlugin(ctx context.Context, cfg PluginConfig) (*Plugin, error) {
	if cfg.VMs < 0 {
		return nil, fmt.Errorf("host: %w: VMs is %d", errInvalidPluginField, cfg.VMs)
	}
	if cfg.BufferLimitBytes < 0 {
		return nil, fmt.Errorf("host: %w: BufferLimitBytes is %d", errInvalidPluginField, cfg.BufferLimitBytes)
	}
	if cfg.VMs == 0 {
		cfg.VMs = runtime.NumCPU()
	}
	if cfg.BufferLimitBytes == 0 {
		cfg.BufferLimitBytes = defaultBufferLimit
	}
	cfg.Configuration = slices.Clone(cfg.Configuration)
	cfg.VMConfiguration = slices.Clone(cfg.VMConfiguration)
	cfg.Env = maps.Clone(cfg.Env)
	p := &Plugin{module: m, cfg: cfg, metrics: newMetrics(), shared: cfg.SharedData}
	if p.shared == nil {
		p.shared = NewMemorySharedData()
	}
	p.vms = make([]atomic.Pointer[vm], cfg.VMs)
	// The VMs start under p.mu, which Close takes: a Module.Close meanwhile
	// waits for them rather than releasing their memory under a call.
	p.mu.Lock()
	if !m.track(p, true) {
		p.mu.Unlock()
		return nil, fmt.Errorf("host: %w: the module is closed", ErrVMStart)
	}
	for i := range p.vms {
		v, err := p.startVM(ctx)
		if err != nil {
			p.mu.Unlock()
			p.Close(ctx)
			return nil, err
		}
		p.vms[i].Store(v)
	}
	if t := m.callTimeout; t > 0 {
		p.stop = make(chan struct{})
		go p.watchdog(t)
	}
	p.mu.Unlock()
	return p, nil
}

// metricPayloadTooLarge counts the host's own 413s (and a response's 500).
const metricPayloadTooLarge = "hookguard.host.payload_too_large"

// bufferLimitHit logs and counts a body over BufferLimitBytes: the module
// should have answered first, so the limit is set too low for it.
func (p *Plugin) bufferLimitHit(request bool) {
	p.metrics.Count(metricPayloadTooLarge, 1)
	what := "response"
	if request {
		what = "request"
	}
	p.module.logger.Warn("body over the host's buffer limit: the host answered, not the module; raise BufferLimitBytes above the module's own cap",
		"body", what, "buffer_limit_bytes", p.cfg.BufferLimitBytes)
}

// property returns a property of the plugin, Envoy's wasm-specific
// attributes: plugin_name, plugin_root_id and plugin_vm_id.
func (p *Plugin) property(path string) ([]byte, bool) {
	switch path {
	case "plugin_name":
		return []byte(p.cfg.Name), true
	case "plugin_root_id":
		return []byte(p.cfg.RootID), true
	case "plugin_vm_id":
		return []byte(p.cfg.VMID), true
	}
	return nil, false
}

// Metrics returns the metrics the module defined, shared by all its VMs as
// Envoy shares them.
func (p *Plugin) Metrics() *Metrics { return p.metrics }

// Close stops every VM. Streams still open fail closed.
func (p *Plugin) Close(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Swap(true) {
		return nil
	}
	p.module.track(p, false)
	// Each VM closes under its lock, after any call running on it; the
	// watchdog stops only then, so such a call still meets its deadline.
	var errs []error
	for i := range p.vms {
		if v := p.vms[i].Load(); v != nil {
			errs = append(errs, v.close(ctx))
		}
	}
	if p.stop != nil {
		close(p.stop)
	}
	return errors.Join(errs...)
}

func (p *Plugin) moduleConfig() wazero.ModuleConfig {
	mc := wazero.NewModuleConfig().
		WithName("").                        // anonymous, so many instances can coexist
		WithStartFunctions().                // we run _initialize/_start ourselves, as Envoy does
		WithSysWalltime().WithSysNanotime(). // real clocks, as Envoy's
		WithRandSource(cryptoRand)
	if clock := p.module.clock; clock != nil {
		mc = mc.WithWalltime(func() (int64, int32) {
			t := clock()
			return t.Unix(), int32(t.Nanosecond())
		}, sys.ClockResolution(1))
	}
	for _, k := range slices.Sorted(maps.Keys(p.cfg.Env)) {
		mc = mc.WithEnv(k, p.cfg.Env[k])
	}
	return mc
}

// startVM instantiates the module and runs Envoy's start-up sequence:
// _initialize (then main(0,0) if exported) or else _start; then for the
// root context on_context_create, on_vm_start and on_configure.
func (p *Plugin) startVM(ctx context.Context) (*vm, error) {
	mod, err := p.module.runtime.InstantiateModule(withLinearMemory(ctx), p.module.compiled, p.moduleConfig())
	if err != nil {
		return nil, fmt.Errorf("host: %w: instantiate: %v", ErrVMStart, err)
	}
	// The lock matters even before v is returned: a tick the module starts
	// in on_configure calls in from its own goroutine.
	v := newVM(p, mod)
	v.mu.Lock()
	v.capture = &[]string{}
	fail := func(kind error, what string, err error) (*vm, error) {
		lines := *v.capture
		v.capture = nil
		v.mu.Unlock()
		v.close(ctx)
		msg := what
		if err != nil {
			msg += ": " + err.Error()
		}
		if len(lines) > 0 {
			msg += ": " + strings.Join(lines, "; ")
		}
		return nil, fmt.Errorf("host: %w: %s", kind, msg)
	}

	v.restricted = restrictStart
	if p.module.start != "" {
		if _, err := v.call(ctx, mod.ExportedFunction(p.module.start)); err != nil {
			return fail(ErrVMStart, p.module.start+" failed", err)
		}
		if p.module.start == abi.InitializeName {
			if _, err := v.call(ctx, mod.ExportedFunction(abi.MainName), 0, 0); err != nil {
				return fail(ErrVMStart, abi.MainName+" failed", err)
			}
		}
	}
	v.restricted = unrestricted
	v.rootID = v.newContextID()
	if _, err := v.call(ctx, v.fn.contextCreate, uint64(v.rootID), 0); err != nil {
		return fail(ErrVMStart, abi.ProxyOnContextCreateName+" failed", err)
	}
	if v.fn.vmStart != nil {
		ok, err := v.call(ctx, v.fn.vmStart, uint64(v.rootID), uint64(len(p.cfg.VMConfiguration)))
		if err != nil || uint32(ok) == 0 {
			return fail(ErrVMStart, outcome(abi.ProxyOnVMStartName, err), err)
		}
	}
	if v.fn.configure != nil {
		v.configuring = true
		ok, err := v.call(ctx, v.fn.configure, uint64(v.rootID), uint64(len(p.cfg.Configuration)))
		v.configuring = false
		if err != nil || uint32(ok) == 0 {
			return fail(ErrConfigureRejected, outcome(abi.ProxyOnConfigureName, err), err)
		}
	}
	v.capture = nil
	v.mu.Unlock()
	return v, nil
}

// outcome says how a start-up callback failed: it trapped, or it returned
// false.
func outcome(callback string, err error) string {
	if err != nil {
		return callback + " trapped"
	}
	return callback + " returned false"
}

// pickVM returns a VM for a new stream, counted in its active streams,
// without a lock: the first idle VM in slot order, so that under light load
// one VM serves every request and stays in the CPU's caches (round robin
// made sequential requests alternate between VMs, each with memory of its
// own to bring back in); when every VM is busy, round robin. A failed VM is
// first retired and replaced by a fresh one, as Envoy's FAIL_RELOAD does;
// only that path takes the plugin's lock.
func (p *Plugin) pickVM(ctx context.Context) (*vm, error) {
	if p.closed.Load() {
		return nil, ErrPluginClosed
	}
	for i := range p.vms {
		// A failed VM is passed over here and replaced when round robin
		// comes to it: one that cannot be restarted then fails only the
		// streams that land on it, as before.
		if v := p.vms[i].Load(); !v.failed.Load() && v.active.CompareAndSwap(0, 1) {
			return v, nil
		}
	}
	v, err := p.liveVM(ctx, &p.vms[int(p.next.Add(1)-1)%len(p.vms)])
	if err != nil {
		return nil, err
	}
	v.active.Add(1)
	return v, nil
}

// liveVM returns slot's VM, replacing it first if it failed.
func (p *Plugin) liveVM(ctx context.Context, slot *atomic.Pointer[vm]) (*vm, error) {
	if v := slot.Load(); !v.failed.Load() {
		return v, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		return nil, ErrPluginClosed
	}
	old := slot.Load()
	if !old.failed.Load() {
		return old, nil // another stream replaced it meanwhile
	}
	nv, err := p.startVM(context.WithoutCancel(ctx))
	if err != nil {
		return nil, err
	}
	slot.Store(nv)
	old.close(context.WithoutCancel(ctx))
	return nv, nil
}

// watchdog cuts off any VM whose current call has run longer than timeout.
// The module was instrumented (package interrupt), so the running code traps
// at its next loop head; the call returns an error, the VM is failed, its
// stream answered 503, and the slot gets a fresh VM. One goroutine per
// plugin, instead of a timer per call, keeps calls cheap.
func (p *Plugin) watchdog(timeout time.Duration) {
	t := time.NewTicker(max(timeout/4, 5*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			for i := range p.vms {
				if v := p.vms[i].Load(); v != nil && v.overran(now, timeout) && !v.failed.Swap(true) {
					v.logger.Error("wasm call exceeded its deadline; the VM is cut off and replaced", "timeout", timeout)
					v.cutOff()
				}
			}
		}
	}
}

// LiveVMs returns how many VM instances the plugin holds open: its VM
// count while healthy, and back to it after failed VMs are replaced.
func (p *Plugin) LiveVMs() int { return int(p.liveVMs.Load()) }
