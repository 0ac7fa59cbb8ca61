package host

import (
	"context"
	"testing"

	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// TestPickVMPrefersAnIdleVM: sequential streams all go to the first VM,
// which stays in the caches; a stream opened while another is open goes
// to an idle VM; with every VM busy, streams spread round robin; a failed
// VM is passed over.
func TestPickVMPrefersAnIdleVM(t *testing.T) {
	ctx := context.Background()
	m, err := Compile(ctx, testwasm.Module(t), ModuleConfig{CompilationCacheDir: testwasm.CacheDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	p, err := m.NewPlugin(ctx, PluginConfig{Configuration: []byte(`{"secret_env":"S"}`), Env: map[string]string{"S": "secret"}, VMs: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	open := func() *Stream {
		s, err := p.NewStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := p.vms[0].Load()
	for i := range 5 {
		s := open()
		if s.vm != first {
			t.Fatalf("sequential stream %d went to another VM than the first", i)
		}
		s.Close(ctx)
	}
	a, b, c := open(), open(), open()
	if a.vm == b.vm || b.vm == c.vm || a.vm == c.vm {
		t.Fatal("three streams open at once share a VM while another is idle")
	}
	busy := map[*vm]int{}
	streams := []*Stream{a, b, c}
	for range 6 {
		s := open()
		busy[s.vm]++
		streams = append(streams, s)
	}
	if len(busy) != 3 {
		t.Fatalf("with every VM busy, 6 streams went to %d VMs, want all 3", len(busy))
	}
	for _, s := range streams {
		s.Close(ctx)
	}
	s := open()
	if s.vm != first {
		t.Fatal("once every VM is idle again, a stream did not go to the first")
	}
	s.Close(ctx)
	// A failed VM is passed over while another is idle.
	first.failed.Store(true)
	if s := open(); s.vm == first {
		t.Fatal("a stream went to a failed VM while others were idle")
	}
}
