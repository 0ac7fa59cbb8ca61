package plugin

import (
	"strconv"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/reason"
	"github.com/hookguard/hookguard/filter/verify"
)

// The diagnosis of a rejection: a hint logged with it (and with a request
// detect mode lets through), never sent in the response. Schemes attach
// what they know (verify.WithHint: a timestamp's skew, a signature's
// length); the plugin adds what only it sees: the body's length against
// Content-Length, another preset's header on a request without the
// route's, and a signature made with a secret out of its life. A hint
// names headers, lengths, times and key ids, never a secret, a MAC, a
// signature or body bytes.

// beginExpired starts checking the request under the route's secrets that
// are out of their life, if it has any: a request they verify was signed
// with an expired (or not yet valid) secret.
func (q *request) beginExpired(req *verify.Request, now time.Time) {
	q.expired = nil
	if s, _ := q.route.ExpiredScheme(); s != nil {
		if c, err := s.Begin(req, now); err == nil {
			q.expired = c
		}
	}
}

// diagnose returns err with a hint: the body's length against
// Content-Length first (the likeliest cause of a mismatch when they
// differ), then the scheme's, then the plugin's own.
func (q *request) diagnose(why reason.Reason, err error) error {
	if why.Name == "invalid_signature" && q.declared >= 0 && int64(q.hashed) != q.declared {
		return verify.WithHint(err, "the body has "+strconv.Itoa(q.hashed)+" bytes where Content-Length said "+strconv.FormatInt(q.declared, 10))
	}
	if verify.Hint(err) != "" {
		if why.Name != "invalid_signature" || q.expired == nil {
			return err
		}
	}
	hint := ""
	switch why.Name {
	case "invalid_signature":
		if q.expired != nil {
			hint = q.expiredHint()
		}
	case "missing_signature":
		if hint = verify.OtherPresetHint(&q.req, q.route.SchemeName); hint == "" {
			hint = expectedHeaders(q.route.SchemeName, "signature", func(p verify.PresetInfo) []string { return p.SignatureHeaders })
		}
	case "missing_timestamp":
		hint = expectedHeaders(q.route.SchemeName, "timestamp", func(p verify.PresetInfo) []string { return []string{p.HMAC.TimestampHeader} })
	case "body_too_large":
		hint = "the route's max_body_bytes is " + strconv.FormatInt(q.route.MaxBodyBytes, 10)
	}
	return verify.WithHint(err, hint)
}

// expectedHeaders names where a preset reads its signature or timestamp,
// for a request that lacks them; "" for a scheme that is not a preset.
func expectedHeaders(scheme, what string, headers func(verify.PresetInfo) []string) string {
	p, ok := verify.LookupPreset(scheme)
	var names []string
	if ok {
		for _, h := range headers(p) {
			if h != "" {
				names = append(names, h)
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "no " + strings.Join(names, " or ") + " header: where " + scheme + " sends its " + what
}

// expiredHint says which secret out of its life the request verifies
// under, if one does.
func (q *request) expiredHint() string {
	id, err := q.expired.Verify()
	if err != nil {
		return ""
	}
	_, lives := q.route.ExpiredScheme()
	now, _ := proxywasm.Now()
	for _, l := range lives {
		if l.ID != id {
			continue
		}
		if !l.NotAfter.IsZero() && !now.Before(l.NotAfter) {
			return "signed with secret " + strconv.Quote(id) + ", which expired at " + l.NotAfter.UTC().Format(time.RFC3339) + " (not_after)"
		}
		return "signed with secret " + strconv.Quote(id) + ", which is not valid before " + l.NotBefore.UTC().Format(time.RFC3339) + " (not_before)"
	}
	return ""
}

// hintField is err's hint as a log field, or "".
func hintField(err error) string {
	if h := verify.Hint(err); h != "" {
		return " hint=" + strconv.Quote(h)
	}
	return ""
}
