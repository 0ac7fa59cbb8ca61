// Package header holds the one type of a header field that hookguard's
// host and module share: package host's public API (host.HeaderField) and
// the proxy-wasm header-map codec (internal/pairs, pairs.Pair) are both
// this type, so headers pass between them with no copy and no conversion.
//
// It is a leaf: it imports nothing, and the module pays nothing for it.
package header

// Field is one header field: a key and its value. Pseudo-headers
// (":method", ":path", ":authority", ":scheme"; ":status") are fields like
// any other.
type Field struct {
	Key, Value string
}
