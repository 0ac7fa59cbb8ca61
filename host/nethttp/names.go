package nethttp

import (
	"net/http"
	"strings"
)

// standardHeaderNames are the header names every handler converts without
// allocating: those of HTTP itself and of the proxies in front of it
// (X-Forwarded-*, X-Request-Id, which Envoy adds). A filter's own names
// are given in Config.HeaderNames.
var standardHeaderNames = []string{"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control",
	"Connection", "Content-Encoding", "Content-Length", "Content-Type", "Cookie", "Date", "Etag", "Host",
	"Location", "Origin", "Referer", "Server", "Set-Cookie", "Transfer-Encoding", "User-Agent", "Vary",
	"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Request-Id"}

// headerNames converts header names between net/http's canonical form
// (Content-Type), the keys of an http.Header, and the lower case Envoy
// gives a module (content-type). strings.ToLower and
// http.CanonicalHeaderKey allocate a new string for each name that is
// not already in the form asked for, that is for every name of every
// request; the names kept here are converted without one.
type headerNames struct {
	lower     map[string]string // canonical → lower case
	canonical map[string]string // lower case → canonical
}

// standardNames is the table of standardHeaderNames alone, shared by
// every handler given no names of its own.
var standardNames = newHeaderNames(nil)

// newHeaderNames keeps standardHeaderNames and extra, given in any case.
func newHeaderNames(extra []string) *headerNames {
	n := &headerNames{lower: map[string]string{}, canonical: map[string]string{}}
	for _, names := range [][]string{standardHeaderNames, extra} {
		for _, k := range names {
			ck := http.CanonicalHeaderKey(k)
			n.lower[ck] = strings.ToLower(ck)
			n.canonical[n.lower[ck]] = ck
		}
	}
	return n
}

// namesFor is the table for extra: the shared standard one when there is
// nothing to add.
func namesFor(extra []string) *headerNames {
	if len(extra) == 0 {
		return standardNames
	}
	return newHeaderNames(extra)
}

// toLower is strings.ToLower(k), without an allocation for a kept name.
func (n *headerNames) toLower(k string) string {
	if lk, ok := n.lower[k]; ok {
		return lk
	}
	return strings.ToLower(k)
}

// toCanonical is http.CanonicalHeaderKey(k), without an allocation for a
// kept name.
func (n *headerNames) toCanonical(k string) string {
	if ck, ok := n.canonical[k]; ok {
		return ck
	}
	return http.CanonicalHeaderKey(k)
}
