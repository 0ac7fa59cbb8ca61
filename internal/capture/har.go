package capture

import (
	"encoding/json"
	"fmt"
)

// harFile is what a HAR file holds that a request needs
// (http://www.softwareishard.com/blog/har-12-spec/).
type harFile struct {
	Log *struct {
		Entries []struct {
			Request *harRequest `json:"request"`
		} `json:"entries"`
	} `json:"log"`
}

type harRequest struct {
	Method  string `json:"method"`
	URL     string `json:"url"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
	PostData *struct {
		Text     string `json:"text"`
		Encoding string `json:"encoding"`
	} `json:"postData"`
}

// isHAR reports whether the JSON object t has a top-level "log".
func isHAR(t []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(t, &top) != nil {
		return false
	}
	_, ok := top["log"]
	return ok
}

// parseHAR reads the request of the entry-th entry of a HAR file.
func parseHAR(data []byte, entry int) (*Request, error) {
	var f harFile
	if err := decodeStrict(data, &f); err != nil {
		return nil, fmt.Errorf("%w: har: %s", ErrMalformed, err)
	}
	switch {
	case f.Log == nil:
		return nil, fmt.Errorf(`%w: har: no "log" object`, ErrMalformed)
	case len(f.Log.Entries) == 0:
		return nil, fmt.Errorf(`%w: har: "log.entries" is empty`, ErrMalformed)
	case entry < 0 || entry >= len(f.Log.Entries):
		return nil, fmt.Errorf("%w: har: entry %d: the file has %d entries (0 to %d)", ErrMalformed, entry, len(f.Log.Entries), len(f.Log.Entries)-1)
	}
	hr := f.Log.Entries[entry].Request
	field := fmt.Sprintf("har: entries[%d].request", entry)
	if hr == nil {
		return nil, fmt.Errorf("%w: %s is missing", ErrMalformed, field)
	}
	if hr.Method == "" {
		return nil, fmt.Errorf("%w: %s.method is empty", ErrMalformed, field)
	}
	r := &Request{Method: hr.Method}
	if err := r.fromURL(field+".url", hr.URL); err != nil {
		return nil, err
	}
	for _, h := range hr.Headers {
		if err := r.addHeader(h.Name, h.Value); err != nil {
			return nil, fmt.Errorf("%w (%s.headers)", err, field)
		}
	}
	return r, r.harBody(field, hr)
}

// harBody sets the body from postData.text, decoded when its encoding is
// "base64".
func (r *Request) harBody(field string, hr *harRequest) error {
	if hr.PostData == nil {
		return nil
	}
	switch hr.PostData.Encoding {
	case "":
		r.Body = []byte(hr.PostData.Text)
	case "base64":
		b, err := decodeBase64(field+".postData.text", hr.PostData.Text)
		if err != nil {
			return err
		}
		r.Body = b
	default:
		return fmt.Errorf(`%w: %s.postData.encoding must be "base64" or absent`, ErrMalformed, field)
	}
	return nil
}
