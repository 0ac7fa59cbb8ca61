package cases

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/reason"
	"github.com/hookguard/hookguard/filter/verify"
)

// Replay scenarios: for each preset, a delivery its provider's SDK signed,
// sent to a route with "dedupe" as an honest sender and as an attacker who
// captured it would send it. Every layer runs them in order against one
// route set (ReplayRouteConfig) and an upstream that answers each step's
// Upstream status: no replay may reach the upstream, no honest delivery
// may be lost.

// ReplayStep is one request of a scenario and what must become of it.
type ReplayStep struct {
	Name string
	Case Case
	// Upstream is what the upstream answers, if the request reaches it.
	Upstream int
	// Through reports the upstream must see the request; otherwise the
	// filter answers it as a duplicate (200 and reason.DuplicateBody).
	Through bool
}

// Check returns why o is not what the step expects, or nil.
func (s ReplayStep) Check(o Outcome) error {
	switch {
	case s.Through && (!o.Upstream || o.Status != s.Upstream):
		return stepError(s, o, "the upstream's "+strconv.Itoa(s.Upstream))
	case !s.Through && (o.Upstream || o.Status != 200 || string(o.Body) != reason.DuplicateBody+"\n"):
		return stepError(s, o, "a duplicate answered by the filter")
	}
	return nil
}

func stepError(s ReplayStep, o Outcome, want string) error {
	return &replayError{s.Case.Name + ": got status " + strconv.Itoa(o.Status) + " upstream " + strconv.FormatBool(o.Upstream) + ", want " + want}
}

type replayError struct{ msg string }

func (e *replayError) Error() string { return e.msg }

// ReplayScenario is one preset's steps, in order.
type ReplayScenario struct {
	Preset string
	// Identity is how the preset's deliveries are identified.
	Identity verify.IdentityKind
	// Tagged reports the delivery-id header the filter tags entries with
	// (the first of the preset's) is unsigned, so the copies under minted
	// ids are counted as replays.
	Tagged bool
	Steps  []ReplayStep
}

// ReplayRouteConfig is RouteConfig with "dedupe" on every route.
func ReplayRouteConfig(f ProviderFile) (string, map[string]string) {
	cfg, env := RouteConfig(f)
	var c struct {
		Routes []map[string]any `json:"routes"`
	}
	if err := json.Unmarshal([]byte(cfg), &c); err != nil {
		panic(err)
	}
	for _, r := range c.Routes {
		r["dedupe"] = map[string]any{"window_seconds": 3600, "max_ids": 1024} // few slots to make at start, for every route
	}
	out, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return string(out), env
}

// FloodSize is how many copies under minted ids a scenario sends.
const FloodSize = 16

// ReplayScenarios are, for each preset's first vector: the delivery,
// failed once by the upstream and retried (it must go through); its exact
// copy once accepted; copies with each unsigned header changed (its
// delivery ids, a forwarding header, the user agent); a flood of copies
// under minted ids; the sender's retry signed again a second later (a
// duplicate where the identity is signed apart from the timestamp); and a
// second delivery, accepted before the flood, still a duplicate after it.
func ReplayScenarios(f ProviderFile) []ReplayScenario {
	now := f.Time()
	var out []ReplayScenario
	seen := map[string]bool{}
	for _, v := range f.Vectors {
		if seen[v.Preset] {
			continue
		}
		seen[v.Preset] = true
		out = append(out, replayScenario(v, now))
	}
	return out
}

