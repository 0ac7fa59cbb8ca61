package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/url"
	"strings"
	"time"
)

// KindEBay is eBay's notifications (Marketplace Account Deletion and the
// Notification API's topics): X-EBAY-SIGNATURE is base64 JSON
// {"alg": "ecdsa", "kid", "signature", "digest": "SHA1"}, the signature an
// ECDSA (DER, base64) of the SHA-1 of the JSON body, under the public key
// eBay's Notification API answers for kid. That API wants an application
// token, which the route gets with its one secret, "client_id:client_secret"
// of the eBay application (OAuth client credentials); both are fetched
// through the route's cluster from eBay's API host only, the token kept an
// hour (it lives two), each key an hour. eBay's SDK verifies the body as
// JavaScript re-serializes it: the body as received, or compacted, verifies.
const KindEBay PresetKind = "ebay"

func init() {
	kindBuilders[KindEBay] = func(p PresetInfo, o Options) (Scheme, error) {
		id, secret, authority, err := apiCredentials(p, o, "\"client_id:client_secret\" of the eBay application")
		if err != nil {
			return nil, err
		}
		e := &ebay{authority: authority, keyPath: p.RemoteKey.Path,
			basic: "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret)), keys: newRemoteKeysByID(ebayAnswer)}
		e.keys.credential = ebayTokenID
		return e, nil
	}
}

type ebay struct {
	authority, keyPath string
	basic              string // the application's credentials, for the token
	keys               *RemoteKeys
}

// ebayTokenID names the application token in the route's cache; a key is
// "key:" and its kid.
const ebayTokenID = "token"

// ebayTokenPath and ebayTokenBody ask eBay's OAuth API for an application
// token (client credentials, the public scope).
const (
	ebayTokenPath = "/identity/v1/oauth2/token"
	ebayTokenBody = "grant_type=client_credentials&scope=https%3A%2F%2Fapi.ebay.com%2Foauth%2Fapi_scope"
)

func (e *ebay) Begin(req *Request, now time.Time) (Check, error) {
	h, n := req.Single("x-ebay-signature")
	switch {
	case n == 0:
		return nil, ErrMissingSignature
	case n > 1 || len(h) > maxTokenSize:
		return nil, ErrMalformedSignature
	}
	raw, err := base64.StdEncoding.DecodeString(h)
	var sig struct{ Alg, Kid, Signature, Digest string }
	if err != nil || json.Unmarshal(raw, &sig) != nil || !strings.EqualFold(sig.Alg, "ecdsa") || !strings.EqualFold(sig.Digest, "sha1") ||
		!ebayKid(sig.Kid) {
		return nil, WithHint(ErrMalformedSignature, "X-EBAY-SIGNATURE is not base64 JSON of an ECDSA, SHA1 signature with a kid")
	}
	der, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil || len(der) == 0 {
		return nil, ErrMalformedSignature
	}
	return &ebayCheck{e: e, now: now, kid: sig.Kid, sig: der}, nil
}

// ebayKid reports whether kid is one eBay would give: it becomes a path.
func ebayKid(kid string) bool {
	if kid == "" || len(kid) > 128 {
		return false
	}
	for i := 0; i < len(kid); i++ {
		if c := kid[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

type ebayCheck struct {
	e   *ebay
	now time.Time
	kid string
	sig []byte
	bufferedBody
	signed []byte // the body compacted, once verified
}

func (c *ebayCheck) wants() (bool, string) { return false, "" }

// identity is the body's, compacted: eBay signs nothing else (its
// notificationId is inside it), and a body re-indented still verifies, so
// it must still be the same delivery.
func (c *ebayCheck) identity(*[32]byte, []byte) (Identity, bool) {
	if c.signed == nil {
		return Identity{}, false
	}
	return sumOf(IdentitySignedContent, c.signed), true
}

func (c *ebayCheck) Verify() (string, error) {
	token, ok, err := c.e.keys.lookup(ebayTokenID, c.now)
	switch {
	case err != nil:
		return "", err
	case !ok:
		return "", c.e.keys.need(KeyFetch{ID: ebayTokenID, Method: "POST", Authority: c.e.authority, Path: ebayTokenPath,
			ContentType: "application/x-www-form-urlencoded", Body: []byte(ebayTokenBody), Authorization: c.e.basic})
	}
	id := "key:" + c.kid
	key, ok, err := c.e.keys.lookup(id, c.now)
	switch {
	case err != nil:
		return "", err
	case !ok:
		return "", c.e.keys.need(KeyFetch{ID: id, Method: "GET", Authority: c.e.authority, Path: c.e.keyPath + url.PathEscape(c.kid),
			Authorization: "Bearer " + token.(string)})
	}
	pub := key.(*ecdsa.PublicKey)
	var compact bytes.Buffer
	if json.Compact(&compact, c.body) != nil {
		return "", ErrMalformedBody
	}
	sum := sha1.Sum(c.body)
	if !ecdsa.VerifyASN1(pub, sum[:], c.sig) {
		if sum = sha1.Sum(compact.Bytes()); !ecdsa.VerifyASN1(pub, sum[:], c.sig) {
			return "", ErrSignatureMismatch
		}
	}
	c.signed = compact.Bytes()
	return c.kid, nil
}

// ebayAnswer reads what eBay's API answered: the token, or a key.
func ebayAnswer(id string, body []byte, _ time.Time) (any, error) {
	if id == ebayTokenID {
		var t struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(body, &t) != nil || t.AccessToken == "" || strings.ContainsAny(t.AccessToken, "\r\n") {
			return nil, errors.New("not an OAuth token answer")
		}
		return t.AccessToken, nil
	}
	var k struct{ Key, Algorithm, Digest string }
	if json.Unmarshal(body, &k) != nil || !strings.EqualFold(k.Algorithm, "ecdsa") {
		return nil, errors.New("not an ECDSA public key answer")
	}
	return ecdsaFromPEM(k.Key)
}

// ecdsaFromPEM reads a P-256 "PUBLIC KEY", with or without the line breaks
// eBay leaves out.
func ecdsaFromPEM(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	body, ok := strings.CutPrefix(s, "-----BEGIN PUBLIC KEY-----")
	if body, ok2 := strings.CutSuffix(body, "-----END PUBLIC KEY-----"); ok && ok2 {
		s = strings.Join(strings.Fields(body), "")
	}
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(der) != len(p256SPKI)+65 || !bytes.HasPrefix(der, p256SPKI) {
		return nil, errors.New("not a P-256 public key")
	}
	point := der[len(p256SPKI):]
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(point[1:33]), Y: new(big.Int).SetBytes(point[33:])}
	if _, err := pub.ECDH(); err != nil {
		return nil, errors.New("not a point on P-256")
	}
	return pub, nil
}
