package testing_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/hookguard/hookguard"

// upArrows are the test imports that break a rule of the package doc, each
// with its reason. TestLayering fails on any other, and on an entry no
// longer needed.
var upArrows = map[string]string{}

// pkg is what go list says of one package.
type pkg struct {
	ImportPath   string
	Imports      []string // non-test files
	Deps         []string // non-test files, transitively
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
	DepsErrors   []struct{ Err string }
}

// rel is path relative to the module ("" for the root, "-" for a package
// outside the module).
func rel(path string) string {
	if path == module {
		return ""
	}
	if r, ok := strings.CutPrefix(path, module+"/"); ok {
		return r
	}
	return "-"
}

// under reports whether the module-relative path r is dir or below it.
func under(r, dir string) bool { return r == dir || strings.HasPrefix(r, dir+"/") }

func kit(r string) bool     { return under(r, "internal/testing") }
func tooling(r string) bool { return under(r, "bench") }
func shipped(r string) bool { return r != "-" && !kit(r) && !tooling(r) }

// bottom reports whether r is in the bottom layer: the leaves the module,
// the host and the gateway share.
func bottom(r string) bool { return (under(r, "internal") && !kit(r)) || under(r, "header") }

// layer names r's layer in the package doc, or "" if the doc places it
// nowhere.
func layer(r string) string {
	switch {
	case kit(r):
		return "test kit"
	case tooling(r):
		return "bench/ tooling"
	case bottom(r):
		return "shared leaves"
	case under(r, "filter") || under(r, "host"):
		return "filter/ and host/"
	case under(r, "examples") || under(r, "cmd") || under(r, "envoy") || under(r, "deploy"):
		return "programs and e2e"
	}
	return ""
}

// list runs go list over the module's packages at its root, with env added.
func list(t *testing.T, env []string, patterns ...string) []pkg {
	t.Helper()
	args := append([]string{"list", "-e", "-json=ImportPath,Imports,Deps,TestImports,XTestImports,Error,DepsErrors"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(patterns, " "), err, stderr.String())
	}
	var pkgs []pkg
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Error != nil {
			t.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		for _, e := range p.DepsErrors {
			t.Errorf("%s: %s", p.ImportPath, e.Err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages; the checks below would prove nothing")
	}
	return pkgs
}

// TestLayering checks the import rules the package doc states, for every
// package of the module: its non-test files and everything they pull in,
// and the direct imports of its tests. filter/... is listed twice, as
// built for the host and for GOOS=wasip1, the build that ships.
func TestLayering(t *testing.T) {
	native := list(t, nil, "./...")
	wasm := list(t, []string{"GOOS=wasip1", "GOARCH=wasm"}, "./filter/...")
	used := map[string]bool{}
	bad := func(format string, a ...any) { t.Helper(); t.Errorf(format, a...) }

	check := func(p pkg, build string, byPath map[string]pkg) {
		r := rel(p.ImportPath)
		for _, d := range p.Imports {
			dr := rel(d)
			switch {
			case shipped(r) && (d == "testing" || kit(dr)):
				bad("%s (%s) imports %s: shipped code never imports the test kit nor testing", r, build, d)
			case dr == "-":
			case bottom(r) && (under(dr, "filter") || under(dr, "host")):
				bad("%s (%s) imports %s: the shared leaves sit below filter/ and host/", r, build, d)
			case under(r, "filter") && under(dr, "host"):
				bad("%s (%s) imports %s: filter/ never imports host/", r, build, d)
			case under(r, "host") && under(dr, "filter"):
				bad("%s (%s) imports %s: host/ never imports filter/", r, build, d)
			}
		}
		// What shipped code pulls in from outside the module: a package
		// there that imports "testing" is caught here, not above.
		if !shipped(r) {
			return
		}
		for _, d := range p.Deps {
			if d != "testing" && !kit(rel(d)) {
				continue
			}
			inModule := false
			for _, q := range append([]string{p.ImportPath}, p.Deps...) {
				if rel(q) != "-" && slices.Contains(byPath[q].Imports, d) {
					inModule = true // reported where it is imported
				}
			}
			if !inModule {
				bad("%s (%s) links %s through a package outside the module", r, build, d)
			}
		}
	}
	for build, pkgs := range map[string][]pkg{"native": native, "wasip1": wasm} {
		byPath := map[string]pkg{}
		for _, p := range pkgs {
			byPath[p.ImportPath] = p
		}
		for _, p := range pkgs {
			check(p, build, byPath)
		}
	}

	// Tests: their direct imports.
	for _, p := range native {
		r := rel(p.ImportPath)
		for _, d := range slices.Concat(p.TestImports, p.XTestImports) {
			dr := rel(d)
			var rule string
			switch {
			case dr == "-":
			case bottom(r) && (under(dr, "filter") || under(dr, "host")):
				rule = "the shared leaves are tested without filter/ or host/"
			case under(r, "host") && under(dr, "filter"):
				rule = "host/'s tests import nothing from filter/; they reach hookguard's module through the kit"
			case under(r, "filter") && r != "filter" && under(dr, "host"):
				rule = "only ./filter's tests run the module through host/; filter's libraries are tested natively"
			}
			if rule == "" {
				continue
			}
			arrow := r + " test -> " + dr
			if _, ok := upArrows[arrow]; ok {
				used[arrow] = true
				continue
			}
			bad("%s: %s", arrow, rule)
		}
	}
	for arrow := range upArrows {
		if !used[arrow] {
			t.Errorf("upArrows lists %q, which no test needs any more: remove it, and its line in the package doc", arrow)
		}
	}

	count := map[string]int{}
	for _, p := range native {
		r := rel(p.ImportPath)
		l := layer(r)
		if l == "" {
			t.Errorf("%s is in no layer: place it in internal/testing's package doc, and in layer()", r)
		}
		count[l]++
	}
	t.Logf("%d packages (+%d of ./filter/... built for wasip1): %d shared leaves, %d filter/ and host/, %d programs and e2e, %d test kit, %d bench/ tooling",
		len(native), len(wasm), count["shared leaves"], count["filter/ and host/"], count["programs and e2e"], count["test kit"], count["bench/ tooling"])
}
