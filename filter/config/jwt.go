package config

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// A jwt route takes its keys from its JWK Set: inline ("jwks"), from the
// environment ("jwks_env"), or fetched from a cluster ("jwks_cluster").

// jwtKeySource returns where a jwt route's JWK Set comes from, as the
// route's one secret; with jwks_cluster, remote is set and there is no
// secret: the plugin fetches the set.
func jwtKeySource(rr rawRoute) (secrets []rawSecret, remote bool, err error) {
	sources := 0
	for _, set := range []bool{rr.JWKS != nil, rr.JWKSEnv != "", rr.JWKSCluster != ""} {
		if set {
			sources++
		}
	}
	switch {
	case sources != 1:
		return nil, false, fmt.Errorf(`%w: set exactly one of "jwks" (the JWK Set, inline), "jwks_env" and "jwks_cluster"`, ErrNoSecret)
	case rr.JWKSCluster != "":
		return nil, true, nil
	case rr.JWKSEnv != "":
		return []rawSecret{{ID: "jwks", Env: &rr.JWKSEnv}}, false, nil
	}
	inline := string(rr.JWKS)
	return []rawSecret{{ID: "jwks", Value: &inline}}, false, nil
}

// buildJWTScheme is buildJWT as a scheme's build: the route's one key is
// its JWK Set.
func buildJWTScheme(r *Route, rr rawRoute, keys []verify.Key, _ *time.Duration) error {
	return buildJWT(r, rr, keys[0], verify.JWT{})
}

// jwksPresetBuild builds a route of a preset whose provider signs JWTs
// with keys of its own (info.JWKS: Google's): the jwt scheme with the
// row's claims, the route's audiences and the claims it must pin, and the
// provider's JWK Set's authority and path unless the route says others.
func jwksPresetBuild(info verify.PresetInfo) func(r *Route, rr rawRoute, keys []verify.Key, _ *time.Duration) error {
	return func(r *Route, rr rawRoute, keys []verify.Key, _ *time.Duration) error {
		if len(rr.Audiences) == 0 {
			return fmt.Errorf(`%w: scheme %q needs "audiences": the audience its sender's tokens are made for (any other token the provider signs would pass)`, ErrInvalidRoute, info.Name)
		}
		for _, c := range info.BindClaims {
			if rr.RequireClaims[c] == "" {
				return fmt.Errorf(`%w: scheme %q needs "require_claims" to pin %q (the sender's identity)`, ErrInvalidRoute, info.Name, c)
			}
		}
		if rr.JWKSCluster != "" && rr.JWKSPath == "" {
			rr.JWKSPath = info.JWKS.Path
		}
		if rr.JWKSCluster != "" && rr.JWKSAuthority == "" {
			rr.JWKSAuthority = info.JWKS.Authority
		}
		return buildJWT(r, rr, keys[0], *info.JWT)
	}
}

// buildJWT builds a jwt route's scheme over base (a preset's claims) from
// its JWK Set (jwks.Secret), or with jwks_cluster from the set the plugin
// fetches.
func buildJWT(r *Route, rr rawRoute, jwks verify.Key, base verify.JWT) error {
	j := base
	j.Header, j.Audiences, j.Leeway = rr.JWTHeader, rr.Audiences, verify.DefaultJWTLeeway
	if rr.BodyHashClaim != "" || rr.URLHashClaim != "" {
		j.BodyHashClaim, j.URLHashClaim, j.PublicURL = rr.BodyHashClaim, rr.URLHashClaim, rr.PublicURL
	}
	if rr.Issuer != "" {
		j.Issuer = rr.Issuer
	}
	if len(rr.RequireClaims) > 0 {
		j.ClaimValues = maps.Clone(j.ClaimValues)
		if j.ClaimValues == nil {
			j.ClaimValues = map[string]any{}
		}
		for name, value := range rr.RequireClaims {
			j.ClaimValues[name] = value
		}
	}
	var keys []verify.JWK
	if rr.JWKSCluster != "" {
		rj, err := remoteJWKS(rr)
		if err != nil {
			return err
		}
		r.RemoteJWKS, j.Remote = rj, rj.Keys
	} else {
		var err error
		if keys, err = verify.ParseJWKS(jwks.Secret); err != nil {
			return err
		}
		j.Keys = keys
	}
	if rr.LeewaySeconds != nil {
		if *rr.LeewaySeconds < 0 || *rr.LeewaySeconds > 86400 {
			return fmt.Errorf(`%w: "leeway_seconds" must be 0 to 86400`, ErrInvalidRoute)
		}
		j.Leeway = time.Duration(*rr.LeewaySeconds) * time.Second
	}
	if err := forwardClaims(r, &j, rr.ForwardClaims); err != nil {
		return err
	}
	var err error
	if r.Scheme, err = verify.NewJWT(j); err != nil {
		return err
	}
	nameKeys(r, keys)
	r.StripHeaders = []string{"authorization"}
	if rr.JWTHeader != "" {
		r.StripHeaders = []string{strings.ToLower(rr.JWTHeader)}
	}
	return nil
}

