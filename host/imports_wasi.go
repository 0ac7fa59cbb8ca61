package host

import (
	"context"
	"fmt"
	"io"

	"github.com/hookguard/hookguard/internal/envoyabi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

const wasiModule = envoyabi.WASIModule

// wasiFunctions are the WASI calls Envoy ≥ 1.39 provides. A module
// importing anything else would not load in Envoy, so it does not load here.
var wasiFunctions = envoyabi.WASI

// WASI errno values.
const (
	errnoSuccess = 0
	errnoBadf    = 8
	errnoFault   = 21
	errnoInval   = 28
)

// maxRandomBytes is Envoy's cap on one random_get (limits.h); past it
// Envoy answers EINVAL.
const maxRandomBytes = 64 << 10

// instantiateWASI registers wazero's WASI with the calls where Envoy
// differs replaced by Envoy's behaviour.
func instantiateWASI(ctx context.Context, rt wazero.Runtime) error {
	// Envoy registers every WASI call under both names (proxy-wasm-cpp-host
	// src/exports.cc), so modules built against the older one run too.
	defs := rt.NewHostModuleBuilder("hookguard-wasi-definitions")
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(defs)
	wazeroWASI, err := defs.Compile(ctx)
	if err != nil {
		return err
	}
	defer wazeroWASI.Close(ctx)
	for _, name := range []string{wasiModule, wasiUnstableModule} {
		if err := instantiateWASIAs(ctx, rt, name, wazeroWASI); err != nil {
			return err
		}
	}
	return nil
}

// wasiUnstableModule is WASI's preview-0 module name, an alias here.
const wasiUnstableModule = "wasi_unstable"

func instantiateWASIAs(ctx context.Context, rt wazero.Runtime, module string, wazeroWASI wazero.CompiledModule) error {
	b := rt.NewHostModuleBuilder(module)
	if err := exportRestrictedWASI(wazeroWASI, b); err != nil {
		return err
	}
	// Each override names its parameters as WASI does; all are i32 and the
	// one result, when there is one, an errno.
	override := func(name string, fn api.GoModuleFunc, paramNames ...string) {
		params := make([]api.ValueType, len(paramNames))
		for i := range params {
			params[i] = api.ValueTypeI32
		}
		fb := b.NewFunctionBuilder().WithParameterNames(paramNames...)
		if name == "proc_exit" {
			fb.WithGoModuleFunction(fn, params, nil).Export(name)
			return
		}
		fb.WithGoModuleFunction(fn, params, []api.ValueType{api.ValueTypeI32}).WithResultNames("errno").Export(name)
	}
	// fd_write: only stdout and stderr, each write one log line (info and
	// error) with one trailing newline removed.
	override("fd_write", wasiFdWrite, "fd", "iovs", "iovs_len", "result.nwritten")
	// poll_oneoff: Envoy ≥ 1.39 reports no events at once and never sleeps.
	override("poll_oneoff", func(ctx context.Context, mod api.Module, stack []uint64) {
		restrict(ctx, "poll_oneoff")
		if !writeU32(mod.Memory(), api.DecodeU32(stack[3]), 0) {
			stack[0] = errnoFault
			return
		}
		stack[0] = errnoSuccess
	}, "in", "out", "nsubscriptions", "result.nevents")
	// proc_exit: Envoy logs it and returns; it does not end the VM.
	override("proc_exit", func(ctx context.Context, _ api.Module, stack []uint64) {
		restrict(ctx, "proc_exit")
		if v := vmFrom(ctx); v != nil {
			v.logger.Error("wasm module called proc_exit", "code", api.DecodeU32(stack[0]))
		}
	}, "rval")
	// random_get: at most 64 KiB per call, as in Envoy.
	override("random_get", func(ctx context.Context, mod api.Module, stack []uint64) {
		restrict(ctx, "random_get")
		buf, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
		if n > maxRandomBytes {
			stack[0] = errnoInval
			return
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(cryptoRand, b); err != nil || !mod.Memory().Write(buf, b) {
			stack[0] = errnoFault
			return
		}
		stack[0] = errnoSuccess
	}, "buf", "buf_len")
	_, err := b.Instantiate(ctx)
	return err
}

// exportRestrictedWASI exports wazero's WASI functions (compiled once, as a
// host module that is never instantiated) into b, each behind
// Envoy's restricted-callback check: a call cpp-host refuses during
// start-up or inside the allocator (fd_read, path_open, sched_yield, …)
// fails here too, not only the calls this file implements itself.
func exportRestrictedWASI(wazeroWASI wazero.CompiledModule, b wazero.HostModuleBuilder) error {
	for name, def := range wazeroWASI.ExportedFunctions() {
		fn, ok := def.GoFunction().(api.GoModuleFunction)
		if !ok {
			return fmt.Errorf("host: wazero's WASI %s is not a Go module function", name)
		}
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
				restrict(ctx, name)
				fn.Call(ctx, mod, stack)
			}), def.ParamTypes(), def.ResultTypes()).
			WithParameterNames(def.ParamNames()...).WithResultNames(def.ResultNames()...).
			Export(name)
	}
	return nil
}

// restrict applies Envoy's restricted callbacks (start-up, the allocator)
// to a WASI call.
func restrict(ctx context.Context, name string) {
	if v := vmFrom(ctx); v != nil {
		v.checkRestricted(wasiModule, name)
	}
}

func wasiFdWrite(ctx context.Context, mod api.Module, stack []uint64) {
	restrict(ctx, "fd_write")
	fd, iovs, iovsLen, nwrittenPtr := api.DecodeU32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	if fd != 1 && fd != 2 {
		stack[0] = errnoBadf
		return
	}
	mem := mod.Memory()
	var msg []byte
	for i := range iovsLen {
		ptr, ok1 := mem.ReadUint32Le(iovs + 8*i)
		n, ok2 := mem.ReadUint32Le(iovs + 8*i + 4)
		b, ok3 := mem.Read(ptr, n)
		if !ok1 || !ok2 || !ok3 {
			stack[0] = errnoFault
			return
		}
		msg = append(msg, b...)
	}
	if !writeU32(mem, nwrittenPtr, uint32(len(msg))) {
		stack[0] = errnoFault
		return
	}
	if n := len(msg); n > 0 && msg[n-1] == '\n' {
		msg = msg[:n-1]
	}
	if v := vmFrom(ctx); v != nil {
		level := uint32(2) // info
		if fd == 2 {
			level = 4 // error
		}
		v.guestLog(level, string(msg))
	}
	stack[0] = errnoSuccess
}

func instantiateHostModules(ctx context.Context, rt wazero.Runtime) error {
	if err := instantiateEnv(ctx, rt); err != nil {
		return err
	}
	return instantiateWASI(ctx, rt)
}
