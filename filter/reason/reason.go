// Package reason is hookguard's one table of rejection reasons: what each
// failure is called in logs, metrics and Envoy's response details, and how
// it is answered. The plugin, the tests, docs/configuration.md and envoy.yaml's
// stats_tags all use these names.
//
// A response never says which check failed: every reason with the same
// status gets the same body.
package reason

import (
	"errors"

	"github.com/hookguard/hookguard/filter/verify"
)

// Reason is one rejection reason.
type Reason struct {
	// Name is the label in logs and metrics ("invalid_signature").
	Name string
	// Status is the HTTP status the client gets.
	Status int
	// Err is the verify error it stands for; nil for the plugin's own.
	Err error
}

// Responses, one per status.
var bodies = map[int]string{
	400: "Bad request",
	403: "Forbidden",
	401: "Invalid signature",
	404: "Not found",
	409: "Delivery in progress; retry later",
	413: "Payload too large",
	431: "Request header fields too large",
	500: "Internal error",
	503: "Service unavailable; retry later",
}

// Body returns the response body for status.
func Body(status int) string { return bodies[status] }

// The reasons that come from the plugin rather than from a scheme.
var (
	NoRoute = Reason{Name: "no_route", Status: 404}
	// Unconfigured is a route whose optional secrets are all unset.
	Unconfigured  = Reason{Name: "route_unconfigured", Status: 500}
	InternalError = Reason{Name: "internal_error", Status: 500}
	// HeadersTooLarge: the host gave an empty header map, as Envoy and our
	// host do for one over their limits (count or size): not even :path.
	HeadersTooLarge = Reason{Name: "headers_too_large", Status: 431}
	// JWKSUnavailable: a jwt route's remote JWK Set is not fetched yet.
	JWKSUnavailable = Reason{Name: "jwks_unavailable", Status: 503, Err: verify.ErrKeysUnavailable}
	// KeyUnavailable: the provider's key for a delivery (an AWS SNS or
	// PayPal certificate, a Plaid key) could not be fetched; answered with
	// Retry-After.
	KeyUnavailable = Reason{Name: "key_unavailable", Status: 503, Err: verify.ErrKeyUnavailable}
	// SourceNotAllowed: the client address is outside the route's
	// source_cidrs (or cannot be told, behind trusted_proxy_hops).
	SourceNotAllowed = Reason{Name: "source_not_allowed", Status: 403}
	// The reasons of a route with "dedupe", for a request that verified.
	// DuplicateInFlight: the same delivery was let through and the
	// upstream has not answered yet. DedupeFull: every delivery of the
	// slot is in flight.
	DuplicateInFlight = Reason{Name: "duplicate_in_flight", Status: 409}
	DedupeFull        = Reason{Name: "dedupe_full", Status: 503}
	// DedupeUnavailable: the shared data holding a dedupe route's ids
	// failed or timed out, and the route's on_store_failure is "reject".
	DedupeUnavailable = Reason{Name: "dedupe_unavailable", Status: 503}
	// HandshakeRefused: a handshake challenge whose token could be a
	// payload (not an opaque token): answering it would sign it.
	HandshakeRefused = Reason{Name: "handshake_refused", Status: 400}
)

// DuplicateBody: a duplicate is not a rejection: a delivery the upstream already accepted,
// answered 200 with this body so the sender stops retrying.
const DuplicateBody = "Duplicate delivery: already accepted"

// All is every reason, in the order docs/configuration.md lists them.
var All = []Reason{
	{"missing_signature", 401, verify.ErrMissingSignature},
	{"malformed_signature", 401, verify.ErrMalformedSignature},
	{"invalid_signature", 401, verify.ErrSignatureMismatch},
	{"missing_timestamp", 401, verify.ErrMissingTimestamp},
	{"malformed_timestamp", 401, verify.ErrMalformedTimestamp},
	{"timestamp_out_of_tolerance", 401, verify.ErrTimestampOutOfTolerance},
	{"unauthorized", 401, verify.ErrUnauthorized},
	{"malformed_body", 401, verify.ErrMalformedBody},
	{"body_too_large", 413, verify.ErrBodyTooLarge},
	JWKSUnavailable,
	KeyUnavailable,
	NoRoute,
	HeadersTooLarge,
	SourceNotAllowed,
	Unconfigured,
	DuplicateInFlight,
	DedupeFull,
	DedupeUnavailable,
	HandshakeRefused,
	InternalError,
}

// Dedupe reports whether r is one only a route with "dedupe" gives.
func (r Reason) Dedupe() bool {
	return r == DuplicateInFlight || r == DedupeFull || r == DedupeUnavailable
}

// Of returns the reason for err: internal_error for anything that is not
// one of verify's request errors.
func Of(err error) Reason {
	for _, r := range All {
		if r.Err != nil && errors.Is(err, r.Err) {
			return r
		}
	}
	return InternalError
}
