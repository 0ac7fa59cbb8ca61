package config

import (
	"fmt"
	"slices"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// A secret's life: "not_before" and "not_after" (RFC 3339) bound when it
// verifies, so that a rotation ends by itself — the old secret stops at
// its not_after, the new one starts at its not_before — without a
// reload. A route whose secrets have lives rebuilds its scheme with the
// secrets live at the request's time, only when that set changes; the
// secrets out of their life are kept apart, so that a request one of them
// would have verified is told so in the diagnosis.

// KeyLife is when a secret verifies: from NotBefore (zero: always) until
// NotAfter (zero: forever), NotAfter excluded.
type KeyLife struct {
	ID                  string
	NotBefore, NotAfter time.Time
}

// live reports whether the secret verifies at now.
func (l KeyLife) live(now time.Time) bool {
	return (l.NotBefore.IsZero() || !now.Before(l.NotBefore)) && (l.NotAfter.IsZero() || now.Before(l.NotAfter))
}

// keyLives holds a route's secrets with lives and how to build its scheme
// with some of them.
type keyLives struct {
	keys  []verify.Key
	lives []KeyLife
	build func(keys []verify.Key) (verify.Scheme, error)
	// The current sets: live is the ids Scheme was built with; dead is
	// the scheme of the others (nil when none). from/until bound the time
	// over which they hold.
	live        []string
	dead        verify.Scheme
	deadIDs     []string
	from, until time.Time
	built       bool
}

// parseLife reads a secret's not_before and not_after.
func parseLife(i int, s rawSecret) (nb, na time.Time, err error) {
	for _, f := range []struct {
		name string
		v    *string
		t    *time.Time
	}{{"not_before", s.NotBefore, &nb}, {"not_after", s.NotAfter, &na}} {
		if f.v == nil {
			continue
		}
		if *f.t, err = time.Parse(time.RFC3339, *f.v); err != nil {
			return nb, na, fmt.Errorf(`secret %d: %w: %q must be an RFC 3339 time ("2026-12-31T00:00:00Z"), got %q`, i, ErrInvalidRoute, f.name, *f.v)
		}
	}
	if !nb.IsZero() && !na.IsZero() && !nb.Before(na) {
		return nb, na, fmt.Errorf(`secret %d: %w: "not_before" must come before "not_after"`, i, ErrInvalidRoute)
	}
	return nb, na, nil
}

// SchemeAt returns the route's scheme for a request at now: with the
// secrets live then. ok is false when none is: every request is refused.
// A route without lives returns its Scheme. Not safe for concurrent use:
// a VM's routes are its own.
func (r *Route) SchemeAt(now time.Time) (s verify.Scheme, ok bool) {
	kl := r.lives
	if kl == nil {
		return r.Scheme, true
	}
	if !kl.built || now.Before(kl.from) || !now.Before(kl.until) {
		kl.rebuild(r, now)
	}
	return r.Scheme, len(kl.live) > 0
}

// ExpiredScheme returns, for a route whose secrets have lives, a scheme of
// the secrets not live at the time SchemeAt last saw, and their lives; nil
// when there are none. A failed request is checked against it, so the
// diagnosis can say "signed with a secret that expired".
func (r *Route) ExpiredScheme() (verify.Scheme, []KeyLife) {
	if r.lives == nil || r.lives.dead == nil {
		return nil, nil
	}
	var lives []KeyLife
	for _, l := range r.lives.lives {
		if slices.Contains(r.lives.deadIDs, l.ID) {
			lives = append(lives, l)
		}
	}
	return r.lives.dead, lives
}

// rebuild builds the schemes of the secrets live and not live at now.
func (kl *keyLives) rebuild(r *Route, now time.Time) {
	var live, dead []verify.Key
	kl.from, kl.until = time.Time{}, time.Unix(1<<62, 0)
	for i, l := range kl.lives {
		if l.live(now) {
			live = append(live, kl.keys[i])
		} else {
			dead = append(dead, kl.keys[i])
		}
		for _, edge := range []time.Time{l.NotBefore, l.NotAfter} {
			switch {
			case edge.IsZero():
			case !now.Before(edge) && edge.After(kl.from):
				kl.from = edge
			case now.Before(edge) && edge.Before(kl.until):
				kl.until = edge
			}
		}
	}
	kl.built, kl.live, kl.deadIDs, kl.dead = true, idsOf(live), idsOf(dead), nil
	if len(live) > 0 {
		if s, err := kl.build(live); err == nil { // built once at parse: cannot fail now
			r.Scheme = s
		}
	}
	if len(dead) > 0 {
		kl.dead, _ = kl.build(dead)
	}
}

func idsOf(keys []verify.Key) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}
