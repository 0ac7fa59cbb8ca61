package host_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/host"
)

// BenchmarkHookguardRequest measures one signed request through the real
// module in our host: stream creation, headers, body in 32 KiB chunks,
// verification, and the stream's end.
func BenchmarkHookguardRequest(b *testing.B) {
	p := newHookguard(b, nil, `{"secret_env":"SECRET"}`, map[string]string{"SECRET": testSecret})
	ctx := context.Background()
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
