package verify

import (
	"fmt"
	"strings"
)

// The signature header's parsers, one per Format: each finds a request's
// signatures and, for KeyValue, the timestamp inside the header.

// errNoEntryOfVersion means a signature header listed entries, none of
// the scheme's version (a v1a-only list, for a v1 route).
var errNoEntryOfVersion = fmt.Errorf("%w: no entry of the expected version", ErrMalformedSignature)

// sigStore is room for a request's usual one or two signatures, inside its
// check.
type sigStore struct {
	bytes [2][maxSignatureSize]byte
	list  [2][]byte
	used  int
}

// decode decodes one signature into the store while it has room.
func (st *sigStore) decode(e Encoding, v string, size int) ([]byte, bool) {
	if st == nil || st.used == len(st.bytes) {
		return e.decode(v, size)
	}
	st.used++
	return e.decodeInto(st.bytes[st.used-1][:0], v, size)
}

// signatures finds the request's signatures and, for KeyValue, the
// timestamp inside the header. st, when not nil, holds the decoded
// signatures.
func (c *compiledHMAC) signatures(req *Request, st *sigStore) (sigs [][]byte, ts string, err error) {
	if st != nil {
		sigs = st.list[:0]
	}
	if c.EverySignatureHeader {
		sigs, err = c.everySignatureHeader(req, st, sigs)
		return sigs, "", err
	}
	value, err := c.signatureHeader(req)
	if err != nil {
		return nil, "", err
	}
	switch c.SignatureFormat {
	case Plain:
		sigs, err = c.parsePlain(value, st, sigs)
	case Positional:
		sigs, ts, err = c.parsePositional(value, st, sigs)
	case KeyValue:
		sigs, ts, err = c.parseKeyValue(value, st, sigs)
	case List:
		sigs, err = c.parseList(value, st, sigs)
	}
	if err != nil {
		return nil, "", err
	}
	if len(sigs) == 0 {
		return nil, "", errNoEntryOfVersion
	}
	if len(sigs) > maxSignatures {
		return nil, "", ErrMalformedSignature
	}
	return sigs, ts, nil
}

// signatureHeader returns the value of the one signature header present.
func (c *compiledHMAC) signatureHeader(req *Request) (string, error) {
	var value string
	n := 0
	for _, name := range c.SignatureHeaders {
		v, k := req.Single(name)
		if k > 0 && n == 0 {
			value = v
		}
		n += k
	}
	if n == 0 || strings.TrimSpace(value) == "" {
		return "", ErrMissingSignature
	}
	if n > 1 {
		// Two signature headers are ambiguous: which did the sender mean,
		// and which would a parser behind us see? Refuse both.
		return "", ErrMalformedSignature
	}
	return value, nil
}

// everySignatureHeader reads the signature of each signature header
// present (EverySignatureHeader); a header present twice is ambiguous.
func (c *compiledHMAC) everySignatureHeader(req *Request, st *sigStore, sigs [][]byte) ([][]byte, error) {
	for _, name := range c.SignatureHeaders {
		v, n := req.Single(name)
		switch {
		case n == 0:
			continue
		case n > 1:
			return nil, ErrMalformedSignature
		}
		var err error
		if sigs, err = c.parsePlain(v, st, sigs); err != nil {
			return nil, err
		}
	}
	switch {
	case len(sigs) == 0:
		return nil, ErrMissingSignature
	case len(sigs) > maxSignatures:
		return nil, ErrMalformedSignature
	}
	return sigs, nil
}

// parsePositional reads "<ts>,<sig>[,<sig>]…" (Positional).
func (c *compiledHMAC) parsePositional(value string, st *sigStore, sigs [][]byte) (_ [][]byte, ts string, _ error) {
	first := true
	for field := range strings.FieldsFuncSeq(value, func(r rune) bool { return strings.ContainsRune(c.Separators, r) }) {
		field = strings.TrimSpace(field)
		if first {
			ts, first = field, false
			continue
		}
		sig, ok := st.decode(c.Encoding, field, c.size)
		if !ok {
			return nil, "", ErrMalformedSignature
		}
		sigs = append(sigs, sig)
	}
	if ts == "" {
		return nil, "", ErrMissingTimestamp
	}
	return sigs, ts, nil
}

// parsePlain reads one signature after the prefix: "sha256=<hex>".
func (c *compiledHMAC) parsePlain(value string, st *sigStore, sigs [][]byte) ([][]byte, error) {
	if len(value) < len(c.SignaturePrefix) || !strings.EqualFold(value[:len(c.SignaturePrefix)], c.SignaturePrefix) {
		return nil, ErrMalformedSignature
	}
	sig, ok := st.decode(c.Encoding, value[len(c.SignaturePrefix):], c.size)
	if !ok {
		return nil, ErrMalformedSignature
	}
	return append(sigs, sig), nil
}

// parseKeyValue reads "t=<ts>,v1=<sig>[,v1=<sig>]…": the pairs with the
// signature key, and exactly one timestamp when the scheme has a
// timestamp key. Other keys are ignored.
func (c *compiledHMAC) parseKeyValue(value string, st *sigStore, sigs [][]byte) (_ [][]byte, ts string, _ error) {
	tsSeen := 0
	for pair := range strings.FieldsFuncSeq(value, func(r rune) bool { return strings.ContainsRune(c.Separators, r) }) {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			return nil, "", ErrMalformedSignature
		}
		switch k {
		case c.TimestampKey:
			ts = v
			tsSeen++
		case c.SignatureKey:
			sig, ok := st.decode(c.Encoding, v, c.size)
			if !ok {
				return nil, "", ErrMalformedSignature
			}
			sigs = append(sigs, sig)
		}
	}
	if c.TimestampKey != "" && tsSeen != 1 {
		if tsSeen == 0 {
			return nil, "", ErrMissingTimestamp
		}
		return nil, "", ErrMalformedTimestamp
	}
	return sigs, ts, nil
}

// parseList reads space-separated "<version><sep><sig>" entries, keeping
// the scheme's version's.
func (c *compiledHMAC) parseList(value string, st *sigStore, sigs [][]byte) ([][]byte, error) {
	for entry := range strings.FieldsSeq(value) {
		version, v, ok := strings.Cut(entry, c.VersionSeparator)
		if !ok {
			return nil, ErrMalformedSignature
		}
		if version != c.SignatureKey {
			continue // another scheme's entry: v1a, v2 …
		}
		sig, ok := st.decode(c.Encoding, v, c.size)
		if !ok {
			return nil, ErrMalformedSignature
		}
		sigs = append(sigs, sig)
	}
	return sigs, nil
}
