package verify

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"slices"
	"strings"
	"time"
)

// KindPlaid is Plaid's webhooks: Plaid-Verification is an ES256 JWT whose
// claims are iat (at most the tolerance old) and request_body_sha256 (the
// hex SHA-256 of the body). Its key, named by the header's kid, is asked
// of Plaid's API (POST /webhook_verification_key/get with the route's
// "client_id:secret", its one secret) through the route's cluster, and
// kept while it has not expired.
const KindPlaid PresetKind = "plaid"

func init() {
	kindBuilders[KindPlaid] = func(p PresetInfo, o Options) (Scheme, error) {
		id, secret, authority, err := apiCredentials(p, o, "\"client_id:secret\" of Plaid's API")
		if err != nil {
			return nil, err
		}
		return &plaid{path: p.RemoteKey.Path, authority: authority, clientID: id, secret: secret, tolerance: o.tolerance(p.HMAC.Tolerance),
			keys: newRemoteKeys(plaidKey)}, nil
	}
}

type plaid struct {
	path, authority  string
	clientID, secret string
	tolerance        time.Duration
	keys             *RemoteKeys
}

const plaidHeader = "plaid-verification"

func (p *plaid) Begin(req *Request, now time.Time) (Check, error) {
	token, n := req.Single(plaidHeader)
	switch {
	case n == 0:
		return nil, ErrMissingSignature
	case n > 1 || len(token) > maxTokenSize:
		return nil, ErrMalformedSignature
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, ErrMalformedSignature
	}
	var header struct {
		Alg  string          `json:"alg"`
		KID  string          `json:"kid"`
		Crit json.RawMessage `json:"crit"`
	}
	b64 := base64.RawURLEncoding.Strict()
	hb, err1 := b64.DecodeString(parts[0])
	sig, err2 := b64.DecodeString(parts[2])
	if err1 != nil || err2 != nil || json.Unmarshal(hb, &header) != nil || header.Alg != "ES256" || header.KID == "" ||
		header.Crit != nil || len(header.KID) > 256 {
		return nil, ErrMalformedSignature
	}
	body, _ := json.Marshal(struct {
		ClientID string `json:"client_id"`
		Secret   string `json:"secret"`
		KeyID    string `json:"key_id"`
	}{p.clientID, p.secret, header.KID})
	fetch := KeyFetch{ID: header.KID, Method: "POST", Authority: p.authority, Path: p.path, ContentType: "application/json", Body: body}
	return &plaidCheck{p: p, now: now, token: token, sig: sig, fetch: fetch, digest: sha256.New()}, nil
}

type plaidCheck struct {
	p      *plaid
	now    time.Time
	token  string
	sig    []byte
	fetch  KeyFetch
	digest hash.Hash
	sum    []byte
	signed []byte // the token's claims, once verified
}

func (c *plaidCheck) NeedsBody() bool             { return true }
func (c *plaidCheck) Write(b []byte) (int, error) { return c.digest.Write(b) }
func (c *plaidCheck) Release()                    {}
func (c *plaidCheck) wants() (bool, string)       { return false, "" }

// identity is the token's claims': a new token signs each delivery.
func (c *plaidCheck) identity(*[32]byte, []byte) (Identity, bool) {
	if c.signed == nil {
		return Identity{}, false
	}
	return sumOf(IdentitySignedContent, c.signed), true
}

func (c *plaidCheck) Verify() (string, error) {
	key, ok, err := c.p.keys.lookup(c.fetch.ID, c.now)
	switch {
	case err != nil:
		return "", err
	case !ok:
		return "", c.p.keys.need(c.fetch)
	}
	jwk := key.(*JWK)
	if jwk.ID != c.fetch.ID {
		return "", ErrSignatureMismatch
	}
	dot := strings.LastIndexByte(c.token, '.')
	if !jwk.verify([]byte(c.token[:dot]), c.sig) {
		return "", ErrSignatureMismatch
	}
	payload, err := base64.RawURLEncoding.Strict().DecodeString(c.token[strings.IndexByte(c.token, '.')+1 : dot])
	var claims struct {
		IAT  *json.Number `json:"iat"`
		Body string       `json:"request_body_sha256"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err != nil || dec.Decode(&claims) != nil {
		return "", ErrMalformedSignature
	}
	if err := c.checkClaims(claims.IAT, claims.Body); err != nil {
		return "", err
	}
	c.signed = payload
	return jwk.ID, nil
}

// checkClaims checks iat against the tolerance and the body's hash.
func (c *plaidCheck) checkClaims(iat *json.Number, bodySum string) error {
	if iat == nil {
		return ErrMissingTimestamp
	}
	if err := checkTimestamp(iat.String(), UnixSeconds, c.p.tolerance, c.now); err != nil {
		return err
	}
	if c.sum == nil {
		c.sum = c.digest.Sum(nil)
	}
	want, err := hex.DecodeString(bodySum)
	if err != nil || subtle.ConstantTimeCompare(want, c.sum) != 1 {
		return ErrSignatureMismatch
	}
	return nil
}

// errPlaidKeyExpired: Plaid answered a key it marks expired.
var errPlaidKeyExpired = errors.New("the key has expired")

// plaidKey reads the answer of /webhook_verification_key/get: an ES256
// JWK not marked expired.
func plaidKey(body []byte, _ time.Time) (any, error) {
	var answer struct {
		Key map[string]any `json:"key"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Key == nil {
		return nil, errors.New("not {\"key\": {…}}")
	}
	if exp, ok := answer.Key["expired_at"]; ok && exp != nil {
		return nil, errPlaidKeyExpired
	}
	for _, meta := range []string{"created_at", "expired_at"} {
		delete(answer.Key, meta)
	}
	k, err := parseJWK(answer.Key)
	if err != nil {
		return nil, err
	}
	if !slices.Contains([]string{"ES256"}, k.Alg) {
		return nil, errors.New("the key is not ES256")
	}
	return &k, nil
}
