// Package testredis starts a real redis-server for a test, on a loopback
// port of its own, and stops it when the test ends. A test can also make
// it fail as production ones do: paused, flushed, restarted empty.
package testredis

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server a test started.
type Server struct {
	// Client is a client of it, closed when the test ends.
	Client *redis.Client
	t      testing.TB
	bin    string
	port   int
	dir    string
	cmd    *exec.Cmd
}

// Start runs redis-server and returns a client of it. Without
// redis-server (Debian's redis-server package; .ci/run installs it) the
// test is skipped, saying so.
func Start(t testing.TB) *redis.Client { return StartServer(t).Client }

// StartServer runs redis-server, without persistence, for the test.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (apt-get install redis-server): the Redis tests are skipped")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: bin, port: ln.Addr().(*net.TCPAddr).Port, dir: t.TempDir()}
	ln.Close()
	s.Client = redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { s.Client.Close() })
	s.run()
	t.Cleanup(s.stop)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL is the redis:// URL of the server.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

func (s *Server) run() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.dir)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := s.Client.Ping(context.Background()).Err(); err == nil {
			return
		} else if time.Now().After(deadline) {
			s.t.Fatalf("redis-server did not answer on port %d: %v", s.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) stop() {
	s.cmd.Process.Signal(syscall.SIGCONT) // a paused server cannot die of SIGKILL's wait otherwise
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// Pause stops the server (SIGSTOP): connections stay open and nothing is
// answered, as a Redis stalled by a fork, a swap or a network partition.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume lets a paused server go on (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
}

// Flush forgets every key (FLUSHALL).
func (s *Server) Flush() {
	s.t.Helper()
	if err := s.Client.FlushAll(context.Background()).Err(); err != nil {
		s.t.Fatal(err)
	}
}

// Restart kills the server and starts it again, empty, on the same port:
// a Redis restarted without persistence, or failed over to an empty
// replica.
func (s *Server) Restart() {
	s.t.Helper()
	s.stop()
	s.run()
}

// URL is the redis:// URL of client's server.
func URL(client *redis.Client) string { return "redis://" + client.Options().Addr + "/0" }
