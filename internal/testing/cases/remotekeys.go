package cases

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"hash/crc32"
	"math/big"
	"strconv"
	"sync"
	"time"
)

// A stand-in for the providers that sign with keys of their own and
// publish them per delivery (AWS SNS, PayPal, Plaid): an RSA certificate
// and a P-256 key made once per test process, and their signers, written
// from the providers' documentation. The vectors generated beside
// testdata/remotekeys are the independent oracle; these sign what the
// tests need at any time and under any key.

// RemoteKeyProvider holds the keys.
type RemoteKeyProvider struct {
	RSA     *rsa.PrivateKey
	CertPEM []byte // a self-signed certificate of RSA's key, valid 2020–2040
	EC      *ecdsa.PrivateKey
	ECKid   string
}

var (
	remoteOnce sync.Once
	remote     *RemoteKeyProvider
)

// RemoteKeys returns the process's stand-in provider.
func RemoteKeys() *RemoteKeyProvider {
	remoteOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
			NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			panic(err)
		}
		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		remote = &RemoteKeyProvider{RSA: k, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), EC: ec, ECKid: "plaid-kid-1"}
	})
	return remote
}

// SNSMessage is an AWS SNS delivery's fields; empty ones are left out.
type SNSMessage struct {
	Type, MessageId, Token, TopicArn, Subject, Message, Timestamp string
	SignatureVersion, SigningCertURL, SubscribeURL                string
}

// SignSNS returns m's JSON body signed as AWS SNS signs it
// (docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html).
func (p *RemoteKeyProvider) SignSNS(m SNSMessage) []byte {
	fields := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if m.Type != "Notification" {
		fields = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	values := map[string]string{"Type": m.Type, "MessageId": m.MessageId, "Token": m.Token, "TopicArn": m.TopicArn, "Subject": m.Subject,
		"Message": m.Message, "Timestamp": m.Timestamp, "SubscribeURL": m.SubscribeURL}
	var signed []byte
	for _, f := range fields {
		if f == "Subject" && m.Subject == "" {
			continue
		}
		signed = append(signed, f+"\n"+values[f]+"\n"...)
	}
	h, digest := crypto.SHA1, sha1.Sum(signed)
	sum := digest[:]
	if m.SignatureVersion == "2" {
		h = crypto.SHA256
		d := sha256.Sum256(signed)
		sum = d[:]
	}
	sig, err := rsa.SignPKCS1v15(nil, p.RSA, h, sum)
	if err != nil {
		panic(err)
	}
	out := map[string]string{"SignatureVersion": m.SignatureVersion, "Signature": base64.StdEncoding.EncodeToString(sig),
		"SigningCertURL": m.SigningCertURL}
	for k, v := range values {
		if v != "" {
			out[k] = v
		}
	}
	body, _ := json.Marshal(out)
	return body
}

// SignPayPal returns PayPal's signature headers for body
// (developer.paypal.com/api/rest/webhooks/rest/).
func (p *RemoteKeyProvider) SignPayPal(transmissionID, transmissionTime, webhookID, certURL string, body []byte) map[string]string {
	signed := transmissionID + "|" + transmissionTime + "|" + webhookID + "|" + strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(nil, p.RSA, crypto.SHA256, digest[:])
	if err != nil {
		panic(err)
	}
	return map[string]string{"paypal-transmission-id": transmissionID, "paypal-transmission-time": transmissionTime,
		"paypal-transmission-sig": base64.StdEncoding.EncodeToString(sig), "paypal-cert-url": certURL, "paypal-auth-algo": "SHA256withRSA"}
}

// SignPlaid returns a Plaid-Verification token for body issued at iat
// (plaid.com/docs/api/webhooks/webhook-verification).
func (p *RemoteKeyProvider) SignPlaid(body []byte, iat time.Time) string {
	b64 := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": p.ECKid, "typ": "JWT"})
	sum := sha256.Sum256(body)
	claims, _ := json.Marshal(map[string]any{"iat": iat.Unix(), "request_body_sha256": hex.EncodeToString(sum[:])})
	input := b64.EncodeToString(header) + "." + b64.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, p.EC, digest[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64.EncodeToString(sig)
}

// PlaidKeyAnswer is what Plaid's /webhook_verification_key/get answers
// for the provider's key; expired marks it expired.
func (p *RemoteKeyProvider) PlaidKeyAnswer(expired bool) []byte {
	b64 := base64.RawURLEncoding
	var exp any
	if expired {
		exp = 1700000000
	}
	answer, _ := json.Marshal(map[string]any{"key": map[string]any{"alg": "ES256", "crv": "P-256", "kid": p.ECKid, "kty": "EC", "use": "sig",
		"x": b64.EncodeToString(p.EC.X.FillBytes(make([]byte, 32))), "y": b64.EncodeToString(p.EC.Y.FillBytes(make([]byte, 32))),
		"created_at": 1600000000, "expired_at": exp}, "request_id": "req1"})
	return answer
}

// AdobePublicKeyPEM is the provider's RSA key as Adobe serves its keys: a
// PEM "PUBLIC KEY".
func (p *RemoteKeyProvider) AdobePublicKeyPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(&p.RSA.PublicKey)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// SignAdobe returns Adobe I/O Events' signature headers for body: the same
// signature under both key paths
// (developer.adobe.com/events/docs/guides/sdk/sdk_signature_verification).
func (p *RemoteKeyProvider) SignAdobe(body []byte, path1, path2 string) map[string]string {
	digest := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(nil, p.RSA, crypto.SHA256, digest[:])
	if err != nil {
		panic(err)
	}
	b64 := base64.StdEncoding.EncodeToString(sig)
	return map[string]string{"x-adobe-digital-signature-1": b64, "x-adobe-public-key1-path": path1,
		"x-adobe-digital-signature-2": b64, "x-adobe-public-key2-path": path2}
}

// SignEBay returns eBay's X-EBAY-SIGNATURE for body: base64 JSON naming
// an ECDSA signature (DER, base64) of the SHA-1 of the body and the kid
// (developer.ebay.com's Notification API; event-notification-nodejs-sdk).
func (p *RemoteKeyProvider) SignEBay(body []byte, kid string) string {
	sum := sha1.Sum(body)
	der, err := ecdsa.SignASN1(rand.Reader, p.EC, sum[:])
	if err != nil {
		panic(err)
	}
	h, _ := json.Marshal(map[string]string{"alg": "ecdsa", "kid": kid, "signature": base64.StdEncoding.EncodeToString(der), "digest": "SHA1"})
	return base64.StdEncoding.EncodeToString(h)
}

// EBayKeyAnswer is what eBay's getPublicKey answers: the PEM on one line,
// as eBay sends it.
func (p *RemoteKeyProvider) EBayKeyAnswer() []byte {
	der, err := x509.MarshalPKIXPublicKey(&p.EC.PublicKey)
	if err != nil {
		panic(err)
	}
	answer, _ := json.Marshal(map[string]string{"algorithm": "ECDSA", "digest": "SHA1",
		"key": "-----BEGIN PUBLIC KEY-----" + base64.StdEncoding.EncodeToString(der) + "-----END PUBLIC KEY-----"})
	return answer
}
