// Command abuse measures what two attacks without the secret cost the
// gateway `make run` starts: small valid requests are timed alone, then
// beside each attack, in one run, so the ratios hold on a noisy machine.
// `make abuse` runs it after building the gateway.
//
//		go run ./bench/abuse [-gateway build/hookguard] [-seconds 5]
//
//	  - cpu: 8 connections send 1 MiB bodies with well-formed, wrong
//	    signatures, one after another, as fast as they are answered.
//	  - stall: 64 connections send all but the last 100 bytes of a 1 MiB
//	    body and stop.
//
// It prints one table and the targets of issue "Reliability and fidelity":
// under each attack small valid requests keep at least half their
// throughput with p99 ≤ 50 ms; the stalled connections are closed within
// the body timeout; RSS comes back to within 10 % of its baseline. The
// exit status is 1 if a target is missed.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/hookguard/hookguard/bench/internal/loopback"
	"github.com/hookguard/hookguard/filter/verify"
)

var (
	gatewayPath = flag.String("gateway", "build/hookguard", "the gateway binary")
	wasmPath    = flag.String("wasm", "build/hookguard.wasm", "the module")
	seconds     = flag.Int("seconds", 5, "seconds per measurement")
	clients     = flag.Int("clients", 8, "connections sending small valid requests")
)

// bodyTimeout is the gateway's HOOKGUARD_BODY_TIMEOUT for the run.
const bodyTimeout = 5 * time.Second

const (
	smallBody = 1 << 10
	largeBody = 1 << 20
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	secret := make([]byte, 32)
	rand.Read(secret)
	hexSecret := hex.EncodeToString(secret)

	addr := loopback.FreeAddr()
	gw := exec.Command(*gatewayPath, "serve")
	gw.Env = append(os.Environ(), "HOOKGUARD_ADDR="+addr, "PIPES_WEBHOOK_SECRET="+hexSecret,
		"HOOKGUARD_WASM="+*wasmPath, "HOOKGUARD_LOG_LEVEL=error", "HOOKGUARD_BODY_TIMEOUT="+bodyTimeout.String())
	gw.Stdout, gw.Stderr = io.Discard, os.Stderr
	if os.Getenv("ABUSE_GCTRACE") != "" {
		gw.Env = append(gw.Env, "GODEBUG=gctrace=1")
	}
	if err := gw.Start(); err != nil {
		log.Fatalf("starting %s: %v (run make build first)", *gatewayPath, err)
	}
	defer gw.Process.Kill()
	if err := loopback.WaitFor(addr, time.Minute); err != nil {
		log.Fatal(err)
	}
	base := "http://" + addr
	pid := gw.Process.Pid
	d := time.Duration(*seconds) * time.Second

	small := newSmallLoad(base, []byte(hexSecret))
	// Warm up as a server that has worked: small requests, and a few valid
	// 1 MiB ones from 8 clients at once, so that the VMs' memory (which
	// WebAssembly never gives back) and the host's buffers have grown to
	// what a large body needs before the baseline is taken.
	small.run(time.Second)
	warmLarge(base, []byte(hexSecret))
	time.Sleep(time.Second)
	rssBase := rss(pid)
	cpu0 := cpuTime(pid)
	alone := small.run(d)
	alone.cpu = cpuTime(pid) - cpu0

	// cpu: forged 1 MiB bodies, back to back.
	stop := make(chan struct{})
	var forged atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			body := bytes.Repeat([]byte("x"), largeBody)
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodPost, base+"/webhook", bytes.NewReader(body))
				req.Header.Set("X-Pipes-Signature", strings.Repeat("ab", 32))
				if resp, err := c.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					forged.Add(1)
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	cpu0 = cpuTime(pid)
	underCPU := small.run(d)
	underCPU.cpu = cpuTime(pid) - cpu0
	close(stop)
	wg.Wait()
	rssAfterCPU := rss(pid)
	forgedRate := float64(forged.Load()) / (d + 500*time.Millisecond).Seconds()

	// stall: bodies that never finish.
	time.Sleep(time.Second)
	stalled := make([]net.Conn, 0, 64)
	for range 64 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: %s\r\nX-Pipes-Signature: %s\r\nContent-Length: %d\r\n\r\n", addr, strings.Repeat("ab", 32), largeBody)
		go c.Write(make([]byte, largeBody-100))
		stalled = append(stalled, c)
	}
	stallStart := time.Now()
	time.Sleep(500 * time.Millisecond)
	rssStalled := rss(pid)
	cpu0 = cpuTime(pid)
	underStall := small.run(d)
	underStall.cpu = cpuTime(pid) - cpu0
	// Each stalled connection should be answered 408 and closed once the
	// body timeout passes.
	closedBy := make([]time.Duration, len(stalled))
	var cw sync.WaitGroup
	for i, c := range stalled {
		cw.Add(1)
		go func() {
			defer cw.Done()
			c.SetReadDeadline(stallStart.Add(bodyTimeout + 10*time.Second))
			io.Copy(io.Discard, c) // until the server closes it
			closedBy[i] = time.Since(stallStart)
			c.Close()
		}()
	}
	cw.Wait()
	slowest := slices.Max(closedBy)
	// RSS after: the stalled bodies are garbage, and Go returns the pages
	// to the system in the background over a few seconds.
	time.Sleep(5 * time.Second)
	small.run(time.Second)
	rssAfter := rss(pid)

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "hookguard abuse: %s/%s, %d CPUs, %d clients of 1 KiB valid requests, %v per run\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), *clients, d)
	fmt.Fprintln(tw, "small valid requests\treq/s\tof alone\tp50\tp99\tnot 200\tgateway CPUs\ttarget")
	row := func(name string, r result, target string) {
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%v\t%v\t%d\t%.2f\t%s\n", name, r.rps, r.rps/alone.rps, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.failed, r.cpu.Seconds()/d.Seconds(), target)
	}
	row("alone", alone, "")
	row(fmt.Sprintf("beside 8×1 MiB forged (%.0f forged/s answered)", forgedRate), underCPU, "≥ 0.50, p99 ≤ 50ms")
	row("beside 64 stalled 1 MiB bodies", underStall, "≥ 0.50, p99 ≤ 50ms")
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "stalled connections closed by\t%v\t(body timeout %v)\n", slowest.Round(10*time.Millisecond), bodyTimeout)
	fmt.Fprintf(tw, "gateway RSS\tbaseline %s\tafter the forged bodies %s\twith 64 stalled %s\tafter %s (%.2f×)\n", mib(rssBase), mib(rssAfterCPU), mib(rssStalled), mib(rssAfter), float64(rssAfter)/float64(rssBase))
	tw.Flush()

	var missed []string
	for _, c := range []struct {
		name string
		r    result
	}{{"cpu", underCPU}, {"stall", underStall}} {
		if c.r.rps < alone.rps/2 || c.r.p99 > 50*time.Millisecond || c.r.failed > 0 {
			missed = append(missed, c.name+": small requests starved")
		}
	}
	if slowest > bodyTimeout+2*time.Second {
		missed = append(missed, "stalled connections held past the body timeout")
	}
	if float64(rssAfter) > 1.1*float64(rssBase) {
		missed = append(missed, "RSS did not come back")
	}
	if len(missed) > 0 {
		fmt.Println("\nmissed:", strings.Join(missed, "; "))
		gw.Process.Kill()
		os.Exit(1)
	}
	fmt.Println("\nevery target met")
}

