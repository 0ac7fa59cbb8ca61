// Package loopback has what the bench programs need to start a server on
// this machine and wait for it.
package loopback

import (
	"fmt"
	"log"
	"net"
	"time"
)

// FreeAddr returns a loopback address nothing listens on now.
func FreeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// WaitFor waits up to d for something to accept connections on addr.
func WaitFor(addr string, d time.Duration) error {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
	}
	return fmt.Errorf("the gateway did not listen on %s within %v", addr, d)
}
