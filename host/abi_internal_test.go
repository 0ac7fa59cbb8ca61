package host

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/hookguard/hookguard/internal/abi"
)

// TestEnvPerABIVersion: module "env" holds exactly the host calls Envoy
// registers for the module's ABI version (cpp-host
// WasmBase::registerCallbacks), so wazero itself refuses to link an import
// the version lacks, even past Compile's own check.
func TestEnvPerABIVersion(t *testing.T) {
	ctx := context.Background()
	for _, v := range []abi.Version{abi.Version010, abi.Version020, abi.Version021} {
		t.Run(v.String(), func(t *testing.T) {
			rt := wazero.NewRuntime(ctx)
			defer rt.Close(ctx)
			if err := instantiateHostModules(ctx, rt, v); err != nil {
				t.Fatal(err)
			}
			got := rt.Module(abi.HostModuleName).ExportedFunctionDefinitions()
			for _, f := range abi.HostCalls {
				if _, ok := got[f.Name]; ok != f.In(v) {
					t.Errorf("env.%s registered: %v, want %v", f.Name, ok, f.In(v))
				}
			}
			if len(got) > len(abi.HostCalls) {
				t.Errorf("%d host functions, more than abi.HostCalls has", len(got))
			}
		})
	}
	for fixture, v := range map[string]abi.Version{
		"bad_continue_stream_0_1_0":  abi.Version010,
		"bad_continue_request_0_2_0": abi.Version020,
		"bad_log_level_0_2_0":        abi.Version020,
	} {
		t.Run("links "+fixture, func(t *testing.T) {
			wasm, err := os.ReadFile("testdata/" + fixture + ".wasm")
			if err != nil {
				t.Fatal(err)
			}
			rt := wazero.NewRuntime(ctx)
			defer rt.Close(ctx)
			if err := instantiateHostModules(ctx, rt, v); err != nil {
				t.Fatal(err)
			}
			compiled, err := rt.CompileModule(ctx, wasm)
			if err != nil {
				t.Fatal(err)
			}
			_, err = rt.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithStartFunctions())
			if err == nil || !strings.Contains(err.Error(), `is not exported in module "env"`) {
				t.Fatalf("instantiated with %v; want a link error", err)
			}
		})
	}
}

// TestDeclaredABI: the version is that of the first function export
// that is a marker, in export order, as cpp-host's
// BytecodeUtil::getAbiVersion reads it.
func TestDeclaredABI(t *testing.T) {
	// module builds a module of one export section: (name, kind) each.
	module := func(exports ...any) []byte {
		var payload []byte
		payload = append(payload, byte(len(exports)/2))
		for i := 0; i < len(exports); i += 2 {
			name := exports[i].(string)
			payload = append(payload, byte(len(name)))
			payload = append(payload, name...)
			payload = append(payload, exports[i+1].(byte), 0) // kind, index 0
		}
		b := []byte("\x00asm\x01\x00\x00\x00")
		b = append(b, 0, 3, 1, 'x', 0) // a custom section before it
		b = append(b, 7, byte(len(payload)))
		return append(b, payload...)
	}
	const fn, global = byte(0), byte(3)
	for _, tc := range []struct {
		name string
		wasm []byte
		want abi.Version
	}{
		{"0.1.0 first", module("memory", byte(2), "proxy_abi_version_0_1_0", fn, "proxy_abi_version_0_2_1", fn), abi.Version010},
		{"0.2.1 first", module("proxy_abi_version_0_2_1", fn, "proxy_abi_version_0_1_0", fn), abi.Version021},
		{"a global is no marker", module("proxy_abi_version_0_2_1", global, "proxy_abi_version_0_2_0", fn), abi.Version020},
		{"an unknown version is skipped", module("proxy_abi_version_0_3_0", fn, "proxy_abi_version_0_2_0", fn), abi.Version020},
		{"none", module("proxy_on_context_create", fn), 0},
		{"truncated", module("proxy_abi_version_0_1_0", fn)[:20], 0},
		{"not wasm", []byte("hello, world"), 0},
	} {
		if got := declaredABI(tc.wasm); got != tc.want {
			t.Errorf("%s: declaredABI = %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, fixture := range []string{"probe_tinygo", "probe_rust", "abi010_probe"} {
		wasm, err := os.ReadFile("testdata/" + fixture + ".wasm")
		if err != nil {
			t.Fatal(err)
		}
		if declaredABI(wasm) == 0 {
			t.Errorf("%s: no version found", fixture)
		}
	}
}
