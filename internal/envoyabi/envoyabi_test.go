package envoyabi

import (
	"strings"
	"testing"

	"github.com/hookguard/hookguard/internal/abi"
)

// TestModuleImportsAreKnown: every entry of ModuleImports is a host call
// Envoy links for ModuleABI (abi.HostCalls) or a WASI call Envoy provides.
func TestModuleImportsAreKnown(t *testing.T) {
	for imp := range ModuleImports {
		mod, name, _ := strings.Cut(imp, ".")
		switch mod {
		case abi.HostModuleName:
			if _, ok := abi.HostCallIn(ModuleABI, name); !ok {
				t.Errorf("%s is not a host call of abi.HostCalls that ABI %v has", imp, ModuleABI)
			}
		case WASIModule:
			if _, ok := WASI[name]; !ok {
				t.Errorf("%s is not a WASI call Envoy provides", imp)
			}
		default:
			t.Errorf("%s: unknown module %s", imp, mod)
		}
	}
}
