package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/hookguard/hookguard/filter/config"
)

const checkDoc = `usage: hookguard check [flags] CONFIG

Parses the plugin configuration CONFIG with the environment as it is
(secrets from NAME or NAME_FILE, as serve reads them), then starts the
module with it, as serve would. Prints one line per route: its name,
scheme, mode, key ids and the secret variables that are not set. Exit
status 0 if all is well, 1 naming each fault, 2 for usage errors. Secret
values are never printed.

Flags:
`

// routeLine is what check prints of a route.
type routeLine struct {
	name, scheme, mode string
	keyIDs, missing    []string
}

// runCheck is the check subcommand.
func runCheck(args []string, env func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, checkDoc); fs.PrintDefaults() }
	mf := addModuleFlags(fs)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "hookguard check: want one CONFIG file")
		fs.Usage()
		return exitUsage
	}
	lookup := mf.lookup(lookupFrom(env))
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "hookguard check:", err)
		return exitFault
	}
	lines, warnings, faults := checkConfig(data, lookup)
	for _, l := range lines {
		fmt.Fprintf(stdout, "%-20s scheme=%s mode=%s keys=%s missing=%s\n", l.name, l.scheme, l.mode, listOrNone(l.keyIDs), listOrNone(l.missing))
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "hookguard check: warning:", w)
	}
	for _, f := range faults {
		fmt.Fprintln(stderr, "hookguard check:", f)
	}
	if len(faults) > 0 {
		return exitFault
	}
	fmt.Fprintf(stdout, "ok: %d routes; the module started with them\n", len(lines))
	return exitOK
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ",")
}

// checkConfig parses data route by route and whole, then starts the
// module with it. It returns a line per route, the configuration's
// warnings and the faults found.
func checkConfig(data []byte, lookupEnv func(string) (string, bool)) (lines []routeLine, warnings, faults []string) {
	envKeys := []string(nil)
	if v, ok := lookupEnv("HOOKGUARD_ENV_KEYS"); ok {
		envKeys = config.SplitList(v)
	}
	env, err := resolveEnv(append(config.EnvNames(data), envKeys...), lookupEnv)
	if err != nil {
		return nil, nil, []string{err.Error()}
	}
	if err := readSecretFiles(data, env); err != nil {
		return nil, nil, []string{err.Error()}
	}
	raws := rawRoutes(data)
	rec := &recordingLookup{env: env}
	cfg, warnings, err := config.Parse(data, rec.lookup)
	if err != nil {
		return linesFromRaw(raws, env), nil, routeFaults(data, raws, env, err)
	}
	for i, rt := range cfg.Routes {
		l := routeLine{name: rt.Name, scheme: rt.SchemeName, mode: string(rt.Mode), keyIDs: rt.KeyIDs}
		if i < len(raws) {
			l.missing = missingEnv(raws[i].envNames, env)
		} else {
			l.missing = missingEnv(config.EnvNames(data), env)
		}
		lines = append(lines, l)
	}
	ctx := context.Background()
	mod, _, err := startOffline(ctx, lookupEnv, nil, nil, data, env)
	if err != nil {
		return lines, warnings, []string{"the module did not start with this configuration: " + err.Error()}
	}
	mod.Close(ctx)
	return lines, warnings, nil
}

// recordingLookup reads env and remembers the last name it lacked: the
// variable a "secret environment variable is unset" error is about.
type recordingLookup struct {
	env       map[string]string
	lastUnset string
}

func (r *recordingLookup) lookup(k string) (string, bool) {
	v, ok := r.env[k]
	if !ok {
		r.lastUnset = k
	}
	return v, ok
}

// rawRoute is what check reads of a route without validating it, to
// describe one that does not parse.
type rawRoute struct {
	raw      json.RawMessage
	name     string
	scheme   string
	mode     string
	envNames []string
	keyIDs   []string
}

// rawKeyIDs reads the ids of a route's secrets as Parse names them: the
// "id", else the variable or file, without reading any secret.
func rawKeyIDs(route json.RawMessage) []string {
	var r struct {
		Secrets    []struct{ ID, Env, File string } `json:"secrets"`
		PublicKeys []struct{ ID, Env, File string } `json:"public_keys"`
	}
	json.Unmarshal(route, &r)
	var ids []string
	for _, s := range append(r.Secrets, r.PublicKeys...) {
		switch {
		case s.ID != "":
			ids = append(ids, s.ID)
		case s.Env != "":
			ids = append(ids, s.Env)
		}
	}
	return ids
}

// rawRoutes reads data's routes leniently; the flat form is one route,
// "default".
func rawRoutes(data []byte) []rawRoute {
	var top struct {
		Routes []json.RawMessage `json:"routes"`
	}
	if json.Unmarshal(data, &top) != nil {
		return nil
	}
	if top.Routes == nil {
		return []rawRoute{{raw: data, name: "default", scheme: config.SchemePipes, mode: string(config.Enforce), envNames: config.EnvNames(data)}}
	}
	var out []rawRoute
	for _, r := range top.Routes {
		var f struct{ Name, Scheme, Mode string }
		json.Unmarshal(r, &f)
		if f.Mode == "" {
			f.Mode = string(config.Enforce)
		}
		out = append(out, rawRoute{raw: r, name: f.Name, scheme: f.Scheme, mode: f.Mode, envNames: config.EnvNames(r), keyIDs: rawKeyIDs(r)})
	}
	return out
}

func linesFromRaw(raws []rawRoute, env map[string]string) []routeLine {
	var lines []routeLine
	for _, r := range raws {
		lines = append(lines, routeLine{name: r.name, scheme: r.scheme, mode: r.mode, keyIDs: r.keyIDs, missing: missingEnv(r.envNames, env)})
	}
	return lines
}

func missingEnv(names []string, env map[string]string) []string {
	var out []string
	for _, k := range names {
		if _, ok := env[k]; !ok && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// routeFaults names the routes that fail on their own, each parsed in a
// configuration of its own; whole is the error of the whole, reported as
// it is when no route fails alone (two routes of one name, say).
func routeFaults(data []byte, raws []rawRoute, env map[string]string, whole error) []string {
	var faults []string
	for _, r := range raws {
		rec := &recordingLookup{env: env}
		_, _, err := config.Parse(withOneRoute(data, r), rec.lookup)
		if err != nil {
			faults = append(faults, routeFault(r.name, err, rec.lastUnset))
		}
	}
	if len(faults) == 0 {
		return []string{whole.Error()}
	}
	return faults
}

// routeFault says what is wrong with route name.
func routeFault(name string, err error, unset string) string {
	if errors.Is(err, config.ErrSecretEnvUnset) && unset != "" {
		return fmt.Sprintf("route %q: secret env %s is not set", name, unset)
	}
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "): "); ok && strings.HasPrefix(msg, "route ") {
		msg = rest // Parse's own "route 0 ("name"): " prefix
	}
	return fmt.Sprintf("route %q: %s", name, msg)
}

// withOneRoute is data with r as its only route; the flat form is itself.
func withOneRoute(data []byte, r rawRoute) []byte {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil || top["routes"] == nil {
		return data
	}
	top["routes"], _ = json.Marshal([]json.RawMessage{r.raw})
	out, _ := json.Marshal(top)
	return out
}
