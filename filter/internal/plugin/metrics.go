package plugin

import (
	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/reason"
)

// Metric names carry their labels as ".name=value" segments: Envoy's
// stats_tags (envoy.yaml) and host.Metrics.WritePrometheus turn them into
// tags, so /stats/prometheus shows
// hookguard_requests_rejected{route="github",reason="invalid_signature"}.
const (
	metricConfigRejected = "hookguard.config_rejected"
	// unmatchedRoute is the route label of a request no route matched;
	// route names cannot start with '_'.
	unmatchedRoute = "_unmatched"
)

func verifiedMetric(route, key string) string {
	return "hookguard.requests_verified.route=" + route + ".key=" + key
}

func rejectedMetric(route, why string) string {
	return "hookguard.requests_rejected.route=" + route + ".reason=" + why
}

// handshakeMetric counts provider handshakes answered by the filter.
func handshakeMetric(route string) string { return "hookguard.handshakes.route=" + route }

// duplicateMetric counts duplicate deliveries answered locally.
func duplicateMetric(route string) string { return "hookguard.duplicates.route=" + route }

// evictedMetric counts accepted ids forgotten before their window ended,
// for room: a sign that the route's max_ids is too small.
func evictedMetric(route string) string { return "hookguard.dedupe_evicted.route=" + route }

// bypassedMetric counts verified deliveries of a route with
// "on_store_failure": "allow" let on without de-duplication because the
// store failed.
func bypassedMetric(route string) string { return "hookguard.dedupe_bypassed.route=" + route }

// replayedMetric counts the copies of a delivery already let through that
// came under another delivery-id header: a replay with a minted id (or a
// sender that changes the id on retries), answered as the duplicate it is.
func replayedMetric(route string) string { return "hookguard.dedupe_replayed.route=" + route }

// unverifiedMetric counts detect-mode requests that failed and went on.
func unverifiedMetric(route, why string) string {
	return "hookguard.requests_unverified.route=" + route + ".reason=" + why
}

// metrics holds this VM's metric ids; a metric the host could not define
// has no id and is skipped.
type metrics struct {
	ids map[string]uint32
}

func (m *metrics) init() { m.ids = map[string]uint32{} }

func (m *metrics) define(name string) {
	if _, ok := m.ids[name]; ok {
		return
	}
	id, err := proxywasm.DefineMetric(proxywasm.MetricCounter, name)
	if err != nil {
		logLine(proxywasm.LogWarn, "cannot define metric "+name+": "+err.Error())
		return
	}
	m.ids[name] = id
}

// defineRoutes defines every counter the configuration can touch, so
// each shows as 0 before its first request.
func (m *metrics) defineRoutes(cfg *config.Config) {
	for _, rt := range cfg.Routes {
		for _, k := range rt.KeyIDs {
			m.define(verifiedMetric(rt.Name, k))
		}
		if rt.Handshake != "" {
			m.define(handshakeMetric(rt.Name))
		}
		if rt.Dedupe != nil {
			m.define(duplicateMetric(rt.Name))
			m.define(evictedMetric(rt.Name))
			m.define(replayedMetric(rt.Name))
			if rt.Dedupe.OnStoreFailure == config.StoreFailureAllow {
				m.define(bypassedMetric(rt.Name))
			}
		}
		for _, r := range reason.All {
			if r == reason.NoRoute || r == reason.HeadersTooLarge || r == reason.Unconfigured && !rt.Unconfigured || r.Dedupe() && rt.Dedupe == nil ||
				r == reason.SourceNotAllowed && len(rt.SourceCIDRs) == 0 || r == reason.JWKSUnavailable && rt.RemoteJWKS == nil || r == reason.KeyUnavailable && rt.KeyCluster == "" ||
				r == reason.HandshakeRefused && !answersAtHeaders(&rt) {
				continue
			}
			m.define(rejectedMetric(rt.Name, r.Name))
			if rt.Mode == config.Detect {
				m.define(unverifiedMetric(rt.Name, r.Name))
			}
		}
	}
	if cfg.Unmatched == config.UnmatchedReject && !matchesAll(cfg) {
		m.define(rejectedMetric(unmatchedRoute, reason.NoRoute.Name))
	}
	m.define(rejectedMetric(unmatchedRoute, reason.InternalError.Name))
	m.define(rejectedMetric(unmatchedRoute, reason.HeadersTooLarge.Name))
}

// inc counts name, when the host defined it.
//
// size: a call, not inlined: at its dozen call sites, none on the path
// of a verified request (finish counts by id), inlining cost the module
// 1.5 KB, and the call costs little beside the map lookup.
//
//go:noinline
func (m *metrics) inc(name string) {
	if id, ok := m.ids[name]; ok {
		proxywasm.IncrementMetric(id, 1) // a failed count must not fail a request
	}
}

// matchesAll reports whether some route matches every request, so that
// no request can go unmatched.
func matchesAll(cfg *config.Config) bool {
	for _, rt := range cfg.Routes {
		m := rt.Match
		if m.Authority == "" && m.Path == "" && m.PathPrefix == "" && len(m.Methods) == 0 {
			return true
		}
	}
	return false
}
