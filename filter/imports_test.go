package main

import (
	"context"
	"testing"

	"github.com/hookguard/hookguard/internal/envoyabi"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
	"github.com/tetratelabs/wazero"
)

// TestModuleImportsAreAllowed checks the built module imports only what
// envoyabi.ModuleImports allows, and that every allowed WASI call is one
// Envoy ≥ 1.39 provides.
func TestModuleImportsAreAllowed(t *testing.T) {
	ctx := context.Background()
	cache, err := wazero.NewCompilationCacheWithDir(testwasm.CacheDir())
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
	defer rt.Close(ctx)
	compiled, err := rt.CompileModule(ctx, testwasm.Module(t))
	if err != nil {
		t.Fatal(err)
	}
	imports := compiled.ImportedFunctions()
	if len(imports) == 0 {
		t.Fatal("module imports nothing; the check below would prove nothing")
	}
	for _, def := range imports {
		mod, name, _ := def.Import()
		if _, ok := envoyabi.ModuleImports[mod+"."+name]; !ok {
			t.Errorf("module imports %s.%s, which is not on envoyabi.ModuleImports", mod, name)
		}
	}
	for imp := range envoyabi.ModuleImports {
		if mod, name := splitImport(imp); mod == envoyabi.WASIModule {
			if _, ok := envoyabi.WASI[name]; !ok {
				t.Errorf("allow-list entry %s is not provided by Envoy", imp)
			}
		}
	}
	if len(compiled.ExportedMemories()) != 1 {
		t.Error("module does not export its memory")
	}
}

func splitImport(s string) (string, string) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return s[:i], s[i+1:]
		}
	}
	return "", s
}
