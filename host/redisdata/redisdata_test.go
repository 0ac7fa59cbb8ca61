package redisdata_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/redisdata"
	"github.com/hookguard/hookguard/internal/testing/testredis"
)

// TestSameSemanticsAsMemory runs one table of Get and Set against the
// host's in-memory store and against Redis: the module cannot tell them
// apart.
func TestSameSemanticsAsMemory(t *testing.T) {
	client := testredis.Start(t)
	stores := map[string]host.SharedData{
		"memory": host.NewMemorySharedData(),
		"redis":  redisdata.New(client, redisdata.Options{Shared: func(string) bool { return true }}),
	}
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			if _, _, found, err := s.Get("k"); found || err != nil {
				t.Fatalf("absent key: found %v, %v", found, err)
			}
			if ok, err := s.Set("k", []byte("a"), 7); ok || err != nil {
				t.Fatalf("stale cas on an absent key stored: %v %v", ok, err)
			}
			if ok, err := s.Set("k", []byte("a\x00b"), 0); !ok || err != nil {
				t.Fatalf("cas 0: %v %v", ok, err)
			}
			v, cas, found, err := s.Get("k")
			if !found || err != nil || string(v) != "a\x00b" || cas == 0 {
				t.Fatalf("after set: %q cas %d found %v %v", v, cas, found, err)
			}
			if ok, _ := s.Set("k", []byte("b"), cas+1); ok {
				t.Fatal("a wrong cas stored")
			}
			if ok, _ := s.Set("k", []byte("b"), cas); !ok {
				t.Fatal("the current cas did not store")
			}
			if ok, _ := s.Set("k", []byte("c"), cas); ok {
				t.Fatal("a cas used twice stored twice")
			}
			if _, cas2, _, _ := s.Get("k"); cas2 == cas || cas2 == 0 {
				t.Fatalf("version did not move: %d → %d", cas, cas2)
			}
			if ok, _ := s.Set("e", nil, 0); !ok {
				t.Fatal("an empty value")
			}
			if v, _, found, _ := s.Get("e"); !found || len(v) != 0 {
				t.Fatalf("empty value read as %q, found %v", v, found)
			}
		})
	}
}

// TestRacingWritersOneWins has many writers race a CAS on one key: each
// round exactly one wins, as two VMs of different gateways would.
func TestRacingWritersOneWins(t *testing.T) {
	client := testredis.Start(t)
	s := redisdata.New(client, redisdata.Options{Shared: func(string) bool { return true }})
	s.Set("race", []byte("0"), 0)
	for round := 0; round < 20; round++ {
		_, cas, _, _ := s.Get("race")
		var wins sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 8 {
			wins.Add(1)
			go func() {
				defer wins.Done()
				if ok, err := s.Set("race", []byte("x"), cas); ok && err == nil {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wins.Wait()
		if won != 1 {
			t.Fatalf("round %d: %d writers won", round, won)
		}
	}
}

// TestOnlySharedKeysGoToRedis: by default only de-duplication slots are
// in Redis; another host does not see the rest.
func TestOnlySharedKeysGoToRedis(t *testing.T) {
	client := testredis.Start(t)
	a, b := redisdata.New(client, redisdata.Options{}), redisdata.New(client, redisdata.Options{})
	a.Set("hookguard.dedupe.r.0", []byte("1"), 0)
	a.Set("hookguard.configured.x", []byte{1}, 0)
	if _, _, found, _ := b.Get("hookguard.dedupe.r.0"); !found {
		t.Fatal("a dedupe slot is not shared")
	}
	if _, _, found, _ := b.Get("hookguard.configured.x"); found {
		t.Fatal("a per-host key is shared")
	}
}

// TestRedisDownFailsTheCall: with the server gone, calls fail rather than
// read as absent.
func TestRedisDownFailsTheCall(t *testing.T) {
	client := testredis.Start(t)
	s := redisdata.New(client, redisdata.Options{})
	client.Shutdown(t.Context())
	if _, _, _, err := s.Get("hookguard.dedupe.r.0"); err == nil {
		t.Fatal("Get with Redis down did not fail")
	}
	if _, err := s.Set("hookguard.dedupe.r.0", []byte("1"), 0); err == nil {
		t.Fatal("Set with Redis down did not fail")
	}
}

// TestFaultsAnswerInTime: whatever the Redis does — paused, flushed,
// restarted empty — every call answers within the timeout, with a client
// left at go-redis's defaults (which ignore a context's deadline), and
// the store works again once the Redis does.
func TestFaultsAnswerInTime(t *testing.T) {
	srv := testredis.StartServer(t)
	const timeout = 200 * time.Millisecond
	s := redisdata.New(srv.Client, redisdata.Options{Timeout: timeout})
	const key = "hookguard.dedupe.r.0"
	timed := func(what string, call func() error) error {
		t.Helper()
		start := time.Now()
		err := call()
		if d := time.Since(start); d > timeout+300*time.Millisecond {
			t.Errorf("%s took %v, past the %v timeout", what, d, timeout)
		}
		return err
	}
	get := func() error { _, _, _, err := s.Get(key); return err }
	set := func() error { _, err := s.Set(key, []byte("1"), 0); return err }

	if err := timed("set", set); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	if err := timed("get, paused", get); !errors.Is(err, redisdata.ErrTimeout) {
		t.Errorf("get from a paused Redis: %v, want ErrTimeout", err)
	}
	if err := timed("set, paused", set); !errors.Is(err, redisdata.ErrTimeout) {
		t.Errorf("set to a paused Redis: %v, want ErrTimeout", err)
	}
	srv.Resume()
	if err := eventually(t, get); err != nil {
		t.Fatalf("after resume: %v", err)
	}

	// The writes given up while paused may still land later (a default
	// client retries them after its read timeout): what follows uses a
	// key of its own.
	const other = "hookguard.dedupe.r.1"
	if _, err := s.Set(other, []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	srv.Flush()
	if _, _, found, err := s.Get(other); found || err != nil {
		t.Fatalf("after FLUSHALL: found %v, %v; want absent", found, err)
	}
	s.Set(other, []byte("1"), 0)
	srv.Restart()
	if err := eventually(t, func() error {
		_, _, found, err := s.Get(other)
		if err == nil && found {
			return errors.New("a key survived a restart without persistence")
		}
		return err
	}); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// eventually retries call for up to two seconds, each attempt bounded by
// the store's own timeout: the first calls after a restart may find the
// pool's dead connections.
func eventually(t *testing.T, call func() error) error {
	t.Helper()
	var err error
	for range 20 {
		if err = call(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}
