package verify

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Keys fetched from the provider while the request waits: AWS SNS and
// PayPal name a certificate URL in each delivery, Adobe a key's path,
// Plaid and eBay a key id their API answers for. The check asks for the
// key by returning a *KeyNeeded from Verify; the caller (the plugin)
// fetches it through the route's cluster, hands the answer to the cache
// that asked, and calls Verify again. A
// URL is fetched only if its host matches one of the row's pinned
// patterns, so a delivery cannot make the edge fetch, or trust, a key from
// anywhere else.

// ErrKeyUnavailable: the provider's key for this delivery could not be
// fetched (the key server failed, timed out, or answered what is not a
// key); the sender should retry.
var ErrKeyUnavailable = errors.New("provider's key unavailable")

// KeyFetch is the request that fetches one key.
type KeyFetch struct {
	// ID names the key in the route's cache: the certificate URL, or the
	// key id.
	ID string
	// Method, Authority and Path are the request's; Body and ContentType
	// its body, if any (Plaid's POST carries the API credentials: never
	// logged).
	Method, Authority, Path string
	ContentType             string
	Body                    []byte
	// Authorization, if set, is the request's Authorization header (an
	// API credential or token: never logged).
	Authorization string
}

// KeyNeeded is what Verify returns when the key is not in the route's
// cache: fetch it, give the answer to Keys.Store, and verify again. Keys
// is the cache of the scheme that asked (a route whose secrets have lives
// builds new schemes as they begin and end).
type KeyNeeded struct {
	Fetch KeyFetch
	Keys  *RemoteKeys
}

func (e *KeyNeeded) Error() string { return "the provider's key must be fetched" }

// RemoteKeyInfo is a row's description of where its keys come from.
type RemoteKeyInfo struct {
	// Hosts are the patterns a key URL's host must match, whole: a "*"
	// stands for one DNS label of letters, digits and '-'.
	Hosts []string
	// PathPrefix and PathSuffix bound a key URL's path.
	PathPrefix, PathSuffix string
	// Authority and Path are a fixed key endpoint (Plaid's API), for a
	// scheme whose deliveries name a key id rather than a URL.
	Authority, Path string
	// BindField is the route field naming what deliveries must be bound
	// to (Options.Bind), "" for none.
	BindField string
	// Credentials: the route's one secret is the API's "client_id:secret",
	// sent with each key fetch (Plaid); otherwise the route has no secrets.
	Credentials bool
}

// Key cache bounds: a route keeps at most maxRemoteKeys keys (a provider
// rotates a handful), each for remoteKeyTTL; a failed fetch is remembered
// for remoteKeyRetry, so a burst of deliveries naming a dead URL costs one
// fetch.
const (
	maxRemoteKeys  = 16
	remoteKeyTTL   = time.Hour
	remoteKeyRetry = 10 * time.Second
)

// RemoteKeys is one route's cache of fetched keys, in one VM. It is used
// from the VM's one thread only.
type RemoteKeys struct {
	parse   func(id string, body []byte, now time.Time) (any, error)
	entries map[string]remoteKey
	// credential, if set, is the id of an entry that authorizes the
	// other fetches (eBay's token): an answer of 401 forgets it.
	credential string
}

type remoteKey struct {
	key     any // nil after a failed fetch
	expires time.Time
}

// newRemoteKeys makes a cache whose answers parse reads.
func newRemoteKeys(parse func(body []byte, now time.Time) (any, error)) *RemoteKeys {
	return newRemoteKeysByID(func(_ string, body []byte, now time.Time) (any, error) { return parse(body, now) })
}

// newRemoteKeysByID is newRemoteKeys for answers read by what they are
// for (a token, or a key).
func newRemoteKeysByID(parse func(id string, body []byte, now time.Time) (any, error)) *RemoteKeys {
	return &RemoteKeys{parse: parse, entries: map[string]remoteKey{}}
}

// need asks for the fetch of a key this cache lacks.
func (c *RemoteKeys) need(f KeyFetch) *KeyNeeded { return &KeyNeeded{Fetch: f, Keys: c} }

// lookup returns the key id names: ok false if it must be fetched, and
// ErrKeyUnavailable while a failed fetch is remembered.
func (c *RemoteKeys) lookup(id string, now time.Time) (key any, ok bool, err error) {
	e, found := c.entries[id]
	switch {
	case !found || !now.Before(e.expires):
		return nil, false, nil
	case e.key == nil:
		return nil, true, ErrKeyUnavailable
	}
	return e.key, true, nil
}

