// Package redisdata is a host.SharedData in Redis: several hosts (gateways
// behind one load balancer) share what their modules keep in proxy-wasm
// shared data — for hookguard, the replay de-duplication window — with the
// same compare-and-swap a single host gives its VMs.
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
//	cfg.SharedData = redisdata.New(client, redisdata.Options{})
//
// Only the keys Options.Shared picks go to Redis (by default hookguard's
// de-duplication slots); the others stay in the process, so what one host
// claims for itself, such as logging its configuration once, stays its own.
//
// Every call answers within Options.Timeout (DefaultTimeout, 250 ms):
// a Redis that is down, paused or slow fails the module's call, and
// hookguard answers as the route's "dedupe.on_store_failure" says. A
// Redis that lost its keys (FLUSHALL, a restart without persistence, a
// failover to an empty replica, an eviction) is an empty window to
// hookguard, which makes the keys again as it writes.
package redisdata

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookguard/hookguard/host"
)

// Options configure a Store.
type Options struct {
	// Prefix goes before every key in Redis; default "hookguard:".
	Prefix string
	// Shared picks the keys kept in Redis; default those starting with
	// "hookguard.dedupe.".
	Shared func(key string) bool
	// Timeout bounds each Redis call; default DefaultTimeout. It holds
	// whatever the client's own options say (go-redis ignores a context's
	// deadline unless ContextTimeoutEnabled): past it the module's host
	// call fails at once, and hookguard does what the route's
	// "dedupe.on_store_failure" says — 503 with Retry-After by default.
	Timeout time.Duration
}

// DefaultTimeout bounds a Redis call unless Options.Timeout says
// otherwise: a Redis on the same network answers in well under a
// millisecond, and a request waits at most a few of these (read, write,
// and the outcome's read and write).
const DefaultTimeout = 250 * time.Millisecond

// ErrTimeout is what a call that Redis did not answer within
// Options.Timeout returns.
var ErrTimeout = errors.New("redisdata: Redis did not answer in time")

// Store is a host.SharedData in Redis. Each value is a hash of its bytes
// ("v") and its version ("c"); Set is one Lua script, so its check of the
// version and its write are atomic across every host.
type Store struct {
	client redis.UniversalClient
	opts   Options
	local  host.SharedData
}

// New returns a Store on client.
func New(client redis.UniversalClient, o Options) *Store {
	if o.Prefix == "" {
		o.Prefix = "hookguard:"
	}
	if o.Shared == nil {
		o.Shared = func(key string) bool { return strings.HasPrefix(key, "hookguard.dedupe.") }
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return &Store{client: client, opts: o, local: host.NewMemorySharedData()}
}

// setScript stores ARGV[1] under KEYS[1] unless ARGV[2] is a non-zero
// version other than the current one, as Envoy's shared data does. Versions
// run from 1 to 2^32-1 and wrap to 1, never 0.
var setScript = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'c') or '0')
local cas = tonumber(ARGV[2])
if cas ~= 0 and cas ~= cur then return 0 end
local nxt = cur + 1
if nxt > 4294967295 then nxt = 1 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'c', nxt)
return nxt
`)

var errMalformed = errors.New("redisdata: a value without its version")

// Get implements host.SharedData.
func (s *Store) Get(key string) ([]byte, uint32, bool, error) {
	if !s.opts.Shared(key) {
		return s.local.Get(key)
	}
	var vals []any
	err := s.bounded(func(ctx context.Context) (err error) {
		vals, err = s.client.HMGet(ctx, s.opts.Prefix+key, "v", "c").Result()
		return err
	})
	if err != nil {
		return nil, 0, false, err
	}
	if vals[0] == nil && vals[1] == nil {
		return nil, 0, false, nil
	}
	v, ok1 := vals[0].(string)
	c, ok2 := vals[1].(string)
	cas, err := strconv.ParseUint(c, 10, 32)
	if !ok1 || !ok2 || err != nil || cas == 0 {
		return nil, 0, false, errMalformed
	}
	return []byte(v), uint32(cas), true, nil
}

// Set implements host.SharedData.
func (s *Store) Set(key string, value []byte, cas uint32) (bool, error) {
	if !s.opts.Shared(key) {
		return s.local.Set(key, value, cas)
	}
	var n int64
	err := s.bounded(func(ctx context.Context) (err error) {
		n, err = setScript.Run(ctx, s.client, []string{s.opts.Prefix + key}, value, cas).Int64()
		return err
	})
	if err != nil {
		return false, err
	}
	return n != 0, nil
}

// bounded runs call with a context of the Store's Timeout and returns by
// then whatever the client does: a call still waiting on a paused Redis
// is left to end on its own (the client's read timeout ends it), and its
// results are never read. A write abandoned this way may still land:
// hookguard's entries then expire as any in flight do.
func (s *Store) bounded(call func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w (%v)", ErrTimeout, s.opts.Timeout)
	}
}
