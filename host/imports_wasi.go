package host

import (
	"context"
	"fmt"
	"io"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/hookguard/hookguard/internal/abi"
	"github.com/hookguard/hookguard/internal/envoyabi"
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
	for _, name := range []string{envoyabi.WASIModule, envoyabi.WASIUnstableModule} {
		if err := instantiateWASIAs(ctx, rt, name, wazeroWASI); err != nil {
			return err
		}
	}
	return nil
}

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
	override("fd_write", wasiFdWrite, "fd", "iovs", "iovs_len", "result.nwritten")
	override("poll_oneoff", wasiPollOneoff, "in", "out", "nsubscriptions", "result.nevents")
	override("proc_exit", wasiProcExit, "rval")
	override("random_get", wasiRandomGet, "buf", "buf_len")
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
		v.checkRestricted(envoyabi.WASIModule, name)
	}
}

// wasiFdWrite is WASI's fd_write as Envoy implements it: a write to
// stdout or stderr is one log line of the module's, at info or error, with
// one trailing newline removed (§1.8).
//
// # Parameters
//
//   - fd: 1 (stdout) or 2 (stderr)
//   - iovs, iovs_len: the iovec array, each entry a little-endian u32
//     address and u32 length; the buffers are concatenated
//   - result.nwritten: where the whole length is written
//
// # Result (Errno)
//
// ErrnoSuccess except:
//   - ErrnoBadf: fd is neither 1 nor 2
//   - ErrnoFault: the iovecs, a buffer or result.nwritten is out of memory
func wasiFdWrite(ctx context.Context, mod api.Module, stack []uint64) {
	restrict(ctx, "fd_write")
	fd, iovs, iovsLen, nwrittenPtr := api.DecodeU32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	if fd != 1 && fd != 2 {
		stack[0] = uint64(envoyabi.ErrnoBadf)
		return
	}
	mem := mod.Memory()
	var msg []byte
	for i := range iovsLen {
		ptr, ok1 := mem.ReadUint32Le(iovs + 8*i)
		n, ok2 := mem.ReadUint32Le(iovs + 8*i + 4)
		b, ok3 := mem.Read(ptr, n)
		if !ok1 || !ok2 || !ok3 {
			stack[0] = uint64(envoyabi.ErrnoFault)
			return
		}
		msg = append(msg, b...)
	}
	if !writeU32(mem, nwrittenPtr, uint32(len(msg))) {
		stack[0] = uint64(envoyabi.ErrnoFault)
		return
	}
	if n := len(msg); n > 0 && msg[n-1] == '\n' {
		msg = msg[:n-1]
	}
	if v := vmFrom(ctx); v != nil {
		level := abi.LogInfo
		if fd == 2 {
			level = abi.LogError
		}
		v.guestLog(level, string(msg))
	}
	stack[0] = uint64(envoyabi.ErrnoSuccess)
}

// wasiPollOneoff is WASI's poll_oneoff as Envoy ≥ 1.39 implements it: no
// event, at once; it never sleeps (§1.8). Envoy ≤ 1.38 answered ENOSYS,
// which the Go runtime cannot survive (§3.1).
//
// # Parameters
//
//   - in, out, nsubscriptions: the subscriptions and where events would
//     go; not read
//   - result.nevents: where 0 is written
//
// # Result (Errno)
//
// ErrnoSuccess except:
//   - ErrnoFault: result.nevents is out of memory
func wasiPollOneoff(ctx context.Context, mod api.Module, stack []uint64) {
	restrict(ctx, "poll_oneoff")
	if !writeU32(mod.Memory(), api.DecodeU32(stack[3]), 0) {
		stack[0] = uint64(envoyabi.ErrnoFault)
		return
	}
	stack[0] = uint64(envoyabi.ErrnoSuccess)
}

// wasiProcExit is WASI's proc_exit as Envoy implements it: it logs an
// error and returns; the VM goes on (§1.8). A Go module's fatal error traps
// right after anyway.
//
// # Parameters
//
//   - rval: the exit code, logged
func wasiProcExit(ctx context.Context, _ api.Module, stack []uint64) {
	restrict(ctx, "proc_exit")
	if v := vmFrom(ctx); v != nil {
		v.logger.Error("wasm module called proc_exit", "code", api.DecodeU32(stack[0]))
	}
}

// wasiRandomGet is WASI's random_get as Envoy implements it: random bytes
// from crypto/rand, at most 64 KiB per call (§1.8).
//
// # Parameters
//
//   - buf, buf_len: where to write the bytes, and how many
//
// # Result (Errno)
//
// ErrnoSuccess except:
//   - ErrnoInval: buf_len is over 64 KiB, as in Envoy
//   - ErrnoFault: buf is out of memory, or the source failed
func wasiRandomGet(ctx context.Context, mod api.Module, stack []uint64) {
	restrict(ctx, "random_get")
	buf, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	if n > maxRandomBytes {
		stack[0] = uint64(envoyabi.ErrnoInval)
		return
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(cryptoRand, b); err != nil || !mod.Memory().Write(buf, b) {
		stack[0] = uint64(envoyabi.ErrnoFault)
		return
	}
	stack[0] = uint64(envoyabi.ErrnoSuccess)
}

// instantiateHostModules registers the host's modules in rt: "env" with
// the host calls of ABI version v (a set of versions registers those of
// each), and WASI.
func instantiateHostModules(ctx context.Context, rt wazero.Runtime, v abi.Version) error {
	if err := instantiateEnv(ctx, rt, v); err != nil {
		return err
	}
	return instantiateWASI(ctx, rt)
}
