package capture

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const sig = "v1,c2lnbmF0dXJlLXZhbHVl" // stands for a signature: never in an error

// wantRequest is the request every valid case below captures.
var wantRequest = &Request{
	Method: "POST", Scheme: "http", Authority: "hooks.example:8080", Path: "/hooks/stripe?x=1",
	Header: []Field{{"Content-Type", "application/json"}, {"Stripe-Signature", sig}},
	Body:   []byte(`{"id":"evt_1"}`),
}

func TestParseValid(t *testing.T) {
	rawCRLF := "POST /hooks/stripe?x=1 HTTP/1.1\r\nHost: hooks.example:8080\r\nStripe-Signature: " + sig +
		"\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"id\":\"evt_1\"}"
	rawLF := strings.ReplaceAll(rawCRLF, "\r\n", "\n")
	chunked := "POST /hooks/stripe?x=1 HTTP/1.1\r\nHost: hooks.example:8080\r\nContent-Type: application/json\r\nStripe-Signature: " + sig +
		"\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n{\"id\":\r\n8\r\n\"evt_1\"}\r\n0\r\n\r\n"
	tests := []struct {
		name, format, data string
		entry              int
	}{
		{"raw CRLF", "", rawCRLF, 0},
		{"raw bare LF", "", rawLF, 0},
		{"raw chunked", Raw, chunked, 0},
		{"raw absolute-form target", "", strings.Replace(rawCRLF, "POST /hooks", "POST http://hooks.example:8080/hooks", 1), 0},
		{"json header object", "", `{"method":"POST","url":"http://hooks.example:8080/hooks/stripe?x=1","headers":{"Content-Type":"application/json","Stripe-Signature":["` + sig + `"]},"body":"{\"id\":\"evt_1\"}"}`, 0},
		{"json header pairs, path, base64", JSON, `{"path":"/hooks/stripe?x=1","headers":[["Host","hooks.example:8080"],["Content-Type","application/json"],["Stripe-Signature","` + sig + `"]],"body_base64":"eyJpZCI6ImV2dF8xIn0="}`, 0},
		{"har first entry", "", harOf(`{"text":"{\"id\":\"evt_1\"}"}`), 0},
		{"har second entry, base64", HAR, `{"log":{"entries":[{"request":{"method":"GET","url":"http://x/"}},` + harEntry(`{"text":"eyJpZCI6ImV2dF8xIn0=","encoding":"base64"}`) + `]}}`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEntry([]byte(tc.data), tc.format, tc.entry)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, wantRequest) {
				t.Fatalf("got  %+v\nwant %+v", got, wantRequest)
			}
		})
	}
}

func harEntry(postData string) string {
	return `{"request":{"method":"POST","url":"http://hooks.example:8080/hooks/stripe?x=1","headers":[{"name":":authority","value":"hooks.example:8080"},` +
		`{"name":"Content-Type","value":"application/json"},{"name":"Stripe-Signature","value":"` + sig + `"}],"postData":` + postData + `}}`
}

func harOf(postData string) string {
	return `{"log":{"version":"1.2","entries":[` + harEntry(postData) + `]}}`
}

