// Command plainproxy is the baseline `make bench` loads the gateway
// against: httputil.ReverseProxy and nothing else, in its own process as
// the gateway is, so the two differ only by verification. With -kept it
// uses the gateway's own proxy (internal/upstream: idle upstream
// connections kept, copy buffers pooled), so the two differ only by
// verification there too.
//
//	plainproxy [-kept] LISTEN_ADDR UPSTREAM_URL
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"

	"github.com/hookguard/hookguard/internal/upstream"
)

func main() {
	kept := flag.Bool("kept", false, "use the gateway's upstream proxy instead of httputil.NewSingleHostReverseProxy's defaults")
	flag.Parse()
	if flag.NArg() != 2 {
		log.Fatal("usage: plainproxy [-kept] LISTEN_ADDR UPSTREAM_URL")
	}
	u, err := url.Parse(flag.Arg(1))
	if err != nil {
		log.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	if *kept {
		proxy = upstream.NewProxy(u)
	}
	proxy.ErrorLog = log.New(os.Stderr, "plainproxy: ", 0)
	log.Fatal(http.ListenAndServe(flag.Arg(0), proxy))
}
