package verify

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"
)

// contentfulSecret and the signatures below are @contentful/node-apps-toolkit
// 3.16.1's: signRequest(contentfulSecret, {method: "POST", path, headers,
// body: `{"n":1}`}, 1764547200000), each accepted by its verifyRequest.
const contentfulSecret = "hookguard-contentful-signing-secret-0123456789abcdefghijklmnopqr"

var contentfulNow = time.UnixMilli(1764547200000)

func contentfulRequest(path string, h ...Field) *Request {
	return &Request{Method: "POST", Scheme: "https", Authority: "hooks.example.test", Path: path, Header: h}
}

func contentfulScheme(t *testing.T) Scheme {
	t.Helper()
	s, err := Preset("contentful", Options{Keys: []Key{{ID: "k", Secret: []byte(contentfulSecret)}}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestContentfulToolkit checks requests the toolkit signed, each showing
// one rule of its canonical request.
func TestContentfulToolkit(t *testing.T) {
	s := contentfulScheme(t)
	own := func(sig, list string) []Field {
		return []Field{{Name: "x-contentful-signature", Value: sig}, {Name: "x-contentful-signed-headers", Value: list}, {Name: "x-contentful-timestamp", Value: "1764547200000"}}
	}
	for _, tc := range []struct {
		name string
		req  *Request
	}{
		// The path escaped by encodeURI, the query by querystring.escape
		// then encodeURI.
		{"query", contentfulRequest("/hooks/c%41[1]/x?a=b&c=d%20e*(!)~", append([]Field{{Name: "content-type", Value: "application/json"}},
			own("a96b837531def4128d2a5d836fbacf3cd38c729dc2e1d520249382b3ef5a1177", "content-type,x-contentful-signed-headers,x-contentful-timestamp")...)...)},
		// A value's bytes read as Latin-1, its no-break space trimmed.
		{"latin1", contentfulRequest("/hooks/contentful", append([]Field{{Name: "content-type", Value: "application/json"}, {Name: "x-contentful-webhook-name", Value: "M\xe9dias\xa0"}},
			own("5609ba3b50a0eac8b39d4fab19f93b8efcde507f71d84dbac4c7e6938e2d2960", "content-type,x-contentful-signed-headers,x-contentful-timestamp,x-contentful-webhook-name")...)...)},
		// Values trimmed.
		{"spaces", contentfulRequest("/hooks/contentful", append([]Field{{Name: "content-type", Value: "  application/json "}, {Name: "x-contentful-topic", Value: "ContentManagement.Entry.publish"}},
			own("bc91d6b95879d960eab28214e68b759d38c44aac59dd01be165c11cb353e2254", "content-type,x-contentful-signed-headers,x-contentful-timestamp,x-contentful-topic")...)...)},
		// The list in another order, without its own two names: the
		// toolkit signs the sorted list with them, as hookguard does.
		{"reordered list", contentfulRequest("/hooks/contentful", append([]Field{{Name: "content-type", Value: "application/json"}, {Name: "x-contentful-topic", Value: "T"}},
			own("ecef0c885a49ac1868bf0447f3a9d7e77a5f712913ebb711a70a130751ab7f86", "x-contentful-topic,content-type")...)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(`{"n":1}`)
			if id, err := Verify(s, tc.req, body, contentfulNow); err != nil || id != "k" {
				t.Fatalf("got %q, %v", id, err)
			}
			if _, err := Verify(s, tc.req, []byte(`{"n":2}`), contentfulNow); !errors.Is(err, ErrSignatureMismatch) {
				t.Fatalf("another body: %v", err)
			}
		})
	}
}

func TestContentfulPath(t *testing.T) {
	for in, want := range map[string]string{
		"/hooks/contentful":          "/hooks/contentful",
		"/hooks/contentful?":         "/hooks/contentful",
		"/a%20b/[x]{y}|^`\\\"<>":     "/a%2520b/%5Bx%5D%7By%7D%7C%5E%60%5C%22%3C%3E",
		"/p;,/:@&=+$#":               "/p;,/:@&=+$#",
		"/p?a=1&b=%2F/:@;,+$#-_.!~*": "/p?a%253D1%2526b%253D%25252F%252F%253A%2540%253B%252C%252B%2524%2523-_.!~*",
	} {
		got, err := contentfulPath(in)
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestContentfulRefusals checks each way the headers can be wrong gets its
// own error before any body byte, and that no error carries request data.
func TestContentfulRefusals(t *testing.T) {
	s := contentfulScheme(t)
	body := []byte(`{"n":1}`)
	base := Request{Method: "POST", Scheme: "https", Authority: "hooks.test", Path: "/hooks/contentful",
		Header: []Field{{Name: "content-type", Value: "application/json"}, {Name: "x-contentful-topic", Value: "ContentManagement.Entry.publish"}}}
	good := signed(t, "contentful", contentfulSecret, base, body, contentfulNow)
	if id, err := Verify(s, good, body, contentfulNow); err != nil || id != "k" {
		t.Fatalf("Sign's request: %q, %v", id, err)
	}
	list, _ := good.Single("x-contentful-signed-headers")
	if list != "content-type,x-contentful-signed-headers,x-contentful-timestamp,x-contentful-topic" {
		t.Fatalf("Sign's list %q", list)
	}
	with := func(name, value string) *Request { // the header set (or added)
		r := *good
		r.Header = append([]Field(nil), good.Header...)
		for i := range r.Header {
			if r.Header[i].Name == name {
				r.Header[i].Value = value
				return &r
			}
		}
		r.Header = append(r.Header, Field{Name: name, Value: value})
		return &r
	}
	without := func(name string) *Request {
		r := *good
		r.Header = nil
		for _, f := range good.Header {
			if f.Name != name {
				r.Header = append(r.Header, f)
			}
		}
		return &r
	}
	twice := func(name string) *Request {
		r := *good
		v, _ := good.Single(name)
		r.Header = append(append([]Field(nil), good.Header...), Field{Name: name, Value: v})
		return &r
	}
	method := func(m string) *Request { r := *good; r.Method = m; return &r }
	path := func(p string) *Request { r := *good; r.Path = p; return &r }
	names := strings.Repeat("x-a,", 31) + "x-b"
	for _, tc := range []struct {
		name string
		req  *Request
		want error
	}{
		{"no signature", without("x-contentful-signature"), ErrMissingSignature},
		{"signature twice", twice("x-contentful-signature"), ErrMalformedSignature},
		{"signature not hex", with("x-contentful-signature", strings.Repeat("g", 64)), ErrMalformedSignature},
		{"signature short", with("x-contentful-signature", strings.Repeat("a", 62)), ErrMalformedSignature},
		{"no timestamp", without("x-contentful-timestamp"), ErrMissingTimestamp},
		{"timestamp twice", twice("x-contentful-timestamp"), ErrMalformedTimestamp},
		{"timestamp in seconds", with("x-contentful-timestamp", "1764547200"), ErrTimestampOutOfTolerance},
		{"timestamp not digits", with("x-contentful-timestamp", "1764547200000.0"), ErrMalformedTimestamp},
		{"timestamp with a leading zero", with("x-contentful-timestamp", "01764547200000"), ErrMalformedTimestamp},
		{"timestamp 30.001 s old", with("x-contentful-timestamp", "1764547169999"), ErrTimestampOutOfTolerance},
		{"timestamp 30.001 s ahead", with("x-contentful-timestamp", "1764547230001"), ErrTimestampOutOfTolerance},
		{"no list", without("x-contentful-signed-headers"), ErrMalformedSignature},
		{"list twice", twice("x-contentful-signed-headers"), ErrMalformedSignature},
		{"an empty name", with("x-contentful-signed-headers", list+","), ErrMalformedSignature},
		{"an upper-case name", with("x-contentful-signed-headers", strings.Replace(list, "content-type", "Content-Type", 1)), ErrMalformedSignature},
		{"a name twice", with("x-contentful-signed-headers", list+",content-type"), ErrMalformedSignature},
		{"the list names the signature", with("x-contentful-signed-headers", list+",x-contentful-signature"), ErrMalformedSignature},
		{"33 names", with("x-contentful-signed-headers", names), ErrMalformedSignature},
		{"a named header absent", with("x-contentful-signed-headers", list+",x-absent"), ErrMalformedSignature},
		{"a named header twice", twice("x-contentful-topic"), ErrMalformedSignature},
		{"a value holding the next name", with("x-contentful-topic", "a;x-contentful-topic:b"), ErrMalformedSignature},
		{"a value holding a line break", with("x-contentful-topic", "a\nb"), ErrMalformedSignature},
		{"a method the toolkit does not sign", method("PROPFIND"), ErrSignatureMismatch},
		{"a second '?'", path("/hooks/contentful?a=1?b=2"), ErrSignatureMismatch},
		{"a path not ASCII", path("/hooks/contentf\xc3\xbcl"), ErrSignatureMismatch},
		{"a path not beginning with '/'", path("*"), ErrSignatureMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Begin(tc.req, contentfulNow)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			for _, leak := range []string{"ContentManagement", "x-absent", "x-contentful-topic", contentfulSecret, "1764547"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("the error carries request data or the secret: %v", err)
				}
			}
		})
	}
	// Changed after signing: a signed header's value, the list (dropping
	// a signed header from it), the timestamp within the window, the
	// method, the path or its query.
	for name, req := range map[string]*Request{
		"a signed value": with("x-contentful-topic", "ContentManagement.Entry.delete"),
		"the list":       with("x-contentful-signed-headers", "content-type,x-contentful-signed-headers,x-contentful-timestamp"),
		"the timestamp":  with("x-contentful-timestamp", "1764547200001"),
		"the method":     method("PUT"),
		"the path":       path("/hooks/contentful2"),
		"the query":      path("/hooks/contentful?x=1"),
	} {
		if _, err := Verify(s, req, body, contentfulNow); !errors.Is(err, ErrSignatureMismatch) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	// Unsigned headers may change; the edges of the window are inside it.
	for name, at := range map[string]time.Time{"30 s old": contentfulNow.Add(-30 * time.Second), "30 s ahead": contentfulNow.Add(30 * time.Second)} {
		req := signed(t, "contentful", contentfulSecret, base, body, at)
		req.Header = append(req.Header, Field{Name: "user-agent", Value: "replayer"})
		if _, err := Verify(s, req, body, contentfulNow); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestContentfulIdentity: a delivery's identity is SHA-256 over exactly
// the canonical request, so unsigned headers do not change it and a
// re-signed retry (a new timestamp) does.
func TestContentfulIdentity(t *testing.T) {
	s := contentfulScheme(t)
	body := []byte(`{"n":1}`)
	base := Request{Method: "POST", Path: "/hooks/contentful", Header: []Field{{Name: "content-type", Value: "application/json"}}}
	req := signed(t, "contentful", contentfulSecret, base, body, contentfulNow)
	id := identify(t, s, req, body, contentfulNow)
	prefix := "POST\n/hooks/contentful\ncontent-type:application/json;x-contentful-signed-headers:content-type,x-contentful-signed-headers,x-contentful-timestamp;x-contentful-timestamp:1764547200000\n"
	sum := sha256.Sum256(body)
	if want := sumOf(IdentitySignedContent, []byte(prefix), sum[:]); id != want {
		t.Fatalf("identity %x, want SHA-256 over the canonical request %x", id.Sum, want.Sum)
	}
	copied := *req
	copied.Header = append(append([]Field(nil), req.Header...), Field{Name: "x-contentful-idempotency-key", Value: "minted"})
	if identify(t, s, &copied, body, contentfulNow) != id {
		t.Error("a copy with an unsigned header added is another delivery")
	}
	if identify(t, s, signed(t, "contentful", contentfulSecret, base, body, contentfulNow.Add(time.Millisecond)), body, contentfulNow) == id {
		t.Error("a re-signed retry has the same identity")
	}
}
