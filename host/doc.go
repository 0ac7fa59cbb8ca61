// Package host runs proxy-wasm HTTP filters, such as hookguard's
// build/hookguard.wasm, in Go with wazero, with Envoy's semantics: what a
// module sees and may do in each callback is what Envoy would show and
// allow it, so a module tested here behaves the same at the edge.
//
// It runs modules of proxy-wasm ABI 0.1.0, 0.2.0 and 0.2.1, as Envoy
// does (proxy-wasm-cpp-host): the version is that of the module's first
// proxy_abi_version_* export, and decides which host calls it may import
// (Envoy does not link the others for it) and how its headers callbacks
// are called (0.1.0's have no end_of_stream). 0.1.0 is
// what Istio's own stats and metadata_exchange plugins and mosn's examples
// declare; the official Go SDK declares 0.2.0.
//
// Compile validates and compiles a module once; Module.NewPlugin starts a
// plugin in a fixed set of VMs (as Envoy runs one per worker); each request
// is a Stream pinned to one VM. Stream.HandleRequest runs a whole request
// and returns its Outcome; package host/nethttp is the net/http adapter.
//
// A module cannot hurt the host: a trap, a bad pointer, a restricted call
// or a call running past ModuleConfig.CallTimeout fails the stream closed
// and the VM is replaced. Deadlines are enforced by a check the host adds
// at every loop head of the module (package host/internal/interrupt),
// which costs a few instructions per iteration rather than wazero's exit
// to Go at each (RATIONALE.md).
package host

// Reading the code, from the outside in:
//
//   - module.go, plugin.go: compiling a module, reading its ABI version
//     and checking it against that version of the ABI (internal/abi);
//     starting VMs and picking one for a stream.
//   - stream.go: Envoy's filter manager: the order of a stream's callbacks,
//     what each action does, buffering, local replies, resuming.
//   - imports_env.go: every proxy-wasm host call, documented, and module
//     "env" holding those of the module's ABI version. Each decodes its
//     arguments (memory.go), calls one method and encodes the result.
//   - stream_hostcalls.go: what a host call acts on, with Envoy's rules:
//     the effective stream's header maps, body, properties, continue,
//     close and local response; the callout response; the configurations.
//   - httpcall.go, metrics.go, shareddata.go, log.go: what the other host
//     calls act on. imports_wasi.go: WASI, where Envoy's differs from
//     wazero's.
//   - vm.go: one instance: calls into it, restricted callbacks, effects
//     deferred to the end of a callback, the timer.
