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
