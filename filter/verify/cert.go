package verify

import (
	"bytes"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"math/big"
	"time"
)

// certificateRSAKey returns the RSA public key of a PEM certificate (AWS
// SNS's and PayPal's signing certificates) that is valid at now. It reads
// the few DER fields it needs by hand: crypto/x509 would add its whole
// parser to the module (RATIONALE: "Why no crypto/x509"). The certificate's
// chain is not checked: its URL's pinned host, fetched over TLS by the
// host, is what vouches for it, as in the providers' own SDKs.
func certificateRSAKey(data []byte, now time.Time) (any, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	cert, _, ok := derRead(block.Bytes, 0x30)
	tbs, _, ok2 := derRead(cert, 0x30)
	if !ok || !ok2 {
		return nil, errors.New("not a DER certificate")
	}
	if len(tbs) > 0 && tbs[0] == 0xa0 { // [0] version
		_, tbs, _ = derRead(tbs, 0xa0)
	}
	var validity, spki []byte
	for i, tag := range []byte{0x02, 0x30, 0x30, 0x30, 0x30, 0x30} { // serial, signature, issuer, validity, subject, spki
		var field []byte
		if field, tbs, ok = derRead(tbs, tag); !ok {
			return nil, errors.New("certificate field missing")
		}
		switch i {
		case 3:
			validity = field
		case 5:
			spki = field
		}
	}
	if err := checkValidity(validity, now); err != nil {
		return nil, err
	}
	return rsaFromSPKI(spki)
}

// rsaEncryptionOID is 1.2.840.113549.1.1.1, DER-encoded with its tag.
var rsaEncryptionOID = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}

// rsaFromSPKI reads the contents of a SubjectPublicKeyInfo holding an
// RSA key of at least 2048 bits.
func rsaFromSPKI(spki []byte) (*rsa.PublicKey, error) {
	alg, rest, ok := derRead(spki, 0x30)
	if !ok || !bytes.HasPrefix(alg, rsaEncryptionOID) {
		return nil, errors.New("certificate key is not RSA")
	}
	bits, _, ok := derRead(rest, 0x03)
	if !ok || len(bits) < 1 || bits[0] != 0 {
		return nil, errors.New("certificate key is malformed")
	}
	seq, _, ok := derRead(bits[1:], 0x30)
	n, seq, ok2 := derRead(seq, 0x02)
	e, _, ok3 := derRead(seq, 0x02)
	if !ok || !ok2 || !ok3 || len(e) > 4 {
		return nil, errors.New("certificate key is malformed")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if pub.N.BitLen() < 2048 || pub.E < 3 || pub.E%2 == 0 {
		return nil, errors.New("certificate key is under 2048 bits or has a bad exponent")
	}
	return pub, nil
}

// checkValidity checks now is within a certificate's Validity.
func checkValidity(validity []byte, now time.Time) error {
	var times [2]time.Time
	for i := range times {
		tag := byte(0x17)
		if len(validity) > 0 && validity[0] == 0x18 {
			tag = 0x18
		}
		v, rest, ok := derRead(validity, tag)
		if !ok {
			return errors.New("certificate validity is malformed")
		}
		layout := "060102150405Z0700" // UTCTime
		if tag == 0x18 {
			layout = "20060102150405Z0700"
		}
		t, err := time.Parse(layout, string(v))
		if err != nil {
			return errors.New("certificate validity is malformed")
		}
		times[i], validity = t, rest
	}
	if now.Before(times[0]) || now.After(times[1]) {
		return errors.New("certificate is not valid now")
	}
	return nil
}

// derRead reads one DER element with the given tag from the front of b:
// its contents and what follows it.
func derRead(b []byte, tag byte) (content, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != tag {
		return nil, nil, false
	}
	n, hdr := int(b[1]), 2
	if n >= 0x80 {
		size := n & 0x7f
		if size == 0 || size > 3 || len(b) < 2+size {
			return nil, nil, false
		}
		n = 0
		for _, c := range b[2 : 2+size] {
			n = n<<8 | int(c)
		}
		hdr += size
	}
	if len(b)-hdr < n {
		return nil, nil, false
	}
	return b[hdr : hdr+n], b[hdr+n:], true
}
