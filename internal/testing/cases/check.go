package cases

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/hookguard/hookguard/filter/reason"
)

// Outcome is what became of a case in some runner.
type Outcome struct {
	// Status is the status the client saw: 200 when let through.
	Status int
	// Upstream reports the request reached the upstream.
	Upstream bool
	// Body is what the upstream received, or the rejection's body.
	Body []byte
	// Values returns the values of a header the upstream received (or
	// of the rejection's headers).
	Values func(name string) []string
}

// Check returns why o is not what c expects, or nil.
func (c Case) Check(o Outcome) error {
	if c.WantAnswer != nil {
		var got, want any
		if o.Status != 200 || o.Upstream || json.Unmarshal(o.Body, &got) != nil || json.Unmarshal(c.WantAnswer, &want) != nil || !reflect.DeepEqual(got, want) {
			return fmt.Errorf("got status %d upstream %v body %q, want the filter's answer %s", o.Status, o.Upstream, o.Body, c.WantAnswer)
		}
		return nil
	}
	if c.WantAnswerText != "" {
		if o.Status != 200 || o.Upstream || string(o.Body) != c.WantAnswerText {
			return fmt.Errorf("got status %d upstream %v body %q, want the filter's answer %q", o.Status, o.Upstream, o.Body, c.WantAnswerText)
		}
		return nil
	}
	if o.Status != c.WantStatus || o.Upstream != c.Upstream() {
		return fmt.Errorf("got status %d upstream %v, want %d upstream %v", o.Status, o.Upstream, c.WantStatus, c.Upstream())
	}
	if !o.Upstream {
		if want := reason.Body(o.Status) + "\n"; string(o.Body) != want {
			return fmt.Errorf("%d body = %q, want %q", o.Status, o.Body, want)
		}
		if has := len(o.Values("www-authenticate")) > 0; has != c.WantAuthenticate {
			return fmt.Errorf("WWW-Authenticate present = %v, want %v", has, c.WantAuthenticate)
		}
		return nil
	}
	if !bytes.Equal(o.Body, c.Body) {
		return fmt.Errorf("upstream got %d body bytes, want the %d sent, unchanged", len(o.Body), len(c.Body))
	}
	if got := o.Values("x-hookguard-verified"); c.CheckVerified && (c.WantVerified == "" && len(got) != 0 || c.WantVerified != "" && (len(got) != 1 || got[0] != c.WantVerified)) {
		return fmt.Errorf("upstream saw X-Hookguard-Verified %q, want %q", got, c.WantVerified)
	}
	for name, want := range c.WantUpstream {
		if got := o.Values(name); len(got) != 1 || got[0] != want {
			return fmt.Errorf("upstream saw %s %q, want %q", name, got, want)
		}
	}
	for _, name := range c.WantGone {
		if len(o.Values(name)) > 0 {
			return fmt.Errorf("%s reached the upstream", name)
		}
	}
	return nil
}
