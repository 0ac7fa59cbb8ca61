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

// TestNewProxyKeepsConnections sends waves of concurrent requests through
// the proxy and checks later waves reuse the first wave's upstream
// connections instead of dialing new ones, and that bodies come back whole.
// A connection goes back to the idle pool just after its client has the
// whole answer, so a few redials are allowed; with DefaultTransport's 2
// idle connections each wave redials about 14.
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
	const waves = 5
	for range waves {
		wave()
	}
	if dials := conns.Load(); dials > 2*clients {
		t.Errorf("%d waves of %d clients dialed %d upstream connections; want the idle ones reused (at most %d)", waves, clients, dials, 2*clients)
	}
}
