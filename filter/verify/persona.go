package verify

import (
	"errors"
	"strings"
	"time"
)

// KindPersona is Persona's webhooks: Persona-Signature is one group
// "t=<unix seconds>,v1=<hex>", the HMAC-SHA256 of "{t}.{body}" (the
// preset's HMAC, in the generic model), or, while a webhook's secret
// rotates, two such groups separated by a space, each with its own
// timestamp. A request verifies if any group whose timestamp is within the
// tolerance verifies under any key.
const KindPersona PresetKind = "persona"

// maxPersonaGroups bounds the groups of one header: Persona sends two
// during a rotation. Each group has its own timestamp, so its own MAC per
// key over the whole body: a long list would multiply the work.
const maxPersonaGroups = 2

func init() {
	kindBuilders[KindPersona] = newPersona
}

// persona verifies Persona's signature groups (KindPersona), each with the
// generic model's check of one group.
type persona struct {
	group *compiledHMAC
}

func newPersona(p PresetInfo, o Options) (Scheme, error) {
	h := p.HMAC
	if h.SignatureFormat != KeyValue || len(h.SignatureHeaders) != 1 || h.TimestampKey == "" || h.Tolerance <= 0 {
		return nil, errorf(ErrInvalidScheme, "%s: a group is a KeyValue header with a timestamp key and a tolerance", p.Name)
	}
	group, err := p.compile(h, o.Keys, o)
	if err != nil {
		return nil, err
	}
	return &persona{group: group}, nil
}

func (s *persona) Begin(req *Request, now time.Time) (Check, error) {
	name := s.group.SignatureHeaders[0]
	value, n := req.Single(name)
	switch {
	case n == 0 || strings.TrimSpace(value) == "":
		return nil, ErrMissingSignature
	case n > 1:
		return nil, ErrMalformedSignature
	}
	groups := strings.Fields(value)
	if len(groups) > maxPersonaGroups {
		return nil, ErrMalformedSignature
	}
	var checks eitherCheck
	for _, g := range groups {
		// The group alone, as the header of a request of its own: the
		// generic check reads its signatures and checks its timestamp.
		one := &Request{Method: req.Method, Scheme: req.Scheme, Authority: req.Authority, Path: req.Path,
			Header: []Field{{Name: name, Value: g}}}
		c, err := s.group.Begin(one, now)
		if errors.Is(err, ErrTimestampOutOfTolerance) {
			continue // this group cannot verify; another may
		}
		if err != nil {
			// A malformed group fails the request, whatever the others.
			checks.Release()
			return nil, err
		}
		checks = append(checks, c)
	}
	switch len(checks) {
	case 0:
		return nil, ErrTimestampOutOfTolerance
	case 1:
		return checks[0], nil
	}
	return checks, nil
}

// signPersona signs as Persona does outside a rotation: one group at now.
func signPersona(info PresetInfo, secret string, req *Request, body []byte, now time.Time) ([]Field, []byte, error) {
	hdr, err := signHMAC(info, secret, req, body, now)
	return hdr, body, err
}
