// Package capture reads a captured HTTP request, as someone debugging a
// webhook saved it, into one form: raw HTTP/1.1 bytes (as nc -l or
// tcpdump keep them), a JSON object, or a HAR file's entry. It is pure: it
// parses bytes and reads no file, network or clock.
//
//	req, err := capture.Parse(data, "") // the format is detected
//
// Errors wrap ErrUnknownFormat or ErrMalformed and say where the input
// is wrong (a line, a field, an offset), never what a header or the body
// holds: a capture carries signatures.
package capture

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Formats Parse reads; Auto ("" too) detects which.
const (
	Auto = "auto"
	Raw  = "raw"
	JSON = "json"
	HAR  = "har"
)

// Errors from Parse, wrapped with where the input is wrong.
var (
	ErrUnknownFormat = errors.New("unknown capture format")
	ErrMalformed     = errors.New("malformed capture")
)

// Request is a captured request.
type Request struct {
	Method string
	// Scheme is "https" when the capture's URL says so, else "http".
	Scheme string
	// Authority is the Host header, or the URL's host.
	Authority string
	// Path is the request target: the path and the query.
	Path string
	// Header holds the headers as captured, in order where the format
	// keeps one, except Host and HTTP/2 pseudo-headers (Authority holds
	// them) and the framing headers, Content-Length and
	// Transfer-Encoding: Body is the body as delivered, whole.
	Header []Field
	Body   []byte
}

// Field is one header.
type Field struct{ Name, Value string }

// Parse reads data as format (Auto or "" detects it). A HAR file gives
// its first entry (ParseEntry for another).
func Parse(data []byte, format string) (*Request, error) { return ParseEntry(data, format, 0) }

// ParseEntry is Parse with the HAR entry to read, counted from 0; other
// formats hold one request, entry 0.
func ParseEntry(data []byte, format string, entry int) (*Request, error) {
	if format == "" || format == Auto {
		var err error
		if format, err = Detect(data); err != nil {
			return nil, err
		}
	}
	if entry != 0 && format != HAR {
		return nil, fmt.Errorf("%w: entry %d: only a HAR file holds more than one request", ErrMalformed, entry)
	}
	switch format {
	case Raw:
		return parseRaw(data)
	case JSON:
		return parseJSON(data)
	case HAR:
		return parseHAR(data, entry)
	}
	return nil, fmt.Errorf("%w %q (want %s, %s, %s or %s)", ErrUnknownFormat, format, Auto, Raw, JSON, HAR)
}

// Detect says which format data is in: a JSON object with "log" is a HAR
// file, another JSON object the JSON form, and a request line raw HTTP.
func Detect(data []byte) (string, error) {
	t := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(t) == 0:
		return "", fmt.Errorf("%w: the capture is empty", ErrUnknownFormat)
	case t[0] == '{':
		if isHAR(t) {
			return HAR, nil
		}
		return JSON, nil
	case looksLikeRequestLine(t):
		return Raw, nil
	}
	return "", fmt.Errorf("%w: neither a JSON object nor an HTTP request line (use --format)", ErrUnknownFormat)
}

// looksLikeRequestLine reports whether t starts with a method token and
// a space.
func looksLikeRequestLine(t []byte) bool {
	i := bytes.IndexByte(t, ' ')
	if i <= 0 {
		return false
	}
	for _, c := range t[:i] {
		if !isTokenChar(c) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// fromURL fills r's scheme, authority and path from target: an absolute
// URL, or a path (with its query) on its own.
func (r *Request) fromURL(field, target string) error {
	if target == "" {
		return fmt.Errorf("%w: %s is empty", ErrMalformed, field)
	}
	r.Scheme = "http"
	if strings.HasPrefix(target, "/") {
		r.Path = target
		return nil
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%w: %s is neither an http(s) URL nor a path starting with /", ErrMalformed, field)
	}
	r.Scheme, r.Authority, r.Path = u.Scheme, u.Host, u.RequestURI()
	return nil
}

// addHeader adds a header, taking Host as the authority and dropping
// HTTP/2 pseudo-headers (a HAR file's :authority sets the authority) and
// the framing headers.
func (r *Request) addHeader(name, value string) error {
	switch lower := strings.ToLower(name); {
	case name == "":
		return fmt.Errorf("%w: a header has no name", ErrMalformed)
	case lower == "host" || lower == ":authority":
		r.Authority = value
	case strings.HasPrefix(name, ":"), lower == "content-length", lower == "transfer-encoding":
	default:
		r.Header = append(r.Header, Field{Name: name, Value: value})
	}
	return nil
}
