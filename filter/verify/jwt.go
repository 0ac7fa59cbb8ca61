package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// JWT verifies a bearer token signed by an issuer whose keys the route
// holds as a JWK Set. Each key is pinned to the algorithm its JWK names, so
// a token cannot choose another (no "none", no HMAC keyed with a public
// key); exp is required, and exp, nbf and iat are checked with Leeway on
// the clock Begin is given.
//
// A provider's preset (KindJWT) is the same scheme with the fields after
// Claims set as data: where its token is, which claims it must carry, and
// what of the request they bind (the body's hash, the URL, Atlassian's
// query string hash). Its keys are the route's shared secrets (HS*).
type JWT struct {
	// Header is the lower-case header carrying the token: "" for
	// Authorization with the Bearer scheme, else the raw token (or, with
	// TokenScheme, the token after that word).
	Header string
	// TokenScheme, with Header set, is the word before the token in the
	// header's value, matched case-insensitively: "Bearer" (Vonage), "JWT"
	// (Atlassian Connect). "" when the value is the token itself.
	TokenScheme string
	// Keys are the accepted keys (ParseJWKS); or, when Remote is set, the
	// keys are Remote's, which may change while the scheme is in use.
	Keys   []JWK
	Remote *KeySet
	// Issuer, when set, must be the token's iss.
	Issuer string
	// Audiences, when set, must include one of the token's aud.
	Audiences []string
	// Leeway is how far exp, nbf and iat may be off.
	Leeway time.Duration
	// Claims are the claims a check returns (ClaimsCheck), for forwarding.
	Claims []string

	// What a provider's token carries and binds, for presets (KindJWT);
	// the generic jwt scheme leaves these unset.

	// Algorithms are the HMAC algorithms a preset's shared secrets verify
	// (HS256, HS384, HS512); HS256 when empty.
	Algorithms []string
	// ExpOptional lets a token carry no exp (Vonage and Netlify sign
	// none); an exp a token carries is still checked.
	ExpOptional bool
	// MaxAge, when set, requires iat and refuses a token issued more than
	// MaxAge before now (exactly, as an HMAC's Tolerance; Leeway still
	// allows an iat that far ahead): Vonage's "iat recent".
	MaxAge time.Duration
	// RequiredClaims must be present, whatever their value (MessageBird's
	// jti, Atlassian's iss).
	RequiredClaims []string
	// ClaimValues must be present with exactly these values, strings or
	// booleans: the service account a Google token names ("email") and
	// that Google verified it ("email_verified": true). A route adds its
	// own ("require_claims").
	ClaimValues map[string]any
	// BodyHashClaim, when set, is the claim holding the hex SHA-256 of
	// the raw body (either case): the check then hashes the body as it
	// streams and refuses it (ErrSignatureMismatch) unless they match.
	BodyHashClaim string
	// BodyHashOptional lets a token leave BodyHashClaim out when the body
	// is empty (MessageBird); a non-empty body it does not bind is
	// refused.
	BodyHashOptional bool
	// URLHashClaim, when set, is the claim holding the hex SHA-256 of the
	// request's URL (RequestURL, with PublicURL).
	URLHashClaim string
	// AudienceURL requires aud to be (or list) the request's URL
	// (RequestURL, with PublicURL): monday's token names the endpoint it
	// was made for.
	AudienceURL bool
	// QSH requires Atlassian's qsh claim: the hex SHA-256 of the
	// canonical request, METHOD&path&sorted query (CanonicalRequest).
	QSH bool
	// PublicURL is the URL the sender signed, when a proxy in front
	// rewrote the scheme, host or path (see RequestURL): for
	// URLHashClaim, AudienceURL and QSH.
	PublicURL string

	// shared: Keys are a route's shared secrets, one per algorithm each,
	// tried in turn whatever the token's kid (providers send none).
	shared bool
}

// JWK is one key of a JWK Set, pinned to its algorithm.
type JWK struct {
	ID  string // kid
	Alg string // the only algorithm the key verifies
	key any
}

// DefaultJWTLeeway is the default allowance for clock skew on exp, nbf
// and iat.
const DefaultJWTLeeway = time.Minute

// maxTokenSize bounds a token, so a huge header costs nothing to refuse.
const maxTokenSize = 16 << 10

// JWTAlgorithms are the algorithms a JWK may name.
var JWTAlgorithms = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"}

