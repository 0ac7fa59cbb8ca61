package verify

import (
	"errors"
	"sync"
)

// A diagnosis: a request error may carry a hint for the operator — what
// the request got wrong, in terms that help (the timestamp's skew against
// the tolerance, a signature's decoded length against the MAC's) and that
// reveal nothing secret: never a secret, an expected MAC, a signature or
// body bytes. The plugin logs it with the rejection, never in the
// response, whose shape stays uniform.

// hinted is an error with a hint; errors.Is sees through it.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

// WithHint returns err with hint attached (err itself if hint is empty).
func WithHint(err error, hint string) error {
	if err == nil || hint == "" {
		return err
	}
	return &hinted{err: err, hint: hint}
}

// Hint returns the hint err carries, or "".
func Hint(err error) string {
	var h *hinted
	if errors.As(err, &h) {
		return h.hint
	}
	return ""
}

// presetHeaders maps each preset's signature headers to the preset.
var presetHeaders = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, p := range presets {
		info, _ := LookupPreset(p.Name)
		for _, h := range info.SignatureHeaders {
			if h != "authorization" && m[h] == "" {
				m[h] = p.Name
			}
		}
	}
	return m
})

// OtherPresetHint, for a request refused for a missing signature, names a
// header of another preset the request carries: the route's scheme may be
// the wrong one. "" when there is none.
func OtherPresetHint(req *Request, scheme string) string {
	index := presetHeaders()
	for _, f := range req.Header {
		if p, ok := index[f.Name]; ok && p != scheme {
			return "the request has " + f.Name + ", " + p + "'s signature header: is the route's scheme (" + scheme + ") right?"
		}
	}
	return ""
}
