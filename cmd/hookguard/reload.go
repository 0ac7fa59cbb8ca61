package main

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/host/nethttp"
)

// pollEvery is how often serve looks at its configuration and secret
// files for a change.
const pollEvery = time.Second

// generation is one started plugin and the handler in front of it. The
// requests it serves hold a reference; once another generation replaced
// it and the last of them finished, its plugin is closed.
type generation struct {
	plugin  *host.Plugin
	handler http.Handler
	routes  int

	refs    atomic.Int64
	retired atomic.Bool
	once    sync.Once
	drained chan struct{} // closed once retired and unreferenced
}

func (g *generation) release() {
	if g.refs.Add(-1) == 0 && g.retired.Load() {
		g.once.Do(func() { close(g.drained) })
	}
}

// retire marks g replaced: drained closes once its last request ends.
func (g *generation) retire() {
	g.retired.Store(true)
	if g.refs.Load() == 0 {
		g.once.Do(func() { close(g.drained) })
	}
}

// liveHandler serves each request with the generation current when it
// arrives, for the whole request: a reload swaps the pointer, never a
// request's plugin under it.
type liveHandler struct {
	current  atomic.Pointer[generation]
	retiring sync.WaitGroup
}

func newLiveHandler(g *generation) *liveHandler {
	l := &liveHandler{}
	l.current.Store(g)
	return l
}

// acquire returns the current generation, referenced. A request that
// referenced one just as it was replaced lets it go and takes the new
// one, so a generation seen drained is never used again.
func (l *liveHandler) acquire() *generation {
	for {
		g := l.current.Load()
		g.refs.Add(1)
		if l.current.Load() == g {
			return g
		}
		g.release()
	}
}

func (l *liveHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := l.acquire()
	defer g.release()
	g.handler.ServeHTTP(w, r)
}

// metrics are the current plugin's.
func (l *liveHandler) metrics() *host.Metrics { return l.current.Load().plugin.Metrics() }

// swap makes next current, and closes the plugin it replaced once that
// plugin's requests have finished.
func (l *liveHandler) swap(ctx context.Context, next *generation) {
	old := l.current.Swap(next)
	old.retire()
	l.retiring.Add(1)
	go func() {
		defer l.retiring.Done()
		<-old.drained
		old.plugin.Close(ctx)
	}()
}

// close waits for retired plugins to close, then closes the current one.
// The server has stopped by then: no request holds any.
func (l *liveHandler) close(ctx context.Context) {
	g := l.current.Load()
	g.retire()
	<-g.drained
	l.retiring.Wait()
	g.plugin.Close(ctx)
}

// pluginStarter starts plugins of one compiled module: at start and at
// each reload, each with the same upstream, store and limits.
type pluginStarter struct {
	module   *host.Module
	upstream http.Handler
	logger   *slog.Logger
	shared   host.SharedData
	clusters map[string]string
	limits   nethttp.Limits
}

// start starts a plugin of ps. Any error (the module rejected the
// configuration, a VM failed) leaves nothing running.
func (s *pluginStarter) start(ctx context.Context, ps *pluginSettings) (*generation, error) {
	p, err := s.module.NewPlugin(ctx, host.PluginConfig{
		Name: "hookguard", RootID: "hookguard", VMID: "hookguard",
		Configuration: ps.config, Env: ps.env,
		// hookguard holds the headers while it hashes the body; Envoy
		// needs the same (envoy.yaml sets it).
		AllowOnHeadersStopIteration: true,
		SharedData:                  s.shared,
		Clusters:                    s.clusters,
		BufferLimitBytes:            bufferLimit(ps.cfg),
	})
	if err != nil {
		return nil, err
	}
	return &generation{plugin: p, handler: nethttp.NewHandler(p, s.upstream, s.logger, s.limits, headerNames()...),
		routes: len(ps.cfg.Routes), drained: make(chan struct{})}, nil
}

// reloader reloads on SIGHUP and when a watched file changes.
type reloader struct {
	live   *liveHandler
	source *pluginSource
	start  func(context.Context, *pluginSettings) (*generation, error)
	logger *slog.Logger
	every  time.Duration
	seen   map[string]fileState
}

// run watches until ctx is done or the returned stop is called, which
// waits for a reload under way to finish.
func (r *reloader) run(ctx context.Context) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	r.seen = r.fingerprint()
	go func() {
		defer close(done)
		tick := time.NewTicker(r.every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				r.reload(ctx, "SIGHUP")
			case <-tick.C:
				if now := r.fingerprint(); !maps.Equal(now, r.seen) {
					r.reload(ctx, "file changed")
				}
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		cancel()
		<-done
	}
}

// reload starts a plugin of the configuration as it is now and swaps it
// in; on any error the plugin serving keeps serving.
func (r *reloader) reload(ctx context.Context, trigger string) {
	r.seen = r.fingerprint()
	ps, err := r.source.load()
	if err == nil {
		var g *generation
		if g, err = r.start(ctx, ps); err == nil {
			r.live.swap(context.WithoutCancel(ctx), g)
			for _, w := range ps.warnings {
				r.logger.Warn("configuration: " + w)
			}
			r.logger.Info("configuration reloaded", "trigger", trigger, "routes", g.routes)
			return
		}
	}
	// Errors from load and start name settings, fields and the module's
	// own lines, never a secret's value.
	r.logger.Error("configuration not reloaded: the previous one keeps serving", "trigger", trigger, "error", err)
}

// fileState is what a poll compares: a change to any means a reload.
type fileState struct {
	modTime time.Time
	size    int64
	sum     [sha256.Size]byte
	missing bool
}

// fingerprint reads the configuration file and the secret files it names.
func (r *reloader) fingerprint() map[string]fileState {
	states := map[string]fileState{}
	var configData []byte
	if path := r.source.configPath; path != "" {
		states[path], configData = stateOf(path)
	} else {
		configData = defaultConfig
	}
	for _, path := range secretFiles(configData, r.source.envKeys, r.source.lookupEnv) {
		states[path], _ = stateOf(path)
	}
	return states
}

func stateOf(path string) (fileState, []byte) {
	info, err := os.Stat(path)
	if err != nil {
		return fileState{missing: true}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fileState{missing: true}, nil
	}
	return fileState{modTime: info.ModTime(), size: info.Size(), sum: sha256.Sum256(data)}, data
}
