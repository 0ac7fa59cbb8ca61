// Package plugin is hookguard's proxy-wasm filter: it reads the plugin
// configuration, and for each request holds headers and body until the
// signature over the raw body is checked, then lets the request on or
// answers it with 401 or 413.
package plugin

import (
	"errors"
	"strconv"
	"syscall"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pairs"
)

// Root is the plugin's root context, one per VM.
type Root struct {
	verifier    *verify.Pipes
	holdHeaders bool
	metrics     metrics
}

// Metric names. Envoy shows them as wasmcustom.<name> in /stats and, with
// the namespace stripped and dots made underscores, in /stats/prometheus.
const (
	metricVerified       = "hookguard.requests_verified"
	metricRejectedPrefix = "hookguard.requests_rejected."
	metricConfigRejected = "hookguard.config_rejected"
)

// reasons are every rejection reason, each with its own counter.
var reasons = []string{"missing_signature", "malformed_signature", "invalid_signature", "body_too_large", "internal_error"}

// metrics holds this VM's metric ids; a metric the host could not define
// has no id and is skipped.
type metrics struct {
	ids map[string]uint32
}

func (m *metrics) define() {
	m.ids = map[string]uint32{}
	names := []string{metricVerified, metricConfigRejected}
	for _, r := range reasons {
		names = append(names, metricRejectedPrefix+r)
	}
	for _, name := range names {
		id, err := proxywasm.DefineMetric(proxywasm.MetricCounter, name)
		if err != nil {
			logf(proxywasm.LogWarn, "cannot define metric "+name+": "+err.Error())
			continue
		}
		m.ids[name] = id
	}
}

func (m *metrics) inc(name string) {
	if id, ok := m.ids[name]; ok {
		proxywasm.IncrementMetric(id, 1) // a failed count must not fail a request
	}
}

// NewRoot returns the root context; register it with
// proxywasm.SetRootContext.
func NewRoot(uint32) proxywasm.RootContext { return &Root{} }

// OnVMStart defines the metrics.
func (r *Root) OnVMStart(int) bool {
	r.metrics.define()
	return true
}

// OnConfigure parses the plugin configuration. Any error fails plugin
// start, so Envoy refuses the configuration instead of running a filter
// that would let requests through.
func (r *Root) OnConfigure(size int) bool {
	data := make([]byte, 0, size)
	err := proxywasm.ReadBuffer(proxywasm.BufferPluginConfiguration, 0, size, func(b []byte) error {
		data = append(data, b...)
		return nil
	})
	if err != nil {
		logf(proxywasm.LogCritical, "cannot read the plugin configuration: "+err.Error())
		return false
	}
	cfg, warnings, err := config.Parse(data, syscall.Getenv)
	if err != nil {
		r.metrics.inc(metricConfigRejected)
		logf(proxywasm.LogCritical, "invalid plugin configuration: "+err.Error())
		return false
	}
	for _, w := range warnings {
		logf(proxywasm.LogWarn, w)
	}
	v, err := cfg.Verifier()
	if err != nil {
		logf(proxywasm.LogCritical, "invalid plugin configuration: "+err.Error())
		return false
	}
	r.verifier, r.holdHeaders = v, cfg.HoldHeaders
	logf(proxywasm.LogInfo, "configured: scheme="+cfg.Scheme+" secret="+cfg.SecretSource+
		" max_body_bytes="+strconv.FormatInt(cfg.MaxBodyBytes, 10)+" hold_headers="+strconv.FormatBool(cfg.HoldHeaders))
	return true
}

// NewHTTPContext implements proxywasm.RootContext.
func (r *Root) NewHTTPContext(s *proxywasm.HTTPStream) proxywasm.HTTPContext {
	return &request{root: r, stream: s}
}

// request is one stream's verification. Streams interleave on a VM, so
// everything per request lives here.
type request struct {
	root   *Root
	stream *proxywasm.HTTPStream
	check  *verify.Check // nil once a verdict is reached
	hashed int           // body bytes already hashed
}

const signatureHeader = "x-pipes-signature" // proxy-wasm header keys are lower-case

