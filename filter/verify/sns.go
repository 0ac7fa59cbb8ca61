package verify

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"time"
)

// KindSNS is AWS SNS's HTTP(S) delivery: a JSON body whose Signature is
// RSA (PKCS #1 v1.5; SHA-1 for SignatureVersion "1", SHA-256 for "2") over
// the message's fields as "Name\nvalue\n" pairs in a fixed order, under
// the certificate at SigningCertURL, fetched from a pinned host. The
// route names the topics it takes (Options.Bind: "topic_arns"); a
// delivery from any other topic is refused, since AWS signs every
// account's topics with the same certificate. The body is buffered.
const KindSNS PresetKind = "aws-sns"

func init() {
	kindBuilders[KindSNS] = func(p PresetInfo, o Options) (Scheme, error) {
		if len(o.Bind) == 0 {
			return nil, errorf(ErrInvalidScheme, "aws-sns: name the topics the route takes (\"topic_arns\"): AWS signs every account's topics with one certificate")
		}
		return &sns{info: p.RemoteKey, topics: o.Bind, tolerance: o.tolerance(p.HMAC.Tolerance), keys: newRemoteKeys(certificateRSAKey)}, nil
	}
}

type sns struct {
	info      *RemoteKeyInfo
	topics    []string
	tolerance time.Duration // 0: none
	keys      *RemoteKeys
}

func (s *sns) Begin(req *Request, now time.Time) (Check, error) {
	typ, _ := req.Single("x-amz-sns-message-type")
	return &snsCheck{s: s, now: now, headerType: typ}, nil
}

// snsMessage is the delivery's fields; a null or absent field is nil.
type snsMessage struct {
	Type, MessageID, Token, TopicArn, Subject, Message, Timestamp *string
	SignatureVersion, Signature, SigningCertURL, SubscribeURL     *string
}

// snsFields are the fields SNS signs, in order, for a notification and
// for a (un)subscription confirmation.
var (
	snsNotification = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	snsConfirmation = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
)

type snsCheck struct {
	s          *sns
	now        time.Time
	headerType string
	bufferedBody
	signed []byte // the signed string, once verified
}

func (c *snsCheck) wants() (bool, string) { return false, "" }

// identity is the signed string's: it holds the MessageId, the same on
// every retry.
func (c *snsCheck) identity(*[32]byte, []byte) (Identity, bool) {
	if c.signed == nil {
		return Identity{}, false
	}
	return sumOf(IdentitySignedContent, c.signed), true
}

func (c *snsCheck) Verify() (string, error) {
	m, err := c.message()
	if err != nil {
		return "", err
	}
	fetch, err := c.s.info.keyURL(*m.SigningCertURL)
	if err != nil {
		return "", err
	}
	key, ok, err := c.s.keys.lookup(fetch.ID, c.now)
	switch {
	case err != nil:
		return "", err
	case !ok:
		return "", c.s.keys.need(fetch)
	}
	signed, sig, h, err := snsSigned(m)
	if err != nil {
		return "", err
	}
	digest := h.New()
	digest.Write(signed)
	if rsa.VerifyPKCS1v15(key.(*rsa.PublicKey), h, digest.Sum(nil), sig) != nil {
		return "", ErrSignatureMismatch
	}
	if err := c.checkTopicAndTime(m); err != nil {
		return "", err
	}
	c.signed = signed
	return "sns", nil
}

// message parses the body and checks what can be checked before the key.
func (c *snsCheck) message() (*snsMessage, error) {
	var raw map[string]*string
	if err := json.Unmarshal(c.body, &raw); err != nil || raw == nil || !uniqueJSONKeys(c.body) {
		return nil, ErrMalformedBody
	}
	m := &snsMessage{Type: raw["Type"], MessageID: raw["MessageId"], Token: raw["Token"], TopicArn: raw["TopicArn"],
		Subject: raw["Subject"], Message: raw["Message"], Timestamp: raw["Timestamp"], SignatureVersion: raw["SignatureVersion"],
		Signature: raw["Signature"], SigningCertURL: raw["SigningCertURL"], SubscribeURL: raw["SubscribeURL"]}
	switch {
	case m.Signature == nil || m.SigningCertURL == nil:
		return nil, ErrMissingSignature
	case m.Type == nil || c.headerType != "" && c.headerType != *m.Type:
		return nil, ErrMalformedBody
	}
	return m, nil
}

// snsSigned builds the string SNS signs for m, and decodes its signature
// and hash.
func snsSigned(m *snsMessage) (signed, sig []byte, h crypto.Hash, err error) {
	fields := snsNotification
	switch *m.Type {
	case "Notification":
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		fields = snsConfirmation
	default:
		return nil, nil, 0, ErrMalformedBody
	}
	switch {
	case m.SignatureVersion == nil:
		return nil, nil, 0, ErrMalformedSignature // AWS sends it on every message
	case *m.SignatureVersion == "1":
		h = crypto.SHA1
	case *m.SignatureVersion == "2":
		h = crypto.SHA256
	default:
		return nil, nil, 0, ErrMalformedSignature
	}
	if sig, err = base64.StdEncoding.DecodeString(*m.Signature); err != nil || len(sig) == 0 {
		return nil, nil, 0, ErrMalformedSignature
	}
	values := map[string]*string{"Message": m.Message, "MessageId": m.MessageID, "Subject": m.Subject, "SubscribeURL": m.SubscribeURL,
		"Timestamp": m.Timestamp, "Token": m.Token, "TopicArn": m.TopicArn, "Type": m.Type}
	for _, f := range fields {
		v := values[f]
		if v == nil {
			if f == "Subject" {
				continue // signed only when the message has one
			}
			return nil, nil, 0, ErrMalformedBody
		}
		signed = append(append(append(append(signed, f...), '\n'), *v...), '\n')
	}
	return signed, sig, h, nil
}

// checkTopicAndTime refuses a topic the route does not take, and a
// Timestamp out of tolerance when the route sets one.
func (c *snsCheck) checkTopicAndTime(m *snsMessage) error {
	if !slices.Contains(c.s.topics, *m.TopicArn) {
		return ErrUnauthorized
	}
	if c.s.tolerance == 0 {
		return nil
	}
	return checkTimestamp(*m.Timestamp, RFC3339, c.s.tolerance, c.now)
}

// Hashes a SignatureVersion names are linked in (crypto.Hash.New needs them).
var _, _ = sha1.New, sha256.New

// SNSConfirmation returns, for the body of a verified AWS SNS delivery
// that is a SubscriptionConfirmation, the fetch of its SubscribeURL that
// confirms it: a GET of https://sns.<region>.amazonaws.com(.cn)/ with
// Action=ConfirmSubscription. ok is false for any other delivery; an
// error says the URL is not one AWS would send.
func SNSConfirmation(body []byte) (fetch KeyFetch, ok bool, err error) {
	var m struct{ Type, SubscribeURL string }
	if json.Unmarshal(body, &m) != nil || m.Type != "SubscriptionConfirmation" {
		return KeyFetch{}, false, nil
	}
	p, _ := LookupPreset(string(KindSNS))
	u, err := url.Parse(m.SubscribeURL)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || u.Path != "/" || u.Fragment != "" ||
		!p.RemoteKey.pinned(u.Hostname()) || u.Query().Get("Action") != "ConfirmSubscription" {
		return KeyFetch{}, false, errorf(ErrMalformedBody, "SubscribeURL is not an AWS SNS confirmation URL")
	}
	return KeyFetch{ID: "confirm", Method: "GET", Authority: u.Hostname(), Path: "/?" + u.RawQuery}, true, nil
}
