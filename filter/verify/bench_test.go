package verify_test

import (
	"strconv"
	"testing"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/testing/cases"
)

// BenchmarkPipesVerify measures native verification per body size; the
// MB/s column is the HMAC-SHA256 throughput the filter can at best reach.
func BenchmarkPipesVerify(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		body := make([]byte, size)
		v := pipes(b, testSecret)
		tc := cases.Case{Header: []verify.Field{{Name: "x-pipes-signature", Value: verify.SignPipes(testSecret, body)}}, Body: body}
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := run(v, tc, "h", verify.DefaultMaxBodyBytes); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIdentified measures what identifying a delivery for dedupe
// adds to its check (github: the signed content, the body hashed once
// more), per body size.
func BenchmarkIdentified(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10} {
		body := make([]byte, size)
		s := preset(b, "github", verify.Key{ID: "k", Secret: testSecret})
		hdr, err := verify.Sign("github", string(testSecret), &verify.Request{}, body, zeroTime)
		if err != nil {
			b.Fatal(err)
		}
		req := &verify.Request{Method: "POST", Header: hdr}
		for _, identify := range []bool{false, true} {
			b.Run(strconv.Itoa(size)+"/identified="+strconv.FormatBool(identify), func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				var d verify.Identified
				for b.Loop() {
					c, err := s.Begin(req, zeroTime)
					if err != nil {
						b.Fatal(err)
					}
					if identify {
						d.Reset(c)
						c = &d
					}
					c.Write(body)
					if _, err := c.Verify(); err != nil {
						b.Fatal(err)
					}
					c.Release()
				}
			})
		}
	}
}
