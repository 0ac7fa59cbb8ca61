package plugin

import (
	"strconv"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/reason"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pairs"
)

// VerifiedHeader is added to a verified request: "route=<name>; key=<id>".
// A copy sent by the client is removed from every request first
// (OnRequestHeaders).
const VerifiedHeader = "x-hookguard-verified"

// finish reaches the verdict and, on success, marks the request.
func (q *request) finish() proxywasm.Action {
	if q.route.Handshake == config.HandshakeMonday {
		if answer := mondayAnswer(q.body); answer != nil {
			return q.answerHandshake(answer, false)
		}
	}
	keyID, err := q.check.Verify()
	if need, ok := err.(*verify.KeyNeeded); ok {
		return q.awaitKey(need) // the check is kept, to verify again
	}
	q.dropCheck()
	if err != nil {
		return q.fail(err)
	}
	q.dropExpired()
	rt := q.route
	if rt.Handshake == config.HandshakeSNS {
		if a, handled := q.confirmSubscription(); handled {
			return a
		}
	}
	if rt.Handshake != "" {
		if answerableBody(rt, q.body) {
			return q.fail(verify.ErrMalformedBody)
		}
		if answer, plain := handshakeAnswer(rt, keyID, q.body); answer != nil {
			return q.answerHandshake(answer, plain)
		}
	}
	if rt.Dedupe != nil {
		now, err := proxywasm.Now()
		if err != nil {
			return q.reject(reason.InternalError, err)
		}
		if a, handled := q.dedupe(rt, now.UnixMilli()); handled {
			return a
		}
	}
	// perf: the mark of the request before, without a map lookup, when
	// it is this one's (Root.lastMark).
	m := q.root.lastMark
	if m == nil || m.route != rt || m.keyID != keyID {
		m = q.root.findMark(rt, keyID)
	}
	// Headers can change only until they go on: without hold_headers a
	// check decided after the headers cannot mark the request.
	if !q.headersSent {
		if err := q.markHeaders(rt, m); err != nil {
			return q.reject(reason.InternalError, err)
		}
	}
	// perf: the counter by its id, looked up once per mark (mark.metricID).
	if !m.metricKnown {
		m.metricID, m.metricKnown = q.root.metrics.ids[m.metric]
	}
	if m.metricKnown {
		proxywasm.IncrementMetric(m.metricID, 1) // a failed count must not fail a request
	}
	// perf: ABI 0.2.0 cannot ask the host's log level (RATIONALE), so the
	// line is sent even when the host drops it; it was built at
	// configuration.
	proxywasm.Log(proxywasm.LogDebug, m.logLine)
	return proxywasm.Continue
}

// markHeaders removes the route's strip_headers, adds VerifiedHeader and
// sends the route's forward_claims upstream.
func (q *request) markHeaders(rt *config.Route, m *mark) error {
	for _, h := range rt.StripHeaders {
		if err := proxywasm.RemoveHeader(proxywasm.MapHTTPRequestHeaders, h); err != nil {
			return err
		}
	}
	if err := proxywasm.AddHeader(proxywasm.MapHTTPRequestHeaders, VerifiedHeader, m.header); err != nil {
		return err
	}
	if q.claims != nil {
		claims := q.claims.Claims()
		for _, fc := range rt.ForwardClaims {
			if v, ok := claims[fc.Claim]; ok {
				if err := proxywasm.AddHeader(proxywasm.MapHTTPRequestHeaders, fc.Header, v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fail handles a verification failure by the route's mode: enforce
// rejects; detect logs, counts and lets the request through unmarked.
func (q *request) fail(err error) proxywasm.Action {
	q.dropCheck()
	why := reason.Of(err)
	err = q.diagnose(why, err)
	q.dropExpired()
	if q.route.Mode == config.Detect && why != reason.InternalError {
		q.root.metrics.inc(unverifiedMetric(q.route.Name, why.Name))
		logLine(proxywasm.LogInfo, "detected unverified request (let through): route="+q.route.Name+" reason="+why.Name+hintField(err))
		return proxywasm.Continue
	}
	return q.reject(why, err)
}

// reject answers the request and holds it. Only the route and reason are
// logged, and for an internal error our own error text, which carries no
// request data.
func (q *request) reject(why reason.Reason, err error) proxywasm.Action {
	q.dropCheck()
	route := unmatchedRoute
	if q.route != nil {
		route = q.route.Name
	}
	msg := "rejected request: route=" + route + " reason=" + why.Name + " status=" + strconv.Itoa(why.Status)
	if why == reason.InternalError && err != nil {
		msg += " error=" + err.Error()
	}
	msg += hintField(err)
	if why == reason.KeyUnavailable {
		q.retryAfter = keyRetryAfter // the sender's retry may find the key
	}
	q.root.metrics.inc(rejectedMetric(route, why.Name))
	logLine(proxywasm.LogInfo, msg)
	headers := []pairs.Pair{{Key: "content-type", Value: "text/plain; charset=utf-8"}}
	if why.Status == 401 && q.route != nil && q.route.Basic {
		headers = append(headers, pairs.Pair{Key: "www-authenticate", Value: verify.BasicChallenge})
	}
	if q.retryAfter > 0 {
		headers = append(headers, pairs.Pair{Key: "retry-after", Value: strconv.FormatInt(q.retryAfter, 10)})
	}
	if _, err := q.stream.SendLocalResponse(why.Status, "hookguard_"+why.Name, []byte(reason.Body(why.Status)+"\n"), headers); err != nil {
		logLine(proxywasm.LogCritical, "cannot send the rejection: "+err.Error())
	}
	return proxywasm.Pause
}

// dropCheck hands the check back for the next request's Begin: nothing
// uses it once the verdict is in or the stream is gone. perf: a check
// handed back is reused, so a request allocates none.
func (q *request) dropCheck() {
	if q.check != nil {
		q.check.Release()
		q.check = nil
	}
}

// dropExpired hands back the check under the route's expired secrets.
func (q *request) dropExpired() {
	if q.expired != nil {
		q.expired.Release()
		q.expired = nil
	}
}

// logLine logs msg with the plugin's prefix.
//
// size: a call, not inlined: at its ~30 call sites, none on the path of a
// verified request (finish logs a line built at configuration), inlining
// cost the module 4.5 KB, and the call costs little beside the string it
// builds.
//
//go:noinline
func logLine(level proxywasm.LogLevel, msg string) { proxywasm.Log(level, logPrefix+msg) }

const logPrefix = "hookguard: "
