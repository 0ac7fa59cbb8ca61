// Package plugin is hookguard's proxy-wasm filter: it reads the plugin
// configuration, and for each request picks the first route that matches,
// holds headers and body until the route's scheme has checked the raw
// request, then lets it on (marked with X-Hookguard-Verified) or answers it
// with the status reason.All gives.
//
// # Reading order
//
//  1. root.go: the root context, one per VM: configuration (OnConfigure)
//     and the marks a verified request gets, built there once.
//  2. request.go: one stream's request, its callbacks in the order the
//     host calls them: NewHTTPContext, OnRequestHeaders (which reads the
//     headers, then steps through pickRoute, admitSource, handshake and
//     begin), OnRequestBody, OnRequestTrailers, OnResponseHeaders, OnDone,
//     and OnDelete, which keeps the request for the next stream.
//  3. verdict.go: how a request ends: finish (verified), fail (by the
//     route's mode) and reject (a local answer).
//
// Then what those steps call, one feature a file: sources.go (the source
// allow-list), handshake.go (provider handshakes), dedupe_request.go (what
// a request does with replay de-duplication) over dedupe.go (the
// shared-data slots and their pure admit/settle rules), jwks.go (the root's
// timer that fetches remote JWK Sets) and metrics.go (the counters).
//
// # Performance notes
//
// A comment that starts "perf:" explains code shaped for the per-request
// cost in the module (an allocation there costs ~0.4 µs, a map lookup by
// name about a microsecond, and even a call brings code into the cache).
// Before making such code "simpler", measure with BenchmarkHookguardRequest
// and TestVerifiedRequestsAllocateNothing (./filter). A comment that
// starts "size:" explains code shaped for the module's size (ls -l
// build/hookguard.wasm): a //go:noinline on a helper called from many
// places off the verified path.
package plugin
