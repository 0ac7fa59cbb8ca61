package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/hookguard/hookguard/host/internal/interrupt"
	"github.com/hookguard/hookguard/internal/abi"
	"github.com/hookguard/hookguard/internal/envoyabi"
)

// ModuleConfig configures how a module is compiled. The zero value is
// ready to use.
type ModuleConfig struct {
	// CompilationCacheDir, when set, keeps compiled code in this directory
	// so later processes start faster. A Go module of a few MB takes about
	// a second to compile cold.
	CompilationCacheDir string
	// Logger receives the module's log lines (proxy_log and WASI stdout and
	// stderr) and the host's own. Nil discards them.
	Logger *slog.Logger
	// MemoryLimitPages caps each VM's linear memory in 64 KiB pages. Zero
	// means 16384 pages (1 GiB), Envoy's cap. On Linux each VM reserves
	// that much address space, backed only where the module writes.
	MemoryLimitPages uint32
	// CallTimeout cuts off any one call into the module that runs longer;
	// the VM is then failed and replaced, and its stream answered 503. Zero
	// means DefaultCallTimeout. Negative turns the limit off and compiles
	// the module without the check at each loop head the limit needs
	// (a few percent at most; RATIONALE.md).
	CallTimeout time.Duration
	// Clock, when set, is the time the module sees: through
	// proxy_get_current_time_nanoseconds (what hookguard checks signed
	// timestamps against) and WASI's wall clock. Tests pin it so nothing
	// they check reads the wall clock. Nil means time.Now, as Envoy's.
	Clock func() time.Time
}

// DefaultCallTimeout bounds one call into a module unless
// ModuleConfig.CallTimeout says otherwise.
const DefaultCallTimeout = 5 * time.Second

// Module is a compiled proxy-wasm module that passed validation. Start any
// number of plugins from it; Close it when they are closed.
type Module struct {
	runtime     wazero.Runtime
	compiled    wazero.CompiledModule
	logger      *slog.Logger
	callTimeout time.Duration
	clock       func() time.Time
	abi         abi.Version // the version its first marker export declares
	start       string      // abi.InitializeName or abi.StartName
	allocator   string      // abi.MallocName or abi.ProxyOnMemoryAllocateName

	mu      sync.Mutex
	plugins map[*Plugin]struct{} // open plugins, closed before the runtime
	closed  bool
}

// ErrNotProxyWasm means the module is not a proxy-wasm HTTP filter; the
// wrapped message says what is missing.
var ErrNotProxyWasm = errors.New("not a proxy-wasm HTTP filter")

const defaultMemoryLimitPages = 16384

// Compile compiles and validates wasm. It refuses, with an error naming
// what is wrong, a module that lacks a proxy-wasm ABI version export, an
// allocator, memory or HTTP callbacks, that exports a known callback with
// the wrong signature for its ABI version, or that imports a function the
// host does not have for that version.
func Compile(ctx context.Context, wasm []byte, cfg ModuleConfig) (*Module, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pages := cfg.MemoryLimitPages
	if pages == 0 {
		pages = defaultMemoryLimitPages
	}
	if pages > 65536 {
		return nil, fmt.Errorf("host: MemoryLimitPages %d is over the 65536 pages wasm32 can address", pages)
	}
	timeout := cfg.CallTimeout
	if timeout == 0 {
		timeout = DefaultCallTimeout
	}
	declared := declaredABI(wasm) // what Envoy reads, before the rewrite below
	// Calls that can time out need the module to be stoppable: package
	// interrupt adds a check at every loop head that a flag ends, far
	// cheaper than wazero's WithCloseOnContextDone (RATIONALE.md).
	if timeout > 0 {
		var err error
		if wasm, err = instrumented(wasm, cfg.CompilationCacheDir); err != nil {
			return nil, fmt.Errorf("host: compile: %w", err)
		}
	}
	rc := wazero.NewRuntimeConfig().WithMemoryLimitPages(pages)
	if cfg.CompilationCacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CompilationCacheDir)
		if err != nil {
			return nil, fmt.Errorf("host: compilation cache: %w", err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	m := &Module{runtime: rt, logger: logger, callTimeout: timeout, clock: cfg.Clock}
	if m.clock == nil {
		m.clock = time.Now
	}
	ok := false
	defer func() {
		if !ok {
			rt.Close(ctx)
		}
	}()

	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("host: compile: %w", err)
	}
	m.compiled = compiled
	if err := m.validate(declared); err != nil {
		return nil, err
	}
	// The host calls of the module's ABI version only, as Envoy registers
	// them: one it lacks cannot be linked.
	if err := instantiateHostModules(ctx, rt, m.abi); err != nil {
		return nil, err
	}
	ok = true
	return m, nil
}

