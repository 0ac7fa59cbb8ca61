package upstream

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestNewProxyKeepsConnections sends concurrent requests through the proxy
// twice and checks the second wave reuses the first wave's upstream
// connections instead of dialing new ones, and that bodies come back whole.
func TestNewProxyKeepsConnections(t *testing.T) {
	var conns atomic.Int64
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body) // all of it before answering: HTTP/1 is not full duplex
		w.Write(b)
	}))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	up.Start()
	defer up.Close()
	u, _ := url.Parse(up.URL)
	front := httptest.NewServer(NewProxy(u))
	defer front.Close()

	const clients = 16
	body := strings.Repeat("x", 100<<10) // larger than one copy buffer
	wave := func() {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range clients {
			wg.Go(func() {
				<-start
				resp, err := front.Client().Post(front.URL, "text/plain", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				if got, _ := io.ReadAll(resp.Body); string(got) != body {
					t.Errorf("body came back with %d bytes, want %d", len(got), len(body))
				}
			})
		}
		close(start)
		wg.Wait()
	}
	front.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = clients
	wave()
	first := conns.Load()
	wave()
	if again := conns.Load() - first; again > 0 {
		t.Errorf("the second wave dialed %d new upstream connections (first wave: %d); want the idle ones reused", again, first)
	}
}
