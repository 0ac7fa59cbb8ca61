package host

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"
)

var cryptoRand = rand.Reader

type vmKey struct{}

// guestFuncs are the module's callbacks, resolved once per VM; a nil one is
// not exported and is skipped, as Envoy skips it.
type guestFuncs struct {
	alloc, contextCreate, vmStart, configure, tick                        api.Function
	reqHeaders, reqBody, reqTrailers, respHeaders, respBody, respTrailers api.Function
	log, done, delete                                                     api.Function
}

// vm is one instance of the module with its root context. Envoy runs one
// per worker thread; its streams interleave, one callback at a time.
type vm struct {
	plugin *Plugin
	mod    api.Module
	fn     guestFuncs
	logger *slog.Logger

	mu      sync.Mutex // held for every call into the module
	failed  bool
	nextID  uint32
	rootID  uint32
	streams map[uint32]*Stream // open streams, for proxy_set_effective_context

	tickPeriod time.Duration

	// State of the call in progress, guarded by mu.
	callCtx     context.Context
	stream      *Stream   // the stream whose callback runs, or nil
	configuring bool      // the plugin configuration is readable
	capture     *[]string // error lines logged while starting, for the error
}

func newVM(p *Plugin, mod api.Module) *vm {
	f := mod.ExportedFunction
	v := &vm{plugin: p, mod: mod, nextID: 1, streams: map[uint32]*Stream{}, logger: p.module.logger.With("plugin", p.cfg.Name)}
	v.fn = guestFuncs{
		alloc: f(p.module.allocator), contextCreate: f("proxy_on_context_create"),
		vmStart: f("proxy_on_vm_start"), configure: f("proxy_on_configure"), tick: f("proxy_on_tick"),
		reqHeaders: f("proxy_on_request_headers"), reqBody: f("proxy_on_request_body"),
		reqTrailers: f("proxy_on_request_trailers"), respHeaders: f("proxy_on_response_headers"),
		respBody: f("proxy_on_response_body"), respTrailers: f("proxy_on_response_trailers"),
		log: f("proxy_on_log"), done: f("proxy_on_done"), delete: f("proxy_on_delete"),
	}
	return v
}

// newContextID returns the next context id. Root and stream contexts share
// one counter per VM, start at 1 and are never reused, as in Envoy.
func (v *vm) newContextID() uint32 {
	id := v.nextID
	v.nextID++
	return id
}

// call runs one export with v.mu held. A trap or exit marks the VM failed
// for good, as Envoy does; the caller fails the stream closed. A nil
// function is a callback the module does not export: it returns 0.
func (v *vm) call(ctx context.Context, fn api.Function, args ...uint64) (uint64, error) {
	if fn == nil {
		return 0, nil
	}
	if v.failed {
		return 0, errVMFailed
	}
	v.callCtx = context.WithValue(ctx, vmKey{}, v)
	res, err := fn.Call(v.callCtx, args...)
	v.callCtx = nil
	if err != nil {
		v.failed = true
		v.logger.Error("wasm VM failed; it will be replaced", "function", fn.Definition().Name(), "error", err)
		return 0, err
	}
	if len(res) == 0 {
		return 0, nil
	}
	return res[0], nil
}

// allocate calls the module's allocator from inside a host call.
func (v *vm) allocate(size uint32) (uint32, error) {
	res, err := v.fn.alloc.Call(v.callCtx, uint64(size))
	if err != nil {
		v.failed = true
		return 0, err
	}
	return api.DecodeU32(res[0]), nil
}

func (v *vm) isFailed() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.failed
}

func (v *vm) retire(ctx context.Context) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.failed = true
	v.mod.Close(ctx)
}

// vmFrom returns the VM a host function was called from.
func vmFrom(ctx context.Context) *vm {
	v, _ := ctx.Value(vmKey{}).(*vm)
	return v
}
