package host

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/hookguard/hookguard/internal/abi"
)

// MetricKind is the kind of a metric a module defines.
type MetricKind uint32

// Metric kinds, numbered as proxy_define_metric numbers them.
const (
	Counter   = MetricKind(abi.MetricCounter)
	Gauge     = MetricKind(abi.MetricGauge)
	Histogram = MetricKind(abi.MetricHistogram)
)

func (k MetricKind) String() string {
	switch k {
	case Counter:
		return "counter"
	case Gauge:
		return "gauge"
	case Histogram:
		return "histogram"
	}
	return "unknown"
}

// Metrics holds what a plugin's module defined with proxy_define_metric.
// As in Envoy, a metric is global by name: every VM that defines the same
// name shares one value. It is safe for concurrent use.
type Metrics struct {
	mu     sync.RWMutex
	byName map[string]*metric
	byID   []*metric
}

type metric struct {
	name  string
	kind  MetricKind
	id    uint32       // what proxy_define_metric returns for it
	value atomic.Int64 // counter and gauge value; histogram: sum
	count atomic.Int64 // histogram: number of samples
}

// MetricValue is one metric's current value. For a histogram, Value is
// the sum of recorded samples and Count their number.
type MetricValue struct {
	Name  string
	Kind  MetricKind
	Value int64
	Count int64
}

func newMetrics() *Metrics { return &Metrics{byName: map[string]*metric{}} }

