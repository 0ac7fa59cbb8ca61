package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// KindJWT's presets: a provider's JWT signed with the route's shared
// secret, as the row's JWT says (where the token is, which claims it must
// carry, what of the request they bind). The builder and the signer are
// registered here; the verification is jwt.go's.

func init() {
	kindBuilders[KindJWT] = buildJWTPreset
}

// StandInJWKS is a JWK Set a JWT scheme can be built with, to check a
// route whose keys are unset or fetched.
const StandInJWKS = `{"keys":[{"kty":"oct","alg":"HS256","k":"c3RhbmQtaW4ta2V5LXN0YW5kLWluLWtleS1zdGFuZC1pbg"}]}`

// signedTokenLife is how long the tokens SignRequest makes for a preset
// that signs an exp are valid: monday's and Atlassian's tokens live a few
// minutes.
const signedTokenLife = 3 * time.Minute

// buildJWTPreset builds p's scheme: each of the route's secrets (decoded
// as p.SecretEncoding says) is a key under each of the preset's
// algorithms. o.Tolerance replaces MaxAge where the preset bounds iat's
// age, else the leeway on exp, nbf and iat; o.PublicURL is the URL the
// sender signed.
func buildJWTPreset(p PresetInfo, o Options) (Scheme, error) {
	if p.JWT == nil {
		return nil, errorf(ErrInvalidScheme, "preset %s: kind jwt without its JWT", p.Name)
	}
	if err := checkKeys(o.Keys); err != nil {
		return nil, err
	}
	j := *p.JWT
	j.Keys, j.Remote = nil, nil
	if p.JWKS != nil { // the provider's own keys: the route's one secret is its JWK Set
		var err error
		if j.Keys, err = ParseJWKS(o.Keys[0].Secret); err != nil {
			return nil, err
		}
	} else {
		keys, err := DecodeKeys(o.Keys, p.SecretEncoding)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			for _, alg := range j.algorithms() {
				j.Keys = append(j.Keys, JWK{ID: k.ID, Alg: alg, key: k.Secret})
			}
		}
		j.shared = true
	}
	if j.Leeway == 0 {
		j.Leeway = DefaultJWTLeeway
	}
	if o.Tolerance != nil {
		if *o.Tolerance < 0 {
			return nil, errorf(ErrInvalidScheme, "negative tolerance")
		}
		if j.MaxAge > 0 {
			j.MaxAge = *o.Tolerance
		} else {
			j.Leeway = *o.Tolerance
		}
	}
	j.PublicURL = o.PublicURL
	return NewJWT(j)
}

func (j *JWT) algorithms() []string {
	if len(j.Algorithms) == 0 {
		return []string{"HS256"}
	}
	return j.Algorithms
}

// BindsBody reports whether a preset's token binds the body (its
// BodyHashClaim): without, whoever holds a token may send it with another
// body while it is valid.
func (j *JWT) BindsBody() bool { return j != nil && j.BodyHashClaim != "" }

// SignsTime reports whether a preset's tokens carry the time they were
// made (iat or exp), so that a delivery signed again is signed over other
// bytes: every preset's but Netlify's, whose token is iss and the body's
// hash only.
func (j *JWT) SignsTime() bool { return j != nil && (!j.ExpOptional || j.MaxAge > 0) }

