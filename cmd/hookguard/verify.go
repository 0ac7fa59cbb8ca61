package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/capture"
)

const verifyDoc = `usage: hookguard verify --config CONFIG [flags] REQUEST

Runs a captured request (a file, or - for standard input) through the
module configured with CONFIG, offline: a request the module lets on is
answered 200 by a local stub, never sent anywhere. Prints the verdict, the
status, the reason code, the route and key id, and the lines the module
logged about the request. Exit status 0 verified, 1 rejected (or let
through unverified), 2 for usage or a request that does not parse.

REQUEST is raw HTTP/1.1 bytes, a JSON object {"method", "url" or "path",
"headers", "body" or "body_base64"}, or a HAR file; the format is detected
unless --format says it. A captured request is usually older than its
scheme's timestamp tolerance: --now sets the module's clock to when it was
sent.

Flags:
`

// verdict is what became of a captured request.
type verdict struct {
	verified      bool
	status        int
	reason, route string
	keyID         string
	log           []string
}

// runVerify is the verify subcommand.
func runVerify(args []string, env func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, verifyDoc); fs.PrintDefaults() }
	configPath := fs.String("config", "", "the plugin configuration `file` (required)")
	format := fs.String("format", capture.Auto, "the REQUEST's format: auto, raw, json or har")
	entry := fs.Int("entry", 0, "which HAR entry, from 0")
	now := fs.String("now", "", "the module's clock: RFC 3339 or Unix seconds (default: now)")
	remote := fs.String("remote-addr", "127.0.0.1:1024", "the client address the module sees (source_cidrs)")
	mf := addModuleFlags(fs)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *configPath == "" || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "hookguard verify: want --config CONFIG and one REQUEST")
		fs.Usage()
		return exitUsage
	}
	clock, err := parseClock(*now)
	if err != nil {
		fmt.Fprintln(stderr, "hookguard verify: --now:", err)
		return exitUsage
	}
	req, err := readCapture(fs.Arg(0), *format, *entry)
	if err != nil {
		fmt.Fprintln(stderr, "hookguard verify:", err)
		return exitUsage
	}
	lookup := mf.lookup(lookupFrom(env))
	src := &pluginSource{lookupEnv: lookup, configPath: *configPath}
	if v, ok := lookup("HOOKGUARD_ENV_KEYS"); ok {
		src.envKeys = config.SplitList(v)
	}
	ps, err := src.load()
	if err != nil {
		fmt.Fprintln(stderr, "hookguard verify:", err)
		return exitUsage
	}
	v, err := verifyCaptured(ps, lookup, clock, req, *remote)
	if err != nil {
		fmt.Fprintln(stderr, "hookguard verify:", err)
		return exitFault
	}
	printVerdict(stdout, v)
	if !v.verified {
		return exitFault
	}
	return exitOK
}

// parseClock reads --now.
func parseClock(s string) (func() time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		t := time.Unix(secs, 0)
		return func() time.Time { return t }, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, errors.New("want RFC 3339 (2026-12-01T10:00:00Z) or Unix seconds")
	}
	return func() time.Time { return t }, nil
}

// readCapture reads and parses the REQUEST file ("-": standard input).
func readCapture(path, format string, entry int) (*capture.Request, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	return capture.ParseEntry(data, format, entry)
}

