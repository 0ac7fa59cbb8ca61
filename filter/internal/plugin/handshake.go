package plugin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
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

// errHandshakeRefused: a challenge whose token is not opaque.
var errHandshakeRefused = errors.New("handshake token is not an opaque token")

// handshakeAnswer returns the answer to a request verified under keyID
// when its body is the route's handshake event, or nil.
func handshakeAnswer(rt *config.Route, keyID string, body []byte) []byte {
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
			return nil
		}
		answer, _ := json.Marshal(map[string]string{"plainToken": ev.Payload.PlainToken,
			"encryptedToken": hex.EncodeToString(mac(key, ev.Payload.PlainToken))})
		return answer
	case config.HandshakeSlack:
		var ev struct {
			Type      string `json:"type"`
			Challenge string `json:"challenge"`
		}
		if json.Unmarshal(body, &ev) != nil || ev.Type != "url_verification" || ev.Challenge == "" {
			return nil
		}
		answer, _ := json.Marshal(map[string]string{"challenge": ev.Challenge})
		return answer
	}
	return nil
}

// crcAnswer returns the answer to X's CRC check, a GET with crc_token, or
// nil when the request is not one; errHandshakeRefused when the token is
// not opaque (or sent twice).
func crcAnswer(rt *config.Route, method, query string) ([]byte, error) {
	if rt.Handshake != config.HandshakeTwitterCRC || method != "GET" {
		return nil, nil
	}
	key, ok := rt.HandshakeKeys[firstKey(rt)]
	if !ok {
		return nil, nil
	}
	q, err := url.ParseQuery(query)
	tokens, asked := q["crc_token"]
	switch {
	case !asked:
		return nil, nil
	case err != nil || len(tokens) != 1 || !config.OpaqueToken(tokens[0]):
		return nil, errHandshakeRefused
	}
	answer, _ := json.Marshal(map[string]string{"response_token": "sha256=" + base64.StdEncoding.EncodeToString(mac(key, tokens[0]))})
	return answer, nil
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
func (q *request) answerHandshake(answer []byte) proxywasm.Action {
	rt := q.route
	q.dropCheck()
	q.root.metrics.inc(handshakeMetric(rt.Name))
	logLine(proxywasm.LogInfo, "answered the "+rt.Handshake+" handshake: route="+rt.Name)
	if _, err := q.stream.SendLocalResponse(200, "hookguard_handshake", answer,
		[]pairs.Pair{{Key: "content-type", Value: "application/json"}}); err != nil {
		logLine(proxywasm.LogCritical, "cannot answer the handshake: "+err.Error())
	}
	return proxywasm.Pause
}
