package verify

// eventIDScanner finds a field at the top level of a JSON object as the
// body streams by, holding nothing but the field's value: a string's
// content (as written, escapes and all) or a number's digits, at most
// maxEventID bytes. The body is the sender's signed bytes, so the scan
// needs only to be right for valid JSON and bounded for anything else: a
// body that is not an object, a value that is an object or array or too
// long, or a field never seen leaves value nil, and the caller falls back
// to the signed content. It stops looking at the first match, so Stripe's
// "id", which opens every event, costs a few bytes of scanning.
//
// Why a scan as the body streams rather than a parse within the body cap:
// nothing is buffered for it (a route without a handshake keeps no body),
// a match at the front ends the work, and it runs on bytes the check
// already has in hand.
type eventIDScanner struct {
	field string
	state scanState
	depth int  // nesting: 1 inside the top-level object
	esc   bool // the last byte in a string was a backslash
	long  bool // the key outgrew buf: it is not the field
	key   []byte
	val   []byte
	buf   [maxEventID]byte
}

// maxEventID bounds an event id; a longer value is not used.
const maxEventID = 128

type scanState uint8

const (
	scanStart   scanState = iota // before the top-level '{'
	scanKeyNext                  // at depth 1, where a key may start
	scanKey                      // in a top-level key
	scanColon                    // after a top-level key
	scanValue                    // before a top-level value
	scanSkip                     // in a value that is not the field's
	scanString                   // in the field's string value
	scanNumber                   // in the field's number value
	scanDone                     // found, or given up
)

func (s *eventIDScanner) reset(field string) {
	*s = eventIDScanner{field: field}
	if field == "" {
		s.state = scanDone
	}
}

// value is the field's value once the body ended, or nil.
func (s *eventIDScanner) value() []byte {
	if s.state != scanDone {
		return nil
	}
	return s.val
}

func (s *eventIDScanner) write(p []byte) {
	for _, c := range p {
		if s.state == scanDone {
			return
		}
		s.step(c)
	}
}

// giveUp ends the scan without a value.
func (s *eventIDScanner) giveUp() { s.state, s.val = scanDone, nil }

func (s *eventIDScanner) step(c byte) {
	switch s.state {
	case scanStart:
		switch {
		case c == '{':
			s.state, s.depth = scanKeyNext, 1
		case !isSpace(c):
			s.giveUp()
		}
	case scanKeyNext:
		switch {
		case c == '"':
			s.state, s.key, s.long = scanKey, s.buf[:0], false
		case c == ',' || isSpace(c):
		default: // '}' closes the object without the field
			s.giveUp()
		}
	case scanKey:
		if s.stringEnds(c) {
			s.state = scanColon
			return
		}
		s.key, s.long = appendBounded(s.key, c, s.long)
	case scanColon:
		if c == ':' {
			s.state = scanValue
		} else if !isSpace(c) {
			s.giveUp()
		}
	case scanValue:
		s.startValue(c)
	case scanSkip:
		s.skip(c)
	case scanString:
		if s.stringEnds(c) {
			s.state = scanDone
			return
		}
		s.appendValue(c)
	case scanNumber:
		if isNumberByte(c) {
			s.appendValue(c)
			return
		}
		s.state = scanDone
	}
}

// stringEnds follows a string's escapes and reports whether c closes it.
func (s *eventIDScanner) stringEnds(c byte) bool {
	switch {
	case s.esc:
		s.esc = false
	case c == '\\':
		s.esc = true
	case c == '"':
		return true
	}
	return false
}

// startValue begins a top-level value: the field's, when the key was it.
func (s *eventIDScanner) startValue(c byte) {
	if isSpace(c) {
		return
	}
	if !s.long && string(s.key) == s.field {
		switch {
		case c == '"':
			s.state, s.val = scanString, s.buf[:0]
		case c == '-' || c >= '0' && c <= '9':
			s.state, s.val = scanNumber, append(s.buf[:0], c)
		default:
			s.giveUp() // an object, array, true, false or null names no event
		}
		return
	}
	s.state = scanSkip
	s.skip(c)
}

// skip passes over a value that is not the field's, back to depth 1.
func (s *eventIDScanner) skip(c byte) {
	if s.depth < 0 { // in a string: its depth is negated
		if s.stringEnds(c) {
			s.depth = -s.depth
		}
		return
	}
	switch {
	case c == '"':
		s.depth = -s.depth
	case c == '{' || c == '[':
		s.depth++
	case c == '}' || c == ']':
		s.depth--
		if s.depth == 0 { // the top-level object closed
			s.giveUp()
		}
	case c == ',' && s.depth == 1:
		s.state = scanKeyNext
	}
}

// appendValue adds c to the field's value; a value too long for buf
// names no event.
func (s *eventIDScanner) appendValue(c byte) {
	var long bool
	if s.val, long = appendBounded(s.val, c, false); long {
		s.giveUp()
	}
}

// appendBounded appends c while b has room in its array, and reports
// whether it ever had none.
func appendBounded(b []byte, c byte, long bool) ([]byte, bool) {
	if len(b) < cap(b) {
		return append(b, c), long
	}
	return b, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}
