package host

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/hookguard/hookguard/host/internal/interrupt"
	"github.com/hookguard/hookguard/internal/abi"
	"github.com/hookguard/hookguard/internal/envoyabi"
)

var cryptoRand = rand.Reader

type vmKey struct{}

// guestFuncs are the module's callbacks, resolved once per VM; a nil one is
// not exported and is skipped, as Envoy skips it.
type guestFuncs struct {
	alloc, contextCreate, vmStart, configure, tick api.Function
	httpCallResponse                               api.Function
	log, done, delete                              api.Function
	// stream[direction][phase]: the headers, body and trailers callbacks
	// of requests and of responses.
	stream [2][3]api.Function
	// headersParams is how many parameters the headers callbacks take:
	// (context_id, num_headers, end_of_stream), or in ABI 0.1.0 no
	// end_of_stream (abi.CallbackIn).
	headersParams int
}

// Phases of a direction, indexing guestFuncs.stream.
const (
	phaseHeaders = iota
	phaseBody
	phaseTrailers
)

// restriction is which host calls Envoy lets through right now
// (proxy-wasm-cpp-host "restricted callbacks", V8 only).
type restriction int

const (
	unrestricted restriction = iota
	// restrictStart: during _initialize/_start/main, Envoy ≥ 1.39 allows
	// every WASI call and proxy_log, and no other proxy_* call.
	restrictStart
	// restrictAlloc: during the module's allocator, only proxy_log,
	// fd_write, clock_time_get and poll_oneoff.
	restrictAlloc
)

func (r restriction) String() string {
	switch r {
	case restrictStart:
		return "module start-up"
	case restrictAlloc:
		return "proxy_on_memory_allocate"
	}
	return "none"
}

// allowed reports whether a host call may run under r.
func (r restriction) allowed(module, name string) bool {
	switch r {
	case restrictStart:
		// cpp-host (Envoy ≥ 1.39): most WASI calls, proxy_log and
		// emscripten_notify_memory_growth; not these six.
		if module == envoyabi.WASIModule || module == envoyabi.WASIUnstableModule {
			switch name {
			case "sched_yield", "proc_exit", "fd_read", "fd_seek", "fd_close", "path_open":
				return false
			}
			return true
		}
		return name == abi.ProxyLogName || name == abi.EmscriptenNotifyMemoryGrowthName
	case restrictAlloc:
		switch name {
		case abi.ProxyLogName, "fd_write", "clock_time_get", "poll_oneoff":
			return true
		}
		return false
	}
	return true
}

// vm is one instance of the module with its root context. Envoy runs one
// per worker thread; its streams interleave, one callback at a time.
type vm struct {
	plugin *Plugin
	mod    api.Module
	fn     guestFuncs
	logger *slog.Logger
	// interrupt, when the module is built with deadlines, makes the
	// running code trap at its next loop head once set (package interrupt).
	interrupt api.MutableGlobal

	failed    atomic.Bool  // set for good by a trap, a deadline or a restricted call
	active    atomic.Int32 // streams picked for it and not yet closed (pickVM)
	callStart atomic.Int64 // UnixNano when the running call began, 0 when idle; read by the watchdog

	mu      sync.Mutex // held for every call into the module
	nextID  uint32
	rootID  uint32
	streams map[uint32]*Stream // open streams, for proxy_set_effective_context
	closed  bool

	tickStop chan struct{}

	// ctx carries the VM to its host functions: every call passes it.
	// The caller's context is not passed on: a client that goes away must
	// not kill a VM other streams share; the watchdog bounds each call.
	ctx        context.Context
	stack      [8]uint64   // arguments and results of the call in progress, guarded by mu
	allocStack [1]uint64   // the same for the allocator, called from inside a host call
	calls      [3]hostCall // host calls in progress, by nesting level (beginHostCall)
	callDepth  int

	// State of the call in progress, guarded by mu.
	stream *Stream // the effective stream (proxy_set_effective_context), or nil: the root context
	// callbackStream is the stream whose own callback runs (a step, its
	// local reply, its end), or nil during a root callback. What the module
	// asks of any other stream is deferred to when the callback returns.
	callbackStream *Stream
	configuring    bool // the plugin configuration is readable
	restricted     restriction
	capture        *[]string        // error lines logged while starting, for the error
	callout        *calloutResponse // the proxy_http_call response being delivered

	nextCallout uint32              // the last proxy_http_call token handed out, guarded by mu
	callouts    map[uint32]*callout // proxy_http_call requests in flight, by token, guarded by mu
	// deferred are the streams the module asked something of from a
	// callback not their own, to apply when it returns (applyDeferred).
	deferred []*Stream
}

func newVM(p *Plugin, mod api.Module) *vm {
	f := mod.ExportedFunction
	v := &vm{plugin: p, mod: mod, nextID: 1, streams: map[uint32]*Stream{}, callouts: map[uint32]*callout{}, logger: p.module.logger.With("plugin", p.cfg.Name)}
	v.fn = guestFuncs{
		alloc: f(p.module.allocator), contextCreate: f(abi.ProxyOnContextCreateName),
		vmStart: f(abi.ProxyOnVMStartName), configure: f(abi.ProxyOnConfigureName), tick: f(abi.ProxyOnTickName),
		httpCallResponse: f(abi.ProxyOnHTTPCallResponseName),
		log:              f(abi.ProxyOnLogName), done: f(abi.ProxyOnDoneName), delete: f(abi.ProxyOnDeleteName),
		stream: [2][3]api.Function{
			{f(abi.ProxyOnRequestHeadersName), f(abi.ProxyOnRequestBodyName), f(abi.ProxyOnRequestTrailersName)},
			{f(abi.ProxyOnResponseHeadersName), f(abi.ProxyOnResponseBodyName), f(abi.ProxyOnResponseTrailersName)},
		},
	}
	headers, _ := abi.CallbackIn(p.module.abi, abi.ProxyOnRequestHeadersName)
	v.fn.headersParams = len(headers.Params)
	v.ctx = context.WithValue(context.Background(), vmKey{}, v)
	v.interrupt, _ = mod.ExportedGlobal(interrupt.ExportName).(api.MutableGlobal)
	p.liveVMs.Add(1)
	return v
}

// newContextID returns the next context id. Root and stream contexts share
// one counter per VM, start at 1 and are never reused, as in Envoy.
func (v *vm) newContextID() uint32 {
	id := v.nextID
	v.nextID++
	return id
}

// call runs one export with v.mu held. A trap, a deadline or a restricted
// host call marks the VM failed for good, as Envoy does; the caller fails
// the stream closed. A nil function is a callback the module does not
// export: it returns 0.
//
// The caller's context is not passed on (see vm.ctx); the plugin's watchdog
// enforces the module's CallTimeout.
func (v *vm) call(_ context.Context, fn api.Function, args ...uint64) (uint64, error) {
	if fn == nil {
		return 0, nil
	}
	if v.failed.Load() {
		return 0, errVMFailed
	}
	// Calls do not nest: each runs with v.mu held, and the allocator,
	// called from inside host calls, does not come through here.
	v.callStart.Store(time.Now().UnixNano())
	// One context for the VM's life, and a stack reused across calls: a
	// call into the module allocates nothing here.
	stack := v.stack[:max(len(args), 1)]
	copy(stack, args)
	err := fn.CallWithStack(v.ctx, stack)
	v.callStart.Store(0)
	if err != nil {
		v.fail("wasm VM failed; it will be replaced", "function", fn.Definition().Name(), "error", err)
		v.abandon()
		return 0, err
	}
	if len(fn.Definition().ResultTypes()) == 0 {
		return 0, nil
	}
	return stack[0], nil
}

func (v *vm) fail(msg string, args ...any) {
	if v.failed.CompareAndSwap(false, true) {
		v.logger.Error(msg, args...)
	}
}

// abandon gives up on everything the VM was still to do, once it failed
// or closed: its callouts are cancelled and every stream waiting on it
// (Stream.Wait) is woken to fail closed.
func (v *vm) abandon() {
	v.cancelCallouts(nil)
	for _, s := range v.deferred {
		if s != nil { // nil: applied already
			s.deferred = false
		}
	}
	clear(v.deferred)
	v.deferred = v.deferred[:0]
	v.wakeStreams()
}

// wakeStreams wakes every stream's Stream.Wait: what could resume them
// changed.
func (v *vm) wakeStreams() {
	for _, s := range v.streams {
		s.wake()
	}
}

