package plugin_test

import (
	"testing"

	"github.com/hookguard/hookguard/internal/testing/cases"
)

// TestReplaysNeverReachTheUpstream runs every preset's replay scenario
// (cases.ReplayScenarios): a delivery its provider's SDK signed, failed
// once and retried, then sent again as an attacker who captured it would,
// under minted delivery ids and other unsigned headers. The retry goes
// through; no copy does; the copies under another id are counted.
func TestReplaysNeverReachTheUpstream(t *testing.T) {
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	cfg, env := cases.ReplayRouteConfig(f)
	h := start(t, cfg, env, f.Time())
	for _, sc := range cases.ReplayScenarios(f) {
		t.Run(sc.Preset+"/"+sc.Identity.String(), func(t *testing.T) {
			through := 0
			for _, st := range sc.Steps {
				o := runAnswered(h, st.Case, "", st.Upstream)
				if err := st.Check(o); err != nil {
					t.Fatal(err)
				}
				if o.Upstream {
					through++
				}
			}
			if through < 3 {
				t.Fatalf("the upstream saw %d requests, want the first attempt, its retry and the second delivery", through)
			}
			if n, _ := h.Metric("hookguard.duplicates.route=" + sc.Preset); n < 2+cases.FloodSize {
				t.Fatalf("duplicates counted %d, want at least %d", n, 2+cases.FloodSize)
			}
			if n, _ := h.Metric("hookguard.dedupe_replayed.route=" + sc.Preset); sc.Tagged && n < cases.FloodSize {
				t.Fatalf("copies under minted ids counted %d, want at least %d", n, cases.FloodSize)
			}
		})
	}
}
