package plugin

import (
	"errors"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/reason"
	"github.com/hookguard/hookguard/internal/pairs"
)

// What a request does with replay de-duplication: finish claims a
// verified delivery's id (dedupe), and the response, or the stream's end,
// settles it (settleClaim). The slots and the rules that decide are in
// dedupe.go, which knows nothing of requests.

// DuplicateHeader marks the local answer to a duplicate delivery.
const DuplicateHeader = "x-hookguard-duplicate"

var errNoIdentity = errors.New("dedupe: the check could not identify the verified delivery")

// dedupe admits a verified delivery of a route with "dedupe", or answers
// it: a duplicate of an accepted one with 200, one still in flight with
// 409, and a full slot with 503 (both with Retry-After). handled is false
// when the request goes on. The delivery is known by its identity among
// the bytes its sender signed (q.ident), so a copy sent again under a new
// delivery-id header is the same delivery; that header only tags the
// entry, to count such copies.
func (q *request) dedupe(rt *config.Route, now int64) (a proxywasm.Action, handled bool) {
	d := rt.Dedupe
	identity, ok := q.ident.Identity()
	if !ok {
		return q.reject(reason.InternalError, errNoIdentity), true
	}
	var tag uint32
	for _, name := range d.IDHeaders {
		if v, n := q.req.Single(name); n > 0 {
			tag = idTag(v)
			break
		}
	}
	key, hash := deliveryID(rt.Name, d, identity)
	var o outcome
	var evicted, replayed bool
	err := update(key, func(es []entry) ([]entry, bool) {
		var out []entry
		replayed = underAnotherID(es, hash, tag)
		o, out, q.retryAfter, evicted = admit(es, hash, now, d)
		if o == admitted {
			out[len(out)-1].tag = tag
		}
		return out, o == admitted
	})
	if err != nil {
		return q.storeFailed(rt, err)
	}
	if evicted {
		q.root.metrics.inc(evictedMetric(rt.Name))
	}
	if replayed && o != admitted {
		q.root.metrics.inc(replayedMetric(rt.Name))
		logLine(proxywasm.LogInfo, "route "+rt.Name+": a delivery already let through came again under another delivery id (a replay, or a sender that changes the id on retries): answered as a "+identity.Kind.String()+" duplicate")
	}
	switch o {
	case duplicate:
		q.root.metrics.inc(duplicateMetric(rt.Name))
		logLine(proxywasm.LogInfo, "duplicate delivery answered: route="+rt.Name)
		if _, err := q.stream.SendLocalResponse(200, "hookguard_duplicate", []byte(reason.DuplicateBody+"\n"),
			[]pairs.Pair{{Key: "content-type", Value: "text/plain; charset=utf-8"}, {Key: DuplicateHeader, Value: "route=" + rt.Name}}); err != nil {
			logLine(proxywasm.LogCritical, "cannot answer the duplicate: "+err.Error())
		}
		return proxywasm.Pause, true
	case inFlight:
		return q.reject(reason.DuplicateInFlight, nil), true
	case slotFull:
		return q.reject(reason.DedupeFull, nil), true
	}
	q.claimed, q.claimKey, q.claimID, q.claimedAt, q.claimTime, q.retryAfter = true, key, hash, rt, now, 0
	return proxywasm.Continue, false
}

// storeFailed handles a verified delivery whose id the shared data could
// not record (it failed or timed out) as the route says: "reject" answers
// 503 with Retry-After, so the sender retries and nothing goes on
// unrecorded; "allow" lets it on without de-duplication, counted.
func (q *request) storeFailed(rt *config.Route, err error) (proxywasm.Action, bool) {
	if rt.Dedupe.OnStoreFailure == config.StoreFailureAllow {
		q.root.metrics.inc(bypassedMetric(rt.Name))
		logLine(proxywasm.LogWarn, "route "+rt.Name+": the de-duplication store failed; the verified delivery goes on without it (on_store_failure allow): "+err.Error())
		return proxywasm.Continue, false
	}
	logLine(proxywasm.LogError, "route "+rt.Name+": the de-duplication store failed: "+err.Error())
	q.retryAfter = maxRetryAfter
	return q.reject(reason.DedupeUnavailable, nil), true
}

// settleClaim records the upstream's answer to the delivery q let through
// (OnResponseHeaders, OnDone), by dedupe.go's settle. On error the entry
// stays in flight until it expires: a retry meanwhile is told to retry
// later, and nothing is lost.
func (q *request) settleClaim(accepted bool) {
	q.claimed = false
	d := q.claimedAt.Dedupe
	now, err := proxywasm.Now()
	if err == nil {
		err = update(q.claimKey, func(es []entry) ([]entry, bool) {
			return settle(es, q.claimID, accepted, q.claimTime, now.UnixMilli(), d)
		})
	}
	if err != nil {
		logLine(proxywasm.LogError, "route "+q.claimedAt.Name+": cannot record the delivery's outcome: "+err.Error())
	}
}
