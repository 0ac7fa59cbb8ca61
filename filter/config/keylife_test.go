package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/config"
)

// TestSecretLivesParse: not_before and not_after are RFC 3339 times, in
// order; a route with them verifies only with the secrets live at the
// request's time (SchemeAt), and says when none is.
func TestSecretLivesParse(t *testing.T) {
	env := func(string) (string, bool) { return "a-secret-of-thirty-two-characters!!", true }
	for _, bad := range []string{
		`"not_after":"tomorrow"`, `"not_before":"2026-13-01T00:00:00Z"`, `"not_after":1700000000`,
		`"not_before":"2026-12-02T00:00:00Z","not_after":"2026-12-01T00:00:00Z"`,
		`"not_before":"2026-12-01T00:00:00Z","not_after":"2026-12-01T00:00:00Z"`,
	} {
		cfg := `{"routes":[{"name":"r","scheme":"github","secrets":[{"id":"a","env":"A",` + bad + `}]}]}`
		if _, _, err := config.Parse([]byte(cfg), env); err == nil || (!errors.Is(err, config.ErrInvalidRoute) && !strings.Contains(err.Error(), "not_")) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	cfg := `{"routes":[{"name":"r","scheme":"github","secrets":[{"id":"a","env":"A","not_after":"2026-12-01T00:00:00Z"},{"id":"b","env":"A","not_before":"2026-12-01T00:00:00Z","not_after":"2027-01-01T00:00:00Z"}]}]}`
	c, _, err := config.Parse([]byte(cfg), env)
	if err != nil {
		t.Fatal(err)
	}
	rt := &c.Routes[0]
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for _, step := range []struct {
		at      string
		live    bool
		expired int
	}{
		{"2026-11-30T00:00:00Z", true, 1}, {"2026-12-01T00:00:00Z", true, 1}, {"2027-01-01T00:00:00Z", false, 2}, {"2026-11-01T00:00:00Z", true, 1},
	} {
		_, live := rt.SchemeAt(at(step.at))
		_, lives := rt.ExpiredScheme()
		if live != step.live || len(lives) != step.expired {
			t.Errorf("at %s: live %v with %d out of life, want %v and %d", step.at, live, len(lives), step.live, step.expired)
		}
	}
}
