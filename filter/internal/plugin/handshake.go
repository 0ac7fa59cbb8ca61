package plugin

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/verify"
	"github.com/hookguard/hookguard/internal/pairs"
)

// Provider handshakes ("handshake": true) are answered by the filter, so
// the application never needs the secret.
//
// A handshake must never be a signing oracle: an answer that MACs input
// the caller chose, under a key that signs the route's payloads, would
// hand anyone a signature for a body of their choosing. Each says why it
// cannot be one:
//
//   - zoom MACs plainToken under the secret token, as Zoom signs
//     "v0:{timestamp}:{body}"; it is answered only after the challenge's
//     own signature verified (Zoom chose the token), and only for an
//     opaque token, which no "v0:…" string is.
//   - slack echoes the challenge: it MACs nothing.
//   - twitter (X's CRC) MACs crc_token from an unsigned GET exactly as X
//     signs POST bodies. So only an opaque token is answered (X's are
//     UUIDs and base64 strings), and the route refuses a POST whose whole
//     body is one: nothing the CRC answers can ever verify as a body.
//   - twitch echoes the challenge of a verification Twitch signed, as
//     text/plain: it MACs nothing.
//   - dropbox and meta echo the GET's challenge as text/plain (nosniff):
//     they MAC nothing; meta answers only with the route's verify token,
//     and both only an opaque token, so the echo is never a page.
//   - okta echoes the GET's X-Okta-Verification-Challenge in JSON: it
//     MACs nothing, and answers only an opaque token.
//   - microsoft-graph echoes the validation POST's validationToken as
//     text/plain (nosniff): it MACs nothing, and echoes only printable
//     text that opens no markup (Graph's token is a sentence).
//   - braintree MACs bt_challenge from an unsigned GET under the key that
//     signs bt_payload, as Braintree's SDKs do. Only a lowercase hex
//     challenge is answered, and a delivery verifies only if its
//     bt_payload is base64 of XML (verify's braintreePayload): the first
//     byte a hex string decodes to is 104–127 or 208–247, never '<',
//     whitespace or a BOM's EF BB BF, so no answer is ever a signature a
//     delivery could carry.

// errHandshakeRefused: a challenge refused (a token that is not opaque,
// sent twice, or Meta's with the wrong verify token).
var errHandshakeRefused = errors.New("handshake token is not an opaque token")

// handshakeAnswer returns the answer to a request verified under keyID
// when its body is the route's handshake event, or nil, and whether the
// answer is plain text.
func handshakeAnswer(rt *config.Route, keyID string, body []byte) (answer []byte, plain bool) {
	switch rt.Handshake {
	case config.HandshakeZoom:
		var ev struct {
			Event   string `json:"event"`
			Payload struct {
				PlainToken string `json:"plainToken"`
			} `json:"payload"`
		}
		key, ok := rt.HandshakeKeys[keyID]
		if json.Unmarshal(body, &ev) != nil || ev.Event != "endpoint.url_validation" || !config.OpaqueToken(ev.Payload.PlainToken) || !ok {
			return nil, false
		}
		answer, _ = json.Marshal(map[string]string{"plainToken": ev.Payload.PlainToken,
			"encryptedToken": hex.EncodeToString(mac(key, ev.Payload.PlainToken))})
		return answer, false
	case config.HandshakeSlack:
		var ev struct {
			Type      string `json:"type"`
			Challenge string `json:"challenge"`
		}
		if json.Unmarshal(body, &ev) != nil || ev.Type != "url_verification" || ev.Challenge == "" {
			return nil, false
		}
		answer, _ = json.Marshal(map[string]string{"challenge": ev.Challenge})
		return answer, false
	case config.HandshakeTwitch:
		var ev struct {
			Challenge    string `json:"challenge"`
			Subscription struct {
				Status string `json:"status"`
			} `json:"subscription"`
		}
		if json.Unmarshal(body, &ev) != nil || ev.Subscription.Status != "webhook_callback_verification_pending" || !config.OpaqueToken(ev.Challenge) {
			return nil, false
		}
		return []byte(ev.Challenge), true
	}
	return nil, false
}

