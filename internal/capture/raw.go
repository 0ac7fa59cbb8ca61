package capture

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// parseRaw reads HTTP/1.1 request bytes: a request line, headers ending
// in a blank line ("\r\n" or bare "\n" line ends), then a body framed by
// Content-Length or chunked Transfer-Encoding.
func parseRaw(data []byte) (*Request, error) {
	data = bytes.TrimLeft(data, "\r\n")
	if headerEnd(data) < 0 {
		return nil, fmt.Errorf("%w: raw: the headers end early: no blank line after them in %d bytes", ErrMalformed, len(data))
	}
	br := bufio.NewReader(bytes.NewReader(data))
	hr, err := http.ReadRequest(br)
	if err != nil {
		return nil, fmt.Errorf("%w: raw: line %d: %s", ErrMalformed, failingLine(data, err), describeReadError(err))
	}
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		return nil, bodyError(hr, len(body), err)
	}
	if rest, _ := io.ReadAll(br); len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("%w: raw: %d bytes after the request's body (a second request, or a body without Content-Length?)", ErrMalformed, len(rest))
	}
	r := &Request{Method: hr.Method, Body: body}
	if err := r.fromURL("raw: the request target", hr.RequestURI); err != nil {
		return nil, err
	}
	if hr.Host != "" {
		r.Authority = hr.Host
	}
	// http.ReadRequest keeps values in order per name, not across names:
	// names are sorted so the result does not depend on map order.
	for _, name := range slices.Sorted(maps.Keys(hr.Header)) {
		for _, v := range hr.Header[name] {
			if err := r.addHeader(name, v); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// headerEnd is the offset of the blank line that ends the headers, or -1.
func headerEnd(data []byte) int {
	crlf, lf := bytes.Index(data, []byte("\r\n\r\n")), bytes.Index(data, []byte("\n\n"))
	switch {
	case crlf < 0:
		return lf
	case lf < 0:
		return crlf
	}
	return min(crlf, lf)
}

// failingLine guesses the line net/http stopped at: the first header
// line without a colon, else the request line.
func failingLine(data []byte, err error) int {
	if !strings.Contains(err.Error(), "header") {
		return 1
	}
	lines := bytes.Split(data[:headerEnd(data)], []byte("\n"))
	for i, l := range lines[1:] {
		if !bytes.Contains(l, []byte(":")) {
			return i + 2
		}
	}
	return 1
}

// describeReadError is net/http's reason without the text it quotes, which
// may be a header's value.
func describeReadError(err error) string {
	msg := err.Error()
	for _, sep := range []string{": ", " \""} {
		if i := strings.Index(msg, sep); i > 0 {
			msg = msg[:i]
		}
	}
	return msg
}

// bodyError says how the body fell short of its framing.
func bodyError(hr *http.Request, got int, err error) error {
	if hr.ContentLength > 0 && errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: raw: the body is shorter than declared: %d of Content-Length %d bytes", ErrMalformed, got, hr.ContentLength)
	}
	if len(hr.TransferEncoding) > 0 {
		return fmt.Errorf("%w: raw: chunked body after %d bytes: %s", ErrMalformed, got, describeReadError(err))
	}
	return fmt.Errorf("%w: raw: body after %d bytes: %s", ErrMalformed, got, describeReadError(err))
}