// ParseJWKS parses a JWK Set ({"keys": [...]}) of public keys (and
// symmetric ones, for HS*). Every key must name its alg, one of
// JWTAlgorithms, consistent with its kty and curve; kids must be unique.
// Errors name the key by kid or position, never its material.
func ParseJWKS(data []byte) ([]JWK, error) {
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, errorf(ErrInvalidScheme, "JWK Set is not JSON {\"keys\": [...]}")
	}
	if len(set.Keys) == 0 {
		return nil, ErrNoKeys
	}
	if len(set.Keys) > maxKeys {
		return nil, errorf(ErrInvalidScheme, "JWK Set has %d keys, at most %d", len(set.Keys), maxKeys)
	}
	var out []JWK
	seen := map[string]bool{}
	for i, m := range set.Keys {
		k, err := parseJWK(m)
		name := "key " + strconv.Itoa(i)
		if kid, _ := m["kid"].(string); kid != "" {
			name = "key " + strconv.Quote(kid)
		}
		if err != nil {
			return nil, errorf(ErrInvalidScheme, "JWK Set: %s: %s", name, err)
		}
		if seen[k.ID] {
			return nil, errorf(ErrInvalidScheme, "JWK Set: kid %q twice", k.ID)
		}
		seen[k.ID] = true
		out = append(out, k)
	}
	if len(out) > 1 && seen[""] {
		return nil, errorf(ErrInvalidScheme, "JWK Set: with several keys, every key needs a kid")
	}
	return out, nil
}

