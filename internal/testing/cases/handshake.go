package cases

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookguard/hookguard/filter/verify"
)

// HandshakeOracleCases try each handshake as an attacker would, to have a
// payload of their choosing signed under the route's key: a token shaped
// like a payload gets no answer, and what a handshake does answer never
// verifies as a delivery. RoutedCases runs them with HandshakeCases.
func HandshakeOracleCases(f ProviderFile) []Case {
	now := f.Time()
	ids := KeyIDs(f)
	var out []Case
	for _, h := range f.Handshakes {
		switch h.Preset {
		case "twitter":
			out = append(out, crcOracleCases(h)...)
		case "zoom":
			out = append(out, zoomOracleCase(h, now, keyIDOf(f, ids, h)))
		case "braintree":
			out = append(out, braintreeOracleCases(h)...)
		case "microsoft-graph":
			out = append(out, graphEchoCases(h)...)
		case "slack":
			// The answer echoes the challenge and MACs nothing: sent back
			// as a delivery it carries no signature.
			c := Case{Name: h.Name + "/answer sent as a delivery", Method: "POST", Path: h.Path(),
				Header: []verify.Field{{Name: "content-type", Value: "application/json"}}, WantStatus: 401}
			c.Body, _ = json.Marshal(h.Answer)
			out = append(out, c)
		}
	}
	return out
}

// forgedEvent is the delivery an attacker wants signed.
const forgedEvent = `{"for_user_id":"1","tweet_create_events":[{"text":"forged"}]}`

// crcOracleCases: X's CRC GET is unsigned and its answer is X's POST
// signature of crc_token, so only an opaque token is answered, and a
// POST whose body is one is refused.
func crcOracleCases(h Handshake) []Case {
	path := func(query string) string { return "/hooks/twitter?" + query }
	get := func(name, query string) Case {
		return Case{Name: h.Name + "/" + name, Method: "GET", Path: path(query), WantStatus: 400}
	}
	out := []Case{
		get("JSON event as crc_token", "crc_token="+url.QueryEscape(forgedEvent)),
		get("empty JSON object as crc_token", "crc_token=%7B%7D"),
		get("form as crc_token", "crc_token="+url.QueryEscape("a=1&b=2")),
		get("crc_token with a space", "crc_token=a+b"),
		get("crc_token twice", "crc_token=abc&crc_token=def"),
		get("crc_token over 256 bytes", "crc_token="+strings.Repeat("A", 257)),
		get("empty crc_token", "crc_token="),
	}
	// What the CRC answered, replayed as a delivery: X's POST signature of
	// a body equal to the token, as Node's crypto computed it.
	u, _ := url.Parse(h.URL)
	answered := Case{Name: h.Name + "/answered token as a delivery", Method: "POST", Path: "/hooks/twitter",
		Header: []verify.Field{{Name: "x-twitter-webhooks-signature", Value: h.Answer["response_token"]}},
		Body:   []byte(u.Query().Get("crc_token")), WantStatus: 401}
	return append(out, answered)
}

// zoomOracleCase: Zoom's answer MACs plainToken as Zoom signs
// "v0:{timestamp}:{body}". A challenge Zoom signed whose plainToken is
// such a string is not answered: it goes on as an ordinary delivery.
func zoomOracleCase(h Handshake, now time.Time, keyID string) Case {
	token := "v0:" + strconv.FormatInt(now.Unix(), 10) + ":" + forgedEvent
	ev, _ := json.Marshal(map[string]any{"event": "endpoint.url_validation", "payload": map[string]string{"plainToken": token}})
	c := Case{Name: h.Name + "/payload-shaped plainToken", Method: "POST", Path: h.Path(), Body: ev, Now: now, WantStatus: 200,
		CheckVerified: true, WantVerified: "route=zoom; key=" + keyID}
	req := &verify.Request{Method: "POST", Scheme: "http", Authority: h.Authority(), Path: h.Path()}
	signed, err := verify.Sign("zoom", h.Secret, req, ev, now)
	if err != nil {
		panic("zoom oracle case: " + err.Error())
	}
	c.Header = append([]verify.Field{{Name: "content-type", Value: "application/json"}}, signed...)
	return c
}

// keyIDOf is the id RouteConfig gives the key h was signed with.
func keyIDOf(f ProviderFile, ids map[string]string, h Handshake) string {
	for _, v := range f.Vectors {
		if v.Preset == h.Preset && v.Secret == h.Secret {
			return ids[v.Name]
		}
	}
	return ""
}

// braintreeOracleCases: Braintree's challenge answer MACs bt_challenge
// under the key that signs bt_payload, so only a lowercase hex challenge
// is answered, and the answer, sent back as a delivery with the challenge
// as its payload, is refused (it is no base64 XML).
func braintreeOracleCases(h Handshake) []Case {
	get := func(name, challenge string) Case {
		return Case{Name: h.Name + "/" + name, Method: "GET", Path: "/hooks/braintree?bt_challenge=" + url.QueryEscape(challenge), WantStatus: 400}
	}
	u, _ := url.Parse(h.URL)
	challenge := u.Query().Get("bt_challenge")
	answered := Case{Name: h.Name + "/answer sent as a delivery", Method: "POST", Path: "/hooks/braintree",
		Header: []verify.Field{{Name: "content-type", Value: "application/x-www-form-urlencoded"}},
		Body:   []byte(url.Values{"bt_signature": {h.AnswerText}, "bt_payload": {challenge}}.Encode()), WantStatus: 401}
	return []Case{get("base64 XML as bt_challenge", "PG5vdGlmaWNhdGlvbj4="), get("upper-case hex", "20F9F8ED"),
		get("JSON as bt_challenge", forgedEvent), get("65 hex digits", strings.Repeat("a", 65)), answered}
}

// graphEchoCases: Graph's validation is echoed as text/plain, so only
// printable text that opens no markup is, once.
func graphEchoCases(h Handshake) []Case {
	post := func(name, query string) Case {
		return Case{Name: h.Name + "/" + name, Method: "POST", Path: "/hooks/microsoft-graph?" + query,
			Header: []verify.Field{{Name: "content-type", Value: "text/plain"}}, WantStatus: 400}
	}
	return []Case{post("markup as validationToken", "validationToken="+url.QueryEscape("<script>alert(1)</script>")),
		post("validationToken twice", "validationToken=a&validationToken=b"), post("empty validationToken", "validationToken="),
		post("validationToken over 512 bytes", "validationToken="+strings.Repeat("A", 513))}
}
