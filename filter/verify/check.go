package verify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/json"
	"hash"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/hookguard/hookguard/filter/verify/internal/sha"
)

// The generic model's check: one request's MACs (or, for a public-key
// algorithm, its messages: pubkey.go), fed the body as it streams. Checks
// are pooled.

// hmacChecks recycles checks (about 1 KiB each, with room for two keys'
// MAC state) for callers that Release them: in the module an allocation
// of that size costs more than hashing a small body (RATIONALE).
var hmacChecks = sync.Pool{New: func() any { return new(hmacCheck) }}

// Begin implements Scheme.
func (c *compiledHMAC) Begin(req *Request, now time.Time) (_ Check, err error) {
	k := hmacChecks.Get().(*hmacCheck)
	// Only what is read before it is written: the arrays a check keeps
	// room in, a KiB of them, are not cleared per request.
	k.c, k.req, k.now, k.sigs, k.msgs, k.body = c, req, now, nil, nil, nil
	k.macs, k.macVals, k.macKeys, k.matched = nil, nil, nil, -1
	k.sigStore.used = 0
	defer func() {
		if err != nil {
			k.Release()
		}
	}()
	vals, err := k.readHeaders()
	if err != nil {
		return nil, err
	}
	k.start(vals)
	return k, nil
}

// readHeaders reads the signatures, and checks the timestamp and id the
// template signs.
func (k *hmacCheck) readHeaders() (vals signedValues, err error) {
	c, req := k.c, k.req
	sigs, ts, err := c.signatures(req, &k.sigStore)
	if err != nil {
		if err == ErrMalformedSignature { // not errNoEntryOfVersion: eitherVersion recovers from it
			err = WithHint(err, c.malformedHint())
		}
		return vals, err
	}
	k.sigs = sigs
	if c.needsTS {
		if c.TimestampHeader != "" {
			v, n := req.Single(c.TimestampHeader)
			if n > 1 {
				return vals, ErrMalformedTimestamp
			}
			ts = v
		}
		if err := checkTimestamp(ts, c.TimestampFormat, c.Tolerance, k.now); err != nil {
			return vals, err
		}
		vals.timestamp = ts
	}
	if c.IDHeader != "" {
		id, n := req.Single(c.IDHeader)
		if n != 1 || id == "" {
			return vals, ErrMalformedSignature
		}
		vals.id = id
	}
	return vals, nil
}

// start makes one MAC per key and form of the URL (macKeys says whose each
// is), or one message per form of the URL for a public-key algorithm, and
// writes the template's prefix into each.
func (k *hmacCheck) start(vals signedValues) {
	c, req := k.c, k.req
	k.macs, k.macVals, k.macKeys = k.macBuf[:0], k.valBuf[:0], k.keyBuf[:0]
	urls := []string{""}
	if c.needsURL {
		urls = c.urls(req)
	}
	for _, u := range urls {
		v := vals
		v.url = u
		if c.pubs != nil {
			m := newMessage(c.Algorithm)
			writeParts(c, m, c.prefix, req, v, k.scratch[:0])
			k.msgs, k.macVals = append(k.msgs, m), append(k.macVals, v)
			continue
		}
		for i, key := range c.Keys {
			var slot *sha.MAC
			if n := len(k.macs); n < len(k.macStore) {
				slot = &k.macStore[n]
			}
			m := c.macs[i].new(slot)
			writeParts(c, m, c.prefix, req, v, k.scratch[:0])
			k.macs, k.macVals, k.macKeys = append(k.macs, m), append(k.macVals, v), append(k.macKeys, key)
		}
	}
}

// hmacCheck hashes one request's body under every key as it streams.
type hmacCheck struct {
	c       *compiledHMAC
	req     *Request
	sigs    [][]byte
	macs    []hash.Hash
	msgs    []io.Writer    // instead of macs, for a public-key algorithm: one per form of the URL
	macVals []signedValues // what each MAC (or message) signs besides the body
	macKeys []Key          // whose each MAC is
	matched int            // the MAC (or message) that verified, or -1
	now     time.Time
	body    []byte // only when the timestamp is in the body (Linear)

	// Room for the usual one or two keys, so a check is one allocation.
	sigStore sigStore
	macBuf   [2]hash.Hash
	macStore [2]sha.MAC
	valBuf   [2]signedValues
	keyBuf   [2]Key
	sumBuf   [2][sha512.Size]byte
	scratch  [256]byte // a template's pieces, on their way to the MACs
}

func (k *hmacCheck) NeedsBody() bool { return true }

// Release implements Check.
func (k *hmacCheck) Release() {
	k.req, k.body, k.msgs = nil, nil, nil // nothing kept alive from the request
	hmacChecks.Put(k)
}

