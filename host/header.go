package host

import (
	"strings"

	"github.com/hookguard/hookguard/header"
	"github.com/hookguard/hookguard/internal/pairs"
)

// HeaderField is one header entry: a key and its value. It is
// header.Field, the type the proxy-wasm codec encodes and decodes, so
// headers pass between the host and the module with no copy.
type HeaderField = header.Field

// Header is an ordered list of header entries, kept the way Envoy keeps a
// HeaderMap: keys are lower-case, a key may repeat, and pseudo-headers
// (:method, :path, :authority, :scheme on requests; :status on responses)
// are entries like any other.
type Header []HeaderField

// Get returns the first value of key, as proxy_get_header_map_value does.
func (h Header) Get(key string) (string, bool) {
	key = strings.ToLower(key)
	for _, f := range h {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}

// Values returns every value of key in order.
func (h Header) Values(key string) []string {
	key = strings.ToLower(key)
	var out []string
	for _, f := range h {
		if f.Key == key {
			out = append(out, f.Value)
		}
	}
	return out
}

// Clone returns a copy of h.
func (h Header) Clone() Header {
	if h == nil {
		return nil
	}
	return append(Header(make([]HeaderField, 0, len(h))), h...)
}

// add appends an entry with a lower-cased key (Envoy's addCopy).
func (h *Header) add(key, value string) {
	*h = append(*h, HeaderField{Key: strings.ToLower(key), Value: value})
}

// del removes every entry of key.
func (h *Header) del(key string) {
	key = strings.ToLower(key)
	out := (*h)[:0]
	for _, f := range *h {
		if f.Key != key {
			out = append(out, f)
		}
	}
	*h = out
}

// replace sets key to value, replacing every entry, or adds it (Envoy's
// setCopy).
func (h *Header) replace(key, value string) {
	key = strings.ToLower(key)
	for i, f := range *h {
		if f.Key == key {
			(*h)[i].Value = value
			rest := (*h)[i+1:]
			rest.del(key)
			*h = (*h)[:i+1+len(rest)]
			return
		}
	}
	h.add(key, value)
}

// byteSize is Envoy's HeaderMap::byteSize: the sum of key and value
// lengths, which is what proxy_get_header_map_size returns.
func (h Header) byteSize() int {
	n := 0
	for _, f := range h {
		n += len(f.Key) + len(f.Value)
	}
	return n
}

// decodeHeader parses a serialized header map as Envoy does: a malformed
// buffer is an empty map (pairs.Decode) and keys are lower-cased.
func decodeHeader(buf []byte) Header { return lowerKeys(pairs.Decode(buf)) }

// lowerKeys returns a copy of in with lower-cased keys, as Envoy keeps
// them.
func lowerKeys(in []HeaderField) Header {
	out := make(Header, len(in))
	for i, f := range in {
		out[i] = HeaderField{Key: strings.ToLower(f.Key), Value: f.Value}
	}
	return out
}
