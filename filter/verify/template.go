package verify

import (
	"io"
	"strings"
)

// A template is the signed content: literal text and variables around
// the one {body}. The body is streamed into the MACs between the pieces
// before it (prefix) and after it (suffix).

// part is one piece of a template: literal text or a variable.
type part struct {
	literal string
	name    string // id, timestamp, method, path, url, header:NAME
}

var templateVars = map[string]bool{"id": true, "timestamp": true, "body": true, "method": true, "path": true, "url": true}

// parseTemplate splits t around its one {body}.
func parseTemplate(t string) (prefix, suffix []part, err error) {
	bodies := 0
	cur := &prefix
	for len(t) > 0 {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			*cur = append(*cur, part{literal: t})
			break
		}
		if i > 0 {
			*cur = append(*cur, part{literal: t[:i]})
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			return nil, nil, errorf(ErrInvalidScheme, "template: unclosed {")
		}
		name := t[i+1 : i+j]
		t = t[i+j+1:]
		switch {
		case name == "body":
			bodies++
			cur = &suffix
		case templateVars[name]:
			*cur = append(*cur, part{name: name})
		case strings.HasPrefix(name, "header:") && len(name) > len("header:"):
			*cur = append(*cur, part{name: "header:" + strings.ToLower(name[len("header:"):])})
		default:
			return nil, nil, errorf(ErrInvalidScheme, "template: unknown variable {%s} (known: {id} {timestamp} {body} {method} {path} {url} {header:NAME})", name)
		}
	}
	if bodies != 1 {
		return nil, nil, errorf(ErrInvalidScheme, "template must contain {body} exactly once, has %d", bodies)
	}
	return prefix, suffix, nil
}

// signedValues are the values a template signs besides the body.
type signedValues struct{ id, timestamp, url string }

// writeParts writes a template's pieces for one request, each copied into
// scratch first: a string converted for an interface's Write would be a
// new slice each time. It is generic so that a hash.Hash is written to as
// itself: converting it to io.Writer would look up an itab at run time.
func writeParts[W io.Writer](c *compiledHMAC, w W, parts []part, req *Request, vals signedValues, scratch []byte) {
	for _, p := range parts {
		var v string
		switch {
		case p.name == "":
			v = p.literal
		case p.name == "method":
			v = req.Method
		case p.name == "path":
			v = req.Path
		case p.name == "url":
			v = vals.url
		case strings.HasPrefix(p.name, "header:"):
			v, _ = req.Single(p.name[len("header:"):])
		case p.name == "id":
			v = vals.id
		default:
			v = vals.timestamp
		}
		scratch = append(scratch[:0], v...)
		w.Write(scratch)
	}
}

// urls are the forms of {url} tried: the request URL, and with
// QuirkDecodedURL its form with some escapes decoded, when that differs.
func (c *compiledHMAC) urls(req *Request) []string {
	u := RequestURL(req, c.PublicURL)
	if c.quirks&QuirkDecodedURL != 0 {
		if q := decodedURL(u); q != u {
			return []string{q, u}
		}
	}
	return []string{u}
}

// decodedURL decodes the escapes HubSpot's v3 signature decodes in the
// URI before signing (QuirkDecodedURL).
var decodedURL = strings.NewReplacer(
	"%3A", ":", "%2F", "/", "%3F", "?", "%40", "@", "%21", "!", "%24", "$", "%27", "'",
	"%28", "(", "%29", ")", "%2A", "*", "%2C", ",", "%3B", ";",
	"%3a", ":", "%2f", "/", "%3f", "?", "%2a", "*", "%2c", ",", "%3b", ";",
).Replace

// RequestURL is the URL a sender signed. Without publicURL it is rebuilt
// from :scheme, :authority and :path. publicURL is the URL as configured at
// the provider, for when a proxy in front rewrote the scheme, host or path:
// with a path it is the whole URL, to which the request's query string is
// added when it has none of its own; with no path (or "/"), the request's
// path and query are appended to it.
func RequestURL(req *Request, publicURL string) string {
	if publicURL == "" {
		scheme := req.Scheme
		if scheme == "" {
			scheme = "http"
		}
		return scheme + "://" + req.Authority + req.Path
	}
	rest := publicURL
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	slash := strings.IndexByte(rest, '/')
	if slash < 0 || rest[slash:] == "/" {
		return strings.TrimSuffix(publicURL, "/") + req.Path
	}
	if strings.Contains(rest, "?") {
		return publicURL
	}
	if q := req.Query(); q != "" {
		return publicURL + "?" + q
	}
	return publicURL
}
