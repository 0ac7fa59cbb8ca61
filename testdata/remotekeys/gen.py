#!/usr/bin/env python3
"""gen.py signs hookguard's AWS SNS, PayPal, Plaid, Adobe I/O Events and
eBay vectors as the providers' documentation says they sign, with Python's
`cryptography`, and writes vectors.json to standard output. check.mjs then
verifies each vector with other code (sns-validator, Node's crypto and
zlib, jose, @adobe/aio-lib-events, event-notification-nodejs-sdk), and Go
tests (filter/remotekeyvectors_test.go, cmd/hookguard/providers_test.go)
run each through the built module and the gateway.

It is written from the providers' documentation only:

  AWS SNS
    docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
      the string to sign: "Name\\nvalue\\n" for Message, MessageId, Subject
      (if any), Timestamp, TopicArn, Type (notifications); Message,
      MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type
      (SubscriptionConfirmation and UnsubscribeConfirmation); SHA1withRSA
      for SignatureVersion 1, SHA256withRSA for 2; base64
    docs.aws.amazon.com/sns/latest/dg/sns-example-code-endpoint-java-servlet.html
      the same, as AWS's own Java example builds it
    docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
      the bodies' fields and the x-amz-sns-* headers
  PayPal
    developer.paypal.com/api/rest/webhooks/rest/ (self verification method)
      "transmissionId|timeStamp|webhookId|crc32", the CRC32 of the raw body
      in decimal, SHA256withRSA under the certificate at PAYPAL-CERT-URL
  Plaid
    plaid.com/docs/api/webhooks/webhook-verification/
      Plaid-Verification is an ES256 JWT whose header's kid names the key
      POST /webhook_verification_key/get answers (a JWK with created_at and
      expired_at); its claims are iat (at most 5 minutes old) and
      request_body_sha256, the hex SHA-256 of the raw body
  Adobe I/O Events
    developer.adobe.com/events/docs/guides/sdk/sdk_signature_verification
      x-adobe-digital-signature-1 and -2, each base64 rsa-sha256 (PKCS #1
      v1.5) of the event payload, the raw body as delivered, under two key
      pairs; x-adobe-public-key1-path and -2-path, the relative paths of
      the PEM public keys on static.adobeioevents.com; the body's
      recipient_client_id, which the receiver matches against its own
      client id; either signature verifying is enough
    @adobe/aio-lib-events src/signatureUtils.js
      the key's URL is "https://static.adobeioevents.com" + the path,
      joined as strings (https://static.adobeioevents.com/prod/keys/
      pub-key-<uuid>.pem); crypto.verify('rsa-sha256', body, key, sig)
  eBay
    developer.ebay.com/develop/guides-v2/marketplace-user-account-deletion
      X-EBAY-SIGNATURE is base64 of JSON {"alg": "ecdsa", "kid",
      "signature", "digest": "SHA1"}, the signature an ECDSA (DER, base64)
      with SHA-1 of the JSON payload; the Marketplace Account Deletion
      payload's fields (metadata: topic, schemaVersion, deprecated;
      notification: notificationId, eventDate, publishDate,
      publishAttemptCount, data: username, userId, eiasToken); the
      endpoint check, GET <endpoint>?challenge_code=…, answered
      {"challengeResponse": hex SHA-256 of challengeCode +
      verificationToken + endpoint}
    developer.ebay.com/api-docs/commerce/notification/resources/public_key/methods/getPublicKey
      GET https://api.ebay.com/commerce/notification/v1/public_key/{kid}
      with an application token (client credentials, the api_scope
      scope, from POST /identity/v1/oauth2/token with Basic
      client_id:client_secret) answers {"algorithm": "ECDSA", "digest":
      "SHA1", "key": "-----BEGIN PUBLIC KEY-----<base64>-----END PUBLIC KEY-----"}
    event-notification-nodejs-sdk 1.0.3 test/test.json
      one payload eBay signed itself, and its key (EBAY_SAMPLE_* below)

Every output is a function of this file and the three test-only keys
beside it: RSA PKCS #1 v1.5 is deterministic, the certificate's fields are fixed,
and the Plaid tokens and eBay signatures are signed with RFC 6979
deterministic ECDSA. So
running it again changes nothing, which `make check` requires.

  python3 gen.py > vectors.json      # then: node check.mjs
  python3 gen.py --new-keys          # once: writes the test-only-*.pem keys
"""

import base64
import datetime
import hashlib
import json
import sys
import zlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
RSA_KEY_FILE = HERE / "test-only-rsa-2048.pem"
EC_KEY_FILE = HERE / "test-only-p256.pem"
# Adobe signs with two key pairs: its key 1 is the RSA key above, its key 2 this one.
RSA_KEY_2_FILE = HERE / "test-only-rsa-2048-2.pem"

