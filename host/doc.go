// Package host runs proxy-wasm HTTP filters, such as hookguard's
// build/hookguard.wasm, in Go with wazero, with Envoy's semantics: what a
// module sees and may do in each callback is what Envoy would show and
// allow it, so a module tested here behaves the same at the edge.
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
