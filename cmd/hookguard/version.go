package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// runVersion is the version subcommand.
func runVersion(args []string, _ func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] != "-h" && args[0] != "--help" {
			fmt.Fprintf(stderr, "hookguard version: unexpected argument %q\n", args[0])
			fmt.Fprintln(stderr, "usage: hookguard version")
			return exitUsage
		}
		fmt.Fprintln(stderr, "usage: hookguard version\n\nPrints the module path, version and Go release, and whether a module is embedded.")
		return exitOK
	}
	path, version := "github.com/hookguard/hookguard", "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path != "" {
			path = bi.Main.Path
		}
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
	}
	fmt.Fprintf(stdout, "%s %s\ngo: %s %s/%s\n", path, version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	// No module is built into the binary (go:embed cannot reach build/
	// from here): serve, check and verify read HOOKGUARD_WASM.
	fmt.Fprintln(stdout, "embedded module: none (the module is read from HOOKGUARD_WASM)")
	return exitOK
}