// getAnswer returns the answer to the route's handshake when the request
// is its GET challenge — nil when it is not one — and whether the answer
// is plain text (an echo) rather than JSON; errHandshakeRefused when the
// challenge's token is not opaque, is sent twice, or (Meta) comes with
// the wrong verify token.
func getAnswer(rt *config.Route, req *verify.Request) (answer []byte, plain bool, err error) {
	query := req.Query()
	if rt.Handshake == config.HandshakeGraph && req.Method == "POST" {
		answer, err = graphAnswer(query)
		return answer, true, err
	}
	if req.Method != "GET" {
		return nil, false, nil
	}
	switch rt.Handshake {
	case config.HandshakeTwitterCRC:
		answer, err = crcAnswer(rt, query)
		return answer, false, err
	case config.HandshakeDropbox:
		token, asked, err := queryToken(query, "challenge")
		if !asked || err != nil {
			return nil, false, err
		}
		return []byte(token), true, nil
	case config.HandshakeAdobe:
		token, asked, err := queryToken(query, "challenge")
		if !asked || err != nil {
			return nil, false, err
		}
		answer, _ = json.Marshal(map[string]string{"challenge": token})
		return answer, false, nil
	case config.HandshakeEBay:
		answer, err = ebayAnswer(rt, req)
		return answer, false, err
	case config.HandshakeMeta:
		answer, err = metaAnswer(rt, query)
		return answer, true, err
	case config.HandshakeOkta:
		answer, err = oktaAnswer(req)
		return answer, false, err
	case config.HandshakeBraintree:
		answer, err = braintreeAnswer(rt, query)
		return answer, true, err
	}
	return nil, false, nil
}

// graphAnswer answers Microsoft Graph's subscription validation, a POST
// with ?validationToken=…: the token, decoded, as text/plain. Graph's is
// a sentence, so any printable token without markup is echoed
// (config.EchoToken); a POST without one is a notification.
func graphAnswer(query string) ([]byte, error) {
	q, perr := url.ParseQuery(query)
	values, asked := q["validationToken"]
	switch {
	case !asked:
		return nil, nil
	case perr != nil || len(values) != 1 || !config.EchoToken(values[0]):
		return nil, errHandshakeRefused
	}
	return []byte(values[0]), nil
}

// braintreeAnswer answers Braintree's destination check (bt_challenge)
// as its SDKs' webhookNotification.verify does: the route's first key's
// public key, "|", and the hex HMAC-SHA1 of the challenge under SHA-1 of
// its private key. Braintree's challenges are hex; nothing else is
// answered. A first key without its public key ("public:private")
// answers nothing: the GET goes on to be refused as unsigned.
func braintreeAnswer(rt *config.Route, query string) ([]byte, error) {
	pub, priv, ok := strings.Cut(string(rt.HandshakeKeys[firstKey(rt)]), ":")
	if !ok || pub == "" {
		return nil, nil
	}
	challenge, asked, err := queryToken(query, "bt_challenge")
	if !asked || err != nil {
		return nil, err
	}
	if len(challenge) > 64 || strings.Trim(challenge, "0123456789abcdef") != "" {
		return nil, errHandshakeRefused
	}
	key := sha1.Sum([]byte(priv))
	m := hmac.New(sha1.New, key[:])
	m.Write([]byte(challenge))
	return []byte(pub + "|" + hex.EncodeToString(m.Sum(nil))), nil
}

// oktaAnswer answers Okta's one-time verification GET: its
// X-Okta-Verification-Challenge, as {"verification": …}.
func oktaAnswer(req *verify.Request) ([]byte, error) {
	v, n := req.Single("x-okta-verification-challenge")
	switch {
	case n == 0:
		return nil, nil
	case n > 1 || !config.OpaqueToken(v):
		return nil, errHandshakeRefused
	}
	return json.Marshal(map[string]string{"verification": v})
}

// queryToken returns the one value of the query parameter name, and
// whether it was asked at all; errHandshakeRefused unless that value is
// one opaque token.
func queryToken(query, name string) (token string, asked bool, err error) {
	q, perr := url.ParseQuery(query)
	values, asked := q[name]
	switch {
	case !asked:
		return "", false, nil
	case perr != nil || len(values) != 1 || !config.OpaqueToken(values[0]):
		return "", true, errHandshakeRefused
	}
	return values[0], true, nil
}

// crcAnswer answers X's CRC check (crc_token): the token's HMAC-SHA256
// under the route's first key.
func crcAnswer(rt *config.Route, query string) ([]byte, error) {
	key, ok := rt.HandshakeKeys[firstKey(rt)]
	if !ok {
		return nil, nil
	}
	token, asked, err := queryToken(query, "crc_token")
	if !asked || err != nil {
		return nil, err
	}
	answer, _ := json.Marshal(map[string]string{"response_token": "sha256=" + base64.StdEncoding.EncodeToString(mac(key, token))})
	return answer, nil
}

