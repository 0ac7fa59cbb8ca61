package deploy_test

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

const dashboardPath = "grafana/hookguard.json"

// grafanaPanel is what the test reads of a dashboard panel.
type grafanaPanel struct {
	Title   string         `json:"title"`
	Type    string         `json:"type"`
	Panels  []grafanaPanel `json:"panels"` // a collapsed row's
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// grafanaDashboard is what the test reads of the dashboard.
type grafanaDashboard struct {
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Panels      []grafanaPanel `json:"panels"`
	Templating  struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

func loadDashboard(t *testing.T) grafanaDashboard {
	t.Helper()
	data, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	return d
}

// queries returns every PromQL expression of the dashboard, by where it
// is, and its variables' label_values queries, parsed.
func (d grafanaDashboard) queries(t *testing.T) map[string]promqlUse {
	t.Helper()
	out := map[string]promqlUse{}
	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			for i, tg := range p.Targets {
				out[p.Title+" #"+string(rune('A'+i))] = parsePromQL(tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(string)
		if m, ok := v.Query.(map[string]any); ok {
			q, _ = m["query"].(string)
		}
		lv := labelValuesQuery.FindStringSubmatch(strings.TrimSpace(q))
		if lv == nil {
			t.Errorf("variable %s: query %q is not label_values(metric, label)", v.Name, q)
			continue
		}
		out["variable "+v.Name] = promqlUse{metrics: []string{lv[1]}, groupLabels: []string{lv[2]}}
	}
	return out
}

// exported is what the module and the host export: each family and its
// labels.
type exported map[string]map[string]bool

func exportedFamilies(all []series) exported {
	fams := exported{}
	for _, s := range all {
		if fams[s.family] == nil {
			fams[s.family] = map[string]bool{}
		}
		for l := range s.labels {
			fams[s.family][l] = true
		}
	}
	return fams
}

// TestDashboardReadsWhatIsExported checks every metric and label the
// dashboard's queries read against the /metrics page of the module running
// in the Go host, as the gateway serves it, and that every family there
// has a panel.
func TestDashboardReadsWhatIsExported(t *testing.T) {
	fams := exportedFamilies(scrapeMetrics(t))
	d := loadDashboard(t)
	shown := map[string]bool{}
	for where, use := range d.queries(t) {
		if len(use.metrics) == 0 {
			t.Errorf("%s: reads no metric", where)
		}
		for _, m := range use.metrics {
			shown[m] = true
			labels, ok := fams[m]
			if !ok {
				t.Errorf("%s: reads %s, which neither the module nor the host exports", where, m)
				continue
			}
			for _, l := range append(slices.Clone(use.groupLabels), use.selectorLabels[m]...) {
				if !labels[l] {
					t.Errorf("%s: %s has no label %q (it has %v)", where, m, l, keys(labels))
				}
			}
		}
	}
	for fam := range fams {
		if !shown[fam] {
			t.Errorf("%s is exported and on no panel", fam)
		}
	}
}

// TestScrapeExercisesEveryCounter checks the requests scrapeMetrics sends
// moved what they are meant to: otherwise the names above would come from
// counters merely defined, and host counters would be missing.
func TestScrapeExercisesEveryCounter(t *testing.T) {
	moved := map[string]bool{}
	for _, s := range scrapeMetrics(t) {
		if s.value != "0" {
			moved[s.family+"/"+s.labels["route"]+"/"+s.labels["reason"]] = true
		}
	}
	for _, want := range []string{
		"hookguard_requests_verified/pipes/",
		"hookguard_requests_rejected/pipes/invalid_signature",
		"hookguard_requests_rejected/_unmatched/no_route",
		"hookguard_requests_unverified/watch/invalid_signature",
		"hookguard_duplicates/pipes/",
		"hookguard_handshakes/dropbox/",
		"hookguard_host_overloaded//",
		"hookguard_host_body_timeout//",
		"hookguard_host_payload_too_large//",
	} {
		if !moved[want] {
			t.Errorf("%s did not move (moved: %v)", want, keys(moved))
		}
	}
}

// TestDashboardSaysWhatDiffersInEnvoy checks the dashboard's description
// tells an Envoy user what they will not see.
func TestDashboardSaysWhatDiffersInEnvoy(t *testing.T) {
	d := loadDashboard(t)
	for _, want := range []string{"/metrics", "Envoy", "stats_tags", "hookguard_host_", "latency"} {
		if !strings.Contains(d.Description, want) {
			t.Errorf("the dashboard's description does not mention %q", want)
		}
	}
}

// TestParsePromQL pins the expression reader the checks rely on.
func TestParsePromQL(t *testing.T) {
	use := parsePromQL(`sort_desc(sum by (route, reason) (increase(hookguard_requests_rejected{route=~"$route", reason!="x"}[$__range])) > 0) / on(route) sum(rate(other_total[5m])) or vector(0)`)
	if got := strings.Join(use.metrics, ","); got != "hookguard_requests_rejected,other_total" {
		t.Errorf("metrics %s", got)
	}
	if got := strings.Join(use.groupLabels, ","); got != "route,reason,route" {
		t.Errorf("grouping labels %s", got)
	}
	if got := strings.Join(use.selectorLabels["hookguard_requests_rejected"], ","); got != "route,reason" {
		t.Errorf("selector labels %s", got)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