// Snapshot returns every metric, sorted by name.
func (m *Metrics) Snapshot() []MetricValue {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]MetricValue, 0, len(m.byName))
	for _, mt := range m.byName {
		out = append(out, MetricValue{Name: mt.name, Kind: mt.kind, Value: mt.value.Load(), Count: mt.count.Load()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Value returns the value of the metric called name.
func (m *Metrics) Value(name string) (int64, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	mt, ok := m.byName[name]
	if !ok {
		return 0, false
	}
	return mt.value.Load(), true
}

// Count adds delta (at least 1) to the counter called name, defining it on
// first use: the host's own counters (package nethttp's overload and
// timeout counts) sit beside the module's, as Envoy's stats do.
func (m *Metrics) Count(name string, delta int64) {
	id, st := m.define(Counter, name)
	if st == abi.StatusOK {
		m.increment(id, delta)
	}
}

// Observe records value in the histogram called name, defining it on
// first use: the host's own histograms (package nethttp's time to a
// verdict), printed as a summary's _sum and _count.
func (m *Metrics) Observe(name string, value int64) {
	id, st := m.define(Histogram, name)
	if st == abi.StatusOK {
		m.record(id, value)
	}
}

// define returns a new id for the metric called name; like Envoy, the low
// two bits of an id encode its kind.
func (m *Metrics) define(kind MetricKind, name string) (uint32, abi.Status) {
	if kind > Histogram || name == "" {
		return 0, abi.StatusBadArgument
	}
	// perf: a name defined already (the host's own metrics, on every
	// request) is found under the read lock.
	m.mu.RLock()
	mt, ok := m.byName[name]
	m.mu.RUnlock()
	if ok && mt.kind == kind {
		return mt.id, abi.StatusOK
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// A name defined again, by another VM or a replaced one, gets its
	// first id back, as in Envoy: ids do not grow with VM replacements.
	if mt, ok := m.byName[name]; ok {
		if mt.kind != kind {
			return 0, abi.StatusBadArgument
		}
		return mt.id, abi.StatusOK
	}
	mt = &metric{name: name, kind: kind, id: uint32(len(m.byID))<<2 | uint32(kind)}
	m.byName[name] = mt
	m.byID = append(m.byID, mt)
	return mt.id, abi.StatusOK
}

func (m *Metrics) lookup(id uint32) *metric {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i := int(id >> 2)
	if i >= len(m.byID) || uint32(m.byID[i].kind) != id&3 {
		return nil
	}
	return m.byID[i]
}

// increment is proxy_increment_metric: NOT_FOUND for an unknown id, and
// BAD_ARGUMENT for a histogram or a counter's delta below 1, as Envoy
// answers.
func (m *Metrics) increment(id uint32, delta int64) abi.Status {
	mt := m.lookup(id)
	switch {
	case mt == nil:
		return abi.StatusNotFound
	case mt.kind == Histogram, mt.kind == Counter && delta <= 0:
		return abi.StatusBadArgument // Envoy: counters only go up, by at least 1
	}
	mt.value.Add(delta)
	return abi.StatusOK
}

// record is proxy_record_metric: a counter adds value (at least 1), a
// gauge is set to it and a histogram records it, as in Envoy.
func (m *Metrics) record(id uint32, value int64) abi.Status {
	mt := m.lookup(id)
	if mt == nil {
		return abi.StatusNotFound
	}
	switch mt.kind {
	case Counter:
		if value <= 0 {
			return abi.StatusBadArgument
		}
		mt.value.Add(value) // Envoy: recording a counter adds
	case Gauge:
		mt.value.Store(value)
	case Histogram:
		mt.value.Add(value)
		mt.count.Add(1)
	}
	return abi.StatusOK
}

// get is proxy_get_metric: a counter's or gauge's value; a histogram has
// none to give (BAD_ARGUMENT).
func (m *Metrics) get(id uint32) (int64, abi.Status) {
	mt := m.lookup(id)
	switch {
	case mt == nil:
		return 0, abi.StatusNotFound
	case mt.kind == Histogram:
		return 0, abi.StatusBadArgument
	}
	return mt.value.Load(), abi.StatusOK
}

// WritePrometheus writes every metric in the Prometheus text exposition
// format (version 0.0.4), named as Envoy's /stats/prometheus names a wasm
// metric. Every metric appears, under exactly one series.
//
// Envoy stores a module's metric as "wasmcustom.<name>"
// (source/extensions/common/wasm/context.cc, Context::defineMetric, with
// CustomStatNamespace from stats_handler.h), cuts tags out of that name with
// the bootstrap's stats_tags, and its exporter
// (source/server/admin/prometheus_stats_formatter.cc, formerly
// prometheus_stats.cc: metricName, sanitizeName, sanitizeValue,
// formattedTags) strips the registered "wasmcustom." namespace without
// adding "envoy_", replaces every character outside [a-zA-Z0-9_] of the
// rest with '_', and escapes \, " and newline in tag values. We do the
// same; promName says which tags we cut, in place of stats_tags. Where
// Envoy drops a metric we print it:
//
//   - Envoy skips a name that would start with a digit; we prefix '_', as
//     Envoy's sanitizeName itself did before custom namespaces.
//   - Envoy prints two stats that sanitize to one series (x.y and x_y) or
//     one family name of two kinds as they come, giving a page Prometheus
//     rejects. We disambiguate: the metric defined first keeps the name
//     and a later one gets "_" and 8 hex digits of the FNV-1a hash of its
//     tag-extracted name appended to its family name, with a # HELP line
//     saying so. Values are never merged, and as metrics are never
//     removed, a series keeps its name and meaning for the life of the
//     Metrics: a metric defined later cannot take it over. A summary
//     owns <name>_sum and <name>_count, which other families may not use.
//   - A histogram is written as a summary without quantiles (its sum and
//     count, all we keep), not as Envoy's bucketed histogram.
//
// Families are sorted by name, each with one # TYPE line (and a # HELP line
// only when renamed); within a family, series are sorted by metric name.
func (m *Metrics) WritePrometheus(w io.Writer) error {
	type sample struct {
		labels string
		mv     MetricValue
	}
	type family struct {
		kind    MetricKind
		help    string // empty unless the family was renamed
		samples []sample
	}
	// In definition order: a metric defined first keeps its name.
	m.mu.RLock()
	defined := make([]MetricValue, len(m.byID))
	for i, mt := range m.byID {
		defined[i] = MetricValue{Name: mt.name, Kind: mt.kind, Value: mt.value.Load(), Count: mt.count.Load()}
	}
	m.mu.RUnlock()

	families := map[string]*family{}
	series := map[string]bool{}
	// free reports whether a metric of kind, with labels, can print under
	// the family name without breaking the page.
	free := func(name string, kind MetricKind, help, labels string) bool {
		if f := families[name]; f != nil {
			return f.kind == kind && f.help == help && !series[name+labels]
		}
		for _, suffix := range [...]string{"_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && families[base] != nil && families[base].kind == Histogram {
				return false // a summary's sample name
			}
			if kind == Histogram && families[name+suffix] != nil {
				return false
			}
		}
		return true
	}
	for _, mv := range defined {
		name, labels, residual := promName(mv.Name, mv.Kind)
		help := ""
		if !free(name, mv.Kind, help, labels) {
			plain := name
			help = "wasm metric " + residual + " (renamed: " + plain + " belongs to another metric)"
			for try := 0; ; try++ {
				if name = plain + "_" + promSuffix(residual, mv.Name, try); free(name, mv.Kind, help, labels) {
					break
				}
			}
		}
		series[name+labels] = true
		f := families[name]
		if f == nil {
			f = &family{kind: mv.Kind, help: help}
			families[name] = f
		}
		f.samples = append(f.samples, sample{labels, mv})
	}

	names := make([]string, 0, len(families))
	for name := range families {
		names = append(names, name)
	}
	sort.Strings(names)
	bw := bufio.NewWriter(w)
	for _, name := range names {
		f := families[name]
		if f.help != "" {
			fmt.Fprintf(bw, "# HELP %s %s\n", name, promHelpEscaper.Replace(strings.ToValidUTF8(f.help, "\uFFFD")))
		}
		typ := f.kind.String()
		if f.kind == Histogram {
			typ = "summary"
		}
		fmt.Fprintf(bw, "# TYPE %s %s\n", name, typ)
		sort.Slice(f.samples, func(i, j int) bool { return f.samples[i].mv.Name < f.samples[j].mv.Name })
		for _, s := range f.samples {
			if s.mv.Kind == Histogram {
				fmt.Fprintf(bw, "%s_sum%s %d\n%s_count%s %d\n", name, s.labels, s.mv.Value, name, s.labels, s.mv.Count)
			} else {
				fmt.Fprintf(bw, "%s%s %d\n", name, s.labels, s.mv.Value)
			}
		}
	}
	return bw.Flush() // a bufio.Writer keeps its first error
}

// promName turns a metric name into a Prometheus family name, its labels
// ("" or `{k="v",...}`, in the order they appear in the name) and the name
// left once the labels are cut out (Envoy's tag-extracted name). It cuts,
// in place of stats_tags:
//
//   - Istio's tag pairs leading the name, "key=.=value;.;" (what the
//     stats_tags "(key=\.=(.+?);\.;)" of Istio's bootstrap cut, for any
//     key):
//     "reporter=.=source;.;istio_requests_total" is
//     istio_requests_total{reporter="source"};
//   - after the first segment, dot-separated segments "key=value" whose value
//     has no '=' (what hookguard's envoy.yaml stats_tags cut):
//     "hookguard.requests_rejected.route=r.reason=x" is
//     hookguard_requests_rejected{route="r",reason="x"}.
//
// A key must be a label name, not reserved ("__" prefix, or "quantile" on
// a histogram, which is written as a summary), not seen before in the name,
// and its value must not be empty (Prometheus reads an empty label as no
// label). A pair that fails stays in the name, as would a segment a
// stats_tags regex does not match. Anything else is left in the name,
// sanitized as Envoy does with no stats_tags: the proxy-wasm Go SDK's
// "custom_header_value_counts_value=foo_reporter=wasmgosdk" is
// custom_header_value_counts_value_foo_reporter_wasmgosdk. If nothing but
// labels would be left, nothing is cut.
func promName(full string, kind MetricKind) (name, labels, residual string) {
	var tags []string
	seen := map[string]bool{}
	take := func(k, v string) bool {
		if v == "" || !validLabel(k) || strings.HasPrefix(k, "__") || seen[k] || kind == Histogram && k == "quantile" {
			return false
		}
		seen[k] = true
		tags = append(tags, k+`="`+promValueEscaper.Replace(strings.ToValidUTF8(v, "\uFFFD"))+`"`)
		return true
	}
	rest, kept := full, ""
	for {
		k, after, ok := strings.Cut(rest, "=.=")
		if !ok || !validLabel(k) {
			break
		}
		v, next, ok := strings.Cut(after, ";.;")
		if !ok {
			break
		}
		if !take(k, v) {
			kept += rest[:len(rest)-len(next)]
		}
		rest = next
	}
	segs := strings.Split(kept+rest, ".")
	base := segs[:1]
	for _, seg := range segs[1:] {
		if k, v, ok := strings.Cut(seg, "="); !ok || strings.Contains(v, "=") || !take(k, v) {
			base = append(base, seg)
		}
	}
	residual = strings.Join(base, ".")
	if !strings.ContainsFunc(residual, func(r rune) bool { return r < utf8.RuneSelf && isAlnum(byte(r)) }) {
		residual, tags = full, nil
	}
	name = strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (isAlnum(byte(r)) || r == '_') {
			return r
		}
		return '_' // one per character; one per byte of invalid UTF-8
	}, residual)
	if name[0] >= '0' && name[0] <= '9' {
		name = "_" + name
	}
	if len(tags) == 0 {
		return name, "", residual
	}
	return name, "{" + strings.Join(tags, ",") + "}", residual
}

// promSuffix is what a renamed metric's family name gets appended:
// 8 hex digits hashing its tag-extracted name, so that its series share
// one family; failing that, its full name; then that and a counter.
func promSuffix(residual, full string, try int) string {
	h := fnv.New32a()
	switch try {
	case 0:
		h.Write([]byte(residual))
	case 1:
		h.Write([]byte(full))
	default:
		h.Write([]byte(full + "\x00" + strconv.Itoa(try)))
	}
	return fmt.Sprintf("%08x", h.Sum32())
}

var (
	// As Envoy's sanitizeValue and the exposition format escape a label value.
	promValueEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	// As the exposition format escapes # HELP text.
	promHelpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// validLabel reports whether k is a Prometheus label name.
func validLabel(k string) bool {
	if k == "" || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !isAlnum(k[i]) && k[i] != '_' {
			return false
		}
	}
	return true
}
