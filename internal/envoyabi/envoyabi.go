// Package envoyabi records, in one place, what Envoy gives a proxy-wasm
// module to import, and which of those hookguard's module may use and why.
// The host links modules against the same lists, so a module that would
// not load in Envoy does not load in our host either.
//
// The proxy-wasm host calls themselves, their names and signatures, are
// package abi's; this package adds what Envoy does beyond the proxy-wasm
// ABI: the WASI calls it provides, and the errors its own WASI calls
// return.
package envoyabi

import "github.com/hookguard/hookguard/internal/abi"

// WASIModule is the WASI module name Go's wasip1 port imports from.
const WASIModule = "wasi_snapshot_preview1"

// WASIUnstableModule is WASI's preview-0 module name. Envoy registers
// every WASI call under both names (proxy-wasm-cpp-host src/exports.cc),
// so modules built against the older one run too.
const WASIUnstableModule = "wasi_unstable"

// Errno is a WASI error number, as the WASI calls Envoy implements itself
// return them (proxy-wasm-cpp-host src/exports.cc).
type Errno uint32

// WASI errno values.
const (
	ErrnoSuccess Errno = 0
	ErrnoBadf    Errno = 8
	ErrnoFault   Errno = 21
	ErrnoInval   Errno = 28
)

// WASI is every WASI call Envoy ≥ 1.39 provides (proxy-wasm-cpp-host
// 09e5f8d, include/proxy-wasm/exports.h). Envoy ≤ 1.38 lacks the second
// group, and Envoy ≤ 1.32 also poll_oneoff, sched_yield and
// fd_fdstat_set_flags, which is why hookguard needs Envoy ≥ 1.39.
var WASI = set(
	// Envoy ≤ 1.38 already had these.
	"fd_write", "fd_read", "fd_seek", "fd_close", "fd_fdstat_get", "fd_fdstat_set_flags",
	"environ_get", "environ_sizes_get", "args_get", "args_sizes_get", "clock_time_get",
	"random_get", "sched_yield", "poll_oneoff", "proc_exit", "path_open",
	"fd_prestat_get", "fd_prestat_dir_name",
	// Added in Envoy 1.39 (cpp-host #533, Envoy PR #45756).
	"fd_advise", "fd_allocate", "fd_datasync", "fd_fdstat_set_rights", "fd_filestat_get",
	"fd_filestat_set_size", "fd_filestat_set_times", "fd_pread", "fd_pwrite", "fd_readdir",
	"fd_renumber", "fd_sync", "fd_tell", "path_create_directory", "path_filestat_get",
	"path_filestat_set_times", "path_link", "path_readlink", "path_remove_directory",
	"path_rename", "path_symlink", "path_unlink_file", "sock_accept", "sock_recv",
	"sock_send", "sock_shutdown", "clock_res_get",
)

// ModuleABI is the proxy-wasm ABI version hookguard's module declares
// (filter/internal/proxywasm exports its marker): Envoy links only that
// version's host calls for it (abi.Func.Versions), so every host call on
// ModuleImports must be one of them.
const ModuleABI = abi.Version020

// ModuleImports is what hookguard's module may import, with the reason for
// each. Anything else in build/hookguard.wasm fails the build check: a new
// import must be argued for here first. No file-system call is on the list.
var ModuleImports = map[string]string{
	// proxy-wasm host calls (ModuleABI's, all present in every Envoy we support).
	env + abi.ProxyLogName:                       "outcome and reason log lines",
	env + abi.ProxyGetHeaderMapPairsName:         "read the request headers once: the route's match and its scheme's signature, timestamp and id headers, to refuse duplicates",
	env + abi.ProxyRemoveHeaderMapValueName:      "remove a client-sent X-Hookguard-Verified, and the signature headers with strip_signature_headers",
	env + abi.ProxyGetSharedDataName:             "log the configuration once, not once per VM; the dedupe window every worker sees",
	env + abi.ProxySetSharedDataName:             "log the configuration once, not once per VM; the dedupe window, by compare-and-swap",
	env + abi.ProxyGetPropertyName:               "source.address, for a route's source_cidrs",
	env + abi.ProxyHTTPCallName:                  "fetch a jwt route's remote JWK Set, and the provider keys aws-sns, paypal and plaid name per delivery, from a cluster",
	env + abi.ProxySetEffectiveContextName:       "resume, or answer, a request that waited for its provider key, from the call's response",
	env + abi.ProxyContinueStreamName:            "let a request that waited for its provider key go on once it verified",
	env + abi.ProxySetTickPeriodMillisecondsName: "the timer that fetches and refreshes remote JWK Sets",
	env + abi.ProxyAddHeaderMapValueName:         "add X-Hookguard-Verified to a verified request",
	env + abi.ProxyGetCurrentTimeNanosecondsName: "the time signed timestamps are checked against: Envoy's dispatcher clock, or the host's ModuleConfig.Clock",
	env + abi.ProxyGetBufferBytesName:            "read the plugin configuration and the request body in windows",
	env + abi.ProxySendLocalResponseName:         "answer 401/404/413/500 without reaching the upstream",
	env + abi.ProxyDefineMetricName:              "counters for verified and rejected requests, per route, key and reason",
	env + abi.ProxyIncrementMetricName:           "counters for verified and rejected requests",

	// WASI calls the Go runtime makes by itself (go1.24+ wasip1 port).
	WASIModule + ".args_get":            "runtime start-up (Envoy passes no arguments)",
	WASIModule + ".args_sizes_get":      "runtime start-up",
	WASIModule + ".environ_get":         "runtime start-up; the secret comes from vm_config.environment_variables",
	WASIModule + ".environ_sizes_get":   "runtime start-up",
	WASIModule + ".clock_time_get":      "runtime clocks",
	WASIModule + ".random_get":          "runtime hash seeds; Envoy caps one call at 64 KiB",
	WASIModule + ".poll_oneoff":         "scheduler idle and GC; Envoy ≥ 1.39 answers at once",
	WASIModule + ".sched_yield":         "scheduler",
	WASIModule + ".proc_exit":           "fatal runtime errors",
	WASIModule + ".fd_write":            "runtime panic output to stderr, which Envoy logs",
	WASIModule + ".fd_fdstat_get":       "package os start-up on stdin/stdout/stderr (pulled in by fmt)",
	WASIModule + ".fd_fdstat_set_flags": "package os start-up (pulled in by fmt)",
	WASIModule + ".fd_prestat_get":      "package os start-up looks for preopened directories; Envoy has none",
	WASIModule + ".fd_prestat_dir_name": "package os start-up, as above",
	WASIModule + ".fd_read":             "package os (pulled in by fmt); never called",
	WASIModule + ".fd_close":            "package os (pulled in by fmt); never called",
}

// env prefixes a host call's name with its module, as ModuleImports keys it.
const env = abi.HostModuleName + "."

func set(names ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(names))
	for _, n := range names {
		m[n] = struct{}{}
	}
	return m
}