func parseJWK(m map[string]any) (JWK, error) {
	str := func(name string) string { s, _ := m[name].(string); return s }
	b64 := func(name string) ([]byte, error) {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(str(name), "="))
		if err != nil || len(b) == 0 {
			return nil, errors.New("member " + name + " is not base64url")
		}
		return b, nil
	}
	k := JWK{ID: str("kid"), Alg: str("alg")}
	if k.Alg == "" {
		return k, errors.New(`no "alg": each key must be pinned to its algorithm`)
	}
	if use := str("use"); use != "" && use != "sig" {
		return k, errors.New(`"use" is not "sig"`)
	}
	kty := str("kty")
	if kty != "oct" {
		for _, p := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := m[p]; ok {
				return k, errors.New("it holds a private key: give the public key")
			}
		}
	}
	switch {
	case strings.HasPrefix(k.Alg, "HS") && kty == "oct":
		b, err := b64("k")
		if err != nil {
			return k, err
		}
		if len(b) < 32 {
			return k, errors.New("an HMAC key under 32 bytes")
		}
		k.key = b
	case (strings.HasPrefix(k.Alg, "RS") || strings.HasPrefix(k.Alg, "PS")) && kty == "RSA":
		n, err := b64("n")
		if err != nil {
			return k, err
		}
		e, err := b64("e")
		if err != nil || len(e) > 4 {
			return k, errors.New("member e is not a small base64url integer")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 || pub.E < 3 || pub.E%2 == 0 {
			return k, errors.New("an RSA key under 2048 bits or with a bad exponent")
		}
		k.key = pub
	case (k.Alg == "ES256" && str("crv") == "P-256" || k.Alg == "ES384" && str("crv") == "P-384") && kty == "EC":
		x, err := b64("x")
		if err != nil {
			return k, err
		}
		y, err := b64("y")
		if err != nil {
			return k, err
		}
		curve, size := elliptic.P256(), 32
		if k.Alg == "ES384" {
			curve, size = elliptic.P384(), 48
		}
		if len(x) != size || len(y) != size {
			return k, errors.New("x or y of the wrong size for the curve")
		}
		pub := &ecdsa.PublicKey{Curve: curve, X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
		if _, err := pub.ECDH(); err != nil {
			return k, errors.New("the point is not on the curve")
		}
		k.key = pub
	case k.Alg == "EdDSA" && kty == "OKP" && str("crv") == "Ed25519":
		x, err := b64("x")
		if err != nil || len(x) != ed25519.PublicKeySize {
			return k, errors.New("x is not a 32-byte Ed25519 key")
		}
		k.key = ed25519.PublicKey(x)
	default:
		return k, errors.New(`"alg" ` + strconv.Quote(k.Alg) + ` does not fit kty ` + strconv.Quote(kty) + ` (algorithms: ` + strings.Join(JWTAlgorithms, ", ") + `)`)
	}
	return k, nil
}

// KeySet is a JWK Set that can be replaced while schemes use it: a remote
// JWKS the plugin fetches and refreshes. Safe for concurrent use.
type KeySet struct{ keys atomic.Pointer[[]JWK] }

// Set replaces the keys.
func (s *KeySet) Set(keys []JWK) { s.keys.Store(&keys) }

// Keys returns the current keys; nil before the first Set.
func (s *KeySet) Keys() []JWK {
	if p := s.keys.Load(); p != nil {
		return *p
	}
	return nil
}

// NewJWT validates j and returns it as a Scheme.
func NewJWT(j JWT) (Scheme, error) {
	if len(j.Keys) == 0 && j.Remote == nil {
		return nil, ErrNoKeys
	}
	if j.Leeway < 0 || j.MaxAge < 0 {
		return nil, errorf(ErrInvalidScheme, "negative leeway or maximum age")
	}
	if j.TokenScheme != "" && j.Header == "" {
		return nil, errorf(ErrInvalidScheme, "a token scheme word without its header")
	}
	for _, alg := range j.Algorithms {
		if !strings.HasPrefix(alg, "HS") || !slices.Contains(JWTAlgorithms, alg) {
			return nil, errorf(ErrInvalidScheme, "algorithm %q: shared secrets verify HS256, HS384 or HS512", alg)
		}
	}
	j.Header = strings.ToLower(j.Header)
	return &compiledJWT{JWT: j}, nil
}

type compiledJWT struct{ JWT }

// ClaimsCheck is a Check that returns chosen claims of what it verified
// (a JWT's), as strings, for the upstream.
type ClaimsCheck interface {
	Check
	Claims() map[string]string
}

// Begin implements Scheme: a JWT is decided from the headers, but for
// the body's hash a token binds (JWT.BodyHashClaim), checked in Verify.
func (c *compiledJWT) Begin(req *Request, now time.Time) (Check, error) {
	raw, err := c.token(req)
	if err != nil {
		return nil, err
	}
	claims, used, err := c.parse(raw, now)
	if err != nil {
		return nil, err
	}
	check := &jwtCheck{keyID: used.ID, input: raw[:strings.LastIndexByte(raw, '.')]}
	if c.shared {
		// A provider's token is identified by its claims, whatever their
		// order and spacing: a retry its sender signs again with the same
		// claims is the same delivery.
		canonical, err := json.Marshal(claims)
		if err != nil {
			return nil, ErrMalformedSignature
		}
		check.input = string(canonical)
	}
	if err := c.bind(check, claims, req); err != nil {
		return nil, err
	}
	if len(c.Claims) > 0 {
		check.claims = map[string]string{}
		for _, name := range c.Claims {
			if v, ok := claims[name]; ok {
				if s, ok := claimString(v); ok {
					check.claims[name] = s
				}
			}
		}
	}
	return check, nil
}

// token finds the token: in Authorization after "Bearer" by default, else
// in Header, after TokenScheme when it is set.
func (c *compiledJWT) token(req *Request) (string, error) {
	name, word := c.Header, c.TokenScheme
	if name == "" {
		name, word = "authorization", "Bearer"
	}
	v, n := req.Single(name)
	raw := strings.TrimSpace(v)
	if word != "" {
		if scheme, token, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, word) {
			raw = strings.TrimSpace(token)
		} else if n > 0 {
			return "", ErrMissingSignature // Basic or another scheme: no token
		}
	}
	switch {
	case n == 0 || raw == "":
		return "", ErrMissingSignature
	case n > 1 || len(raw) > maxTokenSize:
		return "", ErrMalformedSignature
	}
	return raw, nil
}

// bind checks what a provider's token binds of the request (the URL, its
// canonical form) and sets check up to hash the body when the token binds
// it. Each hash that does not match is ErrSignatureMismatch; a claim the
// scheme needs that is absent or not a hash is ErrMalformedSignature.
func (c *compiledJWT) bind(check *jwtCheck, claims map[string]any, req *Request) error {
	var u string
	if c.AudienceURL || c.URLHashClaim != "" {
		u = RequestURL(req, c.PublicURL)
	}
	if c.AudienceURL && !slices.Contains(audiences(claims), u) {
		return ErrUnauthorized
	}
	if c.URLHashClaim != "" {
		if err := matchHashClaim(claims, c.URLHashClaim, sha256Of(u)); err != nil {
			return err
		}
	}
	if c.QSH {
		if err := matchHashClaim(claims, "qsh", sha256Of(CanonicalRequest(req, c.PublicURL))); err != nil {
			return err // "context-qsh" too: it binds no request
		}
	}
	if c.BodyHashClaim == "" {
		return nil
	}
	check.digest = newSHA256()
	if _, ok := claims[c.BodyHashClaim]; !ok && c.BodyHashOptional {
		return nil // the body must be empty
	}
	want, err := hashClaim(claims, c.BodyHashClaim)
	if err != nil {
		return err
	}
	check.want = want
	return nil
}