// rootCallback runs one of the root context's callbacks from outside any
// stream (a tick, a callout's response), then applies what it asked of
// streams, as Envoy runs its after-VM-call actions.
func (v *vm) rootCallback(fn api.Function, args ...uint64) {
	v.stream, v.callbackStream = nil, nil
	v.call(context.Background(), fn, args...)
	v.stream = nil
	v.applyDeferred(context.Background())
}

// deferEffect records that the module asked s for a local response, a
// continue or a close. During one of s's own callbacks the callback applies
// it as it returns; from any other callback (proxy_on_http_call_response,
// proxy_on_tick, another stream's, after proxy_set_effective_context) it
// waits for applyDeferred. Envoy defers all three until the VM call
// returns (addAfterVmCallAction).
func (v *vm) deferEffect(s *Stream) {
	if s == v.callbackStream || s.deferred {
		return
	}
	s.deferred = true
	v.deferred = append(v.deferred, s)
}

// applyDeferred applies, now that the callback returned, what the module
// asked of streams other than the one whose callback ran. Applying it runs
// their callbacks, which may ask more of others: those are applied too.
func (v *vm) applyDeferred(ctx context.Context) {
	for i := 0; i < len(v.deferred); i++ {
		s := v.deferred[i]
		v.deferred[i], s.deferred = nil, false
		if !v.failed.Load() {
			s.applyDeferred(ctx)
		}
	}
	v.deferred = v.deferred[:0]
}

// allocate calls the module's allocator from inside a host call, under
// Envoy's restrictions for it.
func (v *vm) allocate(size uint32) (uint32, error) {
	prev := v.restricted
	v.restricted = restrictAlloc
	// Its own stack: the call it runs inside is still using v.stack.
	v.allocStack[0] = uint64(size)
	err := v.fn.alloc.CallWithStack(v.ctx, v.allocStack[:])
	v.restricted = prev
	if err != nil {
		v.fail("wasm VM failed in its allocator", "error", err)
		return 0, err
	}
	return api.DecodeU32(v.allocStack[0]), nil
}

// checkRestricted traps the calling module if Envoy would refuse this host
// call now. The panic becomes a wasm trap that fails the VM, as Envoy's
// "restricted_callback" does.
func (v *vm) checkRestricted(module, name string) {
	if !v.restricted.allowed(module, name) {
		panic(fmt.Sprintf("restricted callback: %s.%s is not allowed during %s", module, name, v.restricted))
	}
}

// setTickPeriod starts, changes or stops the root context's timer. As in
// Envoy the first tick comes one period after it is set.
func (v *vm) setTickPeriod(d time.Duration) {
	running := v.stopTimer()
	if d <= 0 || v.fn.tick == nil {
		if running {
			v.wakeStreams() // a tick can no longer resume them
		}
		return
	}
	stop := make(chan struct{})
	v.tickStop = stop
	go func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				v.mu.Lock()
				if v.closed || v.failed.Load() {
					v.abandon() // streams waiting for a tick fail closed now
					v.mu.Unlock()
					return
				}
				v.rootCallback(v.fn.tick, uint64(v.rootID))
				v.mu.Unlock()
			}
		}
	}()
}

// stopTimer stops the root context's timer and reports whether it ran.
func (v *vm) stopTimer() bool {
	if v.tickStop == nil {
		return false
	}
	close(v.tickStop)
	v.tickStop = nil
	return true
}

// close stops the VM's timer, cancels its callouts and releases its
// instance. Streams still on it fail closed on their next step or wait.
func (v *vm) close(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return nil
	}
	v.closed = true
	v.failed.Store(true)
	v.stopTimer()
	v.abandon()
	v.plugin.liveVMs.Add(-1)
	return v.mod.Close(ctx)
}

// cutOff makes the running call trap at its next loop head. It is called
// from the watchdog's goroutine while the call runs: the store is seen by
// the compiled code, which reloads the flag at every loop head.
func (v *vm) cutOff() {
	if v.interrupt != nil {
		v.interrupt.Set(1)
	}
}

// overran reports whether the running call has taken longer than d.
func (v *vm) overran(now time.Time, d time.Duration) bool {
	start := v.callStart.Load()
	return start != 0 && now.UnixNano()-start > int64(d)
}

// vmFrom returns the VM a host function was called from.
func vmFrom(ctx context.Context) *vm {
	v, _ := ctx.Value(vmKey{}).(*vm)
	return v
}
