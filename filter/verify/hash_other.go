//go:build !wasip1

package verify

import (
	"crypto/sha1"
	"crypto/sha256"
)

// Natively the standard library's hashes, with their assembly.
var (
	newSHA256 = sha256.New
	newSHA1   = sha1.New
)
