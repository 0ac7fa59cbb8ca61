// check.mjs verifies every vector gen.py wrote with code that is neither
// gen.py's nor hookguard's, and exits 1 if any vector's "valid" disagrees:
//
//   AWS SNS  sns-validator (AWS's JavaScript message validator), its own
//            host check kept; only its certificate download is stubbed to
//            answer cert_pem. The route's topic check follows, as an
//            application does after sns-validator.
//   PayPal   Node's crypto.verify("sha256") and zlib.crc32, as the Node
//            sample of developer.paypal.com/api/rest/webhooks/rest/ does.
//   Plaid    jose's compactVerify under the JWK Plaid's API answers, then
//            iat at most 5 minutes old and request_body_sha256
//            (plaid.com/docs/api/webhooks/webhook-verification/).
//
//   cd testdata/remotekeys && npm ci && python3 gen.py > vectors.json && node check.mjs
//
// It prints one line per vector, never a signature or a body.
import crypto from "node:crypto";
import { EventEmitter } from "node:events";
import fs from "node:fs";
import https from "node:https";
import zlib from "node:zlib";
import { createRequire } from "node:module";
import * as jose from "jose";

const require = createRequire(import.meta.url);
const MessageValidator = require("sns-validator");

const file = JSON.parse(fs.readFileSync(new URL("./vectors.json", import.meta.url)));
const now = Date.parse(file.now);
const PLAID_MAX_AGE = 5 * 60; // seconds: "no more than 5 minutes old"

if (typeof zlib.crc32 !== "function") {
  console.error("check.mjs: this Node has no zlib.crc32 (added in 20.15): use Node 20.15 or later");
  process.exit(2);
}

// --- AWS SNS -----------------------------------------------------------

// sns-validator downloads the certificate with https.get: answer cert_pem
// for a URL on AWS's SNS hosts, 404 for any other. The validator checks
// the URL's host itself before it asks.
const awsCertURL = /^https:\/\/sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9-]+\.pem$/i;
https.get = (url, onResponse) => {
  const res = new EventEmitter();
  res.statusCode = awsCertURL.test(String(url)) ? 200 : 404;
  process.nextTick(() => {
    onResponse(res);
    if (res.statusCode === 200) res.emit("data", Buffer.from(file.cert_pem));
    res.emit("end");
  });
  return new EventEmitter();
};

const snsValidator = new MessageValidator();
const snsValidate = (body) =>
  new Promise((resolve) => snsValidator.validate(body, (err) => resolve(err ? err.message : null)));

// The documented string to sign (sns-verify-signature-of-message.html),
// verified with Node's crypto: the cross-check, and the verdict where
// sns-validator departs from the documentation (below). A null field is
// absent, as sns-validator treats a null Subject.
const snsFields = {
  Notification: ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
  SubscriptionConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
  UnsubscribeConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
};
function snsDocumented(m) {
  const hash = { 1: "sha1", 2: "sha256" }[m.SignatureVersion];
  if (!hash) return "SignatureVersion is not 1 or 2";
  if (!snsFields[m.Type]) return "unknown Type";
  if (!awsCertURL.test(m.SigningCertURL)) return "the certificate URL is not on an AWS SNS host";
  const signed = snsFields[m.Type].filter((f) => m[f] !== undefined && m[f] !== null).map((f) => `${f}\n${m[f]}\n`).join("");
  const ok = crypto.verify(hash, Buffer.from(signed), new crypto.X509Certificate(file.cert_pem).publicKey, Buffer.from(m.Signature, "base64"));
  return ok ? null : "signature mismatch";
}

// sns-validator 0.3.5 signs an UnsubscribeConfirmation with the
// notification's fields, leaving out Token (index.js, validateSignature:
// only "SubscriptionConfirmation" takes signableKeysForSubscription), where
// AWS's documentation signs Token for both confirmations. For that type the
// documented verifier decides, and sns-validator must refuse: if it ever
// accepts, it was fixed, and this exception should go.
const snsValidatorOmitsToken = "UnsubscribeConfirmation";

