// Package testredis starts a real redis-server for a test, on a loopback
// port of its own, and stops it when the test ends.
package testredis

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Start runs redis-server and returns a client of it. Without
// redis-server (Debian's redis-server package; .ci/run installs it) the
// test is skipped, saying so.
func Start(t testing.TB) *redis.Client {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (apt-get install redis-server): the Redis tests are skipped")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	t.Cleanup(func() { client.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := client.Ping(context.Background()).Err(); err == nil {
			return client
		} else if time.Now().After(deadline) {
			t.Fatalf("redis-server did not answer on port %d: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// URL is the redis:// URL of client's server.
func URL(client *redis.Client) string { return "redis://" + client.Options().Addr + "/0" }