NOW = datetime.datetime(2026, 12, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
KEY_CLUSTER = "keys"

SNS_PATH = "/sns"
SNS_TOPIC = "arn:aws:sns:us-east-1:123456789012:orders"
SNS_OTHER_TOPIC = "arn:aws:sns:us-east-1:210987654321:orders"
SNS_CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-6aad65c2f9911b05cd53efda11f913f9.pem"
SNS_LOOKALIKE_CERT_URL = "https://sns.us-east-1.amazonaws.com.attacker.example/SimpleNotificationService-6aad65c2f9911b05cd53efda11f913f9.pem"
SNS_SUBSCRIPTION = SNS_TOPIC + ":4b0d2c3e-7f1a-4c55-9a34-2f0e6d1b8c77"

PAYPAL_PATH = "/paypal"
PAYPAL_WEBHOOK_ID = "4JH86294D6297924G"
PAYPAL_OTHER_WEBHOOK_ID = "8PT597110X687430L"
PAYPAL_CERT_URL = "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-5edc0ebc"

PLAID_PATH = "/plaid"
PLAID_ENV = "PLAID_API"
PLAID_CREDENTIALS = "client-1:api-secret-1"  # a stand-in for the route's test; no real account's
PLAID_KID = "6c5516e1-92dc-479e-a8ff-5a51992e0001"
PLAID_KEY_CREATED = 1764547200  # 2025-12-01T00:00:00Z

ADOBE_PATH = "/adobe-io"
ADOBE_CLIENT_ID = "4f6c2b1e8a9d4e07b3c5a1f2d6e8b9c0"  # the integration's API key: public, no secret
ADOBE_OTHER_CLIENT_ID = "9e1d3c5b7a2f4e6d8c0b1a3f5e7d9c2b"
ADOBE_KEY_1_PATH = "/prod/keys/pub-key-3d7a91c4-5b2e-4f86-a0c9-8e1f2b6d4a73.pem"
ADOBE_KEY_2_PATH = "/prod/keys/pub-key-b85e02f7-9c3d-4a61-8e4b-1d7f5c2a9e06.pem"
ADOBE_LOOKALIKE_HOST = "attacker.example"

EBAY_PATH = "/ebay"
EBAY_APP_ENV = "EBAY_APP"
EBAY_APP_CREDENTIALS = "HookGuar-Vectors-PRD-5f2e8c1a7-3b9d4e60:PRD-f2e8c1a73b9d-4e60-4a1b-9c7d-2f58"  # a stand-in: no real application's
EBAY_KID = "3f7c2a91-6d4e-4b58-9e1a-0c5d8b2f7a64"
EBAY_UNKNOWN_KID = "b04e6d2c-8a17-4f3b-a5c9-71e2d0f8c356"  # a kid the key server does not know
EBAY_TOKEN = "v^1.1#i^1#p^1#r^0#I^3#f^0#t^H4sIAAAAAAAA-hookguard-test-only-application-token"
EBAY_VERIFY_TOKEN_ENV = "EBAY_VERIFY_TOKEN"
EBAY_VERIFY_TOKEN = "hookguard_test-verification-token_0123456789abcdef"  # 32 to 80 of [A-Za-z0-9_-]
EBAY_ENDPOINT = "https://hooks.example.com/ebay"


def require_deterministic_ecdsa():
    """Exits, saying why, if this cryptography cannot sign ECDSA by RFC 6979."""
    import cryptography
    try:
        ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    except TypeError:
        sys.exit(f"gen.py: cryptography {cryptography.__version__} has no deterministic ECDSA "
                 "(ec.ECDSA(..., deterministic_signing=True)): use a newer cryptography")


KEY_FILES = (RSA_KEY_FILE, EC_KEY_FILE, RSA_KEY_2_FILE)


def load_keys():
    """The committed test-only keys (python3 gen.py --new-keys makes them):
    RSA-2048, P-256, and Adobe's second RSA-2048."""
    for f in KEY_FILES:
        if not f.exists():
            sys.exit(f"gen.py: {f.name} is missing: run python3 gen.py --new-keys once, and commit it")
    rsa_key, ec_key, rsa_key_2 = (serialization.load_pem_private_key(f.read_bytes(), password=None) for f in KEY_FILES)
    for f, key in ((RSA_KEY_FILE, rsa_key), (RSA_KEY_2_FILE, rsa_key_2)):
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != 2048:
            sys.exit(f"gen.py: {f.name} is not an RSA-2048 private key")
    if not isinstance(ec_key, ec.EllipticCurvePrivateKey) or ec_key.curve.name != "secp256r1":
        sys.exit(f"gen.py: {EC_KEY_FILE.name} is not a P-256 private key")
    return rsa_key, ec_key, rsa_key_2


def new_keys():
    """Writes a fresh test-only key for each key file missing, leaving the
    others: run once, never by the generator."""
    pem = serialization.PrivateFormat.PKCS8
    for f in KEY_FILES:
        if f.exists():
            continue
        key = ec.generate_private_key(ec.SECP256R1()) if f == EC_KEY_FILE else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        f.write_bytes(key.private_bytes(serialization.Encoding.PEM, pem, serialization.NoEncryption()))
        print(f"gen.py: wrote {f.name}", file=sys.stderr)


def certificate(key):
    """A self-signed certificate of key with fixed fields: the same bytes
    on every run (the signature is PKCS #1 v1.5, deterministic)."""
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hookguard test vectors (test only, nobody's real key)"),
        x509.NameAttribute(NameOID.COMMON_NAME, "remote-key-provider.hookguard.test"),
    ])
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(0x486F6F6B6775617264)
            .not_valid_before(datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc))
            .not_valid_after(datetime.datetime(2035, 1, 1, tzinfo=datetime.timezone.utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def b64(data):
    return base64.b64encode(data).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def vector(name, preset, path, headers, body, valid, why):
    return {"name": name, "preset": preset, "method": "POST", "path": path, "headers": headers,
            "body": body, "valid": valid, "why": why}


# --- AWS SNS -------------------------------------------------------------

# The fields SNS signs, in this order (sns-verify-signature-of-message.html).
SNS_NOTIFICATION_FIELDS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
SNS_CONFIRMATION_FIELDS = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
SNS_HASHES = {"1": hashes.SHA1(), "2": hashes.SHA256()}


def sns_string_to_sign(msg):
    """Name\\nvalue\\n for each signed field the message has."""
    fields = SNS_NOTIFICATION_FIELDS if msg["Type"] == "Notification" else SNS_CONFIRMATION_FIELDS
    return "".join(f"{f}\n{msg[f]}\n" for f in fields if f in msg).encode()


def sns_sign(key, msg, version):
    """msg with SignatureVersion, Signature and SigningCertURL added, in
    the order SNS sends them (sns-message-and-json-formats.html)."""
    signature = key.sign(sns_string_to_sign(msg), padding.PKCS1v15(), SNS_HASHES[version])
    out = dict(msg)
    out["SignatureVersion"] = version
    out["Signature"] = b64(signature)
    out["SigningCertURL"] = SNS_CERT_URL
    if msg["Type"] == "Notification":
        out["UnsubscribeURL"] = ("https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + SNS_SUBSCRIPTION)
    return out


def sns_body(msg, ascii_only=False):
    """The body as SNS lays it out: two-space indent, " : " after a name."""
    return json.dumps(msg, indent=2, separators=(",", " : "), ensure_ascii=ascii_only)


def sns_headers(msg):
    h = {"content-type": "text/plain; charset=UTF-8", "user-agent": "Amazon Simple Notification Service Agent",
         "x-amz-sns-message-type": msg["Type"], "x-amz-sns-message-id": msg["MessageId"],
         "x-amz-sns-topic-arn": msg["TopicArn"]}
    if msg["Type"] == "Notification":
        h["x-amz-sns-subscription-arn"] = SNS_SUBSCRIPTION
    return h


def sns_notification(message_id, message, subject=None, topic=SNS_TOPIC):
    msg = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic}
    if subject is not None:
        msg["Subject"] = subject
    msg["Message"] = message
    msg["Timestamp"] = "2026-12-01T11:59:0" + message_id[-1] + ".512Z"
    return msg


def sns_confirmation(kind, message_id, token):
    query = "Action=ConfirmSubscription&TopicArn=" + SNS_TOPIC + "&Token=" + token
    if kind == "SubscriptionConfirmation":
        text = "You have chosen to subscribe to the topic " + SNS_TOPIC + ".\nTo confirm the subscription, visit the SubscribeURL included in this message."
    else:
        text = ("You have chosen to deactivate subscription " + SNS_SUBSCRIPTION +
                ".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.")
    return {"Type": kind, "MessageId": message_id, "Token": token, "TopicArn": SNS_TOPIC, "Message": text,
            "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?" + query, "Timestamp": "2026-12-01T11:58:4" + message_id[-1] + ".250Z"}


def sns_vector(name, msg, valid, why, ascii_only=False):
    return vector(name, "aws-sns", SNS_PATH, sns_headers(msg), sns_body(msg, ascii_only), valid, why)


ESCAPED_JSON = json.dumps({"order": "A-1001", "note": "line one\nline two \"quoted\" \\ back", "tab": "\t",
                           "total": "12,50 €", "who": "Zoë Ångström 山田", "emoji": "🦆"}, ensure_ascii=False)


def sns_vectors(key):
    v = []
    # Notifications.
    m = sns_sign(key, sns_notification("2f0b1a34-5c6d-4e7f-8a9b-0c1d2e3f4a51", "Order A-1001 shipped", subject="Order shipped"), "1")
    v.append(sns_vector("sns/notification-v1-subject", m, True, "SignatureVersion 1 (SHA1withRSA), with a Subject"))
    m = sns_sign(key, sns_notification("2f0b1a34-5c6d-4e7f-8a9b-0c1d2e3f4a52", "Order A-1002 shipped"), "2")
    v.append(sns_vector("sns/notification-v2-no-subject", m, True, "SignatureVersion 2 (SHA256withRSA), no Subject: it is left out of the signed string"))
    m = sns_sign(key, sns_notification("2f0b1a34-5c6d-4e7f-8a9b-0c1d2e3f4a53", ESCAPED_JSON, subject="Ünïcödé ✓"), "2")
    v.append(sns_vector("sns/notification-unicode-json-message", m, True,
                        "the Message is JSON (quotes, backslash, newline, tab escaped in the body) with UTF-8 text; the signed string holds the decoded value"))
    m = sns_sign(key, sns_notification("2f0b1a34-5c6d-4e7f-8a9b-0c1d2e3f4a54", ESCAPED_JSON, subject="Ünïcödé ✓"), "1")
    v.append(sns_vector("sns/notification-unicode-ascii-escaped", m, True,
                        "the same kind of Message with every non-ASCII character sent as \\u escapes (a surrogate pair for the emoji)", ascii_only=True))
    # Confirmations.
    for kind, short in (("SubscriptionConfirmation", "subscription"), ("UnsubscribeConfirmation", "unsubscribe")):
        for version in ("1", "2"):
            token = "2336412f37fb687f5d51e6e241d164b0533302ec696efc8f113cd2252ce8a925c1e44a3c4ca2984675da85b9bd8c05da" + short[:2] + version
            mid = "165545c9-2a5c-472c-8df2-7ff2be2b3b" + ("1" if short == "subscription" else "2") + version
            m = sns_sign(key, sns_confirmation(kind, mid, token), version)
            v.append(sns_vector(f"sns/{short}-confirmation-v{version}", m, True,
                                f"a {kind}, SignatureVersion {version}: Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type are signed"))
    # Refused.
    m = sns_sign(key, sns_notification("2f0b1a34-5c6d-4e7f-8a9b-0c1d2e3f4a55", "Order A-1005 shipped"), "2")
    m["Message"] = "Order A-1005 refunded"
    v.append(sns_vector("sns/tampered-message", m, False, "the Message was changed after signing"))
    m = sns_sign(key, sns_notification("2f0b1a34-5c6d-4e7f-8a9b-0c1d2e3f4a56", "Order A-1006 shipped", topic=SNS_OTHER_TOPIC), "2")
    v.append(sns_vector("sns/other-topic", m, False,
                        "signed by AWS's key, but for a topic the route does not take (AWS signs every account's topics with one certificate)"))
    m = sns_sign(key, sns_notification("2f0b1a34-5c6d-4e7f-8a9b-0c1d2e3f4a57", "Order A-1007 shipped"), "2")
    m["SigningCertURL"] = SNS_LOOKALIKE_CERT_URL
    v.append(sns_vector("sns/lookalike-cert-host", m, False, "the certificate URL's host only begins like AWS's"))
    m = sns_sign(key, sns_notification("2f0b1a34-5c6d-4e7f-8a9b-0c1d2e3f4a58", "Order A-1008 shipped"), "2")
    m["SignatureVersion"] = "3"
    v.append(sns_vector("sns/signature-version-3", m, False, "SignatureVersion 3 is not one AWS documents"))
    m = sns_sign(key, sns_notification("2f0b1a34-5c6d-4e7f-8a9b-0c1d2e3f4a59", "Order A-1009 shipped"), "1")
    m["SignatureVersion"] = "2"
    v.append(sns_vector("sns/v1-signature-labelled-v2", m, False, "a SHA1withRSA signature under SignatureVersion 2"))
    return v


# --- PayPal --------------------------------------------------------------


def paypal_headers(key, transmission_id, time, webhook_id, body, algo="SHA256withRSA"):
    """The headers PayPal sends, signing transmissionId|timeStamp|webhookId|crc32
    (the CRC32 of the raw body, unsigned decimal) with SHA256withRSA."""
    signed = f"{transmission_id}|{time}|{webhook_id}|{zlib.crc32(body.encode())}".encode()
    sig = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
    return {"content-type": "application/json", "paypal-auth-algo": algo, "paypal-cert-url": PAYPAL_CERT_URL,
            "paypal-transmission-id": transmission_id, "paypal-transmission-sig": b64(sig),
            "paypal-transmission-time": time, "user-agent": "PayPal/AUHD-214.0-58843066"}


def paypal_event(event_id, summary, amount):
    return json.dumps({
        "id": event_id, "event_version": "1.0", "create_time": "2026-12-01T11:58:57.000Z", "resource_type": "capture",
        "resource_version": "2.0", "event_type": "PAYMENT.CAPTURE.COMPLETED", "summary": summary,
        "resource": {"id": "2GG279541U471931P", "status": "COMPLETED", "amount": {"currency_code": "EUR", "value": amount},
                     "final_capture": True, "create_time": "2026-12-01T11:58:52Z"},
        "links": [{"href": "https://api.paypal.com/v1/notifications/webhooks-events/" + event_id, "rel": "self", "method": "GET"}],
    }, ensure_ascii=False, separators=(",", ":"))


def paypal_vector(name, headers, body, valid, why):
    return vector(name, "paypal", PAYPAL_PATH, headers, body, valid, why)


def paypal_vectors(key):
    v = []
    body1 = paypal_event("WH-58D329510W468432D-8HN650336L201105X", "Payment completed for EUR 7.47 EUR", "7.47")
    v.append(paypal_vector("paypal/valid", paypal_headers(key, "69cd13f0-d67a-11e5-baa3-778b53f4ae55", "2026-12-01T11:59:01Z",
                                                          PAYPAL_WEBHOOK_ID, body1), body1, True, "signed for the route's webhook id"))
    body2 = paypal_event("WH-7Y7254563A4550640-11V2185806837105M", "Zahlung über 12,50 € für „Bücher“ abgeschlossen ✓", "12.50")
    v.append(paypal_vector("paypal/valid-unicode", paypal_headers(key, "0f5e3c1a-d67b-11e5-8f6c-2b4a1e7d9c01", "2026-12-01T11:59:02Z",
                                                                  PAYPAL_WEBHOOK_ID, body2), body2, True,
                           "a UTF-8 body: the CRC32 is of its bytes"))
    h = paypal_headers(key, "7a1b2c3d-d67c-11e5-9a0b-1c2d3e4f5a03", "2026-12-01T11:59:03Z", PAYPAL_WEBHOOK_ID, body1)
    v.append(paypal_vector("paypal/tampered-body", h, body1.replace("7.47", "747.00"), False, "the body was changed after signing"))
    h = paypal_headers(key, "7a1b2c3d-d67c-11e5-9a0b-1c2d3e4f5a04", "2026-12-01T11:59:04Z", PAYPAL_OTHER_WEBHOOK_ID, body1)
    v.append(paypal_vector("paypal/other-webhook-id", h, body1, False, "signed for another webhook's id"))
    h = paypal_headers(key, "7a1b2c3d-d67c-11e5-9a0b-1c2d3e4f5a05", "2026-12-01T11:59:05Z", PAYPAL_WEBHOOK_ID, body1,
                       algo="SHA512withRSA")
    v.append(paypal_vector("paypal/wrong-auth-algo", h, body1, False,
                           "PAYPAL-AUTH-ALGO names an algorithm other than SHA256withRSA, the one the signature is made with"))
    return v


# --- Plaid ---------------------------------------------------------------


def plaid_jwk(key):
    n = key.public_key().public_numbers()
    return {"alg": "ES256", "crv": "P-256", "kid": PLAID_KID, "kty": "EC", "use": "sig",
            "x": b64url(n.x.to_bytes(32, "big")), "y": b64url(n.y.to_bytes(32, "big")),
            "created_at": PLAID_KEY_CREATED, "expired_at": None}


def plaid_token(key, body, iat):
    """An ES256 JWS over {"iat", "request_body_sha256"}, its header naming
    the key: deterministic ECDSA (RFC 6979), r||s as JWS wants."""
    header = b64url(json.dumps({"alg": "ES256", "kid": PLAID_KID, "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iat": iat, "request_body_sha256": hashlib.sha256(body.encode()).hexdigest()}
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    der = key.sign(f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return f"{header}.{payload}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def plaid_body(webhook_type, code, item_id, extra):
    # Plaid sends its bodies indented by two spaces.
    return json.dumps({"environment": "production", "webhook_type": webhook_type, "webhook_code": code, "item_id": item_id, **extra},
                      indent=2, ensure_ascii=False)


def plaid_vector(name, body, token, valid, why):
    headers = {"content-type": "application/json", "user-agent": "Plaid Verifier"}
    if token is not None:
        headers["plaid-verification"] = token
    return vector(name, "plaid", PLAID_PATH, headers, body, valid, why)


def plaid_vectors(key):
    now = int(NOW.timestamp())
    body = plaid_body("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE", "wz666MBjYWTp2PDzzggYhM6oWWmBb",
                      {"initial_update_complete": True, "historical_update_complete": False})
    other = plaid_body("ITEM", "ERROR", "DWVAAPWq4RHGlEaNyGKRTAnPLaEmo8Cvq7na6",
                       {"error": {"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED",
                                  "display_message": "Bitte melden Sie sich erneut an — Zugangsdaten geändert"}})
    return [
        plaid_vector("plaid/valid", body, plaid_token(key, body, now - 20), True, "iat 20 s old, the body's hash"),
        plaid_vector("plaid/valid-unicode", other, plaid_token(key, other, now - 290), True,
                     "a UTF-8 body, iat 4 min 50 s old"),
        plaid_vector("plaid/tampered-body", body.replace("false", "true"), plaid_token(key, body, now - 20), False,
                     "the body was changed after signing: request_body_sha256 no longer matches"),
        plaid_vector("plaid/iat-6-minutes-old", body, plaid_token(key, body, now - 360), False,
                     "iat is 6 minutes old; Plaid says to refuse one over 5"),
        plaid_vector("plaid/missing-header", body, None, False, "no Plaid-Verification header"),
    ]


# --- Adobe I/O Events ----------------------------------------------------


def adobe_public_key(key):
    """The PEM "PUBLIC KEY" (SubjectPublicKeyInfo) Adobe serves for a key."""
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def adobe_sign(key, body):
    """base64 rsa-sha256 (PKCS #1 v1.5) of the raw body's bytes."""
    return b64(key.sign(body.encode(), padding.PKCS1v15(), hashes.SHA256()))


def adobe_headers(sig1, sig2, path1=ADOBE_KEY_1_PATH, path2=ADOBE_KEY_2_PATH, event_id=""):
    """The headers of an I/O Events delivery: the two signatures and their
    keys' paths, and the delivery's own (sdk_signature_verification's list)."""
    return {"content-type": "application/json; charset=utf-8", "user-agent": "Adobe/1.0",
            "x-adobe-delivery-id": "d" + event_id[1:], "x-adobe-event-code": "com.example.order.created",
            "x-adobe-event-id": event_id, "x-adobe-provider": "custom",
            "x-adobe-digital-signature-1": sig1, "x-adobe-digital-signature-2": sig2,
            "x-adobe-public-key1-path": path1, "x-adobe-public-key2-path": path2}


def adobe_event(event_id, recipient, data):
    """A custom event as I/O Events delivers it: CloudEvents fields, with
    event_id and recipient_client_id added; compact JSON, UTF-8."""
    return json.dumps({
        "specversion": "1.0", "type": "com.example.order.created", "source": "urn:uuid:6f2d8a41-0c3b-4e59-9a17-2b8c5d0e4f63",
        "id": event_id, "time": "2026-12-01T11:59:0" + event_id[-1] + ".000Z", "datacontenttype": "application/json",
        "data": data, "event_id": event_id, "recipient_client_id": recipient,
    }, ensure_ascii=False, separators=(",", ":"))


def adobe_vector(name, headers, body, valid, why):
    return vector(name, "adobe-io", ADOBE_PATH, headers, body, valid, why)


def adobe_vectors(key1, key2):
    """key1 and key2 are Adobe's two key pairs; a signature "with the wrong
    key" is made with the other pair's."""
    v = []
    def signed(body, sig1_key=key1, **kw):
        return adobe_headers(adobe_sign(sig1_key, body), adobe_sign(key2, body), event_id=json.loads(body)["event_id"], **kw)
    body1 = adobe_event("a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a51", ADOBE_CLIENT_ID, {"order": "A-2001", "total": "19.99"})
    v.append(adobe_vector("adobe-io/valid", signed(body1), body1, True, "both signatures right, for the route's client id"))
    body2 = adobe_event("a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a52", ADOBE_CLIENT_ID, {"order": "A-2002", "total": "5.00"})
    v.append(adobe_vector("adobe-io/valid-second-signature-only", signed(body2, sig1_key=key2), body2, True,
                          "signature 1 was made with the wrong key (key 2's), signature 2 is right: either verifying is enough"))
    body3 = adobe_event("a1b2c3d4-0003-4e5f-8a9b-0c1d2e3f4a53", ADOBE_CLIENT_ID,
                        {"order": "A-2003", "note": "Zoë Ångström 山田 \"quoted\"\nline two", "total": "12,50 €", "emoji": "🦆"})
    v.append(adobe_vector("adobe-io/valid-unicode", signed(body3), body3, True, "a UTF-8 body: the signatures are of its bytes"))
    body4 = adobe_event("a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a54", ADOBE_CLIENT_ID, {"order": "A-2004", "total": "19.99"})
    v.append(adobe_vector("adobe-io/tampered-body", signed(body4), body4.replace("19.99", "1999.00"), False,
                          "the body was changed after signing: neither signature verifies"))
    body5 = adobe_event("a1b2c3d4-0005-4e5f-8a9b-0c1d2e3f4a55", ADOBE_OTHER_CLIENT_ID, {"order": "A-2005", "total": "19.99"})
    v.append(adobe_vector("adobe-io/other-recipient", signed(body5), body5, False,
                          "signed by Adobe's keys, but for another integration's client id (Adobe signs every integration's events with the same keys)"))
    body6 = adobe_event("a1b2c3d4-0006-4e5f-8a9b-0c1d2e3f4a56", ADOBE_CLIENT_ID, {"order": "A-2006", "total": "19.99"})
    v.append(adobe_vector("adobe-io/key-path-not-pem", signed(body6, path1=ADOBE_KEY_1_PATH[:-len(".pem")] + ".txt",
                                                             path2=ADOBE_KEY_2_PATH[:-len(".pem")] + ".txt"), body6, False,
                          "both key paths end .txt: no key Adobe publishes (its keys are .pem files); refused without fetching"))
    body7 = adobe_event("a1b2c3d4-0007-4e5f-8a9b-0c1d2e3f4a57", ADOBE_CLIENT_ID, {"order": "A-2007", "total": "19.99"})
    v.append(adobe_vector("adobe-io/key-path-names-another-host", signed(body7, path1="@" + ADOBE_LOOKALIKE_HOST + ADOBE_KEY_1_PATH,
                                                                       path2="@" + ADOBE_LOOKALIKE_HOST + ADOBE_KEY_2_PATH), body7, False,
                          "both key paths begin @" + ADOBE_LOOKALIKE_HOST + ": joined to https://static.adobeioevents.com as strings, "
                          "they name a key on that host (the rest is URL userinfo); refused without fetching"))
    headers = {k: val for k, val in signed(body1).items() if not k.startswith(("x-adobe-digital-signature", "x-adobe-public-key"))}
    v.append(adobe_vector("adobe-io/missing-headers", headers, body1, False, "no x-adobe-digital-signature-* or x-adobe-public-key*-path header"))
    return v


# --- eBay ----------------------------------------------------------------

# eBay's own sample, as event-notification-nodejs-sdk 1.0.3 ships it
# (test/test.json, "VALID"; Apache-2.0): the Marketplace Account Deletion
# payload of the deletion guide, signed by eBay under one of its keys, and
# that key as getPublicKey answers it. The one vector not signed here.
EBAY_SAMPLE_KID = "9936261a-7d7b-4621-a0f1-96ccb428af49"
EBAY_SAMPLE_SIGNATURE = ("eyJhbGciOiJlY2RzYSIsImtpZCI6Ijk5MzYyNjFhLTdkN2ItNDYyMS1hMGYxLTk2Y2NiNDI4YWY0OSIsInNpZ25hdHVyZSI6Ik1FWUNJUUNmeGZJV3V4bVdj"
                         "SUJRSjljNS9YN2lHREpxczJSQ0dzQkVhQWppbnlycmZBSWhBSVY2d0djVGlCdVY1S0pVaWYyaG9reXJMK1E5c3NIa2FkK214Mm5FRTI1dyIsImRpZ2VzdCI6IlNIQTEifQ==")
EBAY_SAMPLE_KEY = ("-----BEGIN PUBLIC KEY-----MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZhhxXKtR+TOvtDbgTPCkSof02qgBB7IsYOyf76ilExJ/upAa/vKIKheOoCyOpcLmi4t0b4uepb7LLjmMr90FUg=="
                   "-----END PUBLIC KEY-----")


def ebay_deletion(notification_id, event_date, publish_date, username, user_id, eias_token, attempts=1):
    """A Marketplace Account Deletion notification with the fields the
    deletion guide documents, in its order."""
    return {"metadata": {"topic": "MARKETPLACE_ACCOUNT_DELETION", "schemaVersion": "1.0", "deprecated": False},
            "notification": {"notificationId": notification_id, "eventDate": event_date, "publishDate": publish_date,
                             "publishAttemptCount": attempts,
                             "data": {"username": username, "userId": user_id, "eiasToken": eias_token}}}


# The deletion guide's example payload (and the SDK's sample's).
EBAY_GUIDE_EXAMPLE = ebay_deletion("49feeaeb-4982-42d9-a377-9645b8479411_33f7e043-fed8-442b-9d44-791923bd9a6d",
                                   "2021-03-19T20:43:59.462Z", "2021-03-19T20:43:59.679Z", "test_user", "ma8vp1jySJC",
                                   "nY+sHZ2PrBmdj6wVnY+sEZ2PrA2dj6wJnY+gAZGEpwmdj6x9nY+seQ==")


def ebay_compact(msg):
    """The body as eBay sends it: compact JSON, UTF-8, no escapes but JSON's
    own: what JSON.stringify writes for it, the bytes eBay signs."""
    return json.dumps(msg, ensure_ascii=False, separators=(",", ":"))


def ebay_key_answer(key):
    """getPublicKey's answer: the PEM "PUBLIC KEY" with its base64 on one
    line between the markers, as eBay gives it."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"algorithm": "ECDSA", "digest": "SHA1", "key": "-----BEGIN PUBLIC KEY-----" + b64(der) + "-----END PUBLIC KEY-----"}


def ebay_signature(key, body, kid=EBAY_KID):
    """X-EBAY-SIGNATURE: base64 JSON of the ECDSA (SHA1, DER, base64) of the
    body's bytes, deterministic (RFC 6979), and the key's kid."""
    der = key.sign(body.encode(), ec.ECDSA(hashes.SHA1(), deterministic_signing=True))
    return b64(json.dumps({"alg": "ecdsa", "kid": kid, "signature": b64(der), "digest": "SHA1"}, separators=(",", ":")).encode())


def ebay_vector(name, body, signature, valid, why, status=None):
    headers = {"content-type": "application/json", "user-agent": "eBay Notification Service"}
    if signature is not None:
        headers["x-ebay-signature"] = signature
    v = vector(name, "ebay", EBAY_PATH, headers, body, valid, why)
    if status is not None:
        v["status"] = status
    return v


def ebay_vectors(key):
    deletion = ebay_deletion("7c1e5a92-3b4d-4f60-8a1e-2d9c6b0f5e13_5a0b9c8d-1e2f-4a3b-8c4d-5e6f7a8b9c01", "2026-12-01T11:58:41.208Z",
                             "2026-12-01T11:58:41.517Z", "order_buyer_42", "Ab3xK9pQz2L", "nY+sHZ2PrBmdj6wVnY+sEZ2PrA2dj6wFk4aiDZKHoQ2dj6x9nY+seQ==")
    body = ebay_compact(deletion)
    unicode_msg = ebay_deletion("9d2f4b61-0a8c-4e7d-b3f5-6c1a2e9d8b47_0c3e5a7b-9d1f-4b2a-8e6c-4d7f9a1b3c52", "2026-12-01T11:59:02.031Z",
                                "2026-12-01T11:59:02.340Z", "zoë_ångström_山田🦆", "Zq7Lm2Xc4Vb", "nY+sHZ2PrBmdj6wVnY+sEZ2PrA2dj6wHkoWpD5aGowydj6x9nY+seQ==", 3)
    unicode_body = ebay_compact(unicode_msg)
    return [
        ebay_vector("ebay/valid", body, ebay_signature(key, body), True, "compact JSON, as eBay sends it, signed under a kid eBay's API knows"),
        ebay_vector("ebay/deletion-guide-example", ebay_compact(EBAY_GUIDE_EXAMPLE), ebay_signature(key, ebay_compact(EBAY_GUIDE_EXAMPLE)), True,
                    "the Marketplace Account Deletion example of eBay's guide, every documented field"),
        ebay_vector("ebay/ebay-signed-sample", ebay_compact(EBAY_GUIDE_EXAMPLE), EBAY_SAMPLE_SIGNATURE, True,
                    "the same payload as eBay itself signed it, under eBay's key (event-notification-nodejs-sdk's test sample)"),
        ebay_vector("ebay/valid-unicode", unicode_body, ebay_signature(key, unicode_body), True,
                    "UTF-8 text in the body, sent unescaped: the signature is of its bytes"),
        ebay_vector("ebay/pretty-printed", json.dumps(deletion, indent=2, ensure_ascii=False), ebay_signature(key, body), True,
                    "the body indented, as the guide shows it; the signature is of the compact form, which eBay's SDK re-serializes it to"),
        ebay_vector("ebay/tampered-body", body.replace("order_buyer_42", "order_buyer_43"), ebay_signature(key, body), False,
                    "the body was changed after signing"),
        ebay_vector("ebay/unknown-kid", body, ebay_signature(key, body, kid=EBAY_UNKNOWN_KID), False,
                    "signed under a kid eBay's API does not know: no key can be had, so 503, not 401", status=503),
        ebay_vector("ebay/malformed-header", body, b64(b"ecdsa:" + EBAY_KID.encode() + b":not json"), False,
                    "X-EBAY-SIGNATURE is base64, but not of JSON"),
        ebay_vector("ebay/missing-header", body, None, False, "no X-EBAY-SIGNATURE header"),
    ]


def ebay_handshake():
    """eBay's endpoint check, GET <endpoint>?challenge_code=…: the answer is
    the hex SHA-256 of challengeCode + verificationToken + endpoint (the
    deletion guide), as {"challengeResponse": …}."""
    codes = [("123", "challenge_code=123"),
             ("a8628072-3d33-45ee-9004-bee86830a22d", "challenge_code=a8628072-3d33-45ee-9004-bee86830a22d"),
             ("Zm9v+YmFy/cXV4~.=", "challenge_code=Zm9v%2BYmFy%2FcXV4~.%3D")]
    return {"route": "ebay", "endpoint": EBAY_ENDPOINT, "verification_token_env": EBAY_VERIFY_TOKEN_ENV, "challenges": [
        {"challenge_code": code, "query": query,
         "challenge_response": hashlib.sha256((code + EBAY_VERIFY_TOKEN + EBAY_ENDPOINT).encode()).hexdigest()}
        for code, query in codes]}


def main():
    if sys.argv[1:] == ["--new-keys"]:
        new_keys()
        return
    if sys.argv[1:]:
        sys.exit("usage: python3 gen.py > vectors.json | python3 gen.py --new-keys")
    require_deterministic_ecdsa()
    rsa_key, ec_key, rsa_key_2 = load_keys()
    out = {
        "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cert_pem": certificate(rsa_key),
        "plaid_key_answer": {"key": plaid_jwk(ec_key), "request_id": "Wf2bq3kzXhg1nYr"},
        "adobe_public_keys": {ADOBE_KEY_1_PATH: adobe_public_key(rsa_key), ADOBE_KEY_2_PATH: adobe_public_key(rsa_key_2)},
        "ebay_token_answer": {"access_token": EBAY_TOKEN, "expires_in": 7200, "token_type": "Application Access Token"},
        "ebay_public_keys": {EBAY_KID: ebay_key_answer(ec_key),
                             EBAY_SAMPLE_KID: {"algorithm": "ECDSA", "digest": "SHA1", "key": EBAY_SAMPLE_KEY}},
        "ebay_handshake": ebay_handshake(),
        "env": {EBAY_APP_ENV: EBAY_APP_CREDENTIALS, EBAY_VERIFY_TOKEN_ENV: EBAY_VERIFY_TOKEN, PLAID_ENV: PLAID_CREDENTIALS},
        "routes": {
            "adobe-io": {"name": "adobe-io", "match": {"path": ADOBE_PATH}, "scheme": "adobe-io", "key_cluster": KEY_CLUSTER,
                         "client_ids": [ADOBE_CLIENT_ID]},
            "aws-sns": {"name": "sns", "match": {"path": SNS_PATH}, "scheme": "aws-sns", "key_cluster": KEY_CLUSTER,
                        "topic_arns": [SNS_TOPIC]},
            "ebay": {"name": "ebay", "match": {"path": EBAY_PATH}, "scheme": "ebay", "key_cluster": KEY_CLUSTER,
                     "secrets": [{"id": "app", "env": EBAY_APP_ENV}], "handshake": True, "verify_token_env": EBAY_VERIFY_TOKEN_ENV,
                     "public_url": EBAY_ENDPOINT},
            "paypal": {"name": "paypal", "match": {"path": PAYPAL_PATH}, "scheme": "paypal", "key_cluster": KEY_CLUSTER,
                       "webhook_ids": [PAYPAL_WEBHOOK_ID]},
            "plaid": {"name": "plaid", "match": {"path": PLAID_PATH}, "scheme": "plaid", "key_cluster": KEY_CLUSTER,
                      "secrets": [{"id": "api", "env": PLAID_ENV}]},
        },
        "vectors": sns_vectors(rsa_key) + paypal_vectors(rsa_key) + plaid_vectors(ec_key) + adobe_vectors(rsa_key, rsa_key_2) + ebay_vectors(ec_key),
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
