package cases

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// CheckNodeGenerator reruns dir's gen.mjs, which prints what vectors.json
// must hold, where Node and the generator's packages (npm ci in dir) are
// installed, and fails if the committed file differs. Elsewhere it skips,
// saying so: the committed file is still what the tests run.
func CheckNodeGenerator(t *testing.T, dir string) {
	t.Helper()
	rel, _ := filepath.Rel(filepath.Join(TestdataDir(), "..", ".."), dir)
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed; the committed vectors.json is still checked")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		t.Skip("the generator's packages are not installed (cd " + rel + " && npm ci); the committed vectors.json is still checked")
	}
	cmd := exec.Command("node", "gen.mjs")
	cmd.Dir = dir
	got, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal(rel + "/vectors.json is stale: run `cd " + rel + " && node gen.mjs --write`")
	}
}
