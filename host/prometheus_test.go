package host

import (
	"bytes"
	"fmt"
	"github.com/hookguard/hookguard/internal/abi"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// The Prometheus text exposition format, version 0.0.4
// (prometheus/docs content/docs/instrumenting/exposition_formats.md),
// parsed strictly: the module does not depend on
// github.com/prometheus/common, so this is our own parser. It rejects
// more than expfmt.TextParser does: a family's lines must be contiguous,
// HELP and TYPE come once and before its samples, every sample has a
// TYPE, no series appears twice (expfmt leaves that to its caller), no
// family name is another summary's _sum or _count, and every summary
// series has both.

type promFamily struct {
	typ, help string
	hasHelp   bool
}

type promPage struct {
	families map[string]*promFamily
	// samples maps a series, written canonically (labels sorted, empty
	// values dropped), to its value.
	samples map[string]float64
	// family maps a series to the family it belongs to.
	family map[string]string
}

func parsePromPage(page string) (*promPage, error) {
	p := &promPage{families: map[string]*promFamily{}, samples: map[string]float64{}, family: map[string]string{}}
	if page == "" {
		return p, nil
	}
	if !strings.HasSuffix(page, "\n") {
		return nil, fmt.Errorf("the page does not end with a newline")
	}
	current := ""                // the family whose lines we are in
	done := map[string]bool{}    // families whose lines have ended
	sampled := map[string]bool{} // families with samples
	summaryParts := map[string]int{}
	for n, line := range strings.Split(strings.TrimSuffix(page, "\n"), "\n") {
		fail := func(format string, a ...any) error {
			return fmt.Errorf("line %d %q: %s", n+1, line, fmt.Sprintf(format, a...))
		}
		enter := func(fam string) error {
			if fam == current {
				return nil
			}
			if done[fam] {
				return fail("family %s continues after another began", fam)
			}
			if current != "" {
				done[current] = true
			}
			current = fam
			return nil
		}
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "#"):
			fields := strings.SplitN(line, " ", 4)
			if len(fields) < 3 || fields[0] != "#" || (fields[1] != "HELP" && fields[1] != "TYPE") {
				return nil, fail("a comment; we write only # HELP and # TYPE")
			}
			name := fields[2]
			if !validPromMetricName(name) {
				return nil, fail("bad metric name %q", name)
			}
			if err := enter(name); err != nil {
				return nil, err
			}
			f := p.families[name]
			if f == nil {
				f = &promFamily{}
				p.families[name] = f
			}
			if sampled[name] {
				return nil, fail("%s after samples", fields[1])
			}
			text := ""
			if len(fields) == 4 {
				text = fields[3]
			}
			if fields[1] == "HELP" {
				if f.hasHelp {
					return nil, fail("second HELP for %s", name)
				}
				if f.typ != "" {
					return nil, fail("HELP after TYPE") // we write HELP first
				}
				help, err := unescapeProm(text, false)
				if err != nil {
					return nil, fail("%v", err)
				}
				f.help, f.hasHelp = help, true
				continue
			}
			if f.typ != "" {
				return nil, fail("second TYPE for %s", name)
			}
			switch text {
			case "counter", "gauge", "summary":
			default: // untyped and histogram are valid; we write neither
				return nil, fail("type %q", text)
			}
			f.typ = text
		default:
			name, labels, value, err := parsePromSample(line)
			if err != nil {
				return nil, fail("%v", err)
			}
			fam, part := name, ""
			if p.families[fam] == nil {
				for _, suffix := range []string{"_sum", "_count"} {
					if base, ok := strings.CutSuffix(name, suffix); ok && p.families[base] != nil && p.families[base].typ == "summary" {
						fam, part = base, suffix
					}
				}
			}
			f := p.families[fam]
			if f == nil || f.typ == "" {
				return nil, fail("a sample with no TYPE")
			}
			if f.typ == "summary" && part == "" {
				return nil, fail("a summary sample that is neither _sum nor _count") // we write no quantiles
			}
			if err := enter(fam); err != nil {
				return nil, err
			}
			sampled[fam] = true
			key := name + labels
			if _, dup := p.samples[key]; dup {
				return nil, fail("series %s twice", key)
			}
			if f.typ == "counter" && (value < 0 || value != math.Trunc(value)) || part == "_count" && (value < 0 || value != math.Trunc(value)) {
				return nil, fail("a count of %v", value)
			}
			p.samples[key], p.family[key] = value, fam
			if part != "" {
				summaryParts[fam+labels] += map[string]int{"_sum": 1, "_count": 2}[part]
			}
		}
	}
	for name, f := range p.families {
		if f.typ == "" {
			return nil, fmt.Errorf("family %s has no TYPE", name)
		}
		for _, suffix := range []string{"_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && p.families[base] != nil && p.families[base].typ == "summary" {
				return nil, fmt.Errorf("family %s is summary %s's %s", name, base, suffix)
			}
		}
	}
	for s, parts := range summaryParts {
		if parts != 3 {
			return nil, fmt.Errorf("summary series %s lacks its _sum or _count", s)
		}
	}
	return p, nil
}

