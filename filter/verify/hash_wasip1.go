//go:build wasip1

package verify

import "github.com/hookguard/hookguard/filter/verify/internal/sha"

// The hashes the module uses: SHA-256 and SHA-1 unrolled for Go's wasm
// code generation, much faster there than the standard library's generic
// code (RATIONALE.md, "Why an unrolled SHA-256 (and SHA-1) in the module?").
var (
	newSHA256 = sha.New256
	newSHA1   = sha.New1
)
