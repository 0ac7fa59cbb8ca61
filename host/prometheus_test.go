package host

import (
	"bytes"
	"strings"
	"testing"
)

// TestWritePrometheusIsParsable defines names a module may choose that
// would break a Prometheus page: duplicate or reserved label names,
// characters outside the name alphabet, two kinds under one name, two
// metrics that sanitize to the same series. Every line must parse.
func TestWritePrometheusIsParsable(t *testing.T) {
	m := newMetrics()
	for _, def := range []struct {
		kind MetricKind
		name string
	}{
		{Counter, "a_value=foo_reporter=x"},
		{Counter, "a.value=foo.value=bar"},
		{Counter, "b.__name__=evil"},
		{Counter, "c-d.e f.g\"h"},
		{Gauge, "c_d_e_f_g_h"},
		{Counter, "x.y"},
		{Counter, "x_y"},
		{Counter, "9lives"},
		{Counter, "ok.route=a-b\\c\"d"},
	} {
		if _, st := m.define(def.kind, def.name); st != statusOK {
			t.Fatalf("define %q: %d", def.name, st)
		}
	}
	var page bytes.Buffer
	if err := m.WritePrometheus(&page); err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	series := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(page.String()), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name := strings.Fields(rest)[0]
			if types[name] {
				t.Errorf("two TYPE lines for %s", name)
			}
			types[name] = true
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		key := line[:sp]
		name, labels, _ := strings.Cut(key, "{")
		for i, r := range name {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == ':' || i > 0 && r >= '0' && r <= '9') {
				t.Errorf("%q: bad name %q", line, name)
				break
			}
		}
		seen := map[string]bool{}
		for _, l := range strings.Split(strings.TrimSuffix(labels, "}"), `",`) {
			if l == "" {
				continue
			}
			k, _, _ := strings.Cut(l, "=")
			if seen[k] || strings.HasPrefix(k, "__") {
				t.Errorf("%q: label %s twice or reserved", line, k)
			}
			seen[k] = true
		}
		if series[key] {
			t.Errorf("series %s twice", key)
		}
		series[key] = true
	}
	if !strings.Contains(page.String(), `ok{route="a-b\\c\"d"} 0`) {
		t.Errorf("label value not escaped:\n%s", page.String())
	}
}
