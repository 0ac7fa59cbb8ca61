package plugin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/internal/pairs"
)

// Provider handshakes ("handshake": true) are answered by the filter, so
// the application never needs the secret: Zoom's and Slack's only after
// the request's signature verified; X's CRC GET, which is not signed, by
// proving the secret as X asks.

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
		if json.Unmarshal(body, &ev) != nil || ev.Event != "endpoint.url_validation" || ev.Payload.PlainToken == "" || !ok {
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

// crcAnswer returns the answer to X's CRC check, a GET with crc_token,
// or nil when the request is not one.
func crcAnswer(rt *config.Route, method, query string) []byte {
	if rt.Handshake != config.HandshakeTwitterCRC || method != "GET" {
		return nil
	}
	key, ok := rt.HandshakeKeys[firstKey(rt)]
	if !ok {
		return nil
	}
	q, err := url.ParseQuery(query)
	token := q.Get("crc_token")
	if err != nil || token == "" {
		return nil
	}
	answer, _ := json.Marshal(map[string]string{"response_token": "sha256=" + base64.StdEncoding.EncodeToString(mac(key, token))})
	return answer
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