// parsePromSample parses `name{labels} value`, returning the labels
// canonically: sorted, with empty values (no label, to Prometheus)
// dropped.
func parsePromSample(line string) (name, labels string, value float64, err error) {
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return "", "", 0, fmt.Errorf("no value")
	}
	name, rest := line[:i], line[i:]
	if !validPromMetricName(name) {
		return "", "", 0, fmt.Errorf("bad metric name %q", name)
	}
	var pairs []string
	if strings.HasPrefix(rest, "{") {
		rest = rest[1:]
		seen := map[string]bool{}
		for !strings.HasPrefix(rest, "}") {
			eq := strings.IndexByte(rest, '=')
			if eq < 0 {
				return "", "", 0, fmt.Errorf("a label without '='")
			}
			k := rest[:eq]
			if !validLabel(k) || strings.HasPrefix(k, "__") {
				return "", "", 0, fmt.Errorf("bad or reserved label name %q", k)
			}
			if seen[k] {
				return "", "", 0, fmt.Errorf("label %s twice", k)
			}
			seen[k] = true
			rest = rest[eq+1:]
			if !strings.HasPrefix(rest, `"`) {
				return "", "", 0, fmt.Errorf("label %s: value not quoted", k)
			}
			end := 1
			for ; end < len(rest) && rest[end] != '"'; end++ {
				if rest[end] == '\\' {
					end++
				}
			}
			if end >= len(rest) {
				return "", "", 0, fmt.Errorf("label %s: unterminated value", k)
			}
			v, err := unescapeProm(rest[1:end], true)
			if err != nil {
				return "", "", 0, fmt.Errorf("label %s: %v", k, err)
			}
			if v != "" {
				pairs = append(pairs, k+"="+strconv.Quote(v))
			}
			rest = rest[end+1:]
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
			} else if !strings.HasPrefix(rest, "}") {
				return "", "", 0, fmt.Errorf("after label %s: %q", k, rest)
			}
		}
		rest = rest[1:]
	}
	if !strings.HasPrefix(rest, " ") {
		return "", "", 0, fmt.Errorf("no space before the value")
	}
	fields := strings.Split(rest[1:], " ")
	if len(fields) > 2 || fields[0] == "" {
		return "", "", 0, fmt.Errorf("value %q", rest[1:])
	}
	if len(fields) == 2 { // a timestamp: we write none
		return "", "", 0, fmt.Errorf("a timestamp")
	}
	switch fields[0] {
	case "NaN":
		value = math.NaN()
	case "+Inf":
		value = math.Inf(1)
	case "-Inf":
		value = math.Inf(-1)
	default:
		if value, err = strconv.ParseFloat(fields[0], 64); err != nil {
			return "", "", 0, err
		}
	}
	sort.Strings(pairs)
	if len(pairs) > 0 {
		labels = "{" + strings.Join(pairs, ",") + "}"
	}
	return name, labels, value, nil
}

