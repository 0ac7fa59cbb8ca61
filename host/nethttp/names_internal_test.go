package nethttp

import (
	"net/http"
	"strings"
	"testing"
)

// TestHeaderNames: the names a handler is given, in any case, and the
// standard ones convert both ways without allocating; any other name
// converts as strings.ToLower and http.CanonicalHeaderKey do.
func TestHeaderNames(t *testing.T) {
	n := newHeaderNames([]string{"x-pipes-signature", "X-HUB-SIGNATURE-256"})
	for _, canonical := range []string{"X-Pipes-Signature", "X-Hub-Signature-256", "Content-Type", "X-Forwarded-For", "Etag"} {
		lower := strings.ToLower(canonical)
		if got := n.toLower(canonical); got != lower {
			t.Errorf("toLower(%q) = %q, want %q", canonical, got, lower)
		}
		if got := n.toCanonical(lower); got != canonical {
			t.Errorf("toCanonical(%q) = %q, want %q", lower, got, canonical)
		}
		if allocs := testing.AllocsPerRun(100, func() { n.toLower(canonical); n.toCanonical(lower) }); allocs != 0 {
			t.Errorf("converting %s: %v allocations, want 0", canonical, allocs)
		}
	}
	for _, k := range []string{"X-Pipes-Signature", "x-custom-header", "Stripe-Signature"} {
		if got, want := standardNames.toLower(k), strings.ToLower(k); got != want {
			t.Errorf("standard toLower(%q) = %q, want %q", k, got, want)
		}
		if got, want := standardNames.toCanonical(strings.ToLower(k)), http.CanonicalHeaderKey(k); got != want {
			t.Errorf("standard toCanonical(%q) = %q, want %q", k, got, want)
		}
	}
	if namesFor(nil) != standardNames {
		t.Error("a handler given no names builds its own table")
	}
}
