package deploy_test

import (
	"encoding/json"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const (
	dockerfilePath = "Dockerfile"
	imageBinary    = "/usr/bin/hookguard"
	warmCacheFlag  = "serve --warm-cache"
)

// shellFreeBases are the final-stage bases the image may use: no shell, no
// package manager, so a compromised process has nothing to run.
var shellFreeBases = regexp.MustCompile(`^(scratch|gcr\.io/distroless/static(-debian\d+)?:nonroot)(@sha256:[0-9a-f]{64})?$`)

func loadDockerfile(t *testing.T) *dockerfile {
	t.Helper()
	df, err := parseDockerfile(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	return df
}

// TestDockerfileFinalStage checks what the image runs as and runs.
func TestDockerfileFinalStage(t *testing.T) {
	final := loadDockerfile(t).final()
	if !shellFreeBases.MatchString(final.base) {
		t.Errorf("final stage FROM %s: want scratch or distroless static (no shell), :nonroot", final.base)
	}
	users := final.all("USER")
	if len(users) != 1 {
		t.Fatalf("final stage has %d USER instructions, want 1", len(users))
	}
	if uid := userID(t, users[0].args); uid == 0 {
		t.Errorf("USER %s is root", users[0].args)
	}
	entry := final.all("ENTRYPOINT")
	if len(entry) != 1 {
		t.Fatalf("final stage has %d ENTRYPOINT instructions, want 1", len(entry))
	}
	var argv []string
	if err := json.Unmarshal([]byte(entry[0].args), &argv); err != nil {
		t.Fatalf("ENTRYPOINT %s is not the exec (JSON) form: %v", entry[0].args, err)
	}
	if len(argv) != 2 || argv[0] != imageBinary || argv[1] != "serve" {
		t.Errorf("ENTRYPOINT %q, want [%q \"serve\"]", argv, imageBinary)
	}
	if len(final.all("CMD")) != 0 || len(final.all("RUN")) != 0 {
		t.Error("final stage has RUN or CMD: there is no shell to run them")
	}
}

// userID reads USER's numeric uid: a name would need /etc/passwd, and
// Kubernetes' runAsNonRoot can only check a number.
func userID(t *testing.T, user string) int {
	t.Helper()
	uidText, _, _ := strings.Cut(user, ":")
	uid, err := strconv.Atoi(uidText)
	if err != nil {
		t.Fatalf("USER %q is not numeric", user)
	}
	return uid
}

// TestDockerfileSettings checks the environment points at what the image
// holds and the ports it exposes.
func TestDockerfileSettings(t *testing.T) {
	df := loadDockerfile(t)
	final := df.final()
	env := final.env()
	dests := map[string]bool{}
	for _, c := range final.copiesFrom() {
		dests[c.dest] = true
	}
	for _, k := range []string{"HOOKGUARD_WASM", "HOOKGUARD_CACHE_DIR"} {
		if !dests[env[k]] {
			t.Errorf("%s=%q is not a path the final stage copies in", k, env[k])
		}
	}
	exposed := map[string]bool{}
	for _, in := range final.all("EXPOSE") {
		for _, p := range strings.Fields(in.args) {
			exposed[p] = true
		}
	}
	for _, k := range []string{"HOOKGUARD_ADDR", "HOOKGUARD_METRICS_ADDR"} {
		host, port, err := net.SplitHostPort(env[k])
		if err != nil || host != "0.0.0.0" || !exposed[port] {
			t.Errorf("%s=%q: want 0.0.0.0:<an EXPOSEd port> (exposed %v)", k, env[k], exposed)
		}
	}
}

// TestDockerfileWarmCache checks that the image ships the module's
// compiled code, warmed by the binary it runs, readable by its user.
func TestDockerfileWarmCache(t *testing.T) {
	df := loadDockerfile(t)
	final := df.final()
	cacheDir := final.env()["HOOKGUARD_CACHE_DIR"]
	var warmed bool
	for _, st := range df.stages[:len(df.stages)-1] {
		for _, in := range st.all("RUN") {
			if strings.Contains(in.args, warmCacheFlag) && strings.Contains(in.args, "HOOKGUARD_CACHE_DIR="+cacheDir+" ") {
				warmed = true
			}
		}
		if strings.Contains(st.from.args, "BUILDPLATFORM") {
			t.Errorf("stage %q runs on $BUILDPLATFORM: the cache would be warmed for the wrong GOARCH", st.name)
		}
	}
	if !warmed {
		t.Errorf("no builder RUN of %q with HOOKGUARD_CACHE_DIR=%s", warmCacheFlag, cacheDir)
	}
	users := final.all("USER")
	if len(users) == 0 {
		t.Fatal("final stage has no USER")
	}
	user := users[0].args
	for _, c := range final.copiesFrom() {
		if c.dest == cacheDir && c.chown != user {
			t.Errorf("line %d: the cache is copied with --chown=%q, not to USER %s: wazero wrote it 0700 as root", c.line, c.chown, user)
		}
	}
}

// TestDockerfileCopiesWhatTheBuilderMakes checks every COPY --from source
// against what that stage's RUN instructions write: a go build -o target or
// the cache the warm step fills.
func TestDockerfileCopiesWhatTheBuilderMakes(t *testing.T) {
	df := loadDockerfile(t)
	copies := df.final().copiesFrom()
	if len(copies) < 3 {
		t.Fatalf("the final stage copies %d paths from the builder, want the binary, the module and the cache", len(copies))
	}
	for _, c := range copies {
		st, ok := df.stageNamed(c.from)
		if !ok {
			t.Errorf("line %d: COPY --from=%s: no such stage", c.line, c.from)
			continue
		}
		made := stageOutputs(st)
		for _, src := range c.sources {
			if !made[path.Clean(src)] {
				t.Errorf("line %d: COPY --from=%s %s: the stage makes only %v", c.line, c.from, src, made)
			}
		}
	}
}

var (
	buildOutput = regexp.MustCompile(`\bgo build\b.*?\s-o\s+(\S+)`)
	warmOutput  = regexp.MustCompile(`HOOKGUARD_CACHE_DIR=(\S+)\s.*` + regexp.QuoteMeta(warmCacheFlag))
)

// stageOutputs returns the paths a stage's RUN instructions write.
func stageOutputs(st stage) map[string]bool {
	made := map[string]bool{}
	for _, in := range st.all("RUN") {
		for _, re := range []*regexp.Regexp{buildOutput, warmOutput} {
			if m := re.FindStringSubmatch(in.args); m != nil {
				made[path.Clean(m[1])] = true
			}
		}
	}
	return made
}

// TestDockerfileBuildsTheModuleAndTheCommand checks the builder's two go
// builds: the module for wasip1, and a static binary, from packages of
// this repository.
func TestDockerfileBuildsTheModuleAndTheCommand(t *testing.T) {
	build, ok := loadDockerfile(t).stageNamed("build")
	if !ok {
		t.Fatal("no stage named build")
	}
	want := map[string]*regexp.Regexp{
		"./filter":        regexp.MustCompile(`^GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o \S+ \./filter$`),
		"./cmd/hookguard": regexp.MustCompile(`^CGO_ENABLED=0 go build -trimpath -o \S+ \./cmd/hookguard$`),
	}
	for pkg, re := range want {
		var found bool
		for _, in := range build.all("RUN") {
			found = found || re.MatchString(withoutMounts(in.args))
		}
		if !found {
			t.Errorf("no RUN matching %s", re)
		}
		if _, err := os.Stat(filepath.Join("..", filepath.FromSlash(pkg), "main.go")); err != nil {
			t.Errorf("the image builds %s, which has no main.go in this repository: %v", pkg, err)
		}
	}
}

// withoutMounts drops RUN's --mount flags.
func withoutMounts(args string) string {
	fields := strings.Fields(args)
	for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
		fields = fields[1:]
	}
	return strings.Join(fields, " ")
}

// TestDockerignoreKeepsSecretsOut checks the image's build context leaves
// out env files and the repository's history.
func TestDockerignoreKeepsSecretsOut(t *testing.T) {
	data, err := os.ReadFile(dockerfilePath + ".dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	patterns := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns[line] = true
		}
	}
	for _, p := range []string{".git", "**/.env", "build"} {
		if !patterns[p] {
			t.Errorf("%s.dockerignore does not exclude %s", dockerfilePath, p)
		}
	}
}
