package main

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// BenchmarkHookguardRequest measures one signed request through the real
// module in our host: stream creation, headers, body in 32 KiB chunks,
// verification, and the stream's end.
//
// "deadline" is the default (CallTimeout on, termination checks compiled
// in); "no-deadline" is CallTimeout < 0.
func BenchmarkHookguardRequest(b *testing.B) {
	for _, mode := range []struct {
		name    string
		timeout time.Duration
	}{{"deadline", 0}, {"no-deadline", -1}} {
		b.Run(mode.name, func(b *testing.B) { benchmarkRequests(b, mode.timeout) })
	}
}

func benchmarkRequests(b *testing.B, timeout time.Duration) {
	ctx := context.Background()
	mod, err := host.Compile(ctx, testwasm.Module(b), host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir(), CallTimeout: timeout})
	if err != nil {
		b.Fatal(err)
	}
	defer mod.Close(ctx)
	p, err := mod.NewPlugin(ctx, host.PluginConfig{Configuration: []byte(`{"secret_env":"SECRET"}`),
		Env: map[string]string{"SECRET": testSecret}, AllowOnHeadersStopIteration: true, VMs: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(ctx)
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		body := make([]byte, size)
		hdr := host.Header{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/"},
			{Key: "x-pipes-signature", Value: verify.SignPipes([]byte(testSecret), body)}}
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				s, err := p.NewStream(ctx)
				if err != nil {
					b.Fatal(err)
				}
				out, err := s.HandleRequest(ctx, &host.Request{Header: hdr, Body: bytes.NewReader(body)})
				if err != nil || out.LocalResponse != nil {
					b.Fatalf("request rejected: %v %+v", err, out.LocalResponse)
				}
				s.Close(ctx)
			}
		})
	}
}