// Close releases the module and every VM started from it. Each plugin is
// closed first, so a call still running finishes (or meets its deadline)
// before its VM's memory is released.
func (m *Module) Close(ctx context.Context) error {
	m.mu.Lock()
	plugins := slices.Collect(maps.Keys(m.plugins))
	m.plugins, m.closed = nil, true
	m.mu.Unlock()
	var errs []error
	for _, p := range plugins {
		errs = append(errs, p.Close(ctx))
	}
	return errors.Join(append(errs, m.runtime.Close(ctx))...)
}

// track records an open plugin, or forgets a closed one. A closed module
// takes no new plugin.
func (m *Module) track(p *Plugin, open bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case !open:
		delete(m.plugins, p)
	case m.closed:
		return false
	case m.plugins == nil:
		m.plugins = map[*Plugin]struct{}{p: {}}
	default:
		m.plugins[p] = struct{}{}
	}
	return true
}

// ABIVersion returns the proxy-wasm ABI version the module declares:
// "0.1.0", "0.2.0" or "0.2.1".
func (m *Module) ABIVersion() string { return m.abi.String() }

// httpCallbacks are the stream callbacks: a module that exports none is
// not an HTTP filter.
var httpCallbacks = []string{
	abi.ProxyOnRequestHeadersName, abi.ProxyOnRequestBodyName, abi.ProxyOnRequestTrailersName,
	abi.ProxyOnResponseHeadersName, abi.ProxyOnResponseBodyName, abi.ProxyOnResponseTrailersName,
}

// typesString writes wasm types the way abi.Func does: 'i' for i32, 'I'
// for i64.
func typesString(ts []api.ValueType) string {
	var b strings.Builder
	for _, t := range ts {
		switch t {
		case api.ValueTypeI32:
			b.WriteByte('i')
		case api.ValueTypeI64:
			b.WriteByte('I')
		default:
			b.WriteString(api.ValueTypeName(t))
		}
	}
	return b.String()
}

