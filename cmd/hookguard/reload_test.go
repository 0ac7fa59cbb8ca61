package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/testing/syncbuf"
)

// Secrets of the reload test: each at least config.MinSecretLen long.
const (
	oldSecret   = "reload-old-secret-0123456789abcdef"
	newSecret   = "reload-new-secret-0123456789abcdef"
	fileSecret1 = "reload-file-secret-1-0123456789abcdef"
	fileSecret2 = "reload-file-secret-2-0123456789abcdef"
)

// routesWith is a configuration of one Pipes route with secrets, each
// an "id:ENV" pair.
func routesWith(secrets ...string) string {
	var parts []string
	for _, s := range secrets {
		id, env, _ := strings.Cut(s, ":")
		parts = append(parts, `{"id":"`+id+`","env":"`+env+`"}`)
	}
	return `{"routes":[{"name":"hooks","scheme":"pipes","secrets":[` + strings.Join(parts, ",") + `]}]}`
}

// startLogged is startGateway that returns what the gateway logs.
func startLogged(t *testing.T, env map[string]string) (string, *syncbuf.Buffer) {
	t.Helper()
	base, _, stderr := launchGateway(t, env, nil)
	return base, stderr
}

// waitForLog waits until the log holds n lines containing line.
func waitForLog(t *testing.T, log *syncbuf.Buffer, line string, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for strings.Count(log.String(), line) < n {
		if time.Now().After(deadline) {
			t.Fatalf("no %d× %q in a minute:\n%s", n, line, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tally counts what the clients saw.
type tally struct {
	sent, ok, connErrors, serverErrors, other atomic.Int64
}

// load sends requests signed with the current keys from n clients until
// stop is closed.
func load(t *testing.T, base string, n int, keys *atomic.Pointer[[]string], stop <-chan struct{}, c *tally) *sync.WaitGroup {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}, Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for j := i; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				ks := *keys.Load()
				status, err := sendPipes(client, base, ks[j%len(ks)], "client")
				c.sent.Add(1)
				switch {
				case err != nil:
					c.connErrors.Add(1)
					t.Errorf("client %d: %v", i, err)
				case status == 200:
					c.ok.Add(1)
				case status >= 500:
					c.serverErrors.Add(1)
				default:
					c.other.Add(1)
				}
			}
		})
	}
	return &wg
}

func sendPipes(client *http.Client, base, secret, body string) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, base+"/webhook", strings.NewReader(body))
	req.Header.Set("X-Pipes-Signature", verify.SignPipes([]byte(secret), []byte(body)))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// probe checks that a request signed with secret gets want now.