func TestParseMalformed(t *testing.T) {
	head := "POST /hooks HTTP/1.1\r\nHost: h\r\nX-Sig: " + sig + "\r\n"
	tests := []struct {
		name, format, data string
		want               error
		wantInErr          string
	}{
		{"empty", "", "  \n", ErrUnknownFormat, "empty"},
		{"binary", "", "\x00\x01\x02", ErrUnknownFormat, "--format"},
		{"unknown format name", "pcap", "GET / HTTP/1.1\r\n\r\n", ErrUnknownFormat, `"pcap"`},
		{"raw truncated headers", "", head, ErrMalformed, "no blank line"},
		{"raw header without colon", "", head + "broken header line\r\n\r\n", ErrMalformed, "line 4"},
		{"raw header line quoting a signature", "", head + sig + "\r\n\r\n", ErrMalformed, "malformed MIME header"},
		{"raw request line", "", "POST " + sig + "\r\n\r\n", ErrMalformed, "line 1"},
		{"raw bad Content-Length", "", head + "Content-Length: ten\r\n\r\n0123456789", ErrMalformed, "Content-Length"},
		{"raw body shorter than declared", "", head + "Content-Length: 20\r\n\r\n0123456789", ErrMalformed, "10 of Content-Length 20"},
		{"raw bad chunk", "", head + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", ErrMalformed, "chunked"},
		{"raw data after body", "", head + "Content-Length: 2\r\n\r\nabEXTRA", ErrMalformed, "after the request's body"},
		{"json invalid", "", `{"url": "http://x/", "headers": {"X-Sig": "` + sig + `"`, ErrMalformed, "ends early"},
		{"json syntax", "", `{"url": "http://x/" "body": 1}`, ErrMalformed, "byte"},
		{"json wrong type", "", `{"url": 5}`, ErrMalformed, `"url"`},
		{"json no url", "", `{"headers": {}}`, ErrMalformed, `"path" is empty`},
		{"json url and path", "", `{"url":"http://x/","path":"/"}`, ErrMalformed, "only one"},
		{"json relative url", "", `{"url":"hooks/x"}`, ErrMalformed, "neither"},
		{"json header value not a string", "", `{"path":"/","headers":{"X-Sig":5}}`, ErrMalformed, `"X-Sig"`},
		{"json header pair of three", "", `{"path":"/","headers":[["a","b","c"]]}`, ErrMalformed, "3 items"},
		{"json bad base64", "", `{"path":"/","body_base64":"` + sig + `"}`, ErrMalformed, "not base64"},
		{"json both bodies", "", `{"path":"/","body":"a","body_base64":"YQ=="}`, ErrMalformed, "only one"},
		{"har without entries", "", `{"log":{"entries":[]}}`, ErrMalformed, "empty"},
		{"har log not an object", HAR, `{"log":5}`, ErrMalformed, `"log"`},
		{"har no log", HAR, `{"entries":[]}`, ErrMalformed, `no "log"`},
		{"har bad base64", "", harOf(`{"text":"` + sig + `!","encoding":"base64"}`), ErrMalformed, "postData.text is not base64"},
		{"har unknown encoding", "", harOf(`{"text":"x","encoding":"gzip"}`), ErrMalformed, "postData.encoding"},
		{"har no method", "", `{"log":{"entries":[{"request":{"url":"http://x/"}}]}}`, ErrMalformed, "method is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data), tc.format)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Fatalf("error %q does not say %q", err, tc.wantInErr)
			}
			if strings.Contains(err.Error(), sig) {
				t.Fatalf("error %q quotes the signature", err)
			}
		})
	}
}

func TestEntryOutOfRange(t *testing.T) {
	for _, entry := range []int{-1, 1} {
		if _, err := ParseEntry([]byte(harOf(`{"text":""}`)), "", entry); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "1 entries") {
			t.Fatalf("entry %d: %v", entry, err)
		}
	}
	if _, err := ParseEntry([]byte(`{"path":"/"}`), "", 1); !errors.Is(err, ErrMalformed) {
		t.Fatalf("entry 1 of a JSON request: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\na"), "")
	f.Add([]byte("POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n1\na\n0\n\n"), "raw")
	f.Add([]byte(`{"path":"/","headers":[["a","b"]],"body_base64":"YQ=="}`), "json")
	f.Add([]byte(harOf(`{"text":"YQ==","encoding":"base64"}`)), "har")
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		r, err := Parse(data, format)
		if (r == nil) == (err == nil) {
			t.Fatalf("request %v and error %v", r, err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownFormat) {
			t.Fatalf("error %v wraps neither sentinel", err)
		}
	})
}
