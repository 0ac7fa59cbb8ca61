package verify

import (
	"crypto/ed25519"
	"hash"
	"strings"
	"time"
	"unicode"
)

// HMAC is the generic model: a superset of AWS EventBridge's, and what
// every preset of kind KindHMAC or KindPublicKey is built from. With a
// hash Algorithm it is an HMAC under shared secrets; with a public-key one
// (Ed25519, ECDSAP256SHA256) a signature the route checks with public
// keys (pubkey.go). The zero value is not usable: set at least
// SignatureHeaders and Keys, and pass it to NewHMAC.
type HMAC struct {
	// Algorithm is the hash; default SHA256.
	Algorithm Algorithm
	// Encoding is the signature's encoding; default Hex.
	Encoding Encoding
	// SignatureHeaders are the lower-case names the signature may come
	// in (Shopify has two spellings). Exactly one of them may be present,
	// once, unless EverySignatureHeader.
	SignatureHeaders []string
	// EverySignatureHeader: each of SignatureHeaders that is present (once)
	// carries a signature, and the request verifies if any matches:
	// DocuSign's X-DocuSign-Signature-1…N, one per key, and Box's primary
	// and secondary. At least one must be present. Plain format only.
	EverySignatureHeader bool
	// SignaturePrefix, for Plain, must precede the signature ("sha256=").
	// It is matched without regard to case.
	SignaturePrefix string
	// SignatureFormat is the header's shape; default Plain.
	SignatureFormat Format
	// SignatureKey names the signature entries: the key for KeyValue
	// ("v1", "h1", "s"), the version for List ("v1").
	SignatureKey string
	// TimestampKey, for KeyValue, names the timestamp entry ("t", "ts").
	TimestampKey string
	// Separators, for KeyValue, are the characters between pairs;
	// default ",". For List, VersionSeparator sits between version and
	// signature; default ",".
	Separators       string
	VersionSeparator string
	// Template is the signed content, over {id}, {timestamp}, {body},
	// {method}, {path}, {url}, {header:NAME} and literal text; default
	// "{body}". It must contain {body} exactly once.
	Template string
	// IDHeader and TimestampHeader name the headers {id} and {timestamp}
	// come from (unless TimestampKey takes the timestamp from the
	// signature header).
	IDHeader        string
	TimestampHeader string
	// TimestampFormat is how the timestamp is written; default UnixSeconds.
	TimestampFormat TimestampFormat
	// Tolerance is how far the timestamp may be from now, either way. It
	// is used as given: zero accepts only the current second (for
	// UnixSeconds). Presets default it to the provider's value.
	Tolerance time.Duration
	// EventIDField, when set, is a field at the top level of the signed
	// JSON body that names the event and stays the same on every retry,
	// re-signed or not (Stripe's "id"): a delivery's identity for replay
	// de-duplication (Identify). A body without it is identified by its
	// signed content.
	EventIDField string
	// PublicURL, when set, is the URL the sender signed in {url}, as
	// configured at the provider (see RequestURL).
	PublicURL string
	// Keys are the accepted secrets, already decoded (see DecodeSecret);
	// for a public-key Algorithm, the accepted public keys
	// (DecodePublicKey).
	Keys []Key

	// What the generic fields do not express, set only by presets.
	quirks             Quirks // behaviours named by flags (QuirkDecodedURL)
	bodyTimestampField string // the timestamp is a JSON number of ms in the body (Linear)
}

// compiledHMAC is a validated HMAC, ready for requests.
type compiledHMAC struct {
	HMAC
	newHash  func() hash.Hash
	macs     []keyedMAC  // one per key, with its padded key state computed once
	pubs     []publicKey // instead, for a public-key algorithm
	size     int         // of a signature; negative: at most -size (DER)
	prefix   []part      // signed before the body
	suffix   []part      // signed after it
	needsTS  bool
	needsURL bool
}

// NewHMAC validates h and returns it as a Scheme.
func NewHMAC(h HMAC) (Scheme, error) { return compileHMAC(h) }

func compileHMAC(h HMAC) (*compiledHMAC, error) {
	c := &compiledHMAC{HMAC: h.withDefaults()}
	if err := c.compileShape(); err != nil {
		return nil, err
	}
	if err := c.compileTemplate(); err != nil {
		return nil, err
	}
	if err := c.compileKeys(); err != nil {
		return nil, err
	}
	return c, nil
}

// withDefaults fills the fields h leaves empty.
func (h HMAC) withDefaults() HMAC {
	if h.Algorithm == "" {
		h.Algorithm = SHA256
	}
	if h.Encoding == "" {
		h.Encoding = Hex
	}
	if h.SignatureFormat == "" {
		h.SignatureFormat = Plain
	}
	if h.Template == "" {
		h.Template = "{body}"
	}
	if h.TimestampFormat == "" {
		h.TimestampFormat = UnixSeconds
	}
	if h.Separators == "" {
		h.Separators = ","
	}
	if h.VersionSeparator == "" {
		h.VersionSeparator = ","
	}
	return h
}