func replayScenario(v ProviderVector, now time.Time) ReplayScenario {
	info, _ := verify.LookupPreset(v.Preset)
	sc := ReplayScenario{Preset: v.Preset, Identity: identityOf(info, []byte(v.Body))}
	add := func(name string, c Case, upstream int, through bool) {
		c.Name = v.Preset + "/" + name
		sc.Steps = append(sc.Steps, ReplayStep{Name: name, Case: c, Upstream: upstream, Through: through})
	}
	first := v.Case(now)
	first.Authority = v.Authority() // the URL its sender signed, where it signs one
	unsigned := UnsignedIDHeaders(v.Preset)
	sc.Tagged = len(unsigned) > 0 && unsigned[0] == info.DeliveryIDHeaders[0]
	for _, name := range unsigned {
		if _, n := first.Request("").Single(name); n == 0 {
			first = withHeader(first, name, "delivery-1") // as its sender sends it
		}
	}
	add("first attempt, upstream fails", first, 503, true)
	add("the sender's retry", first, 200, true)
	add("exact copy", first, 200, false)
	for _, name := range unsigned {
		add("copy with "+name+" minted", withHeader(first, name, "minted-by-a-replayer"), 200, false)
	}
	add("copy with x-forwarded-for", withHeader(first, "x-forwarded-for", "203.0.113.9"), 200, false)
	add("copy with another user-agent", withHeader(first, "user-agent", "replayer/1.0"), 200, false)
	second := signedCase(v, "second", secretFor(v.Preset, "rotated"), now, now)
	second.Authority = first.Authority
	add("a second delivery", second, 200, true)
	for i := range FloodSize {
		c := withHeader(first, "x-request-id", "flood-"+strconv.Itoa(i))
		for _, name := range unsigned {
			c = withHeader(c, name, "flood-"+strconv.Itoa(i))
		}
		add("flood copy "+strconv.Itoa(i), c, 200, false)
	}
	add("the second delivery's copy after the flood", withHeader(second, "x-request-id", "after-flood"), 200, false)
	if c, ok := resigned(v, now, now.Add(time.Second)); ok {
		// A retry signed again is the same delivery only where what
		// identifies it is signed apart from the timestamp; elsewhere it
		// goes on as a new one (docs/configuration.md says which presets).
		same := sc.Identity == verify.IdentitySignedID || sc.Identity == verify.IdentityEventID || !info.SignsTimestamp()
		add("the sender's retry, signed again", c, 200, !same)
	}
	return sc
}

// identityOf is how a preset identifies a delivery with body: its
// strongest kind, or the signed content when the body lacks its event id.
func identityOf(info verify.PresetInfo, body []byte) verify.IdentityKind {
	kinds := info.Identity()
	if kinds[0] == verify.IdentityEventID {
		var doc map[string]json.RawMessage
		if json.Unmarshal(body, &doc) != nil || doc[info.HMAC.EventIDField] == nil {
			return kinds[1]
		}
	}
	return kinds[0]
}

// UnsignedIDHeaders are the preset's delivery-id headers its signature
// does not cover.
func UnsignedIDHeaders(preset string) []string {
	info, _ := verify.LookupPreset(preset)
	var out []string
	for _, name := range info.DeliveryIDHeaders {
		if name != info.HMAC.IDHeader && !strings.Contains(info.HMAC.Template, "{header:"+name+"}") {
			out = append(out, name)
		}
	}
	return out
}

// withHeader is c with header name set to value (added if absent).
func withHeader(c Case, name, value string) Case {
	c.Header = slices.Clone(c.Header)
	for i := range c.Header {
		if c.Header[i].Name == name {
			c.Header[i].Value = value
			return c
		}
	}
	c.Header = append(c.Header, verify.Field{Name: name, Value: value})
	return c
}

// resigned is v's delivery as its sender retries it at, sent at now: the
// same body and delivery id, signed again by verify.Sign under v's key.
func resigned(v ProviderVector, now, at time.Time) (Case, bool) {
	info, _ := verify.LookupPreset(v.Preset)
	if info.Kind == verify.KindBodyField || info.Kind == verify.KindClientState || info.Kind == verify.KindToken {
		return Case{}, false // Mailgun and Graph sign in the body; a token is never re-signed
	}
	c := v.Case(now)
	c.Authority = v.Authority()
	var kept []verify.Field
	for _, h := range c.Header {
		if !slices.Contains(info.SignatureHeaders, h.Name) && h.Name != info.HMAC.TimestampHeader {
			kept = append(kept, h)
		}
	}
	c.Header = kept
	hdr, err := verify.Sign(v.Preset, v.Signing(), c.Request(v.Authority()), c.Body, at)
	if err != nil {
		return Case{}, false
	}
	for _, h := range hdr {
		c = withHeader(c, h.Name, h.Value)
	}
	return c, true
}
