package verify

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strings"
	"time"
)

// Token verifies a static token, for senders that cannot sign (GitLab's
// X-Gitlab-Token, a token in the URL). Exactly one of Header, Bearer and
// Query says where the token is. It decides from the headers alone.
type Token struct {
	// Header is a header whose whole value is the token.
	Header string
	// Bearer takes the token from "Authorization: Bearer <token>".
	Bearer bool
	// Query is a query parameter whose value is the token.
	Query string
	// Keys are the accepted tokens.
	Keys []Key
}

// NewToken validates t and returns it as a Scheme.
func NewToken(t Token) (Scheme, error) {
	n := 0
	for _, set := range []bool{t.Header != "", t.Bearer, t.Query != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, errorf(ErrInvalidScheme, "a token scheme needs exactly one of header, bearer and query")
	}
	if err := checkKeys(t.Keys); err != nil {
		return nil, err
	}
	t.Header = strings.ToLower(t.Header)
	return &credentials{keys: hashKeys(t.Keys), find: t.find}, nil
}

func (t Token) find(req *Request) (string, error) {
	switch {
	case t.Header != "":
		return one(req, t.Header)
	case t.Bearer:
		v, err := one(req, "authorization")
		if err != nil {
			return "", err
		}
		if len(v) < 7 || !strings.EqualFold(v[:7], "bearer ") {
			return "", ErrMalformedSignature
		}
		return strings.TrimSpace(v[7:]), nil
	default:
		q, err := url.ParseQuery(req.Query())
		if err != nil {
			return "", ErrMalformedSignature
		}
		vs := q[t.Query]
		if len(vs) == 0 || vs[0] == "" {
			return "", ErrMissingSignature
		}
		if len(vs) > 1 {
			return "", ErrMalformedSignature
		}
		return vs[0], nil
	}
}

// Basic verifies HTTP Basic credentials. Each key's secret is
// "user:password". It decides from the headers alone; callers answer a
// failure with WWW-Authenticate (see BasicChallenge).
type Basic struct {
	Keys []Key
}

// BasicChallenge is the WWW-Authenticate value for a Basic 401.
const BasicChallenge = `Basic realm="hookguard", charset="UTF-8"`

// NewBasic validates b and returns it as a Scheme.
func NewBasic(b Basic) (Scheme, error) {
	if err := checkKeys(b.Keys); err != nil {
		return nil, err
	}
	for _, k := range b.Keys {
		if !strings.Contains(string(k.Secret), ":") {
			return nil, errorf(ErrInvalidScheme, "basic credential %q is not user:password", k.ID)
		}
	}
	return &credentials{keys: hashKeys(b.Keys), find: findBasic}, nil
}

func findBasic(req *Request) (string, error) {
	v, err := one(req, "authorization")
	if err != nil {
		return "", err
	}
	if len(v) < 6 || !strings.EqualFold(v[:6], "basic ") {
		return "", ErrMalformedSignature
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v[6:]))
	if err != nil || !strings.Contains(string(raw), ":") {
		return "", ErrMalformedSignature
	}
	return string(raw), nil
}

// one returns a header that must appear once, non-empty.
func one(req *Request, name string) (string, error) {
	v, n := req.Single(name)
	switch {
	case n == 0 || v == "":
		return "", ErrMissingSignature
	case n > 1:
		return "", ErrMalformedSignature
	}
	return v, nil
}

// credentials compares a presented credential with each configured one.
// Both sides are hashed first, so the comparison takes the same time
// whatever the lengths, and every key is compared.
type credentials struct {
	keys []hashedKey
	find func(*Request) (string, error)
}

type hashedKey struct {
	id  string
	sum [sha256.Size]byte
}

func hashKeys(keys []Key) []hashedKey {
	out := make([]hashedKey, len(keys))
	for i, k := range keys {
		out[i] = hashedKey{id: k.ID, sum: sha256.Sum256(k.Secret)}
	}
	return out
}

func (c *credentials) Begin(req *Request, _ time.Time) (Check, error) {
	presented, err := c.find(req)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(presented))
	found := -1
	for i, k := range c.keys {
		if subtle.ConstantTimeCompare(sum[:], k.sum[:]) == 1 && found < 0 {
			found = i
		}
	}
	if found < 0 {
		return nil, ErrUnauthorized
	}
	return decided{keyID: c.keys[found].id}, nil
}
