package httpserver

import (
	"strings"
	"testing"
)

// TestWatchedConnScan: a Content-Length line is found in any case and
// however the reads split it, and nothing else is taken for one.
func TestWatchedConnScan(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       bool
	}{
		{"canonical", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", true},
		{"lower case", "POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\n", true},
		{"mixed case, bare line feeds", "POST / HTTP/1.1\nCoNtEnT-LeNgTh: 5\n\n", true},
		{"absent", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", false},
		{"not at a line's start", "POST / HTTP/1.1\r\nX-Content-Length: 5\r\n\r\n", false},
		{"a prefix only", "POST / HTTP/1.1\r\nContent-Lengt", false},
		{"a near miss", "POST / HTTP/1.1\r\nContent-Type: a\r\nContent-Lengtz: 1\r\n\r\n", false},
	} {
		for split := 1; split <= len(tc.data); split++ {
			c := &watchedConn{lastMatch: -1}
			for i := 0; i < len(tc.data); i += split {
				chunk := []byte(tc.data[i:min(i+split, len(tc.data))])
				c.scan(chunk)
				c.total += int64(len(chunk))
			}
			if got := c.sawContentLength(1 << 20); got != tc.want {
				t.Fatalf("%s, reads of %d bytes: saw Content-Length %v, want %v", tc.name, split, got, tc.want)
			}
			if tc.want {
				if at := strings.Index(strings.ToLower(tc.data), "\ncontent-length") + 1; c.lastMatch != int64(at) {
					t.Fatalf("%s, reads of %d bytes: match at %d, want %d", tc.name, split, c.lastMatch, at)
				}
			}
		}
	}
}

func TestSawContentLengthWindow(t *testing.T) {
	c := &watchedConn{lastMatch: 100, total: 200}
	if !c.sawContentLength(100) || c.sawContentLength(99) {
		t.Fatal("the window is not counted from the match")
	}
}

func BenchmarkWatchedConnScan(b *testing.B) {
	body := []byte(strings.Repeat(`{"key": "value", "n": 1}`+"\n", 1<<15)) // 800 KiB, a line feed every 25 bytes
	c := &watchedConn{lastMatch: -1}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		c.scan(body)
	}
}
