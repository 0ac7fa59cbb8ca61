//go:build !wasip1

package verify

import "crypto/sha256"

// newSHA256 is crypto/sha256 natively, with its assembly.
var newSHA256 = sha256.New
