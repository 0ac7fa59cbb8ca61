//go:build wasip1

package verify

import "github.com/hookguard/hookguard/filter/verify/internal/sha256"

// newSHA256 is the SHA-256 the module uses: one unrolled for Go's wasm
// code generation, much faster there than crypto/sha256's generic code
// (RATIONALE.md, "Why an unrolled SHA-256 in the module?").
var newSHA256 = sha256.New
