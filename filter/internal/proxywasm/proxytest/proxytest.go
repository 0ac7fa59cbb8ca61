// Package proxytest is an in-process proxy-wasm host for the binding in
// package proxywasm: it drives a plugin's callbacks natively, with Envoy's
// semantics for what each callback can see, so a plugin is unit-tested
// (and its coverage measured) without building a module. The tests in
// host/ run the same plugin as a module in the real host.
package proxytest

import (
	"errors"
	"io"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/internal/abi"
	"github.com/hookguard/hookguard/internal/pairs"
)

// Options configure a Host.
type Options struct {
	// Config is the plugin configuration.
	Config []byte
	// Env is the VM's environment.
	Env map[string]string
	// Now is the host's clock; nil means time.Now.
	Now func() time.Time
	// Properties are every stream's properties, by dotted path
	// ("source.address").
	Properties map[string]string
}

// Log is one line the plugin logged.
type Log struct {
	Level proxywasm.LogLevel
	Msg   string
}

// Host is one VM of one plugin. It is not safe for concurrent use, and
// only one Host may be live at a time: the binding's state is global, as
// in a module.
type Host struct {
	opts        Options
	rootID      uint32
	nextID      uint32
	logs        []Log
	metricIDs   map[string]uint32
	metrics     []metric
	shared      map[string]sharedValue
	configuring bool
	active      *Stream
	streams     map[uint32]*Stream
	callout     *callout // the HTTP call response being delivered
	// Calls are the HTTP calls the plugin made, in order.
	Calls []Call
	// TickPeriod is what the plugin last set.
	TickPeriod time.Duration
	// SharedDataFault, when set, fails every shared-data call on a key it
	// returns true for, as a store that is down or timed out makes the
	// host's call fail.
	SharedDataFault func(key string) bool
	restore         func()
}

type sharedValue struct {
	data []byte
	cas  uint32
}

type metric struct {
	name  string
	value int64
}

var errNoStream = errors.New("proxytest: no stream callback is running")

// Start makes a VM of the plugin newRoot registers, starts and configures
// it. ok is what on_vm_start and on_configure returned; Close undoes it.
func Start(newRoot func(uint32) proxywasm.RootContext, opts Options) (h *Host, ok bool) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h = &Host{opts: opts, metricIDs: map[string]uint32{}, shared: map[string]sharedValue{}, rootID: 1, nextID: 2}
	h.restore = proxywasm.SetHost(h)
	proxywasm.ResetContexts(newRoot)
	proxywasm.OnContextCreate(h.rootID, 0)
	if !proxywasm.OnVMStart(h.rootID, 0) {
		return h, false
	}
	h.configuring = true
	defer func() { h.configuring = false }()
	return h, proxywasm.OnConfigure(h.rootID, len(opts.Config))
}

// Close puts back the host the binding had before Start.
func (h *Host) Close() { h.restore() }

// Logs returns every line logged so far.
func (h *Host) Logs() []Log { return append([]Log(nil), h.logs...) }

// Metric returns a metric's value and whether the plugin defined it.
func (h *Host) Metric(name string) (int64, bool) {
	id, ok := h.metricIDs[name]
	if !ok {
		return 0, false
	}
	return h.metrics[id].value, true
}

// Metrics returns every metric by name.
func (h *Host) Metrics() map[string]int64 {
	out := map[string]int64{}
	for _, m := range h.metrics {
		out[m.name] = m.value
	}
	return out
}

// LocalResponse is a response the plugin sent itself.
type LocalResponse struct {
	Status  int
	Details string
	Body    []byte
	Header  []pairs.Pair
}

// Stream is one HTTP request through the plugin.
type Stream struct {
	h        *Host
	id       uint32
	header   []pairs.Pair // the live request headers
	response []pairs.Pair // the response headers, once ResponseHeaders ran
	body     []byte       // buffered body: cumulative while the plugin pauses
	held     bool         // the headers have not gone on yet
	done     bool
	ended    bool // the request's end of stream was seen
	Local    *LocalResponse
	// What went upstream: headers as they were when they went on, and the
	// body bytes released so far.
	UpstreamHeader []pairs.Pair
	UpstreamBody   []byte
	// Continued reports the request went on whole (every phase continued).
	Continued bool
}

