package plugin

import (
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
)

// Root is the plugin's root context, one per VM.
type Root struct {
	cfg     *config.Config
	metrics metrics
	// perf: marks[route][key id] is what a request verified under that
	// key gets, built once at configuration so the request path allocates
	// nothing for it.
	marks map[*config.Route]map[string]*mark
	// perf: lastMark is the mark used last: most requests are for the
	// route and key of the one before, and two map lookups cost more in
	// wasm.
	lastMark *mark
	// perf: free holds requests whose streams were deleted, for reuse
	// with their buffers (NewHTTPContext, OnDelete): a VM runs one
	// callback at a time, so no lock.
	free []*request
	// jwks are the remote JWK Sets this VM fetches (jwks.go).
	jwks []*jwksFetch
	// fetches are the provider keys and confirmations being fetched for
	// waiting requests (keyfetch.go).
	fetches []*keyFetch
}

// NewRoot returns the root context; register it with
// proxywasm.SetRootContext.
func NewRoot(uint32) proxywasm.RootContext { return &Root{} }

// OnVMStart defines the configuration metric.
func (r *Root) OnVMStart(int) bool {
	r.metrics.init()
	r.metrics.define(metricConfigRejected)
	return true
}

// OnConfigure parses the plugin configuration. Any error fails plugin
// start, so Envoy refuses the configuration instead of running a filter
// that would let requests through.
func (r *Root) OnConfigure(size int) bool {
	data := make([]byte, 0, size)
	err := proxywasm.ReadBuffer(proxywasm.BufferPluginConfiguration, 0, size, func(b []byte) error {
		data = append(data, b...)
		return nil
	})
	if err != nil {
		return r.refuse("cannot read the plugin configuration: " + err.Error())
	}
	cfg, warnings, err := config.Parse(data, proxywasm.Getenv)
	if err != nil {
		return r.refuse("invalid plugin configuration: " + err.Error())
	}
	r.metrics.defineRoutes(&cfg)
	for _, rt := range cfg.Routes {
		if rt.Dedupe == nil {
			continue
		}
		if err := initSlots(rt.Name, rt.Dedupe); err != nil {
			return r.refuse("route " + rt.Name + ": cannot create the de-duplication slots in shared data: " + err.Error())
		}
	}
	r.cfg = &cfg
	if err := r.startJWKS(); err != nil {
		return r.refuse("cannot start the timer that fetches JWK Sets: " + err.Error())
	}
	r.buildMarks()
	logConfigured(data, &cfg, warnings)
	return true
}

// refuse counts and logs a configuration that fails plugin start.
func (r *Root) refuse(msg string) bool {
	r.metrics.inc(metricConfigRejected)
	logLine(proxywasm.LogCritical, msg)
	return false
}

// logConfigured logs the configuration's warnings and routes. Every VM
// configures itself; the first to do so with this configuration says so
// at info, the others at debug.
func logConfigured(data []byte, cfg *config.Config, warnings []string) {
	level, warnLevel := proxywasm.LogDebug, proxywasm.LogDebug
	if proxywasm.FirstToClaim(configuredKey(data)) {
		level, warnLevel = proxywasm.LogInfo, proxywasm.LogWarn
	}
	for _, w := range warnings {
		logLine(warnLevel, w)
	}
	for _, rt := range cfg.Routes {
		logLine(level, "configured: route="+rt.Name+" scheme="+rt.SchemeName+" mode="+string(rt.Mode)+
			" keys="+joinPairs(rt.KeyIDs, rt.SecretSources)+" max_body_bytes="+strconv.FormatInt(rt.MaxBodyBytes, 10))
	}
	logLine(level, "configured: routes="+strconv.Itoa(len(cfg.Routes))+" unmatched="+cfg.Unmatched+" hold_headers="+strconv.FormatBool(cfg.HoldHeaders))
}

// configuredKey names a configuration in shared data, so a new one is
// logged again.
func configuredKey(data []byte) string {
	h := fnv.New64a()
	h.Write(data)
	return "hookguard.configured." + strconv.FormatUint(h.Sum64(), 16)
}

func joinPairs(ids, sources []string) string {
	s := ""
	for i := range ids {
		if i > 0 {
			s += ","
		}
		s += ids[i] + "(" + sources[i] + ")"
	}
	return s
}

// mark is what a verified request gets: its header, counter and log line.
type mark struct {
	route                   *config.Route
	keyID                   string
	header, metric, logLine string
	// perf: the counter's id, looked up once (finish): a map lookup by
	// the metric's name costs about a microsecond in the module.
	metricID    uint32
	metricKnown bool
}

func newMark(rt *config.Route, keyID string) *mark {
	route := rt.Name
	return &mark{
		route:   rt,
		keyID:   strings.Clone(keyID), // the id may be in a request's arena
		header:  "route=" + route + "; key=" + keyID,
		metric:  verifiedMetric(route, keyID),
		logLine: logPrefix + "verified request: route=" + route + " key=" + keyID,
	}
}

// buildMarks makes the mark of every route's configured keys.
func (r *Root) buildMarks() {
	r.marks, r.lastMark = map[*config.Route]map[string]*mark{}, nil
	for i := range r.cfg.Routes {
		rt := &r.cfg.Routes[i]
		r.marks[rt] = map[string]*mark{}
		for _, id := range rt.KeyIDs {
			r.marks[rt][id] = newMark(rt, id)
		}
	}
}

// findMark returns the mark of a request of rt verified under keyID, and
// makes it lastMark. finish asks only when lastMark is not it.
func (r *Root) findMark(rt *config.Route, keyID string) *mark {
	m := r.marks[rt][keyID]
	if m == nil { // a kid of a remote JWK Set, first seen: kept for the next
		m = newMark(rt, keyID)
		if len(r.marks[rt]) < 64 {
			r.marks[rt][m.keyID] = m
			r.metrics.define(m.metric)
		}
	}
	r.lastMark = m
	return m
}