// remoteJWKS reads where a jwks_cluster route fetches its JWK Set.
func remoteJWKS(rr rawRoute) (*RemoteJWKS, error) {
	rj := &RemoteJWKS{Cluster: rr.JWKSCluster, Path: rr.JWKSPath, Authority: rr.JWKSAuthority, Refresh: 5 * time.Minute, Keys: &verify.KeySet{}}
	if rj.Path == "" {
		rj.Path = "/.well-known/jwks.json"
	}
	if rj.Authority == "" {
		rj.Authority = rj.Cluster
	}
	if !strings.HasPrefix(rj.Path, "/") {
		return nil, fmt.Errorf(`%w: "jwks_path" must start with /`, ErrInvalidRoute)
	}
	if rr.JWKSRefresh != nil {
		if *rr.JWKSRefresh < 10 || *rr.JWKSRefresh > 86400 {
			return nil, fmt.Errorf(`%w: "jwks_refresh_seconds" must be 10 to 86400`, ErrInvalidRoute)
		}
		rj.Refresh = time.Duration(*rr.JWKSRefresh) * time.Second
	}
	return rj, nil
}

// forwardClaims sets the claims a route sends upstream, and their headers,
// sorted once here so requests add the headers in a stable order.
func forwardClaims(r *Route, j *verify.JWT, claims map[string]string) error {
	for claim, header := range claims {
		h := strings.ToLower(header)
		if claim == "" || !validHeaderName(h) || h == "authorization" || h == "host" || h == "content-length" || strings.HasPrefix(h, "x-hookguard-") {
			return fmt.Errorf(`%w: "forward_claims": %q is not a header a claim may go in`, ErrInvalidRoute, header)
		}
		r.ForwardClaims = append(r.ForwardClaims, ForwardClaim{Claim: claim, Header: h})
		j.Claims = append(j.Claims, claim)
	}
	sort.Slice(r.ForwardClaims, func(a, b int) bool { return r.ForwardClaims[a].Claim < r.ForwardClaims[b].Claim })
	sort.Strings(j.Claims)
	return nil
}

// nameKeys names a jwt route's keys by kid in X-Hookguard-Verified, logs
// and metrics; a remote set's are named once fetched.
func nameKeys(r *Route, keys []verify.JWK) {
	var source string
	if len(r.SecretSources) > 0 {
		source = r.SecretSources[0]
	}
	r.KeyIDs, r.SecretSources = nil, nil
	if r.RemoteJWKS != nil {
		r.KeyIDs, r.SecretSources = []string{"jwks"}, []string{"cluster:" + r.RemoteJWKS.Cluster}
	}
	for _, k := range keys {
		id := k.ID
		if id == "" {
			id = "jwks"
		}
		r.KeyIDs, r.SecretSources = append(r.KeyIDs, id), append(r.SecretSources, source)
	}
}

// validHeaderName reports whether h is a lower-case HTTP token.
func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
