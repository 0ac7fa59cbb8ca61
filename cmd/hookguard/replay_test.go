package main

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/hookguard/hookguard/internal/testing/cases"
	"github.com/hookguard/hookguard/internal/testing/conformance"
	"github.com/hookguard/hookguard/internal/testing/testredis"
)

// TestReplaysThroughGateways runs every preset's replay scenario
// (cases.ReplayScenarios) over HTTP through the module: a delivery its
// provider's SDK signed, failed once by the upstream and retried, then
// sent again under minted delivery ids and other unsigned headers, in a
// flood, and signed again by its sender. Once through one gateway with its
// store in memory, once through two gateways sharing a real Redis, the
// steps alternating between them: the retry after the failure goes
// through, no copy reaches the upstream.
func TestReplaysThroughGateways(t *testing.T) {
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	cfg, env := cases.ReplayRouteConfig(f)
	var answer atomic.Int64
	var seen atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		w.WriteHeader(int(answer.Load()))
	}))
	t.Cleanup(upstream.Close)
	for _, fleet := range []struct {
		name     string
		gateways int
		redis    bool
	}{{"memory", 1, false}, {"two gateways on redis", 2, true}} {
		t.Run(fleet.name, func(t *testing.T) {
			e := maps.Clone(env)
			e["HOOKGUARD_CONFIG"] = writeTempBytes(t, []byte(cfg))
			e["HOOKGUARD_UPSTREAM"] = upstream.URL
			if fleet.redis {
				e["HOOKGUARD_REDIS_URL"] = testredis.URL(testredis.Start(t))
			}
			var bases []string
			for range fleet.gateways {
				base, _ := startGatewayAt(t, maps.Clone(e), f.Time)
				bases = append(bases, base)
			}
			n := 0
			for _, sc := range cases.ReplayScenarios(f) {
				for _, st := range sc.Steps {
					answer.Store(int64(st.Upstream))
					before := seen.Load()
					status, body, err := conformance.Send(http.DefaultClient, bases[n%len(bases)], st.Case)
					n++
					if err != nil {
						t.Fatal(err)
					}
					o := cases.Outcome{Status: status, Upstream: seen.Load() > before, Body: body}
					if err := st.Check(o); err != nil {
						t.Errorf("%s (gateway %d): %v", sc.Identity, (n-1)%len(bases), err)
					}
				}
			}
			if n < 20*len(cases.ReplayScenarios(f)) {
				t.Fatalf("only %d steps", n)
			}
		})
	}
}