// Store records the key server's answer for the key id names: status is
// its HTTP status (0: no answer). It returns why the answer is no key, for
// the log; the error never holds the answer's bytes.
func (c *RemoteKeys) Store(id string, status int, body []byte, now time.Time) error {
	var key any
	err := errors.New("status " + strconv.Itoa(status) + " (0: no response)")
	if status == 200 {
		key, err = c.parse(id, body, now)
	}
	if status == 401 && c.credential != "" {
		delete(c.entries, c.credential) // refused: fetch the credential again
	}
	if len(c.entries) >= maxRemoteKeys {
		c.evict(now)
	}
	e := remoteKey{key: key, expires: now.Add(remoteKeyTTL)}
	if err != nil {
		e = remoteKey{expires: now.Add(remoteKeyRetry)}
	}
	c.entries[id] = e
	return err
}

// evict drops the expired entries, or else the one that expires first.
func (c *RemoteKeys) evict(now time.Time) {
	first := ""
	for id, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, id)
			continue
		}
		if first == "" || e.expires.Before(c.entries[first].expires) {
			first = id
		}
	}
	if len(c.entries) >= maxRemoteKeys {
		delete(c.entries, first)
	}
}

// apiCredentials reads the one secret of a preset whose keys are asked of
// an authenticated API (RemoteKeyInfo.Credentials), "id:secret" (what
// describes it, for errors), and the API's host: the row's, or
// Options.KeyAuthority if it is one of the pinned hosts (a sandbox).
func apiCredentials(p PresetInfo, o Options, what string) (id, secret, authority string, err error) {
	if len(o.Keys) != 1 {
		return "", "", "", errorf(ErrInvalidScheme, "%s: give one secret, %s", p.Name, what)
	}
	id, secret, ok := strings.Cut(string(o.Keys[0].Secret), ":")
	if !ok || id == "" || secret == "" {
		return "", "", "", errorf(ErrInvalidScheme, "%s: the secret must be %s", p.Name, what)
	}
	authority = p.RemoteKey.Authority
	if o.KeyAuthority != "" {
		if !p.RemoteKey.pinned(o.KeyAuthority) {
			return "", "", "", errorf(ErrInvalidScheme, "%s: \"key_authority\" must be one of %s", p.Name, strings.Join(p.RemoteKey.Hosts, ", "))
		}
		authority = o.KeyAuthority
	}
	return id, secret, authority, nil
}

// keyURL checks a key URL a delivery names against the row's pins and
// returns the fetch for it: https, no user, no port but 443, a pinned
// host, the path within bounds, no query or fragment.
func (r *RemoteKeyInfo) keyURL(raw string) (KeyFetch, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" ||
		strings.Contains(raw, "\\") {
		return KeyFetch{}, errorf(ErrMalformedSignature, "key URL is not a plain https URL")
	}
	host := u.Hostname()
	if p := u.Port(); p != "" && p != "443" {
		return KeyFetch{}, errorf(ErrMalformedSignature, "key URL names a port")
	}
	if !r.pinned(host) {
		return KeyFetch{}, errorf(ErrMalformedSignature, "key URL's host is not one of the provider's")
	}
	if !strings.HasPrefix(u.Path, r.PathPrefix) || !strings.HasSuffix(u.Path, r.PathSuffix) || strings.Contains(u.Path, "/..") ||
		u.EscapedPath() != u.Path {
		return KeyFetch{}, errorf(ErrMalformedSignature, "key URL's path is not where the provider keeps keys")
	}
	return KeyFetch{ID: "https://" + host + u.Path, Method: "GET", Authority: host, Path: u.Path}, nil
}

// pinned reports whether host matches one of the patterns.
func (r *RemoteKeyInfo) pinned(host string) bool {
	for _, p := range r.Hosts {
		if hostMatches(p, host) {
			return true
		}
	}
	return false
}

// hostMatches matches host against pattern label by label: "*" is one
// label of [a-z0-9-]+, anything else must be equal.
func hostMatches(pattern, host string) bool {
	pl, hl := strings.Split(pattern, "."), strings.Split(host, ".")
	if len(pl) != len(hl) {
		return false
	}
	for i, p := range pl {
		if p == "*" {
			if !dnsLabel(hl[i]) {
				return false
			}
		} else if p != hl[i] {
			return false
		}
	}
	return true
}

func dnsLabel(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
