// Package upstream is the reverse proxy the gateway forwards verified
// requests through: httputil.ReverseProxy with a transport that keeps
// enough idle connections for a busy single upstream and a pool of copy
// buffers.
package upstream

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
)

// IdleConnsPerHost is how many idle connections to the upstream are
// kept. http.DefaultTransport keeps 2 per host, so a proxy serving more
// concurrent clients than that dials (and closes) upstream connections
// all the time; 100 is DefaultTransport's limit over all hosts.
const IdleConnsPerHost = 100

// NewProxy returns a reverse proxy to target.
func NewProxy(target *url.URL) *httputil.ReverseProxy {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = IdleConnsPerHost
	p := httputil.NewSingleHostReverseProxy(target)
	p.Transport = t
	p.BufferPool = buffers{}
	return p
}

// copyBuffers holds ReverseProxy's 32 KiB copy buffers between responses
// (without a pool it allocates one per response).
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

type buffers struct{}

func (buffers) Get() []byte  { return *copyBuffers.Get().(*[]byte) }
func (buffers) Put(b []byte) { copyBuffers.Put(&b) }