// verifyCaptured runs req through the module started with ps, capturing
// what it logs at debug level.
func verifyCaptured(ps *pluginSettings, lookupEnv func(string) (string, bool), clock func() time.Time, req *capture.Request, remote string) (*verdict, error) {
	ctx := context.Background()
	logs := &lineRecorder{}
	mod, p, err := startOffline(ctx, lookupEnv, slog.New(logs), clock, ps.config, ps.env)
	if err != nil {
		return nil, err
	}
	defer mod.Close(ctx)
	logs.reset() // the lines of the plugin's start are not about the request
	s, err := p.NewStream(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close(ctx)
	s.SetProperty("source.address", []byte(remote))
	hreq := &host.Request{Header: moduleHeader(req)}
	if len(req.Body) > 0 {
		hreq.Body = bytes.NewReader(req.Body)
	}
	out, err := s.HandleRequest(ctx, hreq)
	if err != nil {
		return nil, fmt.Errorf("the host could not run the request: %w", err)
	}
	v := &verdict{}
	if rt := ps.cfg.Route(req.Method, req.Authority, pathOnly(req.Path)); rt != nil {
		v.route = rt.Name
	}
	if lr := out.LocalResponse; lr != nil {
		// The module answered: a rejection, or a handshake it proved.
		v.status, v.reason = lr.Status, strings.TrimPrefix(lr.Details, "hookguard_")
		v.verified = lr.Status < 300
	} else {
		// The stub upstream's 200 goes back through the module, as the
		// gateway's would.
		v.status = 200
		s.ResponseHeaders(ctx, host.Header{{Key: ":status", Value: "200"}, {Key: "content-length", Value: "0"}}, true)
		mark, _ := out.Header.Get(verifiedHeaderLower)
		v.verified = mark != ""
		v.route, v.keyID = parseMark(mark, v.route)
	}
	v.log = logs.lines()
	return v, nil
}

// verifiedHeaderLower is verifiedHeader as the module writes it.
var verifiedHeaderLower = strings.ToLower(verifiedHeader)

// moduleHeader is req's headers as Envoy hands them to a module:
// pseudo-headers first, names lower case, Content-Length for a body.
func moduleHeader(req *capture.Request) host.Header {
	scheme := req.Scheme
	h := host.Header{{Key: ":method", Value: req.Method}, {Key: ":scheme", Value: scheme},
		{Key: ":authority", Value: req.Authority}, {Key: ":path", Value: req.Path}}
	for _, f := range req.Header {
		h = append(h, host.HeaderField{Key: strings.ToLower(f.Name), Value: f.Value})
	}
	if len(req.Body) > 0 {
		h = append(h, host.HeaderField{Key: "content-length", Value: strconv.Itoa(len(req.Body))})
	}
	return h
}

// pathOnly is target without its query, as routes match.
func pathOnly(target string) string {
	p, _, _ := strings.Cut(target, "?")
	return p
}

// parseMark reads X-Hookguard-Verified: "route=<name>; key=<id>".
func parseMark(mark, route string) (string, string) {
	var key string
	for _, part := range strings.Split(mark, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "route":
			route = v
		case "key":
			key = v
		}
	}
	return route, key
}

func printVerdict(w io.Writer, v *verdict) {
	word := "rejected"
	switch {
	case v.verified:
		word = "verified"
	case v.status < 300:
		word = "not verified (let through unverified: detect or off mode, or unmatched allow)"
	}
	fmt.Fprintf(w, "verdict: %s\nstatus:  %d\nreason:  %s\nroute:   %s\nkey id:  %s\n", word, v.status, orDash(v.reason), orDash(v.route), orDash(v.keyID))
	fmt.Fprintln(w, "module log:")
	if len(v.log) == 0 {
		fmt.Fprintln(w, "  (nothing)")
	}
	for _, l := range v.log {
		fmt.Fprintln(w, "  "+l)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// logPrefix starts every line the module logs about a request.
const logPrefix = "hookguard: "

// lineRecorder is a slog.Handler that keeps the module's own lines, at
// every level down to debug.
type lineRecorder struct {
	mu   sync.Mutex
	kept []string
}

func (*lineRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *lineRecorder) Handle(_ context.Context, rec slog.Record) error {
	if strings.HasPrefix(rec.Message, logPrefix) {
		r.mu.Lock()
		r.kept = append(r.kept, rec.Level.String()+" "+rec.Message)
		r.mu.Unlock()
	}
	return nil
}

func (r *lineRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *lineRecorder) WithGroup(string) slog.Handler      { return r }

func (r *lineRecorder) reset() {
	r.mu.Lock()
	r.kept = nil
	r.mu.Unlock()
}

func (r *lineRecorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.kept...)
}
