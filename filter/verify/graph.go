package verify

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"time"
)

// KindClientState is Microsoft Graph's change notifications: a JSON body
// whose every value[] item carries the clientState the subscription was
// created with, which must equal one of the route's secrets. It is a
// token inside the body: it signs nothing else, so whoever holds it can
// send any notification. The body is buffered up to the route's cap.
const KindClientState PresetKind = "client-state"

// maxClientStateItems bounds the notifications one request may carry
// (Graph batches up to a few hundred).
const maxClientStateItems = 1000

func init() {
	kindBuilders[KindClientState] = func(_ PresetInfo, o Options) (Scheme, error) {
		if err := checkKeys(o.Keys); err != nil {
			return nil, err
		}
		return &clientState{keys: hashKeys(o.Keys)}, nil
	}
}

type clientState struct{ keys []hashedKey }

func (s *clientState) Begin(*Request, time.Time) (Check, error) { return &clientStateCheck{s: s}, nil }

type clientStateCheck struct {
	s *clientState
	bufferedBody
}

// Verify requires every notification's clientState to be one key's, the
// same for all: a batch that mixes in one without it is refused whole.
func (c *clientStateCheck) Verify() (string, error) {
	var n struct {
		Value []struct {
			ClientState *string `json:"clientState"`
		} `json:"value"`
	}
	if err := json.Unmarshal(c.body, &n); err != nil || len(n.Value) > maxClientStateItems {
		return "", ErrMalformedBody
	}
	if len(n.Value) == 0 {
		return "", ErrMissingSignature
	}
	found := -1
	for i, item := range n.Value {
		if item.ClientState == nil {
			return "", ErrMissingSignature
		}
		sum := sha256.Sum256([]byte(*item.ClientState))
		match := -1
		for k, key := range c.s.keys {
			if subtle.ConstantTimeCompare(sum[:], key.sum[:]) == 1 && match < 0 {
				match = k
			}
		}
		if match < 0 || i > 0 && match != found {
			return "", ErrUnauthorized
		}
		found = match
	}
	return c.s.keys[found].id, nil
}

// signClientState makes Graph's notification carrying secret as its
// clientState (the body given is not used).
func signClientState(_ PresetInfo, secret string, _ *Request, _ []byte, now time.Time) ([]Field, []byte, error) {
	body, err := json.Marshal(map[string]any{"value": []map[string]any{{
		"subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07", "subscriptionExpirationDateTime": now.Add(time.Hour).UTC().Format(time.RFC3339),
		"changeType": "updated", "resource": "Users/signed-by-verify-Sign", "clientState": secret, "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95"}}})
	return nil, body, err
}
