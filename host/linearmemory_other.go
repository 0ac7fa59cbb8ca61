//go:build !linux

package host

import "context"

// withLinearMemory leaves wazero's default linear memory, a Go slice, where
// the host has no anonymous mappings to reserve it in.
func withLinearMemory(ctx context.Context) context.Context { return ctx }
