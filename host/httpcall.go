package host

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/hookguard/hookguard/internal/pairs"
)

// proxy_http_call, as Envoy runs it: the module names a cluster and gives
// the request's headers (with :method, :path and :authority), body and a
// timeout; the host returns a token at once, sends the request, and later
// calls proxy_on_http_call_response on the root context with the token,
// during which the response's headers (with :status) and body can be read.
// A failure or timeout is delivered the same way, with no headers.

// maxCalloutBody bounds a response the module is given, as Envoy's
// per-connection buffer limit would.
const maxCalloutBody = 4 << 20

// calloutResponse is what proxy_on_http_call_response can read.
type calloutResponse struct {
	headers Header
	body    []byte
}

func hostHTTPCall(v *vm, mod api.Module, a []uint32, _ []uint64) uint32 {
	mem := mod.Memory()
	cluster, ok1 := readString(mem, a[0], a[1])
	rawHeaders, ok2 := readBytes(mem, a[2], a[3])
	body, ok3 := readBytes(mem, a[4], a[5])
	if !ok1 || !ok2 || !ok3 {
		return statusInvalidMemoryAccess
	}
	base, known := v.plugin.cfg.Clusters[cluster]
	headers := pairs.Decode(rawHeaders)
	if !known || headers == nil && len(rawHeaders) > 0 {
		return statusBadArgument
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
		return statusBadArgument // as Envoy: the three are required
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(base, "/")+path, bytes.NewReader(body))
	if err != nil {
		return statusBadArgument
	}
	req.Header, req.Host = out, authority
	v.nextCallout++
	if v.nextCallout == 0 {
		v.nextCallout = 1
	}
	token := v.nextCallout
	if !writeU32(mem, a[9], token) {
		return statusInvalidMemoryAccess
	}
	timeout := time.Duration(a[8]) * time.Millisecond
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	go v.deliverCallout(req, token, timeout)
	return statusOK
}

// deliverCallout sends req and hands the response (or, on failure, none)
// to the module's proxy_on_http_call_response.
func (v *vm) deliverCallout(req *http.Request, token uint32, timeout time.Duration) {
	client := v.plugin.cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res := &calloutResponse{}
	resp, err := client.Do(req.WithContext(ctx))
	if err == nil {
		res.body, err = io.ReadAll(io.LimitReader(resp.Body, maxCalloutBody+1))
		resp.Body.Close()
		if err == nil && len(res.body) <= maxCalloutBody {
			res.headers = append(res.headers, HeaderField{Key: ":status", Value: strconv.Itoa(resp.StatusCode)})
			keys := make([]string, 0, len(resp.Header))
			for k := range resp.Header {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				for _, val := range resp.Header[k] {
					res.headers = append(res.headers, HeaderField{Key: strings.ToLower(k), Value: val})
				}
			}
		} else {
			res.body = nil
		}
	}
	if err != nil {
		v.logger.Warn("proxy_http_call failed; the module is told", "url", req.URL.Redacted(), "error", err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed || v.failed.Load() || v.fn.httpCallResponse == nil {
		return
	}
	v.stream, v.callout = nil, res
	defer func() { v.callout = nil }()
	v.call(context.Background(), v.fn.httpCallResponse, uint64(v.rootID), uint64(token), uint64(len(res.headers)), uint64(len(res.body)), 0)
}
