package sha

// block256 hashes each whole 64-byte block of p into SHA-256's state h
// (block256_wasm.s, made by gen.go).
//
//go:noescape
func block256(h *[8]uint32, p []byte)