// validate checks the module the way Envoy links it. Its ABI version is
// declared, the version of the first marker export (declaredABI): Envoy
// fails a module without one, "Missing or unknown Proxy-Wasm ABI version".
// Every export the ABI names (abi.Callbacks) must have the signature that
// version gives it, as Envoy fails one with "Bad function signature"; an
// allocator, memory, proxy_on_context_create and some HTTP callback must
// be there; and every import must be a host call Envoy links for that
// version (abi.HostCalls) or a WASI call Envoy provides (envoyabi.WASI).
func (m *Module) validate(declared abi.Version) error {
	exports := m.compiled.ExportedFunctions()
	var problems []string
	m.abi = declared
	if declared == 0 {
		problems = append(problems, "no proxy_abi_version_0_2_0 or proxy_abi_version_0_2_1 export (nor the older proxy_abi_version_0_1_0): "+
			"Envoy fails it with \"Missing or unknown Proxy-Wasm ABI version\"")
	}
	checked := declared
	if checked == 0 {
		checked = abi.Version021 // say what today's ABI wants
	}
	for _, cb := range abi.Callbacks {
		def, ok := exports[cb.Name]
		if !ok || !cb.In(checked) {
			continue
		}
		params, results := typesString(def.ParamTypes()), typesString(def.ResultTypes())
		if params != cb.Params || results != cb.Results {
			problems = append(problems, fmt.Sprintf("export %s has signature (%s)->(%s), want (%s)->(%s)%s",
				cb.Name, params, results, cb.Params, cb.Results, forABI(declared, cb)))
		}
	}
	switch {
	case exports[abi.InitializeName] != nil:
		m.start = abi.InitializeName
	case exports[abi.StartName] != nil:
		m.start = abi.StartName
	}
	switch {
	case exports[abi.MallocName] != nil: // Envoy tries malloc first
		m.allocator = abi.MallocName
	case exports[abi.ProxyOnMemoryAllocateName] != nil:
		m.allocator = abi.ProxyOnMemoryAllocateName
	default:
		problems = append(problems, "no proxy_on_memory_allocate or malloc export")
	}
	if len(m.compiled.ExportedMemories()) == 0 {
		problems = append(problems, "no exported memory")
	}
	if exports[abi.ProxyOnContextCreateName] == nil {
		problems = append(problems, "no proxy_on_context_create export")
	}
	hasHTTP := false
	for _, name := range httpCallbacks {
		hasHTTP = hasHTTP || exports[name] != nil
	}
	if !hasHTTP {
		problems = append(problems, "no HTTP callbacks (proxy_on_request_headers, proxy_on_response_headers, …)")
	}
	for _, imp := range m.compiled.ImportedFunctions() {
		mod, name, _ := imp.Import()
		switch mod {
		case abi.HostModuleName:
			f, ok := envFunctions[name]
			switch {
			case !ok:
				problems = append(problems, "imports "+mod+"."+name+", which the host does not provide")
			case declared != 0 && !f.In(declared):
				// Envoy does not register it for this version: linking fails.
				problems = append(problems, fmt.Sprintf("imports %s.%s, which ABI %v modules cannot: Envoy links it only for ABI %v",
					mod, name, declared, f.Versions))
			}
		case envoyabi.WASIModule, envoyabi.WASIUnstableModule:
			if _, ok := envoyabi.WASI[name]; !ok {
				problems = append(problems, "imports "+mod+"."+name+", which Envoy does not provide")
			}
		default:
			problems = append(problems, "imports from unknown module "+mod+" ("+name+")")
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("host: %w: %s", ErrNotProxyWasm, strings.Join(problems, "; "))
	}
	return nil
}

// forABI names the ABI version a signature is wanted for, where versions
// differ: ABI 0.1.0's headers callbacks have two parameters.
func forABI(declared abi.Version, cb abi.Func) string {
	if cb.Versions == 0 || declared == 0 {
		return ""
	}
	return " for ABI " + declared.String()
}

// declaredABI returns the ABI version a module declares, as
// proxy-wasm-cpp-host reads it (BytecodeUtil::getAbiVersion): the version
// of the first function export, in the export section's order, that is a
// version marker; 0 when there is none, or the module is malformed (the
// compiler then says how). wazero gives exports as a map, without their
// order, so the section is read here.
func declaredABI(wasm []byte) abi.Version {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return 0
	}
	b := wasm[8:]
	// next reads a LEB128 u32 off b.
	next := func() (uint32, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 || n > 5 || v > math.MaxUint32 {
			return 0, false
		}
		b = b[n:]
		return uint32(v), true
	}
	for len(b) > 0 {
		id := b[0]
		b = b[1:]
		size, ok := next()
		if !ok || uint64(size) > uint64(len(b)) {
			return 0
		}
		if id != 7 { // the export section
			b = b[size:]
			continue
		}
		b = b[:size]
		count, ok := next()
		for i := uint32(0); ok && i < count; i++ {
			var n uint32
			if n, ok = next(); !ok || uint64(n)+1 > uint64(len(b)) {
				return 0
			}
			name, kind := string(b[:n]), b[n]
			b = b[n+1:]
			if v := abi.MarkerVersion(name); v != 0 && kind == 0 { // a function
				return v
			}
			_, ok = next() // its index
		}
		return 0
	}
	return 0
}

// instrumented returns wasm with package interrupt's checks. With a cache
// directory the result is kept there too, named by the SHA-256 of wasm and
// the rewrite's version, and read back on later starts, checked against
// the SHA-256 stored with it: the rewrite is a third of a compile from the
// cache, reading and checking it back a fraction of that. Failing to keep
// it only costs the next start the rewrite.
func instrumented(wasm []byte, dir string) ([]byte, error) {
	if dir == "" {
		return interrupt.Instrument(wasm)
	}
	in := sha256.Sum256(wasm)
	path := filepath.Join(dir, fmt.Sprintf("hookguard-interrupt-v%s-%x.wasm", interrupt.Version, in))
	if b, err := os.ReadFile(path); err == nil && len(b) > sha256.Size {
		sum, out := b[:sha256.Size], b[sha256.Size:]
		if got := sha256.Sum256(out); bytes.Equal(got[:], sum) {
			return out, nil
		}
	}
	out, err := interrupt.Instrument(wasm)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(out)
	os.MkdirAll(dir, 0o755) // wazero makes it later; the first start keeps the rewrite too
	if f, err := os.CreateTemp(dir, ".hookguard-interrupt-*"); err == nil {
		_, werr := f.Write(append(sum[:], out...))
		if cerr := f.Close(); werr == nil && cerr == nil {
			werr = os.Rename(f.Name(), path) // whole or not at all, under concurrent starts
		}
		if werr != nil {
			os.Remove(f.Name())
		}
	}
	return out, nil
}
