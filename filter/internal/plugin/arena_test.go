package plugin

// Every test of this package runs with reused arenas poisoned: a header
// string that outlived its request would read as '#'s and fail the test
// that kept it.
func init() { poisonArenas = true }