// hashClaim decodes claim name, a hex SHA-256.
func hashClaim(claims map[string]any, name string) ([]byte, error) {
	s, ok := claims[name].(string)
	if !ok || len(s) != 2*32 {
		return nil, ErrMalformedSignature
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, ErrMalformedSignature
	}
	return b, nil
}

// matchHashClaim checks claim name is the hex of sum.
func matchHashClaim(claims map[string]any, name string, sum []byte) error {
	if s, ok := claims[name].(string); ok && len(s) != 2*32 {
		return ErrSignatureMismatch // a string, but no hash: "context-qsh"
	}
	want, err := hashClaim(claims, name)
	if err != nil {
		return err
	}
	if !hmac.Equal(want, sum) {
		return ErrSignatureMismatch
	}
	return nil
}

func sha256Of(s string) []byte {
	h := newSHA256()
	h.Write([]byte(s))
	return h.Sum(nil)
}

// audiences returns the token's aud, a string or a list of strings.
func audiences(claims map[string]any) []string {
	var auds []string
	switch a := claims["aud"].(type) {
	case string:
		auds = []string{a}
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok {
				auds = append(auds, s)
			}
		}
	}
	return auds
}

// parse verifies a compact JWS and its registered claims, and returns the
// claims and the key that verified it.
func (c *compiledJWT) parse(raw string, now time.Time) (map[string]any, *JWK, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, nil, ErrMalformedSignature
	}
	var header struct {
		Alg  string          `json:"alg"`
		KID  string          `json:"kid"`
		Crit json.RawMessage `json:"crit"`
	}
	b64 := base64.RawURLEncoding.Strict() // one encoding per token: no malleable padding bits
	hb, err1 := b64.DecodeString(parts[0])
	pb, err2 := b64.DecodeString(parts[1])
	sig, err3 := b64.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &header) != nil || header.Alg == "" {
		return nil, nil, ErrMalformedSignature
	}
	if header.Crit != nil {
		return nil, nil, ErrMalformedSignature // no extension is understood, so none may be critical (RFC 7515 §4.1.11)
	}
	keys := c.Keys
	if c.Remote != nil {
		if keys = c.Remote.Keys(); len(keys) == 0 {
			return nil, nil, ErrKeysUnavailable
		}
	}
	var key *JWK
	if c.shared {
		// A route's secrets, tried in turn under the token's alg, when
		// it is one the preset accepts.
		input := []byte(parts[0] + "." + parts[1])
		for i := range keys {
			if k := &keys[i]; k.Alg == header.Alg && k.verify(input, sig) {
				key = k
				break
			}
		}
		if key == nil {
			return nil, nil, ErrSignatureMismatch
		}
	} else {
		for i := range keys {
			if k := &keys[i]; k.ID == header.KID || header.KID == "" && len(keys) == 1 {
				key = k
			}
		}
		// The key decides the algorithm; the token's alg must merely agree.
		if key == nil || key.Alg != header.Alg || !key.verify([]byte(parts[0]+"."+parts[1]), sig) {
			return nil, nil, ErrSignatureMismatch
		}
	}
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(pb))
	dec.UseNumber()
	if dec.Decode(&claims) != nil {
		return nil, nil, ErrMalformedSignature
	}
	if err := c.checkClaims(claims, now); err != nil {
		return nil, nil, err
	}
	return claims, key, nil
}

