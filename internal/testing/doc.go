// Package testing is the root of hookguard's test kit. The packages below
// it exist for tests and for bench/ only, and never ship:
//
//   - cases: the one table of webhook requests every layer is tested against
//   - conformance: that table over real HTTP, against any base URL
//   - docs: every relative link and #anchor in the Markdown docs resolves
//   - hosttest: driving a module through host, for the host's tests and the
//     filter's alike
//   - syncbuf: a bytes.Buffer several goroutines may write, for captured logs
//   - testredis: a real redis-server for one test
//   - testwasm: the hookguard module under test ($HOOKGUARD_WASM, or a build
//     of ./filter)
//
// # Layers
//
// From the bottom up. An import points down, never up, and never across
// between filter/ and host/. TestLayering checks every rule with go list.
//
//  1. The shared leaves: internal/abi, internal/pairs, internal/envoyabi,
//     internal/upstream (every internal/ package outside internal/testing)
//     and header, used by the module, the host and the gateway. They
//     import nothing from filter/ or host/.
//  2. filter/... (hookguard's module, built for GOOS=wasip1) and host/...
//     (the wazero host and its adapters). Neither imports the other.
//  3. examples/... and cmd/... (programs), deploy/ and envoy/ (the e2e tests),
//     which may import both.
//  4. internal/testing/...: the test kit, on top. It may import anything
//     (cases signs with filter/verify, hosttest drives host), and is
//     imported only by _test.go files and by bench/.
//
// bench/... is tooling beside the top layer: it measures with
// testing.Benchmark and may use the kit. A package in none of these places
// fails TestLayering until this list places it.
//
// Shipped code is every package but internal/testing/... and bench/...,
// without its _test.go files. It never imports the kit nor "testing",
// directly or through another package; for filter/... that holds in the
// GOOS=wasip1 build as well as the native one.
//
// # Tests
//
// A package's tests may import more than the package does, within these
// rules:
//
//   - host/...'s tests import nothing from filter/. The generic host is
//     tested with the WAT probes in host/testdata. hookguard's module
//     appears there only as an opaque .wasm from testwasm: a real Go-built
//     module to compile, instrument and pool, and host's Example, the one
//     smoke test of its verdicts (a valid request and a forged one).
//   - hookguard's module is tested through host by ./filter's tests
//     (package main, beside the code that builds it). That is the one
//     place filter/ meets host/, and only in _test.go files: filter's
//     libraries (config, verify, reason, internal/...) are tested natively.
//
// host's tests that need requests hookguard accepts sign them through the
// kit (hosttest.SignPipes, hosttest.SignHTTP), never with filter/verify
// directly: no arrow runs up. TestLayering's upArrows would list one, with
// its reason; it is empty.
package testing