// metaAnswer answers Meta's verification request (hub.mode=subscribe,
// hub.challenge, hub.verify_token) with the challenge, when the verify
// token is the route's (compared in constant time).
func metaAnswer(rt *config.Route, query string) ([]byte, error) {
	challenge, asked, err := queryToken(query, "hub.challenge")
	if !asked || err != nil {
		return nil, err
	}
	q, _ := url.ParseQuery(query)
	given := q["hub.verify_token"]
	if q.Get("hub.mode") != "subscribe" || len(given) != 1 || len(rt.HandshakeToken) == 0 ||
		subtle.ConstantTimeCompare([]byte(given[0]), rt.HandshakeToken) != 1 {
		return nil, errHandshakeRefused
	}
	return []byte(challenge), nil
}

// ebayAnswer answers eBay's endpoint check, GET …?challenge_code=: the hex
// SHA-256 of the code, the route's verification token and the endpoint's
// URL as eBay was given it (public_url, else the request's, without the
// query), as {"challengeResponse": …}. It is a hash, not a MAC of
// anything eBay signs: eBay signs notifications with its own keys.
func ebayAnswer(rt *config.Route, req *verify.Request) ([]byte, error) {
	code, asked, err := queryToken(req.Query(), "challenge_code")
	if !asked || err != nil {
		return nil, err
	}
	if len(rt.HandshakeToken) == 0 {
		return nil, errHandshakeRefused
	}
	endpoint, _, _ := strings.Cut(verify.RequestURL(req, rt.PublicURL), "?")
	sum := sha256.Sum256([]byte(code + string(rt.HandshakeToken) + endpoint))
	answer, _ := json.Marshal(map[string]string{"challengeResponse": hex.EncodeToString(sum[:])})
	return answer, nil
}

// mondayAnswer answers monday.com's URL challenge: a body that is a JSON
// object of one field, "challenge", an opaque token, is echoed as JSON. The
// challenge is unsigned, so it is answered before any check; an echo signs
// nothing, and the application never sees it.
func mondayAnswer(body []byte) []byte {
	var ev map[string]json.RawMessage
	var token string
	if json.Unmarshal(body, &ev) != nil || len(ev) != 1 || json.Unmarshal(ev["challenge"], &token) != nil || !config.OpaqueToken(token) {
		return nil
	}
	answer, _ := json.Marshal(map[string]string{"challenge": token})
	return answer
}

// answerableBody reports whether a verified body of rt could be one the
// route's handshake answers for anyone: such a body is refused.
func answerableBody(rt *config.Route, body []byte) bool {
	return rt.Handshake == config.HandshakeTwitterCRC && config.OpaqueToken(body)
}

func firstKey(rt *config.Route) string {
	if len(rt.KeyIDs) == 0 {
		return ""
	}
	return rt.KeyIDs[0]
}

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// answerHandshake sends the answer and counts it.
func (q *request) answerHandshake(answer []byte, plain bool) proxywasm.Action {
	rt := q.route
	q.dropCheck()
	q.root.metrics.inc(handshakeMetric(rt.Name))
	logLine(proxywasm.LogInfo, "answered the "+rt.Handshake+" handshake: route="+rt.Name)
	headers := []pairs.Pair{{Key: "content-type", Value: "application/json"}}
	if plain { // an echo: never read as anything but text
		headers = []pairs.Pair{{Key: "content-type", Value: "text/plain"}, {Key: "x-content-type-options", Value: "nosniff"}}
	}
	if _, err := q.stream.SendLocalResponse(200, "hookguard_handshake", answer, headers); err != nil {
		logLine(proxywasm.LogCritical, "cannot answer the handshake: "+err.Error())
	}
	return proxywasm.Pause
}

// answersAtHeaders reports whether rt's handshake is a GET challenge the
// filter answers (or refuses) at the headers.
func answersAtHeaders(rt *config.Route) bool {
	switch rt.Handshake {
	case config.HandshakeTwitterCRC, config.HandshakeDropbox, config.HandshakeMeta, config.HandshakeOkta, config.HandshakeBraintree, config.HandshakeGraph,
		config.HandshakeAdobe, config.HandshakeEBay:
		return true
	}
	return false
}