// checkClaims checks exp (required unless ExpOptional), nbf, iat (required
// and recent with MaxAge), iss, aud and RequiredClaims.
func (c *compiledJWT) checkClaims(claims map[string]any, now time.Time) error {
	instant := func(name string) (time.Time, bool, error) {
		v, ok := claims[name]
		if !ok {
			return time.Time{}, false, nil
		}
		n, isNum := v.(json.Number)
		f, err := n.Float64()
		if !isNum || err != nil || f < 0 || f > 1<<40 {
			return time.Time{}, true, ErrMalformedTimestamp
		}
		return time.Unix(int64(f), int64((f-float64(int64(f)))*1e9)), true, nil
	}
	exp, ok, err := instant("exp")
	switch {
	case err != nil:
		return err
	case !ok && !c.ExpOptional:
		return ErrMissingTimestamp
	case ok && !now.Before(exp.Add(c.Leeway)):
		return ErrTimestampOutOfTolerance
	}
	if nbf, ok, err := instant("nbf"); err != nil {
		return err
	} else if ok && now.Add(c.Leeway).Before(nbf) {
		return ErrTimestampOutOfTolerance
	}
	if iat, ok, err := instant("iat"); err != nil {
		return err
	} else if ok && now.Add(c.Leeway).Before(iat) {
		return ErrTimestampOutOfTolerance
	} else if c.MaxAge > 0 && !ok {
		return ErrMissingTimestamp
	} else if c.MaxAge > 0 && iat.Add(c.MaxAge).Before(now) {
		return ErrTimestampOutOfTolerance
	}
	if c.Issuer != "" {
		if iss, _ := claims["iss"].(string); iss != c.Issuer {
			return ErrUnauthorized
		}
	}
	if len(c.Audiences) > 0 {
		if !slices.ContainsFunc(audiences(claims), func(a string) bool { return slices.Contains(c.Audiences, a) }) {
			return ErrUnauthorized
		}
	}
	for _, name := range c.RequiredClaims {
		if _, ok := claims[name]; !ok {
			return ErrMalformedSignature
		}
	}
	for name, want := range c.ClaimValues {
		if got, ok := claims[name]; !ok || got != want {
			return ErrUnauthorized
		}
	}
	return nil
}

// verify checks sig over input with the key, under its own algorithm.
func (k *JWK) verify(input, sig []byte) bool {
	var h crypto.Hash
	switch k.Alg[len(k.Alg)-3:] {
	case "256":
		h = crypto.SHA256
	case "384":
		h = crypto.SHA384
	case "512":
		h = crypto.SHA512
	}
	digest := func() []byte {
		d := h.New()
		d.Write(input)
		return d.Sum(nil)
	}
	switch key := k.key.(type) {
	case []byte: // HS*
		m := hmac.New(h.New, key)
		m.Write(input)
		return hmac.Equal(m.Sum(nil), sig)
	case *rsa.PublicKey:
		if k.Alg[0] == 'P' {
			return rsa.VerifyPSS(key, h, digest(), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}) == nil
		}
		return rsa.VerifyPKCS1v15(key, h, digest(), sig) == nil
	case *ecdsa.PublicKey: // the signature is r then s, each the curve's size (RFC 7518 §3.4)
		size := (key.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		return ecdsa.Verify(key, digest(), new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:]))
	case ed25519.PublicKey:
		return ed25519.Verify(key, input, sig)
	}
	return false
}

// claimString writes a claim for a header: strings as they are, numbers
// without exponent, anything else as JSON. A value with a control
// character (a header injection) or over 1 KiB is not forwarded.
func claimString(v any) (string, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, _ := json.Marshal(v)
		s = string(b)
	}
	if len(s) > 1024 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return "", false
		}
	}
	return s, true
}

type jwtCheck struct {
	keyID  string
	claims map[string]string
	input  string // the signed header and payload (a preset's: its claims, as JSON with sorted keys), for identity
	// For a token that binds the body (JWT.BodyHashClaim): its SHA-256 as
	// it streams, and the one the token names (nil: the body must be
	// empty, MessageBird's token without payload_hash).
	digest hash.Hash
	want   []byte
	n      int64
}

func (k *jwtCheck) wants() (bool, string) { return true, "" }

// identity is the signed header's and payload's with the body's (for a
// preset's token, its claims' and the body's): the signature's own bytes
// are left out (an ECDSA signature has two valid forms), and a token a
// sender reuses for other bodies is not a replay.
func (k *jwtCheck) identity(body *[32]byte, _ []byte) (Identity, bool) {
	return sumOf(IdentitySignedContent, []byte(k.input), body[:]), true
}

// NeedsBody implements Check: only a token that binds the body needs it.
func (k *jwtCheck) NeedsBody() bool { return k.digest != nil }

func (k *jwtCheck) Write(p []byte) (int, error) {
	if k.digest != nil {
		k.n += int64(len(p))
		k.digest.Write(p)
	}
	return len(p), nil
}

// Verify implements Check: the body's hash must be the token's.
func (k *jwtCheck) Verify() (string, error) {
	if k.digest != nil {
		if k.want == nil && k.n != 0 {
			return "", ErrSignatureMismatch // a body the token does not bind
		}
		if k.want != nil && !hmac.Equal(k.digest.Sum(nil), k.want) {
			return "", ErrSignatureMismatch
		}
	}
	return k.keyID, nil
}

func (k *jwtCheck) Release()                  {}
func (k *jwtCheck) Claims() map[string]string { return k.claims }
