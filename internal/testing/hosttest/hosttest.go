// Package hosttest holds the helpers that tests on both sides of the host
// boundary use to drive a module through host: the host's own tests (WAT
// probes) and the filter's tests of the built hookguard module.
package hosttest

import (
	"context"
	"testing"

	"github.com/hookguard/hookguard/host"
)

// Handle runs req on a new stream of p and closes the stream. It returns
// the outcome and the stream's context id, failing t if the stream cannot
// be made or the request cannot be handled.
func Handle(t testing.TB, p *host.Plugin, req *host.Request) (*host.Outcome, uint32) {
	t.Helper()
	ctx := context.Background()
	s, err := p.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	out, err := s.HandleRequest(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return out, s.ID()
}

// Metric returns the metric p's module defined as name, failing t if the
// module defined none by that name.
func Metric(t testing.TB, p *host.Plugin, name string) host.MetricValue {
	t.Helper()
	for _, m := range p.Metrics().Snapshot() {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("metric %s is not defined", name)
	return host.MetricValue{}
}
