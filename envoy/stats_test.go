package envoy_test

import (
	"context"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/filter/reason"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
	"sigs.k8s.io/yaml"
)

// extractTags applies envoy.yaml's stats_tags to a stat name as Envoy
// does: each regex runs on the full name; its first group is cut from the
// tag-extracted name and its second is the tag's value.
func extractTags(t *testing.T, specs []tagSpec, name string) (string, map[string]string) {
	t.Helper()
	tags := map[string]string{}
	type cut struct{ from, to int }
	var cuts []cut
	for _, s := range specs {
		m := s.re.FindStringSubmatchIndex(name)
		if m == nil {
			continue
		}
		if len(m) < 6 {
			t.Fatalf("tag %s: the regex needs two groups", s.name)
		}
		tags[s.name] = name[m[4]:m[5]]
		cuts = append(cuts, cut{m[2], m[3]})
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].from > cuts[j].from })
	for _, c := range cuts {
		name = name[:c.from] + name[c.to:]
	}
	return name, tags
}

type tagSpec struct {
	name string
	re   *regexp.Regexp
}

func statsTags(t *testing.T) []tagSpec {
	data, err := os.ReadFile("envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		StatsConfig struct {
			StatsTags []struct {
				TagName string `json:"tag_name"`
				Regex   string `json:"regex"`
			} `json:"stats_tags"`
		} `json:"stats_config"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var specs []tagSpec
	for _, st := range doc.StatsConfig.StatsTags {
		specs = append(specs, tagSpec{st.TagName, regexp.MustCompile(st.Regex)})
	}
	return specs
}

// TestStatsTagsCoverEveryMetric defines the module's metrics with a route
// in each mode and checks envoy.yaml's stats_tags turn every one into a
// base name and the right tags, as WritePrometheus does in our host.
func TestStatsTagsCoverEveryMetric(t *testing.T) {
	specs := statsTags(t)
	ctx := context.Background()
	mod, err := host.Compile(ctx, testwasm.Module(t), host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close(ctx)
	p, err := mod.NewPlugin(ctx, host.PluginConfig{VMs: 1, Env: map[string]string{"S": "stats-secret-0123456789abcdef0123", "W": "whsec_c3RhdHMtc2VjcmV0LTAxMjM0NTY3ODk="},
		Configuration: []byte(`{"routes":[{"name":"gh-1","match":{"path":"/a"},"scheme":"github","secrets":[{"id":"k-1","env":"S"}]},
			{"name":"d","match":{"path":"/d"},"mode":"detect","secrets":[{"id":"k","env":"S"}]},
			{"name":"u","match":{"path":"/u"},"secrets":[{"env":"UNSET","optional":true}]},
			{"name":"w","match":{"path":"/w"},"scheme":"standard-webhooks","secrets":[{"env":"W"}],"dedupe":{"max_ids":16,"on_store_failure":"allow"}},
			{"name":"w2","match":{"path":"/w2"},"scheme":"slack","secrets":[{"env":"S"}],"handshake":true,"source_cidrs":["10.0.0.0/8"]},
			{"name":"w3","match":{"path":"/w3"},"scheme":"twitter","secrets":[{"env":"S"}],"handshake":true},
			{"name":"j","match":{"path":"/j"},"scheme":"jwt","jwks_cluster":"idp"},
			{"name":"sns","match":{"path":"/sns"},"scheme":"aws-sns","key_cluster":"keys","topic_arns":["arn:aws:sns:us-east-1:1:t"]}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	seenReasons := map[string]bool{}
	for _, m := range p.Metrics().Snapshot() {
		full := "wasmcustom." + m.Name
		base, tags := extractTags(t, specs, full)
		switch {
		case m.Name == "hookguard.config_rejected":
			if len(tags) != 0 || base != full {
				t.Errorf("%s: tags %v", full, tags)
			}
		case strings.HasPrefix(m.Name, "hookguard.requests_verified."):
			if base != "wasmcustom.hookguard.requests_verified" || tags["route"] == "" || tags["key"] == "" || len(tags) != 2 {
				t.Errorf("%s: %s %v", full, base, tags)
			}
			if !strings.HasSuffix(m.Name, ".route="+tags["route"]+".key="+tags["key"]) {
				t.Errorf("%s: tags %v do not match the name", full, tags)
			}
		case strings.HasPrefix(m.Name, "hookguard.requests_rejected."), strings.HasPrefix(m.Name, "hookguard.requests_unverified."):
			want := strings.Join(strings.Split(m.Name, ".")[:2], ".")
			if base != "wasmcustom."+want || tags["route"] == "" || tags["reason"] == "" || len(tags) != 2 {
				t.Errorf("%s: %s %v", full, base, tags)
			}
			seenReasons[tags["reason"]] = true
		case strings.HasPrefix(m.Name, "hookguard.duplicates."), strings.HasPrefix(m.Name, "hookguard.dedupe_evicted."),
			strings.HasPrefix(m.Name, "hookguard.dedupe_bypassed."), strings.HasPrefix(m.Name, "hookguard.dedupe_replayed."),
			strings.HasPrefix(m.Name, "hookguard.handshakes."):
			want := strings.Join(strings.Split(m.Name, ".")[:2], ".")
			if base != "wasmcustom."+want || !strings.HasPrefix(tags["route"], "w") || len(tags) != 1 {
				t.Errorf("%s: %s %v", full, base, tags)
			}
		default:
			t.Errorf("%s: a metric envoy.yaml does not know", full)
		}
	}
	for _, r := range reason.All {
		if !seenReasons[r.Name] && r != reason.NoRoute {
			t.Errorf("reason %s has no metric", r.Name)
		}
	}
	if !seenReasons[reason.NoRoute.Name] {
		t.Error("no_route has no metric")
	}
}