async function checkSNS(v) {
  const m = JSON.parse(v.body);
  const route = file.routes["aws-sns"];
  const [theirs, documented] = [await snsValidate(v.body), snsDocumented(m)];
  let why = theirs;
  if (m.Type === snsValidatorOmitsToken) {
    if (documented === null && theirs === null) throw new Error("sns-validator now verifies an UnsubscribeConfirmation: drop snsValidatorOmitsToken");
    why = documented;
  } else if ((theirs === null) !== (documented === null)) {
    throw new Error(`sns-validator (${theirs ?? "valid"}) and the documented scheme (${documented ?? "valid"}) disagree`);
  }
  if (why === null && !route.topic_arns.includes(m.TopicArn)) why = "a topic the route does not take";
  const type = v.headers["x-amz-sns-message-type"];
  if (why === null && type !== undefined && type !== m.Type) why = "x-amz-sns-message-type is not the body's Type";
  return { why, by: m.Type === snsValidatorOmitsToken ? "node:crypto (documented fields)" : "sns-validator" };
}

// --- PayPal ------------------------------------------------------------

const paypalCertURL = /^https:\/\/api(-m)?(\.sandbox)?\.paypal\.com\/v1\/notifications\/certs\/[A-Za-z0-9-]+$/;

function checkPayPal(v) {
  const h = v.headers;
  const by = "node:crypto + zlib.crc32";
  if (!h["paypal-transmission-sig"] || !h["paypal-cert-url"]) return { why: "no signature", by };
  if (h["paypal-auth-algo"] !== "SHA256withRSA") return { why: "PAYPAL-AUTH-ALGO is not SHA256withRSA", by };
  if (!paypalCertURL.test(h["paypal-cert-url"])) return { why: "the certificate URL is not PayPal's", by };
  const cert = new crypto.X509Certificate(file.cert_pem);
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) return { why: "the certificate is not valid now", by };
  const crc = zlib.crc32(Buffer.from(v.body, "utf8"));
  const sig = Buffer.from(h["paypal-transmission-sig"], "base64");
  for (const webhookId of file.routes.paypal.webhook_ids) {
    const message = `${h["paypal-transmission-id"]}|${h["paypal-transmission-time"]}|${webhookId}|${crc}`;
    if (crypto.verify("sha256", Buffer.from(message), cert.publicKey, sig)) return { why: null, by };
  }
  return { why: "signature mismatch", by };
}

// --- Plaid -------------------------------------------------------------

// plaidKey answers POST /webhook_verification_key/get for a key id.
function plaidKey(kid) {
  const { key } = file.plaid_key_answer;
  return key.kid === kid ? key : null;
}

async function checkPlaid(v) {
  const by = "jose";
  const token = v.headers["plaid-verification"];
  if (!token) return { why: "no Plaid-Verification header", by };
  const header = jose.decodeProtectedHeader(token);
  if (header.alg !== "ES256") return { why: "alg is not ES256", by };
  const jwk = plaidKey(header.kid);
  if (!jwk || jwk.expired_at !== null) return { why: "no current key for the kid", by };
  const key = await jose.importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, "ES256");
  let claims;
  try {
    const { payload } = await jose.compactVerify(token, key, { algorithms: ["ES256"] });
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch (e) {
    return { why: "signature: " + e.code, by };
  }
  const age = now / 1000 - claims.iat;
  if (!Number.isInteger(claims.iat) || age > PLAID_MAX_AGE || age < -PLAID_MAX_AGE) return { why: `iat is ${age} s old`, by };
  const sum = crypto.createHash("sha256").update(Buffer.from(v.body, "utf8")).digest();
  const claimed = Buffer.from(String(claims.request_body_sha256), "hex");
  if (claimed.length !== sum.length || !crypto.timingSafeEqual(claimed, sum)) return { why: "request_body_sha256 is not the body's", by };
  return { why: null, by };
}

// --- All ---------------------------------------------------------------

const checkers = { "aws-sns": checkSNS, paypal: checkPayPal, plaid: checkPlaid };
let failed = 0;
for (const v of file.vectors) {
  const check = checkers[v.preset];
  let verdict;
  try {
    if (!check) throw new Error(`no checker for preset ${v.preset}`);
    verdict = await check(v);
  } catch (e) {
    verdict = { error: e.message };
  }
  const agrees = !verdict.error && (verdict.why === null) === v.valid;
  if (!agrees) failed++;
  const said = verdict.error ? `error: ${verdict.error}` : verdict.why === null ? `valid (${verdict.by})` : `refused (${verdict.by}): ${verdict.why}`;
  console.log(`${agrees ? "ok  " : "FAIL"} ${v.name}: ${said}${agrees ? "" : `; vectors.json says valid=${v.valid}`}`);
}
console.log(`${file.vectors.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
