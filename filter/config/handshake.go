package config

import (
	"strings"

	"github.com/hookguard/hookguard/filter/verify"
)

// Handshakes, by kind: the provider challenges the filter answers itself
// ("handshake": true), so the application never needs the secret. Which
// preset has which, and the method it comes with, is in the preset table
// (verify.PresetInfo.Handshake).
const (
	// HandshakeZoom answers a signed endpoint.url_validation event with
	// the plainToken and its HMAC-SHA256 under the secret token.
	HandshakeZoom = string(verify.HandshakeZoom)
	// HandshakeSlack echoes a signed url_verification event's challenge.
	HandshakeSlack = string(verify.HandshakeSlack)
	// HandshakeTwitterCRC answers the X/Twitter CRC GET (crc_token) with
	// the token's HMAC-SHA256 under the consumer secret. The GET is not
	// signed: answering it proves the route holds the secret, as X asks.
	HandshakeTwitterCRC = string(verify.HandshakeTwitterCRC)
	// HandshakeDropbox echoes Dropbox's verification GET's challenge.
	HandshakeDropbox = string(verify.HandshakeDropbox)
	// HandshakeMeta echoes Meta's hub.challenge when hub.verify_token is
	// the route's verify token.
	HandshakeMeta = string(verify.HandshakeMeta)
	// HandshakeTwitch echoes a signed EventSub verification's challenge.
	HandshakeTwitch = string(verify.HandshakeTwitch)
	// HandshakeOkta answers Okta's one-time verification GET with its
	// X-Okta-Verification-Challenge.
	HandshakeOkta = string(verify.HandshakeOkta)
	// HandshakeBraintree answers Braintree's bt_challenge GET.
	HandshakeBraintree = string(verify.HandshakeBraintree)
	// HandshakeAdobe echoes Adobe I/O Events' registration challenge.
	HandshakeAdobe = string(verify.HandshakeAdobe)
	// HandshakeEBay answers eBay's challenge_code GET.
	HandshakeEBay = string(verify.HandshakeEBay)
	// HandshakeMonday echoes monday.com's unsigned URL challenge.
	HandshakeMonday = string(verify.HandshakeMonday)
	// HandshakeSNS confirms a verified AWS SNS SubscriptionConfirmation.
	HandshakeSNS = string(verify.HandshakeSNS)
	// HandshakeGraph echoes Microsoft Graph's validationToken.
	HandshakeGraph = string(verify.HandshakeGraph)
)

// MaxHandshakeToken bounds a challenge token a handshake answers; X's and
// Zoom's are a few dozen bytes.
const MaxHandshakeToken = 256

// OpaqueToken reports whether t can be a provider's challenge token: 1 to
// MaxHandshakeToken bytes of letters, digits and "._~+/=-" (UUIDs, hex,
// base64 and base64url). No JSON object or array, form or "v0:" string
// is one.
func OpaqueToken[T string | []byte](t T) bool {
	if len(t) == 0 || len(t) > MaxHandshakeToken {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._~+/=-", c) >= 0) {
			return false
		}
	}
	return true
}

// MaxEchoToken bounds a token a handshake echoes without a MAC (Graph's
// validationToken, a sentence of a few dozen bytes).
const MaxEchoToken = 512

// EchoToken reports whether t can be echoed as text/plain: 1 to
// MaxEchoToken printable ASCII bytes, none of which opens markup or a
// string ('<', '>', '&', '"', '\”). An echo MACs nothing, so a token
// need not be opaque, only never a page.
func EchoToken(t string) bool {
	if len(t) == 0 || len(t) > MaxEchoToken {
		return false
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c < 0x20 || c > 0x7e || strings.IndexByte("<>&\"'", c) >= 0 {
			return false
		}
	}
	return true
}

// HandshakeMethod returns the method of preset's handshake challenge, or
// "" when the preset has none.
func HandshakeMethod(preset string) string {
	info, _ := verify.LookupPreset(preset)
	return info.Handshake.Method
}