// NewStream creates a stream context.
func (h *Host) NewStream() *Stream {
	s := &Stream{h: h, id: h.nextID, held: true}
	h.nextID++
	if h.streams == nil {
		h.streams = map[uint32]*Stream{}
	}
	h.streams[s.id] = s
	proxywasm.OnContextCreate(s.id, h.rootID)
	return s
}

func (s *Stream) call(f func() proxywasm.Action) proxywasm.Action {
	s.h.active = s
	defer func() { s.h.active = nil }()
	return f()
}

// release lets what the plugin continued go upstream.
func (s *Stream) release() {
	if s.held {
		s.held = false
		s.UpstreamHeader = append([]pairs.Pair(nil), s.header...)
	}
	s.UpstreamBody = append(s.UpstreamBody, s.body...)
	s.body = nil
}

// Headers runs on_request_headers.
func (s *Stream) Headers(header []pairs.Pair, endOfStream bool) proxywasm.Action {
	s.header = append([]pairs.Pair(nil), header...)
	s.ended = endOfStream
	a := s.call(func() proxywasm.Action { return proxywasm.OnRequestHeaders(s.id, len(header), endOfStream) })
	if a == proxywasm.Continue && s.Local == nil {
		s.release()
		s.Continued = endOfStream
	}
	return a
}

// Body runs on_request_body with chunk added to the buffer. As in Envoy,
// the buffer is cumulative while the plugin pauses and drained when it
// continues.
func (s *Stream) Body(chunk []byte, endOfStream bool) proxywasm.Action {
	s.body = append(s.body, chunk...)
	s.ended = endOfStream
	a := s.call(func() proxywasm.Action { return proxywasm.OnRequestBody(s.id, len(s.body), endOfStream) })
	if a == proxywasm.Continue && s.Local == nil {
		s.release()
		s.Continued = endOfStream
	}
	return a
}

// Trailers runs on_request_trailers, which ends the request.
func (s *Stream) Trailers(trailers []pairs.Pair) proxywasm.Action {
	s.ended = true
	a := s.call(func() proxywasm.Action { return proxywasm.OnRequestTrailers(s.id, len(trailers)) })
	if a == proxywasm.Continue && s.Local == nil {
		s.release()
		s.Continued = true
	}
	return a
}

// ResponseHeaders runs on_response_headers with the upstream's (or a
// local reply's) status and headers.
func (s *Stream) ResponseHeaders(status int, header []pairs.Pair) proxywasm.Action {
	s.response = append([]pairs.Pair{{Key: ":status", Value: itoa(status)}}, header...)
	return s.call(func() proxywasm.Action { return proxywasm.OnResponseHeaders(s.id, len(s.response), false) })
}