// signJWTPreset makes the token info's provider sends for req and body at
// now, HS256 under secret: iat (and exp, signedTokenLife later) where the
// provider signs them, iss, and each claim the row requires or binds.
func signJWTPreset(info PresetInfo, secret string, req *Request, body []byte, now time.Time) ([]Field, []byte, error) {
	j := info.JWT
	if j == nil {
		return nil, nil, errorf(ErrInvalidScheme, "preset %s: kind jwt without its JWT", info.Name)
	}
	key, err := DecodeSecret(info.SecretEncoding, secret)
	if err != nil {
		return nil, nil, err
	}
	claims := map[string]any{}
	if j.SignsTime() {
		claims["iat"] = now.Unix()
	}
	if !j.ExpOptional {
		claims["exp"] = now.Add(signedTokenLife).Unix()
	}
	if j.Issuer != "" {
		claims["iss"] = j.Issuer
	}
	if len(j.Audiences) > 0 {
		claims["aud"] = j.Audiences[0]
	}
	for _, name := range j.RequiredClaims {
		if _, ok := claims[name]; !ok {
			claims[name] = "hookguard-test-" + name
		}
	}
	u := RequestURL(req, "")
	if j.AudienceURL {
		claims["aud"] = u
	}
	if j.URLHashClaim != "" {
		claims[j.URLHashClaim] = hexSHA256([]byte(u))
	}
	if j.QSH {
		claims["qsh"] = hexSHA256([]byte(CanonicalRequest(req, "")))
	}
	if j.BodyHashClaim != "" && !(j.BodyHashOptional && len(body) == 0) {
		claims[j.BodyHashClaim] = hexSHA256(body)
	}
	token, err := signHS256(key, claims)
	if err != nil {
		return nil, nil, err
	}
	name, word := j.Header, j.TokenScheme
	if name == "" {
		name, word = "authorization", "Bearer"
	}
	if word != "" {
		token = word + " " + token
	}
	return []Field{{Name: strings.ToLower(name), Value: token}}, body, nil
}

// signHS256 is a compact JWS of claims (their JSON, keys sorted) under key.
func signHS256(key []byte, claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", errorf(ErrInvalidScheme, "claims: %s", err)
	}
	b64 := base64.RawURLEncoding
	input := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + b64.EncodeToString(payload)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return input + "." + b64.EncodeToString(m.Sum(nil)), nil
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CanonicalRequest is Atlassian Connect's canonical request, whose SHA-256
// is a token's qsh: the method in upper case, the path, and the query
// sorted, joined by '&'. The URL is the one the sender signed (RequestURL
// with publicURL), its path taken whole: an app whose base URL has a path
// of its own is not supported. As atlassian-jwt 2.0.3's
// createCanonicalRequest does it: a '&' in the path is %26, the path
// starts with '/' and has no trailing '/'; the query's parameters are
// decoded ('+' is a space), the "jwt" parameter is left out, names are
// sorted, a repeated name's values are sorted and joined with ',', and
// names and values are percent-encoded again but for A-Z a-z 0-9 - . _ ~
// (upper-case hex).
func CanonicalRequest(req *Request, publicURL string) string {
	u := RequestURL(req, publicURL)
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?"); i >= 0 {
		u = u[i:]
	} else {
		u = ""
	}
	path, query, _ := strings.Cut(u, "?")
	path = strings.ReplaceAll(path, "&", "%26")
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	return strings.ToUpper(req.Method) + "&" + path + "&" + canonicalQuery(query)
}

// canonicalQuery is the sorted, re-encoded query of CanonicalRequest.
func canonicalQuery(query string) string {
	values := map[string][]string{}
	for _, part := range strings.Split(query, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		name = unescapeQuery(name)
		if name == "jwt" || name == "__proto__" {
			continue
		}
		values[name] = append(values[name], unescapeQuery(value))
	}
	names := slices.Sorted(maps.Keys(values))
	var b strings.Builder
	for i, name := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(encodeRFC3986(name))
		b.WriteByte('=')
		vs := slices.Clone(values[name])
		sort.Strings(vs)
		for j, v := range vs {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(encodeRFC3986(v))
		}
	}
	return b.String()
}

// unescapeQuery decodes a query name or value as Node's querystring does:
// '+' is a space, a valid %XX its byte, any other '%' itself; bytes that
// are not UTF-8 become U+FFFD.
func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "+%") {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			out = append(out, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b, _ := hex.DecodeString(s[i+1 : i+3])
			out = append(out, b[0])
			i += 2
		default:
			out = append(out, c)
		}
	}
	if !utf8.Valid(out) {
		return strings.ToValidUTF8(string(out), "\uFFFD")
	}
	return string(out)
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// encodeRFC3986 percent-encodes every byte but A-Z a-z 0-9 - . _ ~.
func encodeRFC3986(s string) string {
	const digits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return b.String()
}
