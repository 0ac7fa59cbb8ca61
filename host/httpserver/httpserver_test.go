package httpserver_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host/httpserver"
)

// serve runs httpserver.Serve with a handler that echoes the method, the
// request URI and the body.
func serve(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Method+" "+r.RequestURI+" "+string(b))
	})}
	go httpserver.Serve(srv, ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestServe(t *testing.T) {
	addr := serve(t)
	for _, tc := range []struct {
		name, raw  string
		wantStatus int
		wantBody   string
		wantClose  bool
	}{
		{"Content-Length and Transfer-Encoding: answered, then closed",
			"POST /w HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 200, "POST /w hello", true},
		{"the same, header names in another case and order",
			"POST /w HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\ncontent-LENGTH: 3\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 200, "POST /w hello", true},
		{"chunked alone keeps the connection",
			"POST /w HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 200, "POST /w hello", false},
		{"Content-Length alone keeps the connection",
			"POST /w HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 200, "POST /w hello", false},
		{"OPTIONS * reaches the handler", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 200, "OPTIONS * ", false},
		{"CONNECT is refused", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, tc.raw)
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || (tc.wantBody != "" && string(body) != tc.wantBody) {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
			if resp.Close != tc.wantClose {
				t.Fatalf("Connection: close is %v, want %v", resp.Close, tc.wantClose)
			}
			// Whether the connection goes on: a second request is answered
			// or the server has closed it.
			io.WriteString(c, "GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err = http.ReadResponse(br, nil)
			if closed := err != nil; closed != tc.wantClose {
				t.Fatalf("after the response the connection closed: %v, want %v (%v)", closed, tc.wantClose, err)
			}
			if err == nil {
				resp.Body.Close()
			}
		})
	}
}

func TestServeDefaults(t *testing.T) {
	srv := &http.Server{Handler: http.NotFoundHandler(), IdleTimeout: time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- httpserver.Serve(srv, ln) }()
	time.Sleep(50 * time.Millisecond)
	srv.Close()
	<-done
	if srv.ReadHeaderTimeout != httpserver.DefaultReadHeaderTimeout || srv.MaxHeaderBytes != httpserver.DefaultMaxHeaderBytes || srv.IdleTimeout != time.Second {
		t.Fatalf("ReadHeaderTimeout %v, MaxHeaderBytes %d, IdleTimeout %v: want the defaults where unset and the caller's value kept",
			srv.ReadHeaderTimeout, srv.MaxHeaderBytes, srv.IdleTimeout)
	}
}