// warmLarge sends valid 1 MiB requests from 8 clients at once.
func warmLarge(base string, secret []byte) {
	body := bytes.Repeat([]byte("w"), largeBody)
	sig := verify.SignPipes(secret, body)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2 {
				req, _ := http.NewRequest(http.MethodPost, base+"/webhook", bytes.NewReader(body))
				req.Header.Set("X-Pipes-Signature", sig)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
}

type result struct {
	rps      float64
	p50, p99 time.Duration
	failed   int
	cpu      time.Duration // the gateway's CPU time over the run
}

// smallLoad sends 1 KiB signed requests from *clients connections.
type smallLoad struct {
	base   string
	body   []byte
	sig    string
	client *http.Client
}

func newSmallLoad(base string, secret []byte) *smallLoad {
	body := bytes.Repeat([]byte("a"), smallBody)
	return &smallLoad{base: base, body: body, sig: verify.SignPipes(secret, body),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients}, Timeout: 10 * time.Second}}
}

func (l *smallLoad) run(d time.Duration) result {
	var mu sync.Mutex
	var lat []time.Duration
	failed := 0
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for time.Now().Before(end) {
				req, _ := http.NewRequest(http.MethodPost, l.base+"/webhook", bytes.NewReader(l.body))
				req.Header.Set("X-Pipes-Signature", l.sig)
				start := time.Now()
				resp, err := l.client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mine = append(mine, time.Since(start))
				if err != nil || resp.StatusCode != http.StatusOK {
					bad++
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			failed += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	if len(lat) == 0 {
		return result{}
	}
	return result{rps: float64(len(lat)) / d.Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], failed: failed}
}

// rss is a process's resident set size in bytes, from /proc.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime is a process's user and system CPU time, from /proc.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th, in clock ticks (100 per second here).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }
