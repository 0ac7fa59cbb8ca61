package capture

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// jsonRequest is the JSON form: headers as an object (a value or a list
// of values per name) or a list of [name, value] pairs.
type jsonRequest struct {
	Method     string          `json:"method"`
	URL        string          `json:"url"`
	Path       string          `json:"path"`
	Headers    json.RawMessage `json:"headers"`
	Body       *string         `json:"body"`
	BodyBase64 *string         `json:"body_base64"`
}

// parseJSON reads the JSON form.
func parseJSON(data []byte) (*Request, error) {
	var jr jsonRequest
	if err := decodeStrict(data, &jr); err != nil {
		return nil, fmt.Errorf("%w: json: %s", ErrMalformed, err)
	}
	r := &Request{Method: jr.Method}
	if r.Method == "" {
		r.Method = "POST"
	}
	switch {
	case jr.URL != "" && jr.Path != "":
		return nil, fmt.Errorf(`%w: json: set only one of "url" and "path"`, ErrMalformed)
	case jr.URL != "":
		if err := r.fromURL(`json: "url"`, jr.URL); err != nil {
			return nil, err
		}
	default:
		if err := r.fromURL(`json: "path"`, jr.Path); err != nil {
			return nil, fmt.Errorf(`%w (or set "url")`, err)
		}
	}
	if err := r.jsonHeaders(jr.Headers); err != nil {
		return nil, err
	}
	body, err := jsonBody(jr.Body, jr.BodyBase64)
	if err != nil {
		return nil, err
	}
	r.Body = body
	return r, nil
}

// decodeStrict decodes one JSON value, naming where it is wrong by
// offset or field, never quoting the input.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(v)
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		if dec.More() {
			return fmt.Errorf("data after the object at byte %d", dec.InputOffset())
		}
		return nil
	case errors.As(err, &syntax):
		return fmt.Errorf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Errorf("field %q must be a %s, got %s", typ.Field, typ.Type, typ.Value)
	}
	return fmt.Errorf("invalid JSON (ends early after %d bytes)", dec.InputOffset())
}

// jsonHeaders reads headers as {name: value | [values]} or [[name, value]].
func (r *Request) jsonHeaders(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	if raw[0] == '[' {
		var pairs [][]string
		if err := json.Unmarshal(raw, &pairs); err != nil {
			return fmt.Errorf(`%w: json: "headers" as a list must hold [name, value] pairs of strings`, ErrMalformed)
		}
		for i, p := range pairs {
			if len(p) != 2 {
				return fmt.Errorf(`%w: json: "headers"[%d] has %d items, want [name, value]`, ErrMalformed, i, len(p))
			}
			if err := r.addHeader(p[0], p[1]); err != nil {
				return err
			}
		}
		return nil
	}
	return r.jsonHeaderObject(raw)
}

// jsonHeaderObject reads {name: value | [values]}, keeping the order of
// the names as written.
func (r *Request) jsonHeaderObject(raw json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf(`%w: json: "headers" must be an object or a list of [name, value] pairs`, ErrMalformed)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf(`%w: json: "headers": invalid JSON at byte %d`, ErrMalformed, dec.InputOffset())
		}
		name := tok.(string) // an object's keys are strings
		var value any
		if err := dec.Decode(&value); err != nil {
			return fmt.Errorf(`%w: json: "headers"[%q]: invalid JSON`, ErrMalformed, name)
		}
		values, ok := stringValues(value)
		if !ok {
			return fmt.Errorf(`%w: json: "headers"[%q] must be a string or a list of strings`, ErrMalformed, name)
		}
		for _, v := range values {
			if err := r.addHeader(name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func stringValues(v any) ([]string, bool) {
	switch v := v.(type) {
	case string:
		return []string{v}, true
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// jsonBody is "body" as text or "body_base64" decoded; at most one.
func jsonBody(text, b64 *string) ([]byte, error) {
	switch {
	case text != nil && b64 != nil:
		return nil, fmt.Errorf(`%w: json: set only one of "body" and "body_base64"`, ErrMalformed)
	case b64 != nil:
		return decodeBase64(`json: "body_base64"`, *b64)
	case text != nil:
		return []byte(*text), nil
	}
	return nil, nil
}

// decodeBase64 decodes standard base64, padded or not, naming field and
// the offset of the first bad byte.
func decodeBase64(field, s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err2 := base64.RawStdEncoding.DecodeString(s); err2 == nil {
			return b, nil
		}
		var at base64.CorruptInputError
		if errors.As(err, &at) {
			return nil, fmt.Errorf("%w: %s is not base64 (at byte %d)", ErrMalformed, field, int64(at))
		}
		return nil, fmt.Errorf("%w: %s is not base64", ErrMalformed, field)
	}
	return b, nil
}