func probe(t *testing.T, base, secret string, want int, step string) {
	t.Helper()
	if got, err := sendPipes(http.DefaultClient, base, secret, "probe"); err != nil || got != want {
		t.Fatalf("%s: got %d, %v; want %d", step, got, err, want)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFileSecretRotates: a secret given as "file" verifies, and writing
// the file swaps it in without a restart; a file that goes missing keeps
// the old configuration serving.
func TestFileSecretRotates(t *testing.T) {
	dir := t.TempDir()
	secretPath := filepath.Join(dir, "secret")
	writeFile(t, secretPath, fileSecret1+"\n")
	cfg := filepath.Join(dir, "config.json")
	writeFile(t, cfg, `{"routes":[{"name":"hooks","scheme":"pipes","secrets":[{"id":"mounted","file":"`+secretPath+`"}]}]}`)
	base, log := startLogged(t, map[string]string{"HOOKGUARD_CONFIG": cfg})
	probe(t, base, fileSecret1, 200, "the file's secret")
	writeFile(t, secretPath, fileSecret2)
	waitForLog(t, log, "configuration reloaded", 1)
	probe(t, base, fileSecret2, 200, "the rewritten file's secret")
	probe(t, base, fileSecret1, 401, "the old secret, after the rewrite")
	for _, logged := range []string{fileSecret1, fileSecret2} {
		if strings.Contains(log.String(), logged) {
			t.Fatal("the log holds a secret")
		}
	}
}

// TestReloadUnderLoad rotates a route's secrets under continuous signed
// traffic, by SIGHUP and by file changes, with a bad configuration
// between: no client request fails, and each swap takes effect.
func TestReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	cfg, secretFile := filepath.Join(dir, "config.json"), filepath.Join(dir, "file-secret")
	writeFile(t, cfg, routesWith("old:OLD_SECRET"))
	writeFile(t, secretFile, fileSecret1+"\n")
	base, log := startLogged(t, map[string]string{"HOOKGUARD_CONFIG": cfg, "OLD_SECRET": oldSecret,
		"NEW_SECRET": newSecret, "ROTATED_SECRET_FILE": secretFile})
	var keys atomic.Pointer[[]string]
	keys.Store(&[]string{oldSecret})
	var c tally
	stop := make(chan struct{})
	clients := load(t, base, 8, &keys, stop, &c)
	pause := func() { time.Sleep(300 * time.Millisecond) }
	const reloaded, refused = "configuration reloaded", "configuration not reloaded"

	pause()
	// Add the new secret beside the old one, by SIGHUP; sign with both.
	writeFile(t, cfg, routesWith("new:NEW_SECRET", "old:OLD_SECRET"))
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitForLog(t, log, reloaded, 1)
	keys.Store(&[]string{oldSecret, newSecret})
	pause()
	// A bad configuration (its secret's variable is unset), by file
	// change and by SIGHUP: refused twice, and the old one still verifies.
	writeFile(t, cfg, routesWith("new:NEW_SECRET", "gone:UNSET_SECRET"))
	waitForLog(t, log, refused, 1)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitForLog(t, log, refused, 2)
	pause()
	probe(t, base, oldSecret, 200, "after the bad configuration, the old secret")
	probe(t, base, newSecret, 200, "after the bad configuration, the new secret")
	// A secret read from a file, then that file rewritten.
	keys.Store(&[]string{newSecret})
	writeFile(t, cfg, routesWith("new:NEW_SECRET", "old:OLD_SECRET", "file:ROTATED_SECRET"))
	waitForLog(t, log, reloaded, 2)
	probe(t, base, fileSecret1, 200, "the file's first secret")
	writeFile(t, secretFile, fileSecret2+"\n")
	waitForLog(t, log, reloaded, 3)
	probe(t, base, fileSecret2, 200, "the file's second secret")
	probe(t, base, fileSecret1, 401, "the file's first secret, rotated out")
	pause()
	// Remove the old secret: once swapped, it is refused.
	writeFile(t, cfg, routesWith("new:NEW_SECRET"))
	waitForLog(t, log, reloaded, 4)
	probe(t, base, oldSecret, 401, "the removed secret")
	probe(t, base, newSecret, 200, "the new secret alone")
	pause()
	close(stop)
	clients.Wait()

	t.Logf("%d requests: %d ok, %d connection errors, %d 5xx, %d other", c.sent.Load(), c.ok.Load(), c.connErrors.Load(), c.serverErrors.Load(), c.other.Load())
	if c.sent.Load() < 100 || c.ok.Load() != c.sent.Load() || c.connErrors.Load() != 0 || c.serverErrors.Load() != 0 {
		t.Fatalf("every client request should get 200")
	}
	if n := strings.Count(log.String(), refused); n != 2 {
		t.Fatalf("%d refused reloads logged, want 2:\n%s", n, log.String())
	}
	if !strings.Contains(log.String(), "UNSET_SECRET") || !strings.Contains(log.String(), "level=ERROR") {
		t.Fatalf("the refused reload is not logged at error with its reason:\n%s", log.String())
	}
	for _, s := range []string{oldSecret, newSecret, fileSecret1, fileSecret2} {
		if strings.Contains(log.String(), s) {
			t.Fatal("the log holds a secret")
		}
	}
}

// TestRetiredPluginDrains: a request that holds the old generation keeps
// it open across a swap, and the old plugin closes once it ends.
func TestRetiredPluginDrains(t *testing.T) {
	g := &generation{drained: make(chan struct{})}
	l := newLiveHandler(g)
	held := l.acquire()
	next := &generation{drained: make(chan struct{})}
	l.current.Store(next)
	g.retire()
	select {
	case <-g.drained:
		t.Fatal("drained while a request holds it")
	default:
	}
	if l.acquire() != next {
		t.Fatal("a new request did not get the new generation")
	}
	held.release()
	select {
	case <-g.drained:
	case <-time.After(time.Second):
		t.Fatal("not drained once its last request ended")
	}
}
