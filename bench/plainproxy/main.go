// Command plainproxy is the baseline `make bench` loads the gateway
// against: httputil.ReverseProxy and nothing else, in its own process as
// the gateway is, so the two differ only by verification.
//
//	plainproxy LISTEN_ADDR UPSTREAM_URL
package main

import (
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: plainproxy LISTEN_ADDR UPSTREAM_URL")
	}
	u, err := url.Parse(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ErrorLog = log.New(os.Stderr, "plainproxy: ", 0)
	log.Fatal(http.ListenAndServe(os.Args[1], proxy))
}
