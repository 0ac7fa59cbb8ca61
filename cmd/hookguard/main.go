// Command hookguard verifies signed webhooks with hookguard's proxy-wasm
// module, run by our wazero host. One binary, one job per subcommand:
//
//	hookguard serve     the verifying reverse proxy (what `make run` starts)
//	hookguard check     parse a configuration and start it, for CI before deploying
//	hookguard verify    run a captured request through the module, offline
//	hookguard sign      sign a test webhook as a provider would
//	hookguard version   the build, and the Go release
//
// `hookguard help SUBCOMMAND` (or SUBCOMMAND -h) says more. Exit status:
// 0 success, 1 failure (a fault found, a request rejected), 2 usage.
package main

import (
	"fmt"
	"io"
	"os"
)

// A subcommand runs with its arguments and returns the exit status.
type subcommand struct {
	summary string
	run     func(args []string, env func(string) string, stdout, stderr io.Writer) int
}

// Exit statuses.
const (
	exitOK    = 0
	exitFault = 1
	exitUsage = 2
)

// subcommands returns the table: a function, since the help subcommand
// reads it.
func subcommands() map[string]subcommand {
	return map[string]subcommand{
		"serve":   {"serve, verifying webhooks before the upstream sees them", runServe},
		"check":   {"check CONFIG: parse every route and start the module with it", runCheck},
		"verify":  {"verify --config CONFIG REQUEST: a captured request through the module", runVerify},
		"sign":    {"sign a test webhook as a provider preset would", runSign},
		"version": {"print the build's version", runVersion},
	}
}

// order is the order usage lists the subcommands in.
var order = []string{"serve", "check", "verify", "sign", "version"}

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run dispatches args to a subcommand.
func run(args []string, env func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if _, ok := subcommands()[args[1]]; ok {
				return run([]string{args[1], "-h"}, env, stdout, stderr)
			}
			fmt.Fprintf(stderr, "hookguard: no subcommand %q\n", args[1])
			usage(stderr)
			return exitUsage
		}
		usage(stderr)
		return exitOK
	}
	cmd, ok := subcommands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "hookguard: unknown subcommand %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return cmd.run(args[1:], env, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hookguard SUBCOMMAND [flags] [args]")
	fmt.Fprintln(w)
	cmds := subcommands()
	for _, name := range order {
		fmt.Fprintf(w, "  %-8s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintln(w, "\n`hookguard help SUBCOMMAND` says more.")
}

// lookupFrom turns env into a lookup in which an empty value is unset, as
// every setting here treats it.
func lookupFrom(env func(string) string) func(string) (string, bool) {
	return func(k string) (string, bool) { v := env(k); return v, v != "" }
}
