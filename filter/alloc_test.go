package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/cases"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// calls counts calls of a few of the module's functions, by name, while on.
type calls struct {
	on    bool
	count map[string]int
}

func (c *calls) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	switch def.Name() {
	case "runtime.mallocgc", "runtime.getitab":
		return callCounter{c, def.Name()}
	}
	return nil
}

type callCounter struct {
	c    *calls
	name string
}

func (l callCounter) Before(context.Context, api.Module, api.FunctionDefinition, []uint64, experimental.StackIterator) {
	if l.c.on {
		l.c.count[l.name]++
	}
}
func (callCounter) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}
func (callCounter) Abort(context.Context, api.Module, api.FunctionDefinition, error)    {}

// allocationFree are the presets whose verified requests allocate nothing
// in the module: HMAC of the body, or of a template of headers and the
// body, with a Unix timestamp. The others build URLs or parse JSON, RFC
// 3339 times or public-key signatures, with the standard library's
// allocations; TestVerifiedRequestsAllocateNothing reports their counts.
var allocationFree = []string{"airwallex", "bitbucket", "brex", "buildkite", "calendly", "checkout-com", "circleci", "clerk",
	"coinbase-commerce", "customer-io", "dropbox", "forgejo", "front", "gitea", "github", "gocardless", "heroku", "intercom",
	"launchdarkly", "lemon-squeezy", "lithic", "meta", "mux", "nylas", "openai", "paddle", "pagerduty", "pipes", "polar",
	"razorpay", "replicate", "resend", "segment", "sentry", "shopify", "standard-webhooks", "stripe", "stytch", "svix", "tiktok",
	"twitch", "typeform", "vercel", "webflow", "whatsapp", "woocommerce", "workos", "xero", "zendesk"}

// TestVerifiedRequestsAllocateNothing counts, with a wazero function
// listener, the module's heap allocations (runtime.mallocgc) and run-time
// itab lookups (runtime.getitab) while it verifies every provider's valid
// vectors again and again, once the VM has served each kind once: none for
// allocationFree's presets. In Go compiled to wasm an allocation costs
// ~0.4 µs, and the GC cycles allocations start then run with write
// barriers on for hundreds of requests (RATIONALE.md).
func TestVerifiedRequestsAllocateNothing(t *testing.T) {
	f, err := cases.ReadProviders()
	if err != nil {
		t.Fatal(err)
	}
	c := &calls{count: map[string]int{}}
	ctx := experimental.WithFunctionListenerFactory(context.Background(), c)
	mc := host.ModuleConfig{Clock: fixed(f.Time())} // no cache: listeners are compiled in
	mod, err := host.Compile(ctx, moduleBytes(t), mc)
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close(ctx)
	cfg, env := cases.RouteConfig(f)
	p, err := mod.NewPlugin(ctx, host.PluginConfig{Configuration: []byte(cfg), Env: env, AllowOnHeadersStopIteration: true, VMs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	checked := map[string]bool{}
	for _, tc := range cases.RoutedCases(f) {
		preset, _, _ := strings.Cut(tc.Name, "/")
		if tc.WantStatus != 200 {
			continue
		}
		t.Run(tc.Name, func(t *testing.T) {
			checkResult(t, runCase(t, p, tc), tc) // warms free lists, arenas, the key's first sight
			clear(c.count)
			c.on = true
			for range 20 {
				runCase(t, p, tc)
			}
			c.on = false
			allocs, lookups := c.count["runtime.mallocgc"], c.count["runtime.getitab"]
			if !slices.Contains(allocationFree, preset) {
				t.Logf("20 requests: %d allocations, %d itab lookups in the module", allocs, lookups)
				return
			}
			checked[preset] = true
			if allocs != 0 || lookups != 0 {
				t.Errorf("20 requests: %d allocations, %d itab lookups in the module; want none", allocs, lookups)
			}
		})
	}
	if len(checked) != len(allocationFree) {
		t.Fatalf("checked %d of the %d allocation-free presets: a vector is missing", len(checked), len(allocationFree))
	}
}
