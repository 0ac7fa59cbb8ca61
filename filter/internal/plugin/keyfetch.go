package plugin

import (
	"errors"
	"strconv"
	"time"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/reason"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pairs"
)

// Keys fetched from the provider while the request waits (aws-sns,
// paypal, plaid): when a check needs a key its route does not hold
// (verify.KeyNeeded), the request pauses, the VM's root context fetches
// the key through the route's key_cluster with proxy_http_call, and the
// answer resumes every request waiting for that key: each verifies again,
// and goes on or is refused. Requests for one key share one fetch. A
// fetch that fails or times out refuses its requests with 503
// key_unavailable and is remembered for a few seconds (verify.RemoteKeys);
// a request that cannot wait (too many fetches or waiters) is refused the
// same way at once. Nothing is let through because a fetch failed.

// Bounds: fetches in flight per VM, requests waiting per fetch, the wait,
// and the size of an answer.
const (
	maxKeyFetches   = 8
	maxKeyWaiters   = 64
	keyFetchTimeout = 5 * time.Second
	maxKeyAnswer    = 64 << 10
	keyRetryAfter   = 5
)

var errTooManyFetches = errors.New("too many key fetches in flight")

// keyFetch is one fetch in flight: a route's key, or the confirmation of
// an SNS subscription (confirm set).
type keyFetch struct {
	route   *config.Route
	keys    *verify.RemoteKeys // where the answer goes; nil for a confirmation
	id      string
	token   uint32
	waiters []*request
	confirm bool
}

// awaitKey pauses q until the key need names is fetched.
func (q *request) awaitKey(need *verify.KeyNeeded) proxywasm.Action {
	if need.Keys == nil || q.route.KeyCluster == "" {
		return q.reject(reason.InternalError, errors.New("a remote-key check on a route without a key cluster"))
	}
	var f *keyFetch
	for _, c := range q.root.fetches {
		if c.keys == need.Keys && c.id == need.Fetch.ID {
			f = c
		}
	}
	if f == nil {
		var err error
		if f, err = q.root.startFetch(q.route, need.Fetch, false); err != nil {
			return q.keyUnavailable(err)
		}
		f.keys = need.Keys
	}
	if len(f.waiters) >= maxKeyWaiters {
		return q.keyUnavailable(errors.New("too many requests waiting for one key"))
	}
	f.waiters = append(f.waiters, q)
	q.waiting = f
	return proxywasm.Pause
}

// keyUnavailable refuses q (or in detect mode lets it through) because its
// key could not be had; err is logged, never with request data.
func (q *request) keyUnavailable(err error) proxywasm.Action {
	logLine(proxywasm.LogWarn, "route "+q.route.Name+": provider key unavailable: "+err.Error())
	return q.fail(verify.ErrKeyUnavailable)
}

// startFetch sends the request of fetch through the route's key cluster.
func (r *Root) startFetch(rt *config.Route, fetch verify.KeyFetch, confirm bool) (*keyFetch, error) {
	if len(r.fetches) >= maxKeyFetches {
		return nil, errTooManyFetches
	}
	headers := []pairs.Pair{{Key: ":method", Value: fetch.Method}, {Key: ":path", Value: fetch.Path},
		{Key: ":authority", Value: fetch.Authority}, {Key: "accept", Value: "*/*"}}
	if fetch.ContentType != "" {
		headers = append(headers, pairs.Pair{Key: "content-type", Value: fetch.ContentType})
	}
	if fetch.Authorization != "" {
		headers = append(headers, pairs.Pair{Key: "authorization", Value: fetch.Authorization})
	}
	token, err := proxywasm.HTTPCall(rt.KeyCluster, headers, fetch.Body, keyFetchTimeout)
	if err != nil {
		return nil, errors.New("cannot call cluster " + rt.KeyCluster + ": " + err.Error())
	}
	f := &keyFetch{route: rt, id: fetch.ID, token: token, confirm: confirm}
	r.fetches = append(r.fetches, f)
	return f, nil
}

// keyFetchDone takes the HTTP call response token names if it is a key
// fetch's, and resumes its waiting requests.
func (r *Root) keyFetchDone(token uint32, numHeaders, bodySize int) bool {
	i := -1
	for j, f := range r.fetches {
		if f.token == token {
			i = j
		}
	}
	if i < 0 {
		return false
	}
	f := r.fetches[i]
	r.fetches = append(r.fetches[:i], r.fetches[i+1:]...)
	status := calloutStatus(numHeaders)
	var body []byte
	if status == 200 && bodySize <= maxKeyAnswer {
		body, _ = calloutBody(bodySize)
	} else if status == 200 {
		status = -1 // too large to be a key
	}
	if f.confirm {
		f.confirmed(status)
		return true
	}
	now, _ := proxywasm.Now()
	if err := f.keys.Store(f.id, status, body, now); err != nil {
		logLine(proxywasm.LogWarn, "route "+f.route.Name+": key from cluster "+f.route.KeyCluster+" not used: "+err.Error())
	}
	for _, q := range f.waiters {
		q.waiting = nil
		q.resume()
	}
	return true
}

// resume verifies a request again once the key it waited for came (or
// did not): it goes on, or is answered.
func (q *request) resume() {
	if err := q.stream.Activate(); err != nil {
		return // the stream is gone
	}
	if q.finish() == proxywasm.Continue {
		if err := q.stream.ResumeRequest(); err != nil {
			logLine(proxywasm.LogError, "route "+q.route.Name+": cannot resume the request: "+err.Error())
		}
	}
}

// stopWaiting takes q off the fetch it waits for: its stream ended.
func (q *request) stopWaiting() {
	f := q.waiting
	for i, w := range f.waiters {
		if w == q {
			f.waiters = append(f.waiters[:i], f.waiters[i+1:]...)
			break
		}
	}
	q.waiting = nil
}

// statusText names an answer's status for the log.
func statusText(status int) string {
	switch status {
	case 0:
		return "no response"
	case -1:
		return "an answer over " + strconv.Itoa(maxKeyAnswer) + " bytes"
	}
	return "status " + strconv.Itoa(status)
}

// confirmSubscription, on an aws-sns route with "handshake": true, starts
// confirming a verified SubscriptionConfirmation by fetching its
// SubscribeURL; the answer comes to confirmed. Other deliveries go on.
func (q *request) confirmSubscription() (proxywasm.Action, bool) {
	fetch, ok, err := verify.SNSConfirmation(q.body)
	switch {
	case err != nil:
		return q.fail(err), true
	case !ok:
		return proxywasm.Continue, false
	}
	f, err := q.root.startFetch(q.route, fetch, true)
	if err != nil {
		return q.keyUnavailable(err), true
	}
	f.waiters = []*request{q}
	q.waiting = f
	return proxywasm.Pause, true
}

// confirmed answers the request whose subscription confirmation got
// status: 200 when AWS took it, else 503 key_unavailable, so that the
// confirmation can be sent again.
func (f *keyFetch) confirmed(status int) {
	for _, q := range f.waiters {
		q.waiting = nil
		if q.stream.Activate() != nil {
			continue
		}
		if status != 200 {
			q.keyUnavailable(errors.New("AWS did not take the subscription confirmation: " + statusText(status)))
			continue
		}
		q.answerHandshake([]byte("subscription confirmed\n"), true)
	}
}
