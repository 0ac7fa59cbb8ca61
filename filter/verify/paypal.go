package verify

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"strconv"
	"time"
)

// KindPayPal is PayPal's webhooks: PAYPAL-TRANSMISSION-SIG is base64
// SHA256withRSA over "<transmission id>|<transmission time>|<webhook
// id>|<CRC32 of the body, decimal>", under the certificate at
// PAYPAL-CERT-URL, fetched from a pinned PayPal host. The webhook id is
// the route's (Options.Bind: "webhook_ids"). PayPal signs only a CRC32 of
// the body, which anyone can match with another body: a captured
// delivery's signature carries over to such a body, so a route should
// keep a tolerance and de-duplicate on the transmission id.
const KindPayPal PresetKind = "paypal"

func init() {
	kindBuilders[KindPayPal] = func(p PresetInfo, o Options) (Scheme, error) {
		if len(o.Bind) == 0 {
			return nil, errorf(ErrInvalidScheme, "paypal: name the route's webhook id (\"webhook_ids\"): PayPal signs it into every delivery")
		}
		return &paypal{info: p.RemoteKey, webhookIDs: o.Bind, tolerance: o.tolerance(p.HMAC.Tolerance), keys: newRemoteKeys(certificateRSAKey)}, nil
	}
}

type paypal struct {
	info       *RemoteKeyInfo
	webhookIDs []string
	tolerance  time.Duration
	keys       *RemoteKeys
}

// The headers PayPal sends, lower-cased.
const (
	paypalID       = "paypal-transmission-id"
	paypalTime     = "paypal-transmission-time"
	paypalSig      = "paypal-transmission-sig"
	paypalCertURL  = "paypal-cert-url"
	paypalAuthAlgo = "paypal-auth-algo"
)

func (p *paypal) Begin(req *Request, now time.Time) (Check, error) {
	sig, n := req.Single(paypalSig)
	cert, m := req.Single(paypalCertURL)
	if n == 0 || m == 0 {
		return nil, ErrMissingSignature
	}
	id, _ := req.Single(paypalID)
	ts, _ := req.Single(paypalTime)
	if algo, _ := req.Single(paypalAuthAlgo); algo != "SHA256withRSA" || id == "" || n > 1 || m > 1 {
		return nil, ErrMalformedSignature
	}
	decoded, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(decoded) == 0 {
		return nil, ErrMalformedSignature
	}
	fetch, err := p.info.keyURL(cert)
	if err != nil {
		return nil, err
	}
	if ts == "" {
		return nil, ErrMissingTimestamp
	}
	if _, err := time.Parse(time.RFC3339, ts); err != nil {
		return nil, ErrMalformedTimestamp
	}
	if p.tolerance > 0 {
		if err := checkTimestamp(ts, RFC3339, p.tolerance, now); err != nil {
			return nil, err
		}
	}
	return &paypalCheck{p: p, now: now, id: id, ts: ts, sig: decoded, fetch: fetch, crc: crc32.NewIEEE()}, nil
}

type paypalCheck struct {
	p       *paypal
	now     time.Time
	id, ts  string
	sig     []byte
	fetch   KeyFetch
	crc     hash.Hash32
	matched string // the signed string, once verified
}

func (c *paypalCheck) NeedsBody() bool             { return true }
func (c *paypalCheck) Write(b []byte) (int, error) { return c.crc.Write(b) }
func (c *paypalCheck) Release()                    {}
func (c *paypalCheck) wants() (bool, string)       { return false, "" }

// identity is the signed string's, which holds the transmission id.
func (c *paypalCheck) identity(*[32]byte, []byte) (Identity, bool) {
	if c.matched == "" {
		return Identity{}, false
	}
	return sumOf(IdentitySignedContent, []byte(c.matched)), true
}

func (c *paypalCheck) Verify() (string, error) {
	key, ok, err := c.p.keys.lookup(c.fetch.ID, c.now)
	switch {
	case err != nil:
		return "", err
	case !ok:
		return "", c.p.keys.need(c.fetch)
	}
	crc := strconv.FormatUint(uint64(c.crc.Sum32()), 10)
	for _, webhookID := range c.p.webhookIDs {
		signed := c.id + "|" + c.ts + "|" + webhookID + "|" + crc
		digest := sha256.Sum256([]byte(signed))
		if rsa.VerifyPKCS1v15(key.(*rsa.PublicKey), crypto.SHA256, digest[:], c.sig) == nil {
			c.matched = signed
			return webhookID, nil
		}
	}
	return "", ErrSignatureMismatch
}
