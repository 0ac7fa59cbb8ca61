package host

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/hookguard/hookguard/internal/abi"
	"github.com/hookguard/hookguard/internal/envoyabi"
)

// TestHostFunctionsNamed: every host function we register names each of
// its parameters, so wazero's stack traces and listeners show them.
func TestHostFunctionsNamed(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if err := instantiateHostModules(ctx, rt, abi.Version010|abi.Version020|abi.Version021); err != nil {
		t.Fatal(err)
	}
	for _, module := range []string{abi.HostModuleName, envoyabi.WASIModule} {
		defs := rt.Module(module).ExportedFunctionDefinitions()
		for name, def := range defs {
			if module == envoyabi.WASIModule && !overriddenWASI[name] {
				continue // wazero's own
			}
			names := def.ParamNames()
			if len(names) != len(def.ParamTypes()) {
				t.Errorf("%s.%s: %d parameter names for %d parameters", module, name, len(names), len(def.ParamTypes()))
			}
			for i, n := range names {
				if n == "" {
					t.Errorf("%s.%s: parameter %d has no name", module, name, i)
				}
			}
		}
	}
}

var overriddenWASI = map[string]bool{"fd_write": true, "poll_oneoff": true, "proc_exit": true, "random_get": true}

// TestMetricRedefinedKeepsItsID: as in Envoy, defining a name again (each
// VM does, and every replaced VM) returns the first id, so ids do not grow.
func TestMetricRedefinedKeepsItsID(t *testing.T) {
	m := newMetrics()
	first, st := m.define(Counter, "a")
	if st != abi.StatusOK {
		t.Fatal(st)
	}
	other, _ := m.define(Counter, "b")
	for i := 0; i < 3; i++ {
		if again, st := m.define(Counter, "a"); st != abi.StatusOK || again != first {
			t.Fatalf("redefined a: id %d status %d, want %d", again, st, first)
		}
	}
	if other == first || len(m.byID) != 2 {
		t.Fatalf("ids %d %d, %d held; want two distinct", first, other, len(m.byID))
	}
	if _, st := m.define(Gauge, "a"); st != abi.StatusBadArgument {
		t.Fatalf("a redefined as a gauge: status %d, want BAD_ARGUMENT", st)
	}
}
