package config

import (
	"fmt"
	"strings"
)

// Match selects requests. Empty fields match anything.
type Match struct {
	// Authority is a host, "host:port", or "*.example.com" for any
	// subdomain. A pattern without a port matches the host on any port.
	Authority string
	// Path matches the path exactly; PathPrefix matches its start. The
	// query string is not part of the path.
	Path       string
	PathPrefix string
	// Methods are upper-case HTTP methods.
	Methods []string
}

// Matches reports whether a request's method, authority and path (with
// or without its query string) match m.
func (m Match) Matches(method, authority, path string) bool {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if m.Path != "" && path != m.Path {
		return false
	}
	if m.PathPrefix != "" && !strings.HasPrefix(path, m.PathPrefix) {
		return false
	}
	if len(m.Methods) > 0 {
		found := false
		for _, x := range m.Methods {
			found = found || x == method
		}
		if !found {
			return false
		}
	}
	return m.Authority == "" || matchAuthority(m.Authority, authority)
}

func matchAuthority(pattern, authority string) bool {
	authority = strings.ToLower(authority)
	if !strings.Contains(pattern, ":") || strings.HasSuffix(pattern, "]") {
		authority = stripPort(authority)
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		return strings.HasSuffix(authority, "."+rest) && len(authority) > len(rest)+1
	}
	return authority == pattern
}

func stripPort(a string) string {
	if i := strings.LastIndexByte(a, ':'); i >= 0 && i > strings.LastIndexByte(a, ']') {
		return a[:i]
	}
	return a
}

// Route returns the first route that matches, or nil.
func (c *Config) Route(method, authority, path string) *Route {
	for i := range c.Routes {
		if c.Routes[i].Match.Matches(method, authority, path) {
			return &c.Routes[i]
		}
	}
	return nil
}

type rawMatch struct {
	Authority  string   `json:"authority"`
	Path       string   `json:"path"`
	PathPrefix string   `json:"path_prefix"`
	Methods    []string `json:"methods"`
}

func parseMatch(rm rawMatch, m *Match) error {
	if rm.Path != "" && rm.PathPrefix != "" {
		return fmt.Errorf(`%w: set only one of "path" and "path_prefix"`, ErrInvalidRoute)
	}
	for _, p := range []string{rm.Path, rm.PathPrefix} {
		if p != "" && !strings.HasPrefix(p, "/") {
			return fmt.Errorf(`%w: a path must start with "/"`, ErrInvalidRoute)
		}
	}
	a := strings.ToLower(rm.Authority)
	if strings.Contains(strings.TrimPrefix(a, "*."), "*") {
		return fmt.Errorf(`%w: "authority" may only start with "*."`, ErrInvalidRoute)
	}
	*m = Match{Authority: a, Path: rm.Path, PathPrefix: rm.PathPrefix}
	for _, meth := range rm.Methods {
		if meth == "" || strings.ToUpper(meth) != meth {
			return fmt.Errorf(`%w: methods must be upper-case, got %q`, ErrInvalidRoute, meth)
		}
		m.Methods = append(m.Methods, meth)
	}
	return nil
}
