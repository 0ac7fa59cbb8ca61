package verify_test

import (
	"strconv"
	"testing"

	"github.com/hookguard/hookguard/filter/verify"
)

// BenchmarkPipesVerify measures native verification per body size; the
// MB/s column is the HMAC-SHA256 throughput the filter can at best reach.
func BenchmarkPipesVerify(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		body := make([]byte, size)
		v, _ := verify.NewPipes(verify.DefaultMaxBodyBytes, testSecret)
		sig := []string{verify.SignPipes(testSecret, body)}
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(sig, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