func itoa(n int) string {
	if n < 0 || n > 999 {
		return "?"
	}
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

// Done runs on_done and on_delete.
func (s *Stream) Done() {
	if !s.done {
		s.done = true
		proxywasm.OnDone(s.id)
		proxywasm.OnDelete(s.id)
		delete(s.h.streams, s.id)
	}
}

// Request is a whole request for Run.
type Request struct {
	Header []pairs.Pair
	// Body yields the body one Read per chunk; nil means no body.
	Body     io.Reader
	Trailers []pairs.Pair
	// Respond, when set, is the status the upstream answers a request the
	// plugin let through, before the stream ends; without it the stream
	// ends with no response (as after a reset).
	Respond int
}

// Run sends a whole request through a new stream, as a proxy would: the
// headers, each body chunk as it is read, then trailers if any. It stops
// once the plugin answers.
func (h *Host) Run(req Request) *Stream {
	s := h.NewStream()
	defer func() {
		if req.Respond != 0 && s.Local == nil && s.Continued {
			s.ResponseHeaders(req.Respond, nil)
		}
		s.Done()
	}()
	if s.Headers(req.Header, req.Body == nil && req.Trailers == nil); s.Local != nil || req.Body == nil && req.Trailers == nil {
		return s
	}
	buf := make([]byte, 32<<10)
	var pending []byte
	eof := req.Body == nil
	for !eof {
		n, err := req.Body.Read(buf)
		if err == io.EOF {
			eof = true
		}
		if n == 0 && !eof {
			continue
		}
		if pending != nil {
			if s.Body(pending, false); s.Local != nil {
				return s
			}
		}
		pending = append([]byte(nil), buf[:n]...)
	}
	if req.Trailers == nil {
		s.Body(pending, true)
		return s
	}
	if len(pending) > 0 {
		if s.Body(pending, false); s.Local != nil {
			return s
		}
	}
	s.Trailers(req.Trailers)
	return s
}

// The proxywasm.Host methods.

// Log implements proxywasm.Host.
func (h *Host) Log(level proxywasm.LogLevel, msg string) { h.logs = append(h.logs, Log{level, msg}) }

// GetBufferBytes implements proxywasm.Host: the plugin configuration
// during on_configure, the running stream's buffered body in its callbacks.
func (h *Host) GetBufferBytes(bt proxywasm.BufferType, start, maxSize int) ([]byte, error) {
	var b []byte
	switch {
	case bt == proxywasm.BufferPluginConfiguration && h.configuring:
		b = h.opts.Config
	case bt == proxywasm.BufferHTTPRequestBody && h.active != nil:
		b = h.active.body
	case bt == proxywasm.BufferHTTPCallResponse && h.callout != nil:
		b = h.callout.body
	default:
		return nil, nil
	}
	if start >= len(b) {
		return nil, nil
	}
	return b[start:min(len(b), start+maxSize)], nil
}

// GetHeaders implements proxywasm.Host.
func (h *Host) GetHeaders(mt proxywasm.MapType, arena *[]byte) ([]pairs.Pair, error) {
	var m []pairs.Pair
	switch {
	case mt == proxywasm.MapHTTPCallResponseHeaders && h.callout != nil:
		m = h.callout.headers
	case h.active == nil:
		return nil, errNoStream
	case mt == proxywasm.MapHTTPRequestHeaders:
		m = h.active.header
	case mt == proxywasm.MapHTTPResponseHeaders && h.active.response != nil:
		m = h.active.response
	default:
		return nil, errNoStream
	}
	if arena == nil || len(m) == 0 {
		return append([]pairs.Pair(nil), m...), nil
	}
	// Through the wire format, as the module decodes a map: the strings
	// then live in the caller's arena, so a test of a plugin that kept one
	// past its arena's reuse sees it change.
	return pairs.DecodeArena(nil, arena, pairs.Encode(m)), nil
}

// AddHeader implements proxywasm.Host. As in Envoy, request headers can
// change only until they go on.
func (h *Host) AddHeader(mt proxywasm.MapType, key, value string) error {
	if h.active == nil || mt != proxywasm.MapHTTPRequestHeaders || !h.active.held && h.active.UpstreamHeader != nil {
		return errNoStream
	}
	h.active.header = append(h.active.header, pairs.Pair{Key: key, Value: value})
	return nil
}

// RemoveHeader implements proxywasm.Host.
func (h *Host) RemoveHeader(mt proxywasm.MapType, key string) error {
	if h.active == nil || mt != proxywasm.MapHTTPRequestHeaders {
		return errNoStream
	}
	kept := h.active.header[:0]
	for _, p := range h.active.header {
		if p.Key != key {
			kept = append(kept, p)
		}
	}
	h.active.header = kept
	return nil
}

// SendLocalResponse implements proxywasm.Host.
func (h *Host) SendLocalResponse(status int, details string, body []byte, headers []pairs.Pair) error {
	if h.active == nil {
		return errNoStream
	}
	if h.active.Local != nil {
		return errors.New("proxytest: a second local response")
	}
	h.active.Local = &LocalResponse{Status: status, Details: details, Body: append([]byte(nil), body...), Header: headers}
	return nil
}

// DefineMetric implements proxywasm.Host.
func (h *Host) DefineMetric(_ proxywasm.MetricType, name string) (uint32, error) {
	if id, ok := h.metricIDs[name]; ok {
		return id, nil
	}
	h.metrics = append(h.metrics, metric{name: name})
	id := uint32(len(h.metrics) - 1)
	h.metricIDs[name] = id
	return id, nil
}

// IncrementMetric implements proxywasm.Host.
func (h *Host) IncrementMetric(id uint32, delta int64) error {
	if int(id) >= len(h.metrics) {
		return errors.New("proxytest: unknown metric")
	}
	h.metrics[id].value += delta
	return nil
}

// Now implements proxywasm.Host.
func (h *Host) Now() (time.Time, error) { return h.opts.Now(), nil }

// Call is one HTTPCall the plugin made.
type Call struct {
	Token   uint32
	Cluster string
	Header  []pairs.Pair
	Body    []byte
}

type callout struct {
	headers []pairs.Pair
	body    []byte
}

// HTTPCall implements proxywasm.Host: the call is recorded, for the test
// to answer with RespondHTTPCall.
func (h *Host) HTTPCall(cluster string, headers []pairs.Pair, body []byte, _ time.Duration) (uint32, error) {
	token := uint32(len(h.Calls) + 1)
	h.Calls = append(h.Calls, Call{Token: token, Cluster: cluster, Header: append([]pairs.Pair(nil), headers...), Body: append([]byte(nil), body...)})
	return token, nil
}

// RespondHTTPCall delivers a response to the call token names: status 0
// delivers a failure (no headers), as Envoy does for a reset or timeout.
func (h *Host) RespondHTTPCall(token uint32, status int, body []byte) {
	c := &callout{body: body}
	if status != 0 {
		c.headers = []pairs.Pair{{Key: ":status", Value: itoa(status)}}
	} else {
		c.body = nil
	}
	h.callout = c
	active := h.active
	defer func() { h.callout, h.active = nil, active }()
	proxywasm.OnHTTPCallResponse(h.rootID, token, len(c.headers), len(c.body))
}

// SetEffectiveContext implements proxywasm.Host: a live stream's id makes
// it the stream later calls act on.
func (h *Host) SetEffectiveContext(id uint32) error {
	s, ok := h.streams[id]
	if !ok {
		return errors.New("proxytest: no such stream")
	}
	h.active = s
	return nil
}

// ContinueRequest implements proxywasm.Host: the active stream's request
// goes on, whole if its end was seen.
func (h *Host) ContinueRequest() error {
	s := h.active
	if s == nil {
		return errNoStream
	}
	if s.Local == nil {
		s.release()
		s.Continued = s.ended
	}
	return nil
}

// SetTickPeriod implements proxywasm.Host.
func (h *Host) SetTickPeriod(d time.Duration) error {
	h.TickPeriod = d
	return nil
}

// Tick runs the root context's OnTick, as the host's timer would.
func (h *Host) Tick() { proxywasm.OnTick(h.rootID) }

// GetProperty implements proxywasm.Host.
func (h *Host) GetProperty(path ...string) ([]byte, error) {
	v, ok := h.opts.Properties[strings.Join(path, ".")]
	if !ok {
		return nil, nil
	}
	return []byte(v), nil
}

// Getenv implements proxywasm.Host.
func (h *Host) Getenv(name string) (string, bool) {
	v, ok := h.opts.Env[name]
	return v, ok
}

// errSharedDataFault is what a faulty store makes a shared-data call
// return: the host's InternalFailure.
var errSharedDataFault = &proxywasm.StatusError{Call: "proxy_get_shared_data", Status: proxywasm.Status(abi.StatusInternalFailure)}

// GetSharedData implements proxywasm.Host.
func (h *Host) GetSharedData(key string) ([]byte, uint32, error) {
	if h.SharedDataFault != nil && h.SharedDataFault(key) {
		return nil, 0, errSharedDataFault
	}
	v, ok := h.shared[key]
	if !ok {
		return nil, 0, nil
	}
	return append([]byte(nil), v.data...), v.cas, nil
}

// SetSharedData implements proxywasm.Host, with Envoy's compare-and-swap:
// a non-zero cas must be the current version.
func (h *Host) SetSharedData(key string, value []byte, cas uint32) error {
	if h.SharedDataFault != nil && h.SharedDataFault(key) {
		return errSharedDataFault
	}
	cur := h.shared[key]
	if cas != 0 && cas != cur.cas {
		return proxywasm.ErrCasMismatch
	}
	h.shared[key] = sharedValue{data: append([]byte(nil), value...), cas: cur.cas + 1}
	return nil
}

// SharedData returns what the plugin stored at key, for tests.
func (h *Host) SharedData(key string) ([]byte, bool) {
	v, ok := h.shared[key]
	return v.data, ok
}

// FlushSharedData forgets every shared-data key whose name starts with
// prefix, as a Redis flushed, restarted empty or failed over does.
func (h *Host) FlushSharedData(prefix string) {
	for k := range h.shared {
		if strings.HasPrefix(k, prefix) {
			delete(h.shared, k)
		}
	}
}

// SharedKeys counts the shared-data keys, for tests of the bound.
func (h *Host) SharedKeys() int { return len(h.shared) }