// OnRequestHeaders starts the check from the signature header and holds
// the request. A request without a body is decided here.
func (q *request) OnRequestHeaders(_ int, endOfStream bool) proxywasm.Action {
	if q.root.verifier == nil {
		return q.reject(errNotConfigured)
	}
	headers, err := proxywasm.GetHeaders(proxywasm.MapHTTPRequestHeaders)
	if err != nil {
		return q.reject(err)
	}
	var signatures []string
	declared := int64(-1)
	for _, h := range headers {
		switch h.Key {
		case signatureHeader:
			signatures = append(signatures, h.Value)
		case "content-length":
			if n, err := strconv.ParseInt(h.Value, 10, 64); err == nil {
				declared = n
			}
		}
	}
	check, err := q.root.verifier.Begin(signatures)
	if err != nil {
		return q.reject(err)
	}
	if declared > q.root.verifier.MaxBodyBytes() {
		return q.reject(verify.ErrBodyTooLarge) // no need to wait for the bytes
	}
	q.check = check
	if endOfStream {
		return q.finish()
	}
	if !q.root.holdHeaders {
		// The headers go on; the body is still held until the verdict.
		return proxywasm.Continue
	}
	// Hold the headers until the verdict: nothing reaches the upstream
	// unverified. In Envoy this needs allow_on_headers_stop_iteration.
	return proxywasm.Pause
}

// OnRequestBody hashes the bytes not yet hashed. Because the previous
// callback returned Pause, the host's body buffer is cumulative (Envoy's
// StopIterationAndBuffer): bodySize counts every byte so far.
func (q *request) OnRequestBody(bodySize int, endOfStream bool) proxywasm.Action {
	if q.check == nil {
		return proxywasm.Pause // decided already; a rejected request goes nowhere
	}
	if bodySize < q.hashed {
		return q.reject(errBufferShrank)
	}
	if int64(bodySize) > q.root.verifier.MaxBodyBytes() {
		return q.reject(verify.ErrBodyTooLarge)
	}
	err := proxywasm.ReadBuffer(proxywasm.BufferHTTPRequestBody, q.hashed, bodySize, func(b []byte) error {
		q.hashed += len(b)
		_, err := q.check.Write(b)
		return err
	})
	if err == nil && q.hashed != bodySize {
		err = errShortRead
	}
	if err != nil {
		return q.reject(err)
	}
	if endOfStream {
		return q.finish()
	}
	return proxywasm.Pause
}

// OnRequestTrailers ends a request whose body never saw end of stream.
func (q *request) OnRequestTrailers(int) proxywasm.Action {
	if q.check == nil {
		return proxywasm.Pause
	}
	return q.finish()
}

// OnDone implements proxywasm.HTTPContext.
func (q *request) OnDone() {}

func (q *request) finish() proxywasm.Action {
	err := q.check.Verify()
	q.check = nil
	if err != nil {
		return q.reject(err)
	}
	q.root.metrics.inc(metricVerified)
	logf(proxywasm.LogDebug, "verified request")
	return proxywasm.Continue
}

var (
	errNotConfigured = errors.New("filter is not configured")
	errBufferShrank  = errors.New("host body buffer is not cumulative after Pause")
	errShortRead     = errors.New("host returned fewer body bytes than it announced")
)

// verdict is how a rejection is answered. Bodies and details never carry
// request data.
type verdict struct {
	status int
	reason string
	body   string
}

func verdictFor(err error) verdict {
	switch {
	case errors.Is(err, verify.ErrMissingSignature):
		return verdict{401, "missing_signature", "Invalid signature"}
	case errors.Is(err, verify.ErrMalformedSignature):
		return verdict{401, "malformed_signature", "Invalid signature"}
	case errors.Is(err, verify.ErrSignatureMismatch):
		return verdict{401, "invalid_signature", "Invalid signature"}
	case errors.Is(err, verify.ErrBodyTooLarge):
		return verdict{413, "body_too_large", "Payload too large"}
	default:
		return verdict{500, "internal_error", "Internal error"}
	}
}

// reject answers the request and holds it. Only the reason is logged.
func (q *request) reject(err error) proxywasm.Action {
	q.check = nil
	v := verdictFor(err)
	msg := "rejected request: reason=" + v.reason + " status=" + strconv.Itoa(v.status)
	if v.status == 500 {
		msg += " error=" + err.Error() // our own errors, no request data
	}
	q.root.metrics.inc(metricRejectedPrefix + v.reason)
	logf(proxywasm.LogInfo, msg)
	if _, err := q.stream.SendLocalResponse(v.status, "hookguard_"+v.reason, []byte(v.body),
		[]pairs.Pair{{Key: "content-type", Value: "text/plain; charset=utf-8"}}); err != nil {
		logf(proxywasm.LogCritical, "cannot send the rejection: "+err.Error())
	}
	return proxywasm.Pause
}

func logf(level proxywasm.LogLevel, msg string) { proxywasm.Log(level, "hookguard: "+msg) }
