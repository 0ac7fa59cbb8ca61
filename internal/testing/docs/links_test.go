package docs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// checkedDocs are the Markdown files whose links must resolve, relative
// to the repository root; docs/*.md is added by docFiles.
var checkedDocs = []string{"README.md", "RATIONALE.md", "DEVELOPERS.md", "SECURITY.md"}

// repoRoot is the directory holding go.mod, above the test's own.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// docFiles lists the checked files, relative to root.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := slices.Clone(checkedDocs)
	for _, m := range more {
		rel, _ := filepath.Rel(root, m)
		files = append(files, filepath.ToSlash(rel))
	}
	return files
}

// TestLinksResolve: every relative link in the checked docs names a file or
// directory in the repository, and every #anchor into a Markdown file one
// of its headings (or explicit anchors).
func TestLinksResolve(t *testing.T) {
	root := repoRoot(t)
	files := docFiles(t, root)
	if len(files) <= len(checkedDocs) {
		t.Fatalf("docs/ holds no Markdown: found %v", files)
	}
	checked := 0
	for _, file := range files {
		broken, n, err := brokenLinks(root, file)
		if err != nil {
			t.Fatal(err)
		}
		checked += n
		for _, b := range broken {
			t.Errorf("%s: %s", file, b)
		}
	}
	if checked == 0 {
		t.Fatal("no relative link found: the checker would prove nothing")
	}
	t.Logf("checked %d relative links in %d files", checked, len(files))
}

// TestCheckerFindsBrokenLinks: the checker reports a missing file, a missing
// anchor in another file and in the same file, and a path out of the
// repository, and accepts what resolves.
func TestCheckerFindsBrokenLinks(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("docs/b.md", "# B\n\n## Secrets and rotation\n\n## Tokens `basic`\n\n## Tokens `basic`\n")
	write("a.md", strings.Join([]string{
		"# A",
		"[ok](docs/b.md#secrets-and-rotation) [dup](docs/b.md#tokens-basic-1) [self](#a) [dir](docs/)",
		"[no file](docs/c.md) [no anchor](docs/b.md#rotation) [no self](#b) [out](../x.md)",
		"`[in code](nowhere.md)` [web](https://example.com/x.md#y)",
		"```",
		"[fenced](nowhere.md)",
		"```",
	}, "\n"))
	broken, n, err := brokenLinks(root, "a.md")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"docs/c.md: no such file",
		"docs/b.md#rotation: no such anchor",
		"#b: no such anchor",
		"../x.md: outside the repository",
	}
	if !slices.Equal(broken, want) {
		t.Errorf("broken = %q, want %q", broken, want)
	}
	if n != 8 {
		t.Errorf("checked %d relative links, want 8", n)
	}
}

// TestSlug holds slug to GitHub's rules for the headings our docs have.
func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"Generic HMAC (`scheme: \"hmac\"`)":                    "generic-hmac-scheme-hmac",
		"Source allow-lists (`source_cidrs`)":                  "source-allow-lists-source_cidrs",
		"Why ABI 0.2.0 and not 0.2.1?":                         "why-abi-020-and-not-021",
		"Why our own JWS verification rather than golang-jwt?": "why-our-own-jws-verification-rather-than-golang-jwt",
		"Gateway settings (`make run`)":                        "gateway-settings-make-run",
		"Run it in [Envoy](envoy/) — **fast**":                 "run-it-in-envoy--fast",
		"Statuses and reasons":                                 "statuses-and-reasons",
	} {
		if got := slug(heading); got != want {
			t.Errorf("slug(%q) = %q, want %q", heading, got, want)
		}
	}
}

var (
	fence       = regexp.MustCompile("^\\s*(```|~~~)")
	codeSpan    = regexp.MustCompile("`[^`]*`")
	inlineLink  = regexp.MustCompile(`\]\(([^()\s]+)(?:\s+"[^"]*")?\)`)
	heading     = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	htmlAnchor  = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	linkText    = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	urlScheme   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
	emphasisRun = regexp.MustCompile(`\*+`)
)

// proseLines are a Markdown file's lines outside fenced code blocks.
func proseLines(text string) []string {
	var out []string
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if !inFence {
			out = append(out, line)
		}
	}
	return out
}

// brokenLinks checks file's relative links (file and root-relative), and
// returns a description of each that does not resolve and how many it
// checked.
func brokenLinks(root, file string) (broken []string, checked int, err error) {
	data, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		return nil, 0, err
	}
	anchorCache := map[string]map[string]bool{}
	for _, line := range proseLines(string(data)) {
		for _, m := range inlineLink.FindAllStringSubmatch(codeSpan.ReplaceAllString(line, ""), -1) {
			target := m[1]
			if urlScheme.MatchString(target) {
				continue
			}
			checked++
			if problem := resolve(root, file, target, anchorCache); problem != "" {
				broken = append(broken, target+": "+problem)
			}
		}
	}
	return broken, checked, nil
}

// resolve says what is wrong with a link to target from file, or "".
func resolve(root, file, target string, anchorCache map[string]map[string]bool) string {
	path, anchor, _ := strings.Cut(target, "#")
	dest := file
	if path != "" {
		dest = filepath.ToSlash(filepath.Join(filepath.Dir(file), path))
		if dest == ".." || strings.HasPrefix(dest, "../") {
			return "outside the repository"
		}
		if _, err := os.Stat(filepath.Join(root, dest)); err != nil {
			return "no such file"
		}
	}
	if anchor == "" || !strings.HasSuffix(dest, ".md") {
		return ""
	}
	anchors, ok := anchorCache[dest]
	if !ok {
		data, err := os.ReadFile(filepath.Join(root, dest))
		if err != nil {
			return fmt.Sprintf("cannot read: %v", err)
		}
		anchors = anchorsOf(string(data))
		anchorCache[dest] = anchors
	}
	if !anchors[anchor] {
		return "no such anchor"
	}
	return ""
}

// anchorsOf is every anchor GitHub makes for a Markdown text: one per
// heading, "-1", "-2", … added to repeats, and explicit <a id>/<a name>.
func anchorsOf(text string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, line := range proseLines(text) {
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			anchors[m[1]] = true
		}
		h := heading.FindStringSubmatch(line)
		if h == nil {
			continue
		}
		s := slug(h[1])
		if n := seen[s]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			anchors[s] = true
		}
		seen[s]++
	}
	return anchors
}

// slug is GitHub's anchor for a heading: its rendered text in lower case,
// without characters other than letters, marks, digits, connector
// punctuation, spaces and hyphens, with each space a hyphen.
func slug(headingText string) string {
	text := linkText.ReplaceAllString(headingText, "$1")
	text = emphasisRun.ReplaceAllString(strings.ReplaceAll(text, "`", ""), "")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.Pc):
			b.WriteRune(r)
		}
	}
	return b.String()
}