// compileShape checks the algorithm, the encodings and the signature
// header's shape, and sets the signature's size.
func (c *compiledHMAC) compileShape() error {
	switch c.Algorithm {
	case Ed25519:
		c.size = ed25519.SignatureSize
	case ECDSAP256SHA256:
		c.size = -maxSignatureSize
	default:
		newHash, err := c.Algorithm.new()
		if err != nil {
			return err
		}
		c.newHash, c.size = newHash, newHash().Size()
	}
	if !c.Encoding.valid() {
		return errorf(ErrInvalidScheme, "encoding %q (want hex, base64 or base64url)", string(c.Encoding))
	}
	if !c.TimestampFormat.valid() {
		return errorf(ErrInvalidScheme, "timestamp format %q (want unix, unix_ms or rfc3339)", string(c.TimestampFormat))
	}
	if len(c.SignatureHeaders) == 0 {
		return errorf(ErrInvalidScheme, "no signature header")
	}
	if f := c.EventIDField; f != "" && (len(f) > 64 || strings.ContainsAny(f, "\"\\") || strings.TrimFunc(f, unicode.IsPrint) != "") {
		return errorf(ErrInvalidScheme, "event id field %q: a JSON key of at most 64 printable characters, without quotes or backslashes", f)
	}
	names := make([]string, len(c.SignatureHeaders))
	for i, name := range c.SignatureHeaders {
		if name == "" {
			return errorf(ErrInvalidScheme, "empty signature header name")
		}
		names[i] = strings.ToLower(name)
	}
	c.SignatureHeaders = names
	switch c.SignatureFormat {
	case Plain, Positional:
	case KeyValue, List:
		if c.SignatureKey == "" {
			return errorf(ErrInvalidScheme, "signature format %q needs a signature key", string(c.SignatureFormat))
		}
	default:
		return errorf(ErrInvalidScheme, "signature format %q (want plain, kv, list or positional)", string(c.SignatureFormat))
	}
	if c.EverySignatureHeader && c.SignatureFormat != Plain {
		return errorf(ErrInvalidScheme, "every signature header needs signature format plain")
	}
	if c.TimestampKey != "" && c.SignatureFormat != KeyValue {
		return errorf(ErrInvalidScheme, "a timestamp key needs signature format kv")
	}
	if c.Tolerance < 0 {
		return errorf(ErrInvalidScheme, "negative tolerance")
	}
	return nil
}

// compileTemplate parses the template and checks that what it signs is
// where it is read from, and that what is read is signed.
func (c *compiledHMAC) compileTemplate() error {
	var err error
	if c.prefix, c.suffix, err = parseTemplate(c.Template); err != nil {
		return err
	}
	for _, p := range append(append([]part(nil), c.prefix...), c.suffix...) {
		switch p.name {
		case "timestamp":
			c.needsTS = true
		case "url":
			c.needsURL = true
		case "id":
			if c.IDHeader == "" {
				return errorf(ErrInvalidScheme, "template signs {id} but no id header is set")
			}
		}
	}
	positional := c.SignatureFormat == Positional
	if c.needsTS && c.TimestampHeader == "" && c.TimestampKey == "" && !positional {
		return errorf(ErrInvalidScheme, "template signs {timestamp} but neither a timestamp header nor a timestamp key is set")
	}
	if (c.TimestampHeader != "" || c.TimestampKey != "" || positional) && !c.needsTS {
		// A timestamp that is checked but not signed could be replaced.
		return errorf(ErrInvalidScheme, "a timestamp is read but the template does not sign {timestamp}")
	}
	c.IDHeader, c.TimestampHeader = strings.ToLower(c.IDHeader), strings.ToLower(c.TimestampHeader)
	return nil
}

// compileKeys copies the keys and prepares each: its padded MAC state, or
// for a public-key algorithm the parsed key.
func (c *compiledHMAC) compileKeys() error {
	var err error
	if c.Keys, err = ownKeys(c.Keys); err != nil {
		return err
	}
	if c.Algorithm.IsPublicKey() {
		c.pubs = make([]publicKey, len(c.Keys))
		for i, k := range c.Keys {
			if c.pubs[i], err = newPublicKey(c.Algorithm, k.Secret); err != nil {
				return err
			}
		}
		return nil
	}
	c.macs = make([]keyedMAC, len(c.Keys))
	for i, k := range c.Keys {
		c.macs[i] = newKeyedMAC(c.newHash, k.Secret)
	}
	return nil
}
