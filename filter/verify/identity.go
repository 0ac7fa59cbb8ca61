package verify

import "hash"

// A delivery's identity, for replay de-duplication: what tells one
// delivery from another among the bytes its sender signed, so that a
// captured delivery sent again under a new, unsigned delivery-id header is
// still the same delivery. Identified computes it beside a check.

// IdentityKind says where a delivery's identity was found.
type IdentityKind uint8

// Identity kinds, strongest first: each scheme uses the first it has.
const (
	// IdentitySignedID is a delivery id the signature covers: the
	// template's {id} (Standard Webhooks' and Svix's webhook-id, Twitch's
	// message id). The same on every retry, re-signed or not.
	IdentitySignedID IdentityKind = iota + 1
	// IdentityEventID is a field at the top level of the signed JSON body
	// that names the event (HMAC.EventIDField, Stripe's "id"). The same on
	// every retry, re-signed or not.
	IdentityEventID
	// IdentitySignedContent is SHA-256 over exactly what the signature
	// covers: the signed values (timestamp, URL, headers) and the body, or
	// the canonical string a form or JWT scheme signs. An exact replay has
	// the same; a retry the sender signs again with a new timestamp does
	// not.
	IdentitySignedContent
	// IdentityBody is the body's SHA-256, for a scheme that signs no body
	// (a static token, Basic credentials): an exact replay is recognised,
	// but whoever holds the credential can send any body.
	IdentityBody
)

// String names the kind as the documentation and metrics do.
func (k IdentityKind) String() string {
	switch k {
	case IdentitySignedID:
		return "signed-id"
	case IdentityEventID:
		return "event-id"
	case IdentitySignedContent:
		return "signed-content"
	case IdentityBody:
		return "body"
	}
	return "none"
}

// Identity identifies one verified delivery: its kind, and SHA-256 of the
// kind's bytes. It never holds request bytes.
type Identity struct {
	Kind IdentityKind
	Sum  [32]byte
}

// identifier is a check that can say, once it verified, what identifies
// its delivery. body is the body's SHA-256 and eventID the value of the
// scheme's EventIDField (nil when absent), both only when wants asked.
type identifier interface {
	// wants reports what the check needs fed to identify a delivery,
	// known once Begin returned: the body's digest, and the top-level
	// field to find in the body.
	wants() (bodyDigest bool, eventIDField string)
	identity(body *[32]byte, eventID []byte) (Identity, bool)
}

// Identified wraps a check so that, once Verify succeeded, Identity says
// what identifies the delivery among what its sender signed. It hashes
// the body beside the check only when the check's scheme needs it (it
// signs no delivery id), and finds an EventIDField as the body streams,
// without keeping it. A caller keeps one in its own storage and Resets it
// for each request.
type Identified struct {
	Check
	digest    hash.Hash // the body's SHA-256, when wanted
	digesting bool
	scan      eventIDScanner
	id        Identity
	ok        bool
}

// Reset makes d identify c's delivery.
func (d *Identified) Reset(c Check) {
	d.Check, d.id, d.ok, d.digesting = c, Identity{}, false, false
	d.scan.reset("")
	if i, ok := c.(identifier); ok {
		var field string
		d.digesting, field = i.wants()
		d.scan.reset(field)
	} else {
		d.digesting = true // a check that knows nothing signed: the body
	}
	if d.digesting {
		if d.digest == nil {
			d.digest = newSHA256()
		}
		d.digest.Reset()
	}
}

// NeedsBody implements Check: a delivery's identity may be in its body,
// even when its credentials are in the headers.
func (d *Identified) NeedsBody() bool { return d.digesting || d.Check.NeedsBody() }

// Write implements Check.
func (d *Identified) Write(p []byte) (int, error) {
	if d.digesting {
		d.digest.Write(p)
		d.scan.write(p)
	}
	return d.Check.Write(p)
}

// Verify implements Check: on success the identity is known.
func (d *Identified) Verify() (string, error) {
	keyID, err := d.Check.Verify()
	if err != nil {
		return keyID, err
	}
	var body [32]byte
	if d.digesting {
		d.digest.Sum(body[:0])
	}
	if i, ok := d.Check.(identifier); ok {
		d.id, d.ok = i.identity(&body, d.scan.value())
	} else {
		d.id, d.ok = sumOf(IdentityBody, body[:]), true
	}
	return keyID, nil
}

// Release implements Check.
func (d *Identified) Release() {
	d.Check.Release()
	d.Check = nil
}

// Identity is the delivery's identity, once Verify succeeded; ok is false
// before, or when the check could not say (a fault of ours: callers fail
// closed).
func (d *Identified) Identity() (id Identity, ok bool) { return d.id, d.ok }

// sumOf is an identity of kind k over parts, each length-prefixed so that
// no two lists of parts hash alike.
func sumOf(k IdentityKind, parts ...[]byte) Identity {
	h := newSHA256()
	var n [8]byte
	n[0] = byte(k)
	h.Write(n[:1])
	for _, p := range parts {
		l := len(p)
		for i := range 8 {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write(p)
	}
	id := Identity{Kind: k}
	h.Sum(id.Sum[:0])
	return id
}