// unescapeProm undoes the format's escapes: \\ and \n, and in a label
// value \" too; any other backslash, or invalid UTF-8, is an error.
func unescapeProm(s string, labelValue bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("invalid UTF-8 %q", s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if labelValue && c == '"' {
			return "", fmt.Errorf("unescaped quote in %q", s)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i++; i == len(s) {
			return "", fmt.Errorf("a trailing backslash in %q", s)
		}
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case '"':
			if !labelValue {
				return "", fmt.Errorf(`\" in HELP text %q`, s) // valid, but we do not write it
			}
			b.WriteByte('"')
		default:
			return "", fmt.Errorf("escape \\%c in %q", s[i], s)
		}
	}
	return b.String(), nil
}

func validPromMetricName(name string) bool {
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '_' && c != ':' {
			return false
		}
	}
	return true
}

// canonicalSeries writes a series as parsePromPage keys it.
func canonicalSeries(t *testing.T, series string) string {
	t.Helper()
	name, labels, _, err := parsePromSample(series + " 0")
	if err != nil {
		t.Fatalf("series %q: %v", series, err)
	}
	return name + labels
}

type promDef struct {
	kind MetricKind
	name string
}

// definePromMetrics defines defs in order and gives each a value no other
// has: counters and gauges 1000+i, histograms one sample of 1000+i (so
// their _sum is 1000+i and _count 1).
func definePromMetrics(t testing.TB, defs []promDef) *Metrics {
	t.Helper()
	m := newMetrics()
	for i, d := range defs {
		id, st := m.define(d.kind, d.name)
		if st != abi.StatusOK {
			t.Fatalf("define %v %q: status %d", d.kind, d.name, st)
		}
		if st := m.record(id, int64(1000+i)); st != abi.StatusOK {
			t.Fatalf("record %q: status %d", d.name, st)
		}
	}
	return m
}

func writePromPage(t testing.TB, m *Metrics) (string, *promPage) {
	t.Helper()
	var page bytes.Buffer
	if err := m.WritePrometheus(&page); err != nil {
		t.Fatal(err)
	}
	p, err := parsePromPage(page.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, page.String())
	}
	return page.String(), p
}

// checkEveryMetric asserts that each of defs (defined by
// definePromMetrics, with distinct names) shows exactly once, with its
// value, in a family of its kind, and that nothing else shows.
func checkEveryMetric(t testing.TB, defs []promDef, page string, p *promPage) {
	t.Helper()
	byValue := map[float64][]string{}
	counts := 0
	for s, v := range p.samples {
		name, _, _ := strings.Cut(s, "{")
		if p.families[p.family[s]].typ == "summary" && strings.HasSuffix(name, "_count") {
			counts++
			if v != 1 {
				t.Errorf("%s = %v, want 1", s, v)
			}
			continue
		}
		byValue[v] = append(byValue[v], s)
	}
	histograms := 0
	for i, d := range defs {
		found := byValue[float64(1000+i)]
		if len(found) != 1 {
			t.Errorf("%v %q (value %d) shows as %v", d.kind, d.name, 1000+i, found)
			continue
		}
		want := map[MetricKind]string{Counter: "counter", Gauge: "gauge", Histogram: "summary"}[d.kind]
		if got := p.families[p.family[found[0]]].typ; got != want {
			t.Errorf("%q shows as %s, a %s, want a %s", d.name, found[0], got, want)
		}
		if d.kind == Histogram {
			histograms++
		}
	}
	if len(p.samples)-counts != len(defs) || counts != histograms {
		t.Errorf("%d series and %d counts for %d metrics (%d histograms):\n%s", len(p.samples)-counts, counts, len(defs), histograms, page)
	}
}

