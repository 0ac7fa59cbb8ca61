package host

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookguard/hookguard/internal/abi"
	"github.com/hookguard/hookguard/internal/pairs"
)

// proxy_http_call, as Envoy runs it: the module names a cluster and gives
// the request's headers (with :method, :path and :authority), body and a
// timeout; the host returns a token at once, sends the request, and later
// calls proxy_on_http_call_response on the root context with the token,
// during which the response's headers (with :status) and body can be read.
// A failure or timeout is delivered the same way, with no headers.
//
// Envoy's call belongs to the root context, but modules make it for a
// stream and resume that stream from the response (the SDKs switch to it
// with proxy_set_effective_context). The host records the stream that was
// effective when the call was made: while the call is out the stream may
// still be resumed (Stream.Wait waits for it), and once the stream is
// answered, reset or closed the call is cancelled and the module is not
// called back, as Envoy's AsyncClient::Request::cancel delivers nothing.
// Calls made with no stream (the root context's own), or for a stream
// already answered or closing (from proxy_on_log, say), run to the end.

// maxCalloutBody bounds a response the module is given, as Envoy's
// per-connection buffer limit would.
const maxCalloutBody = 4 << 20

// DynamicCluster is a Config.Clusters URL that reaches each call's
// :authority over HTTPS.
const DynamicCluster = "https://*"

// calloutClient makes the calls when Config.HTTPClient is nil: a redirect
// is the answer, as Envoy's async client does not follow it.
var calloutClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// defaultCalloutTimeout bounds a call made with timeout 0 (Envoy: none), so
// that every call ends.
const defaultCalloutTimeout = 5 * time.Second

// callout is a proxy_http_call in flight.
type callout struct {
	stream *Stream            // the effective stream when it was made, or nil
	cancel context.CancelFunc // cancels its request
}

// calloutResponse is what proxy_on_http_call_response can read.
type calloutResponse struct {
	headers Header
	body    []byte
}

// newCallout makes the request of a proxy_http_call to cluster with the
// serialized headers rawHeaders and body, and gives it a token; send sends
// it. As Envoy, it refuses with BAD_ARGUMENT a cluster it does not know,
// malformed headers, and headers without :method, :path and :authority.
// The request goes to the cluster's base URL with :path appended and
// :authority as Host; other pseudo-headers are dropped. A timeout of 0
// (Envoy: none) is defaultCalloutTimeout.
func (v *vm) newCallout(cluster string, rawHeaders, body []byte, timeout time.Duration) (*pendingCallout, abi.Status) {
	base, known := v.plugin.cfg.Clusters[cluster]
	headers := pairs.Decode(rawHeaders)
	if !known || headers == nil && len(rawHeaders) > 0 {
		return nil, abi.StatusBadArgument
	}
	var method, path, authority string
	out := http.Header{}
	for _, h := range headers {
		switch h.Key {
		case ":method":
			method = h.Value
		case ":path":
			path = h.Value
		case ":authority":
			authority = h.Value
		default:
			if !strings.HasPrefix(h.Key, ":") {
				out.Add(h.Key, h.Value)
			}
		}
	}
	if method == "" || path == "" || authority == "" {
		return nil, abi.StatusBadArgument // as Envoy: the three are required
	}
	if timeout <= 0 {
		timeout = defaultCalloutTimeout
	}
	target := strings.TrimSuffix(base, "/") + path
	if base == DynamicCluster {
		if strings.ContainsAny(authority, "/?#@\\ ") {
			return nil, abi.StatusBadArgument
		}
		target = "https://" + authority + path
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, abi.StatusBadArgument
	}
	req.Header, req.Host = out, authority
	return &pendingCallout{token: v.nextCalloutToken(), req: req, cancel: cancel}, abi.StatusOK
}

// pendingCallout is a proxy_http_call's request made but not yet sent: the
// module has its token once the host could write it.
type pendingCallout struct {
	token  uint32
	req    *http.Request
	cancel context.CancelFunc
}

// send sends the call, made for the effective stream: while it is out the
// stream can be resumed from its response (Stream.Wait waits for it).
func (v *vm) send(c *pendingCallout) {
	owner := v.stream
	if owner != nil && (owner.closed || owner.finished()) {
		// Made for a stream already answered or ending (an access log
		// sent from proxy_on_log): nothing can resume it, and the call
		// runs to its end as Envoy's root-owned call does.
		owner = nil
	}
	v.callouts[c.token] = &callout{stream: owner, cancel: c.cancel}
	if owner != nil {
		owner.callouts++
	}
	go v.deliverCallout(c.req, c.token)
}

// nextCalloutToken returns a new proxy_http_call token, never 0.
func (v *vm) nextCalloutToken() uint32 {
	v.nextCallout++
	if v.nextCallout == 0 {
		v.nextCallout = 1
	}
	return v.nextCallout
}

// deliverCallout sends req and hands the response (or, on failure, none)
// to the module's proxy_on_http_call_response, unless the call was
// cancelled meanwhile. What the module then asks of a stream is applied
// when the callback returns.
func (v *vm) deliverCallout(req *http.Request, token uint32) {
	res, err := v.fetch(req)
	v.mu.Lock()
	defer v.mu.Unlock()
	c, live := v.callouts[token]
	if !live {
		return // cancelled: the module is not called back
	}
	v.endCallout(token, c)
	if s := c.stream; s != nil {
		defer s.wake() // whatever the callback did, one fewer call can resume it
	}
	if err != nil {
		v.logger.Warn("proxy_http_call failed; the module is told", "url", req.URL.Redacted(), "error", err)
	}
	if v.closed || v.failed.Load() || v.fn.httpCallResponse == nil {
		return
	}
	v.callout = res
	v.rootCallback(v.fn.httpCallResponse, uint64(v.rootID), uint64(token), uint64(len(res.headers)), uint64(len(res.body)), 0)
	v.callout = nil
}

// fetch sends req and reads its response. On failure, or a body over
// maxCalloutBody, the response has no headers: that is how the module
// learns the call failed.
func (v *vm) fetch(req *http.Request) (*calloutResponse, error) {
	client := v.plugin.cfg.HTTPClient
	if client == nil {
		client = calloutClient
	}
	res := &calloutResponse{}
	resp, err := client.Do(req)
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	res.body, err = io.ReadAll(io.LimitReader(resp.Body, maxCalloutBody+1))
	if err != nil || len(res.body) > maxCalloutBody {
		res.body = nil
		return res, err
	}
	res.headers = append(res.headers, HeaderField{Key: ":status", Value: strconv.Itoa(resp.StatusCode)})
	for _, k := range slices.Sorted(maps.Keys(resp.Header)) {
		for _, val := range resp.Header[k] {
			res.headers = append(res.headers, HeaderField{Key: strings.ToLower(k), Value: val})
		}
	}
	return res, nil
}

// endCallout forgets a call that is over, cancelling its request's
// context (which releases its timer, or stops the request if it runs).
func (v *vm) endCallout(token uint32, c *callout) {
	c.cancel()
	delete(v.callouts, token)
	if c.stream != nil {
		c.stream.callouts--
	}
}

// cancelCallouts cancels the calls in flight made for s, or every call
// when s is nil: their requests stop and the module is not called back.
func (v *vm) cancelCallouts(s *Stream) {
	if len(v.callouts) == 0 || s != nil && s.callouts == 0 {
		return
	}
	for token, c := range v.callouts {
		if s == nil || c.stream == s {
			v.endCallout(token, c)
		}
	}
}
