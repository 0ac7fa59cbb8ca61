package verify

import (
	"errors"
	"time"
)

// Schemes made of several of the generic model's: a preset that reads
// another header set when its own is absent (firstPresent), and one whose
// signature list holds entries of several versions (eitherVersion).

// firstPresent verifies with the first scheme whose signature header the
// request carries (GitHub's SHA-256 before SHA-1; Svix's headers before
// Standard Webhooks').
type firstPresent []*compiledHMAC

func (f firstPresent) Begin(req *Request, now time.Time) (Check, error) {
	for _, s := range f {
		for _, name := range s.SignatureHeaders {
			if _, n := req.Single(name); n > 0 {
				return s.Begin(req, now)
			}
		}
	}
	return nil, ErrMissingSignature
}

// eitherVersion verifies with each scheme whose entries the signature
// header lists (Standard Webhooks' v1 and v1a): the request passes if any
// of them verifies.
type eitherVersion []*compiledHMAC

func (e eitherVersion) Begin(req *Request, now time.Time) (Check, error) {
	var first Check
	var checks eitherCheck // only when two versions have entries
	for _, s := range e {
		c, err := s.Begin(req, now)
		if errors.Is(err, errNoEntryOfVersion) {
			continue
		}
		if err != nil {
			if checks != nil {
				checks.Release() // first among them
			} else if first != nil {
				first.Release()
			}
			return nil, err // the same headers fail every version alike
		}
		switch {
		case first == nil:
			first = c
		case checks == nil:
			checks = eitherCheck{first, c}
		default:
			checks = append(checks, c)
		}
	}
	switch {
	case first == nil:
		return nil, ErrMalformedSignature
	case checks == nil:
		return first, nil // one version signed: its check, not a list of one
	}
	return checks, nil
}

type eitherCheck []Check

func (e eitherCheck) NeedsBody() bool { return true }

func (e eitherCheck) Release() {
	for _, c := range e {
		c.Release()
	}
}

func (e eitherCheck) Write(p []byte) (int, error) {
	for _, c := range e {
		if _, err := c.Write(p); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (e eitherCheck) Verify() (string, error) {
	var first error
	for _, c := range e {
		id, err := c.Verify()
		if err == nil {
			return id, nil
		}
		if first == nil {
			first = err
		}
	}
	return "", first
}

// wants implements identifier: what any of the versions wants.
func (e eitherCheck) wants() (digest bool, field string) {
	for _, c := range e {
		if i, ok := c.(identifier); ok {
			d, f := i.wants()
			digest = digest || d
			if field == "" {
				field = f
			}
		}
	}
	return digest, field
}

// identity implements identifier: the identity of the version that
// verified.
func (e eitherCheck) identity(body *[32]byte, eventID []byte) (Identity, bool) {
	for _, c := range e {
		if i, ok := c.(identifier); ok {
			if id, ok := i.identity(body, eventID); ok {
				return id, true
			}
		}
	}
	return Identity{}, false
}
