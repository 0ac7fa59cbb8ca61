// Package deploy_test checks deploy/ without Docker or a cluster: the
// image's Dockerfile (this file parses it) and the Grafana dashboard. The
// Kubernetes and Envoy Gateway manifests are checked against their APIs'
// Go types in envoy/validate, the module that may depend on them.
package deploy_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// instruction is one Dockerfile instruction: its keyword, upper-case,
// and its arguments with line continuations joined.
type instruction struct {
	cmd  string
	args string
	line int
}

// stage is one FROM and the instructions under it.
type stage struct {
	name  string // the AS name, or "" for an unnamed stage
	base  string // the image, with global ARG defaults substituted
	from  instruction
	instr []instruction
}

// dockerfile is a parsed Dockerfile: global ARG defaults and the stages.
type dockerfile struct {
	args   map[string]string
	stages []stage
}

var argRef = regexp.MustCompile(`\$\{?(\w+)\}?`)

// parseDockerfile reads the subset of Dockerfile syntax deploy/Dockerfile
// uses: comments, parser directives, line continuations, global ARGs with
// defaults and FROM … AS. Anything it cannot read is an error.
func parseDockerfile(path string) (*dockerfile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	instrs, err := splitInstructions(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	df := &dockerfile{args: map[string]string{}}
	for _, in := range instrs {
		switch {
		case in.cmd == "FROM":
			st, err := df.parseFrom(in)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, in.line, err)
			}
			df.stages = append(df.stages, st)
		case len(df.stages) == 0 && in.cmd == "ARG":
			name, value, _ := strings.Cut(in.args, "=")
			df.args[name] = value
		case len(df.stages) == 0:
			return nil, fmt.Errorf("%s:%d: %s before the first FROM", path, in.line, in.cmd)
		default:
			last := &df.stages[len(df.stages)-1]
			last.instr = append(last.instr, in)
		}
	}
	if len(df.stages) == 0 {
		return nil, fmt.Errorf("%s: no FROM", path)
	}
	return df, nil
}

// splitInstructions joins continued lines and drops comments and blank lines.
func splitInstructions(data []byte) ([]instruction, error) {
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || line == "" && cur.Len() == 0 {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		body, continued := strings.CutSuffix(line, `\`)
		cur.WriteString(strings.TrimSpace(body) + " ")
		if continued {
			continue
		}
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start})
		cur.Reset()
	}
	if cur.Len() != 0 {
		return nil, fmt.Errorf("line %d: continuation at the end of the file", start)
	}
	return out, sc.Err()
}

// parseFrom reads "FROM [--platform=…] image [AS name]".
func (df *dockerfile) parseFrom(in instruction) (stage, error) {
	var words []string
	for _, w := range strings.Fields(in.args) {
		if !strings.HasPrefix(w, "--") {
			words = append(words, w)
		}
	}
	st := stage{from: in}
	switch {
	case len(words) == 3 && strings.EqualFold(words[1], "AS"):
		st.name = words[2]
	case len(words) != 1:
		return st, fmt.Errorf("FROM %q: want an image and an optional AS name", in.args)
	}
	var unset []string
	st.base = argRef.ReplaceAllStringFunc(words[0], func(ref string) string {
		name := argRef.FindStringSubmatch(ref)[1]
		v, ok := df.args[name]
		if !ok || v == "" {
			unset = append(unset, name)
		}
		return v
	})
	if len(unset) > 0 {
		return st, fmt.Errorf("FROM %q: ARG %v has no default", in.args, unset)
	}
	return st, nil
}

// stageNamed returns the stage called name.
func (df *dockerfile) stageNamed(name string) (stage, bool) {
	for _, st := range df.stages {
		if st.name == name {
			return st, true
		}
	}
	return stage{}, false
}

// final is the stage the image is.
func (df *dockerfile) final() stage { return df.stages[len(df.stages)-1] }

// all returns the arguments of every instruction cmd in the stage.
func (st stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range st.instr {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// copyFrom is a COPY --from: the stage, sources, destination and --chown.
type copyFrom struct {
	from, dest, chown string
	sources           []string
	line              int
}

// copiesFrom returns the stage's COPY instructions that take from another stage.
func (st stage) copiesFrom() []copyFrom {
	var out []copyFrom
	for _, in := range st.all("COPY") {
		var c copyFrom
		var paths []string
		for _, w := range strings.Fields(in.args) {
			switch {
			case strings.HasPrefix(w, "--from="):
				c.from = strings.TrimPrefix(w, "--from=")
			case strings.HasPrefix(w, "--chown="):
				c.chown = strings.TrimPrefix(w, "--chown=")
			case strings.HasPrefix(w, "--"):
			default:
				paths = append(paths, w)
			}
		}
		if c.from == "" || len(paths) < 2 {
			continue
		}
		c.sources, c.dest, c.line = paths[:len(paths)-1], paths[len(paths)-1], in.line
		out = append(out, c)
	}
	return out
}

// env returns the stage's ENV settings, in the KEY=value form.
func (st stage) env() map[string]string {
	env := map[string]string{}
	for _, in := range st.all("ENV") {
		for _, kv := range strings.Fields(in.args) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
	}
	return env
}
