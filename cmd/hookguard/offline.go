package main

import (
	"context"
	"flag"
	"log/slog"
	"time"

	"github.com/hookguard/hookguard/host"
)

// moduleFlags are the flags check and verify share: where the module is
// and where its compiled code is kept.
type moduleFlags struct{ wasm, cacheDir *string }

func addModuleFlags(fs *flag.FlagSet) moduleFlags {
	return moduleFlags{
		wasm:     fs.String("wasm", "", "the module (HOOKGUARD_WASM; default "+defaultWasm+")"),
		cacheDir: fs.String("cache-dir", "", `compiled code cache (HOOKGUARD_CACHE_DIR; "off": none)`),
	}
}

// lookup is lookupEnv with the flags set over their variables.
func (m moduleFlags) lookup(lookupEnv func(string) (string, bool)) func(string) (string, bool) {
	return func(k string) (string, bool) {
		switch {
		case k == "HOOKGUARD_WASM" && *m.wasm != "":
			return *m.wasm, true
		case k == "HOOKGUARD_CACHE_DIR" && *m.cacheDir != "":
			return *m.cacheDir, true
		}
		return lookupEnv(k)
	}
}

// startOffline compiles the module and starts one VM of it with config
// and env, as serve would but serving nothing: for check and verify.
// Closing the module closes the plugin.
func startOffline(ctx context.Context, lookupEnv func(string) (string, bool), logger *slog.Logger, clock func() time.Time, config []byte, env map[string]string) (*host.Module, *host.Plugin, error) {
	wasm, err := readModule(lookupEnv)
	if err != nil {
		return nil, nil, err
	}
	setting, _ := lookupEnv("HOOKGUARD_CACHE_DIR")
	mod, err := host.Compile(ctx, wasm, host.ModuleConfig{Logger: logger, CompilationCacheDir: cacheDir(setting), Clock: clock})
	if err != nil {
		return nil, nil, err
	}
	p, err := mod.NewPlugin(ctx, host.PluginConfig{
		Name: "hookguard", RootID: "hookguard", VMID: "hookguard",
		Configuration: config, Env: env, AllowOnHeadersStopIteration: true, VMs: 1,
	})
	if err != nil {
		mod.Close(ctx)
		return nil, nil, err
	}
	return mod, p, nil
}