func (k *hmacCheck) Write(p []byte) (int, error) {
	for _, m := range k.macs {
		m.Write(p)
	}
	for _, m := range k.msgs {
		m.Write(p)
	}
	if k.c.bodyTimestampField != "" {
		k.body = append(k.body, p...)
	}
	return len(p), nil
}

func (k *hmacCheck) Verify() (string, error) {
	if k.msgs != nil {
		return k.verifyPublic()
	}
	var sumsBuf [2][]byte
	sums := sumsBuf[:0]
	for i, m := range k.macs {
		writeParts(k.c, m, k.c.suffix, k.req, k.macVals[i], k.scratch[:0])
		var into []byte
		if i < len(k.sumBuf) {
			into = k.sumBuf[i][:0]
		}
		sums = append(sums, m.Sum(into))
	}
	i := match(sums, k.sigs)
	if i < 0 {
		return "", WithHint(ErrSignatureMismatch, k.mismatchHint(sums))
	}
	if err := k.checkBodyTimestamp(); err != nil {
		return "", err
	}
	k.matched = i
	return k.macKeys[i].ID, nil
}

// malformedHint says what shape the scheme wants its signature in.
func (c *compiledHMAC) malformedHint() string {
	want := string(c.Encoding)
	if c.size > 0 {
		want += " of " + strconv.Itoa(c.size) + " bytes (" + string(c.Algorithm) + ")"
	}
	return "the signature header is not what this scheme reads: " + want + ", in format " + string(c.SignatureFormat) +
		"; another algorithm, encoding or version, or the header twice?"
}

// mismatchHint says why no signature matched, when its shape tells: none
// has the MAC's length (another algorithm or encoding), or the route
// signs a URL (a proxy may have rewritten it). Only lengths are told.
func (k *hmacCheck) mismatchHint(sums [][]byte) string {
	if len(sums) == 0 || len(k.sigs) == 0 {
		return ""
	}
	for _, sig := range k.sigs {
		if len(sig) == len(sums[0]) {
			if k.c.needsURL {
				return "the signed URL is rebuilt from the request: if a proxy rewrote its scheme, host or port, set public_url to the URL the sender signed"
			}
			return "signatures have the right length: wrong secret, or the body changed on the way (a proxy or framework re-encoding it)?"
		}
	}
	return "the signature decodes to " + strconv.Itoa(len(k.sigs[0])) + " bytes where this scheme's MAC has " + strconv.Itoa(len(sums[0])) +
		": another algorithm or encoding (hex or base64)?"
}

// checkBodyTimestamp checks a timestamp inside the body, for the schemes
// that put it there (Linear), once the signature has matched.
func (k *hmacCheck) checkBodyTimestamp() error {
	if k.c.bodyTimestampField == "" {
		return nil
	}
	return checkBodyTimestamp(k.body, k.c.bodyTimestampField, k.c.Tolerance, k.now)
}

// match compares every signature with every key's MAC in constant time,
// without stopping at a match, so the time taken tells nothing of which
// key or signature matched. It returns the index of the first MAC that
// did (keys[i] is whose it is), or -1.
func match(sums, sigs [][]byte) int {
	found := -1
	for i, sum := range sums {
		for _, sig := range sigs {
			if hmac.Equal(sum, sig) && found < 0 {
				found = i
			}
		}
	}
	return found
}

// checkBodyTimestamp reads a JSON number of milliseconds at field in body
// (Linear's webhookTimestamp), once the signature has matched.
func checkBodyTimestamp(body []byte, field string, tolerance time.Duration, now time.Time) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return ErrMalformedBody
	}
	raw, ok := doc[field]
	if !ok {
		return ErrMissingTimestamp
	}
	return checkTimestamp(string(bytes.TrimSpace(raw)), UnixMillis, tolerance, now)
}

// wants implements identifier: a scheme that signs a delivery id needs
// nothing more; any other needs the body's digest, and its event id field.
func (k *hmacCheck) wants() (bool, string) {
	if k.c.IDHeader != "" {
		return false, ""
	}
	return true, k.c.EventIDField
}

// identity implements identifier: the signed id, else the event id, else
// what the signature that verified covers — its form of the URL, its
// timestamp and headers, and the body.
func (k *hmacCheck) identity(body *[32]byte, eventID []byte) (Identity, bool) {
	if k.matched < 0 {
		return Identity{}, false
	}
	v := k.macVals[k.matched]
	switch {
	case k.c.IDHeader != "":
		return sumOf(IdentitySignedID, []byte(v.id)), true
	case eventID != nil:
		return sumOf(IdentityEventID, eventID), true
	}
	var prefix, suffix bytes.Buffer
	writeParts(k.c, &prefix, k.c.prefix, k.req, v, k.scratch[:0])
	writeParts(k.c, &suffix, k.c.suffix, k.req, v, k.scratch[:0])
	return sumOf(IdentitySignedContent, prefix.Bytes(), body[:], suffix.Bytes()), true
}