// TestPrometheusGoSDKMetric is the proxy-wasm Go SDK's examples/metrics
// counter, which the page used to leave out (its whole name read as one
// label): proxy_define_metric and proxy_increment_metric call define and
// increment.
func TestPrometheusGoSDKMetric(t *testing.T) {
	const name = "custom_header_value_counts_value=foo_reporter=wasmgosdk"
	m := newMetrics()
	id, st := m.define(Counter, name)
	if st != abi.StatusOK {
		t.Fatal(st)
	}
	m.increment(id, 1)
	m.increment(id, 1)
	if v, _ := m.Value(name); v != 2 {
		t.Fatalf("Value = %d, want 2", v)
	}
	page, _ := writePromPage(t, m)
	const want = "# TYPE custom_header_value_counts_value_foo_reporter_wasmgosdk counter\ncustom_header_value_counts_value_foo_reporter_wasmgosdk 2\n"
	if page != want {
		t.Errorf("got\n%s\nwant\n%s", page, want)
	}
}

// TestPrometheusNameShapes defines a metric of every name shape modules
// use and checks each appears under the series Envoy's exporter would
// give it, with its value, on a page a strict parser accepts.
func TestPrometheusNameShapes(t *testing.T) {
	long := strings.Repeat("very_long.", 2000) + "name"
	tests := []struct {
		kind MetricKind
		name string
		want string // the series; for a histogram, its _sum
	}{
		// The proxy-wasm Go SDK's examples/metrics: Envoy without that
		// example's stats_tags prints the name sanitized.
		{Counter, "custom_header_value_counts_value=foo_reporter=wasmgosdk", "custom_header_value_counts_value_foo_reporter_wasmgosdk"},
		{Counter, "custom_header_value_counts_value=bar_reporter=wasmgosdk", "custom_header_value_counts_value_bar_reporter_wasmgosdk"},
		// Plain names, as the Rust SDK's and Istio's examples define.
		{Counter, "istio_requests_total", "istio_requests_total"},
		{Gauge, "active_connections", "active_connections"},
		{Histogram, "request_duration_milliseconds", "request_duration_milliseconds_sum"},
		// Istio's stats plugin: "key=.=value;.;" pairs, then the name.
		{Counter, "reporter=.=destination;.;source_workload=.=productpage-v1;.;destination_service=.=reviews.default.svc.cluster.local;.;response_code=.=200;.;istio_requests_total",
			`istio_requests_total{reporter="destination",source_workload="productpage-v1",destination_service="reviews.default.svc.cluster.local",response_code="200"}`},
		{Counter, "reporter=.=source;.;source_workload=.=productpage-v1;.;destination_service=.=reviews.default.svc.cluster.local;.;response_code=.=200;.;istio_requests_total",
			`istio_requests_total{reporter="source",source_workload="productpage-v1",destination_service="reviews.default.svc.cluster.local",response_code="200"}`},
		{Histogram, "reporter=.=destination;.;response_code=.=503;.;istio_request_duration_milliseconds",
			`istio_request_duration_milliseconds_sum{reporter="destination",response_code="503"}`},
		{Counter, "wasm_filter=.=stats_filter;.;cache=.=hit;.;metric_cache_count", `metric_cache_count{wasm_filter="stats_filter",cache="hit"}`},
		{Counter, "reporter=.=;.;empty_tag_total", `reporter______empty_tag_total`}, // an empty value stays in the name
		{Counter, "reporter=.=a;.;reporter=.=b;.;twice_total", `reporter___b___twice_total{reporter="a"}`},
		{Counter, "a;b=c;d=e", "a_b_c_d_e"},
		// TinyGo SDK modules: Higress's dotted names, Coraza's.
		{Counter, "route.ai-route.upstream.outbound|443||llm-openai.internal.dns.model.gpt-4o.consumer.none.metric.input_token",
			"route_ai_route_upstream_outbound_443__llm_openai_internal_dns_model_gpt_4o_consumer_none_metric_input_token"},
		{Counter, "waf_filter.tx.total", "waf_filter_tx_total"},
		{Counter, "waf_filter.tx.interruptions_ruleid=100_phase=http_request_body", "waf_filter_tx_interruptions_ruleid_100_phase_http_request_body"},
		// hookguard's own ".label=value" segments.
		{Counter, "hookguard.requests_rejected.route=github.reason=invalid_signature", `hookguard_requests_rejected{route="github",reason="invalid_signature"}`},
		{Counter, "hookguard.requests_verified.route=github.key=GH_NEW", `hookguard_requests_verified{route="github",key="GH_NEW"}`},
		{Counter, "hookguard.config_rejected", "hookguard_config_rejected"},
		{Counter, "hookguard.host.overloaded", "hookguard_host_overloaded"},
		{Gauge, "queue.depth.route=a-b\\c\"d\ne", `queue_depth{route="a-b\\c\"d\ne"}`},
		{Gauge, "temp.city=Zürich", `temp{city="Zürich"}`},
		{Gauge, "bad.utf8=\xff\xfe", "bad{utf8=\"\uFFFD\"}"},
		{Counter, "dup.k=1.k=2", `dup_k_2{k="1"}`},
		{Counter, "b.__name__=evil", "b___name___evil"},
		{Counter, "b.9x=y", "b_9x_y"},
		{Counter, "b.route=", "b_route_"},
		{Histogram, "h.quantile=0.5", "h_quantile_0_5_sum"},
		{Histogram, "h.le=5", `h_sum{le="5"}`},
		{Counter, ".route=x", "_route_x"},
		{Counter, "route=x", "route_x"},
		// Spaces, punctuation, unicode, invalid UTF-8, digits.
		{Counter, "requests served total", "requests_served_total"},
		{Counter, `tab	quote"back\slash:colon-dash/slash`, "tab_quote_back_slash_colon_dash_slash"},
		{Gauge, "запросы.всего", "_____________"},
		{Counter, "café.requêtes", "caf__requ_tes"},
		{Counter, "🚀", "_"},
		{Counter, "nul\x00byte\xffend", "nul_byte_end"},
		{Counter, "5xx_responses", "_5xx_responses"},
		{Gauge, "0", "_0"},
		{Counter, "a..b.", "a__b_"},
		{Counter, "...", "___"},
		{Counter, "x\ny_newline", "x_y_newline"},
		{Counter, long, strings.Repeat("very_long_", 2000) + "name"},
		{Counter, "long.value=" + strings.Repeat("v", 10000), `long{value="` + strings.Repeat("v", 10000) + `"}`},
	}
	defs := make([]promDef, len(tests))
	for i, tc := range tests {
		defs[i] = promDef{tc.kind, tc.name}
	}
	page, p := writePromPage(t, definePromMetrics(t, defs))
	checkEveryMetric(t, defs, page, p)
	for i, tc := range tests {
		want := canonicalSeries(t, tc.want)
		if v, ok := p.samples[want]; !ok || v != float64(1000+i) {
			t.Errorf("%q: %s = %v (present %v), want %d", tc.name, tc.want, v, ok, 1000+i)
		}
		if tc.kind == Histogram {
			count := strings.Replace(want, "_sum", "_count", 1)
			if v := p.samples[count]; v != 1 {
				t.Errorf("%q: %s = %v, want 1", tc.name, count, v)
			}
		}
	}
	for name, f := range p.families {
		if f.hasHelp {
			t.Errorf("%s has HELP %q, but nothing was renamed", name, f.help)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", page)
	}
}

// TestPrometheusCollisions defines metrics whose series would collide
// after sanitizing and checks that the one defined first keeps the name,
// the later one shows, renamed with a hash of its name and a HELP line,
// and neither value is lost or merged.
func TestPrometheusCollisions(t *testing.T) {
	for _, tc := range []struct {
		name string
		defs []promDef
		want []string // each metric's series, in order
	}{
		{"dot and underscore", []promDef{{Counter, "x.y"}, {Counter, "x_y"}}, []string{"x_y", "x_y_" + fnv32("x_y")}},
		{"underscore first", []promDef{{Counter, "x_y"}, {Counter, "x.y"}}, []string{"x_y", "x_y_" + fnv32("x.y")}},
		{"three ways", []promDef{{Counter, "a-b"}, {Counter, "a b"}, {Counter, "a_b"}}, []string{"a_b", "a_b_" + fnv32("a b"), "a_b_" + fnv32("a_b")}},
		{"counter and gauge", []promDef{{Counter, "c-d.e f"}, {Gauge, "c_d_e_f"}}, []string{"c_d_e_f", "c_d_e_f_" + fnv32("c_d_e_f")}},
		{"labelled gauges join one renamed family",
			[]promDef{{Counter, "x.route=a"}, {Gauge, "x.route=b"}, {Gauge, "x.route=c"}},
			[]string{`x{route="a"}`, "x_" + fnv32("x") + `{route="b"}`, "x_" + fnv32("x") + `{route="c"}`}},
		{"same labels after escaping", []promDef{{Counter, "v.k=\xff"}, {Counter, "v.k=\xfe"}},
			[]string{"v{k=\"\uFFFD\"}", "v_" + fnv32("v") + "{k=\"\uFFFD\"}"}},
		{"Istio and dotted labels", []promDef{{Counter, "k=.=v;.;n"}, {Counter, "n.k=v"}},
			[]string{`n{k="v"}`, "n_" + fnv32("n") + `{k="v"}`}},
		{"summary then its _sum", []promDef{{Histogram, "lat"}, {Counter, "lat_sum"}, {Gauge, "lat.count"}},
			[]string{"lat_sum", "lat_sum_" + fnv32("lat_sum"), "lat_count_" + fnv32("lat.count")}},
		{"a _count then its summary", []promDef{{Counter, "lat_count"}, {Histogram, "lat"}},
			[]string{"lat_count", "lat_" + fnv32("lat") + "_sum"}},
		{"a summary's name is another's _sum", []promDef{{Histogram, "lat"}, {Histogram, "lat_sum"}},
			[]string{"lat_sum", "lat_sum_" + fnv32("lat_sum") + "_sum"}},
		{"a name taken by a renamed family", []promDef{{Counter, "x.y"}, {Counter, "x_y"}, {Counter, "x_y_" + fnv32("x_y")}},
			[]string{"x_y", "x_y_" + fnv32("x_y"), "x_y_" + fnv32("x_y") + "_" + fnv32("x_y_"+fnv32("x_y"))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, p := writePromPage(t, definePromMetrics(t, tc.defs))
			checkEveryMetric(t, tc.defs, page, p)
			for i, d := range tc.defs {
				want := canonicalSeries(t, tc.want[i])
				if v, ok := p.samples[want]; !ok || v != float64(1000+i) {
					t.Errorf("%q: %s = %v (present %v), want %d\n%s", d.name, tc.want[i], v, ok, 1000+i, page)
				}
				fam := p.family[want]
				if f := p.families[fam]; f != nil && (f.hasHelp != (i > 0) || i > 0 && !strings.Contains(f.help, "renamed: ")) {
					t.Errorf("%s (renamed: %v) has HELP %q", fam, i > 0, f.help)
				}
			}
			// The same definitions print the same page.
			again, _ := writePromPage(t, definePromMetrics(t, tc.defs))
			if again != page {
				t.Errorf("two pages differ:\n%s\n%s", page, again)
			}
		})
	}
}

func fnv32(s string) string { return promSuffix(s, s, 0) }

// TestPrometheusRenameIsStable checks that a metric defined later cannot
// take over a series already printed.
func TestPrometheusRenameIsStable(t *testing.T) {
	m := newMetrics()
	id, _ := m.define(Counter, "x_y")
	m.increment(id, 5)
	var before bytes.Buffer
	m.WritePrometheus(&before)
	id2, _ := m.define(Counter, "x.y") // sorts before x_y
	m.increment(id2, 7)
	page, _ := writePromPage(t, m)
	if !strings.Contains(page, "\nx_y 5\n") || !strings.HasPrefix(page, before.String()) {
		t.Errorf("x_y moved:\n%s\nthen\n%s", before.String(), page)
	}
}

// TestPrometheusHookguardNames pins what hookguard's own metrics print
// (docs/configuration.md "Metrics", envoy.yaml's stats_tags): unchanged by the naming
// rules for foreign modules.
func TestPrometheusHookguardNames(t *testing.T) {
	m := newMetrics()
	for _, name := range []string{
		"hookguard.requests_verified.route=github.key=GH_NEW",
		"hookguard.requests_rejected.route=_unmatched.reason=no_route",
		"hookguard.requests_rejected.route=github.reason=invalid_signature",
		"hookguard.requests_unverified.route=stripe-1.reason=missing_signature",
		"hookguard.duplicates.route=w",
		"hookguard.dedupe_evicted.route=w",
		"hookguard.handshakes.route=slack",
		"hookguard.config_rejected",
		"hookguard.host.overloaded",
		"hookguard.host.body_timeout",
		"hookguard.host.payload_too_large",
	} {
		m.Count(name, 2)
	}
	page, _ := writePromPage(t, m)
	const want = `# TYPE hookguard_config_rejected counter
hookguard_config_rejected 2
# TYPE hookguard_dedupe_evicted counter
hookguard_dedupe_evicted{route="w"} 2
# TYPE hookguard_duplicates counter
hookguard_duplicates{route="w"} 2
# TYPE hookguard_handshakes counter
hookguard_handshakes{route="slack"} 2
# TYPE hookguard_host_body_timeout counter
hookguard_host_body_timeout 2
# TYPE hookguard_host_overloaded counter
hookguard_host_overloaded 2
# TYPE hookguard_host_payload_too_large counter
hookguard_host_payload_too_large 2
# TYPE hookguard_requests_rejected counter
hookguard_requests_rejected{route="_unmatched",reason="no_route"} 2
hookguard_requests_rejected{route="github",reason="invalid_signature"} 2
# TYPE hookguard_requests_unverified counter
hookguard_requests_unverified{route="stripe-1",reason="missing_signature"} 2
# TYPE hookguard_requests_verified counter
hookguard_requests_verified{route="github",key="GH_NEW"} 2
`
	if page != want {
		t.Errorf("got\n%s\nwant\n%s", page, want)
	}
}

// TestWritePrometheusIsParsable defines random names built from the
// characters that break pages (separators, quotes, backslashes, newlines,
// digits, unicode, invalid UTF-8), of every kind, many colliding, and
// checks every page parses and shows every metric once with its value.
func TestWritePrometheusIsParsable(t *testing.T) {
	pieces := []string{"a", "b", "x", "_", ".", "=", ".=", "=.=", ";.;", ";", "-", " ", "\"", "\\", "\n", "0", "9",
		"route", "key", "__", "quantile", "_sum", "_count", "é", "\xff", "k=v", ".k=v", "k=.=v;.;", ":"}
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 0))
		seen := map[string]bool{}
		var defs []promDef
		for len(defs) < 150 {
			var b strings.Builder
			for n := 1 + r.IntN(6); n > 0; n-- {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			if seen[b.String()] {
				continue
			}
			seen[b.String()] = true
			defs = append(defs, promDef{MetricKind(r.IntN(3)), b.String()})
		}
		page, p := writePromPage(t, definePromMetrics(t, defs))
		checkEveryMetric(t, defs, page, p)
		if t.Failed() {
			t.Fatalf("seed %d:\n%s", seed, page)
		}
	}
}

// FuzzWritePrometheus checks the page stays valid and complete for any
// three names and kinds.
func FuzzWritePrometheus(f *testing.F) {
	f.Add("x.y", "x_y", "x-y", uint8(0))
	f.Add("lat", "lat_sum", "lat.count", uint8(2))
	f.Add("k=.=v;.;n", "n.k=v", "n.k=\xff", uint8(5))
	f.Add("custom_header_value_counts_value=foo_reporter=wasmgosdk", "9", ".route=x", uint8(7))
	f.Fuzz(func(t *testing.T, a, b, c string, kinds uint8) {
		var defs []promDef
		seen := map[string]bool{}
		for i, name := range []string{a, b, c} {
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			defs = append(defs, promDef{MetricKind(kinds >> (2 * i) & 3 % 3), name})
		}
		page, p := writePromPage(t, definePromMetrics(t, defs))
		checkEveryMetric(t, defs, page, p)
	})
}
