package verify

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"slices"
	"time"
)

// KindAdobe is Adobe I/O Events: two signatures, X-Adobe-Digital-Signature-1
// and -2, each base64 RSA-SHA256 (PKCS #1 v1.5) of the raw body under the
// public key whose path X-Adobe-Public-Key1-Path and -2-Path name on
// https://static.adobeioevents.com, fetched from there only; a request
// verifies if either pair does, and if its body's recipient_client_id is
// one of the route's client ids (Options.Bind: "client_ids"): Adobe signs
// every integration's events with the same keys. The body is buffered.
const KindAdobe PresetKind = "adobe-io"

func init() {
	kindBuilders[KindAdobe] = func(p PresetInfo, o Options) (Scheme, error) {
		if len(o.Bind) == 0 {
			return nil, errorf(ErrInvalidScheme, "adobe-io: name the route's client ids (\"client_ids\"): Adobe signs every integration's events with the same keys")
		}
		return &adobe{info: p.RemoteKey, clientIDs: o.Bind, keys: newRemoteKeys(publicKeyRSA)}, nil
	}
}

type adobe struct {
	info      *RemoteKeyInfo
	clientIDs []string
	keys      *RemoteKeys
}

// adobePair is one signature and where its key is.
type adobePair struct {
	sig   []byte
	fetch KeyFetch
}

func (a *adobe) Begin(req *Request, now time.Time) (Check, error) {
	var pairs []adobePair
	for _, h := range [][2]string{{"x-adobe-digital-signature-1", "x-adobe-public-key1-path"}, {"x-adobe-digital-signature-2", "x-adobe-public-key2-path"}} {
		sig, n := req.Single(h[0])
		path, m := req.Single(h[1])
		if n == 0 && m == 0 {
			continue
		}
		decoded, err := base64.StdEncoding.DecodeString(sig)
		if n != 1 || m != 1 || err != nil || len(decoded) == 0 {
			return nil, ErrMalformedSignature
		}
		fetch, err := a.info.keyURL("https://" + a.info.Authority + path)
		if err != nil || len(path) == 0 || path[0] != '/' {
			return nil, errorf(ErrMalformedSignature, "public key path is not on Adobe's key host")
		}
		pairs = append(pairs, adobePair{sig: decoded, fetch: fetch})
	}
	if len(pairs) == 0 {
		return nil, ErrMissingSignature
	}
	return &adobeCheck{a: a, now: now, pairs: pairs}, nil
}

type adobeCheck struct {
	a     *adobe
	now   time.Time
	pairs []adobePair
	bufferedBody
	verified bool
}

func (c *adobeCheck) wants() (bool, string) { return false, "" }

// identity is the body's: Adobe signs nothing else, and its event id is
// inside it.
func (c *adobeCheck) identity(*[32]byte, []byte) (Identity, bool) {
	if !c.verified {
		return Identity{}, false
	}
	return sumOf(IdentitySignedContent, c.body), true
}

func (c *adobeCheck) Verify() (string, error) {
	digest := sha256.Sum256(c.body)
	for i, p := range c.pairs {
		key, ok, err := c.a.keys.lookup(p.fetch.ID, c.now)
		switch {
		case err != nil:
			return "", err
		case !ok:
			return "", c.a.keys.need(p.fetch)
		}
		if rsa.VerifyPKCS1v15(key.(*rsa.PublicKey), crypto.SHA256, digest[:], p.sig) != nil {
			continue
		}
		if err := c.checkRecipient(); err != nil {
			return "", err
		}
		c.verified = true
		return "key" + string(rune('1'+i)), nil
	}
	return "", ErrSignatureMismatch
}

// checkRecipient requires the event's recipient_client_id to be one of
// the route's.
func (c *adobeCheck) checkRecipient() error {
	var ev struct {
		Recipient *string `json:"recipient_client_id"`
	}
	if json.Unmarshal(c.body, &ev) != nil || !uniqueJSONKeys(c.body) {
		return ErrMalformedBody
	}
	if ev.Recipient == nil || !slices.Contains(c.a.clientIDs, *ev.Recipient) {
		return ErrUnauthorized
	}
	return nil
}

// publicKeyRSA reads a PEM "PUBLIC KEY" holding an RSA key (Adobe's).
func publicKeyRSA(data []byte, _ time.Time) (any, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM public key")
	}
	spki, _, ok := derRead(block.Bytes, 0x30)
	if !ok {
		return nil, errors.New("not a DER public key")
	}
	return rsaFromSPKI(spki)
}
