package host

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hookguard/hookguard/internal/abi"
)

// MetricKind is the kind of a metric a module defines.
type MetricKind uint32

// Metric kinds, numbered as proxy_define_metric numbers them.
const (
	Counter   MetricKind = abi.MetricCounter
	Gauge     MetricKind = abi.MetricGauge
	Histogram MetricKind = abi.MetricHistogram
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
	if st == statusOK {
		m.increment(id, delta)
	}
}

// define returns a new id for the metric called name; like Envoy, the low
// two bits of an id encode its kind.
func (m *Metrics) define(kind MetricKind, name string) (uint32, uint32) {
	if kind > Histogram || name == "" {
		return 0, statusBadArgument
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// A name defined again, by another VM or a replaced one, gets its
	// first id back, as in Envoy: ids do not grow with VM replacements.
	if mt, ok := m.byName[name]; ok {
		if mt.kind != kind {
			return 0, statusBadArgument
		}
		return mt.id, statusOK
	}
	mt := &metric{name: name, kind: kind, id: uint32(len(m.byID))<<2 | uint32(kind)}
	m.byName[name] = mt
	m.byID = append(m.byID, mt)
	return mt.id, statusOK
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

func (m *Metrics) increment(id uint32, delta int64) uint32 {
	mt := m.lookup(id)
	switch {
	case mt == nil:
		return statusNotFound
	case mt.kind == Histogram, mt.kind == Counter && delta <= 0:
		return statusBadArgument // Envoy: counters only go up, by at least 1
	}
	mt.value.Add(delta)
	return statusOK
}

func (m *Metrics) record(id uint32, value int64) uint32 {
	mt := m.lookup(id)
	if mt == nil {
		return statusNotFound
	}
	switch mt.kind {
	case Counter:
		if value <= 0 {
			return statusBadArgument
		}
		mt.value.Add(value) // Envoy: recording a counter adds
	case Gauge:
		mt.value.Store(value)
	case Histogram:
		mt.value.Add(value)
		mt.count.Add(1)
	}
	return statusOK
}

func (m *Metrics) get(id uint32) (int64, uint32) {
	mt := m.lookup(id)
	switch {
	case mt == nil:
		return 0, statusNotFound
	case mt.kind == Histogram:
		return 0, statusBadArgument
	}
	return mt.value.Load(), statusOK
}

// SharedData is the key-value store behind proxy_get_shared_data and
// proxy_set_shared_data, with Envoy's compare-and-swap: every value has a
// version (cas), never 0, that changes with each Set; Set with a non-zero
// cas stores only if it is still the current version, and with cas 0
// stores whatever the version. It must be safe for concurrent use. An
// error fails the module's call (proxy-wasm's InternalFailure), and
// hookguard then refuses the request: a store that is down never lets one
// through.
type SharedData interface {
	// Get returns key's value and version; found is false when it has
	// none.
	Get(key string) (value []byte, cas uint32, found bool, err error)
	// Set stores value at key unless cas is non-zero and stale, when it
	// reports false.
	Set(key string, value []byte, cas uint32) (ok bool, err error)
}

// NewMemorySharedData returns the in-memory store a plugin uses by
// default, for wrapping (a store that sends some keys elsewhere).
func NewMemorySharedData() SharedData { return &memorySharedData{m: map[string]sharedValue{}} }

type memorySharedData struct {
	mu sync.Mutex
	m  map[string]sharedValue
}

type sharedValue struct {
	data []byte
	cas  uint32
}

func (d *memorySharedData) Get(key string) ([]byte, uint32, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[key]
	return v.data, v.cas, ok, nil
}

func (d *memorySharedData) Set(key string, data []byte, cas uint32) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := d.m[key]
	if cas != 0 && cas != cur.cas {
		return false, nil
	}
	next := cur.cas + 1
	if next == 0 {
		next = 1
	}
	d.m[key] = sharedValue{data: data, cas: next}
	return true, nil
}

// WritePrometheus writes every metric in the Prometheus text format, named
// as Envoy's /stats/prometheus names a wasm metric: segments of the form
// ".label=value" become labels (as envoy.yaml's stats_tags extract them),
// the rest has dots and dashes made underscores, and a name that would
// start with a digit is left out. Metrics that differ only in labels share
// one # TYPE line.
func (m *Metrics) WritePrometheus(w io.Writer) error {
	type sample struct {
		labels string
		mv     MetricValue
	}
	families := map[string][]sample{}
	series := map[string]bool{}
	var names []string
	for _, mv := range m.Snapshot() {
		name, labels := promName(mv.Name)
		if name == "" || (name[0] >= '0' && name[0] <= '9') {
			continue
		}
		// One page the parser accepts: a family has one type, a series
		// appears once. A later metric that would break either is left out.
		if fam, ok := families[name]; ok && fam[0].mv.Kind != mv.Kind || series[name+labels] {
			continue
		}
		series[name+labels] = true
		if _, ok := families[name]; !ok {
			names = append(names, name)
		}
		families[name] = append(families[name], sample{labels, mv})
	}
	sort.Strings(names)
	for _, name := range names {
		samples := families[name]
		kind := samples[0].mv.Kind
		typ := kind.String()
		if kind == Histogram {
			typ = "summary"
		}
		if _, err := fmt.Fprintf(w, "# TYPE %s %s\n", name, typ); err != nil {
			return err
		}
		for _, s := range samples {
			var err error
			if s.mv.Kind == Histogram {
				_, err = fmt.Fprintf(w, "%s_sum%s %d\n%s_count%s %d\n", name, s.labels, s.mv.Value, name, s.labels, s.mv.Count)
			} else {
				_, err = fmt.Fprintf(w, "%s%s %d\n", name, s.labels, s.mv.Value)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// promName splits a metric name into a Prometheus name and label set.
func promName(full string) (string, string) {
	var base []string
	var labels []string
	seen := map[string]bool{}
	for _, seg := range strings.Split(full, ".") {
		k, v, ok := strings.Cut(seg, "=")
		if ok && validLabel(k) && !seen[k] && !strings.HasPrefix(k, "__") { // a label once; __ names are Prometheus's
			seen[k] = true
			labels = append(labels, k+`="`+strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)+`"`)
			continue
		}
		base = append(base, seg)
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == ':' {
			return r
		}
		return '_'
	}, strings.Join(base, "_"))
	if len(labels) == 0 {
		return name, ""
	}
	return name, "{" + strings.Join(labels, ",") + "}"
}

func validLabel(k string) bool {
	if k == "" || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
