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
//   Adobe    @adobe/aio-lib-events' verifyDigitalSignatureForEvent, Adobe's
//            own SDK, once for each of the route's client ids; only its
//            key download is stubbed: node-fetch answers adobe_public_keys
//            at https://static.adobeioevents.com<path>, and aio-lib-state
//            (its key cache, which needs Adobe I/O Runtime) starts empty.
//            A key asked of any other host refuses the vector
//            (developer.adobe.com/events/docs/guides/sdk/sdk_signature_verification).
//   eBay     event-notification-nodejs-sdk's validateSignature, eBay's own
//            SDK, with the route's application credentials; only its network
//            is stubbed: https.request, with which ebay-oauth-nodejs-client
//            asks api.ebay.com for the application token (answered only for
//            the route's Basic credentials and the client-credentials form
//            body), and axios, with which the SDK asks the Notification API
//            for the kid's key (answered only with "bearer <that token>").
//            Its generateChallengeResponse answers ebay_handshake's codes
//            (developer.ebay.com/develop/guides-v2/marketplace-user-account-deletion).
//
//   cd testdata/remotekeys && npm ci && python3 gen.py > vectors.json && node check.mjs
//
// It prints one line per vector, never a signature or a body.
import crypto from "node:crypto";
import { EventEmitter } from "node:events";
import fs from "node:fs";
import https from "node:https";
import path from "node:path";
import zlib from "node:zlib";
import { createRequire } from "node:module";
import * as jose from "jose";

const require = createRequire(import.meta.url);
const MessageValidator = require("sns-validator");
const adobeEvents = loadAdobeSDK();
const ebayValidator = loadEBaySDK();

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

// --- Adobe I/O Events --------------------------------------------------

// aio-lib-events 4.1.0 joins Adobe's host and the header's key path as
// strings (signatureUtils.js, verifyDigitalSignature), so a path such as
// "@other.example/k.pem" makes it fetch the key from other.example, the
// host as URL userinfo; given that host's key it accepts the signature.
// The documentation serves the keys from static.adobeioevents.com only:
// check.mjs refuses a vector for which the SDK asked another host.
const adobeKeyOrigin = "https://static.adobeioevents.com";
// adobeAsked are the URLs the SDK fetched a key from for the vector in hand.
const adobeAsked = [];

// adobeFetch stands in for node-fetch in the SDK's signatureUtils.js: the
// PEM of adobe_public_keys for its path on Adobe's host, 404 for any other
// URL, as a static host answers.
async function adobeFetch(url) {
  adobeAsked.push(String(url));
  const pem = String(url).startsWith(adobeKeyOrigin + "/") ? file.adobe_public_keys[String(url).slice(adobeKeyOrigin.length)] : undefined;
  const text = pem ?? "Not Found";
  return { ok: pem !== undefined, status: pem === undefined ? 404 : 200, text: async () => text };
}

// adobeEmptyCache stands in for aio-lib-state, the SDK's key cache: a
// store that starts empty on each init, so every key is downloaded.
function adobeEmptyCache() {
  const store = new Map();
  return {
    get: async (k) => (store.has(k) ? { value: store.get(k) } : undefined),
    put: async (k, v) => void store.set(k, v),
  };
}

// loadAdobeSDK requires @adobe/aio-lib-events with its signatureUtils.js's
// node-fetch and aio-lib-state replaced in the module cache, and quiet
// logs (the SDK logs the keys it fetches).
function loadAdobeSDK() {
  process.env.LOG_LEVEL = "error";
  process.env.AIO_CLI_ENV = "prod";
  const from = { paths: [path.dirname(require.resolve("@adobe/aio-lib-events/src/signatureUtils.js"))] };
  for (const [name, exports] of [["node-fetch", adobeFetch], ["@adobe/aio-lib-state", { init: async () => adobeEmptyCache() }]]) {
    const filename = require.resolve(name, from);
    require.cache[filename] = { id: filename, filename, loaded: true, exports };
  }
  return require("@adobe/aio-lib-events");
}

// adobeVerdict reads what verifyDigitalSignatureForEvent answered: true,
// false (or nothing) if no signature verifies, an error response if
// recipient_client_id is not the one asked for; it throws if the body is
// not JSON.
function adobeVerdict(answer) {
  if (answer === true) return null;
  if (answer instanceof Error) return "threw: " + answer.message;
  if (answer?.error) return `${answer.error.statusCode}: ${answer.error.body}`;
  return "no signature verifies";
}

async function checkAdobe(v) {
  const by = "@adobe/aio-lib-events";
  const h = v.headers;
  // Stand-ins: verifyDigitalSignatureForEvent calls no API, but init wants them.
  const sdk = await adobeEvents.init("stand-in-org@AdobeOrg", "stand-in-api-key", "stand-in-token");
  const options = {
    digiSignature1: h["x-adobe-digital-signature-1"], digiSignature2: h["x-adobe-digital-signature-2"],
    publicKeyPath1: h["x-adobe-public-key1-path"], publicKeyPath2: h["x-adobe-public-key2-path"],
  };
  adobeAsked.length = 0;
  let why;
  for (const clientId of file.routes["adobe-io"].client_ids) {
    why = adobeVerdict(await sdk.verifyDigitalSignatureForEvent(v.body, clientId, options).catch((e) => e));
    if (why === null) break;
  }
  const offHost = adobeAsked.find((u) => new URL(u).origin !== adobeKeyOrigin || new URL(u).username !== "");
  if (offHost !== undefined) why = `${why ?? "valid"}, but the SDK asked a key of a host other than Adobe's (${new URL(offHost).host})`;
  return { why, by };
}

// --- eBay --------------------------------------------------------------

const ebayHost = "api.ebay.com";
const ebayTokenPath = "/identity/v1/oauth2/token";
const ebayKeyURL = `https://${ebayHost}/commerce/notification/v1/public_key/`;
// ebayAsked are the requests the SDK made for the vector in hand, and
// ebayWrong what the stubs found wrong in them.
const ebayAsked = [];
const ebayWrong = [];

// ebayCredentials is the eBay route's one secret, "client_id:client_secret".
function ebayCredentials() {
  const secret = file.env[file.routes.ebay.secrets[0].env] ?? "";
  const at = secret.indexOf(":");
  return { clientId: secret.slice(0, at), clientSecret: secret.slice(at + 1) };
}

// ebayTokenRequest stands in for https.request, which ebay-oauth-nodejs-client
// (src/request.js) posts the token request with: it answers
// ebay_token_answer to POST api.ebay.com/identity/v1/oauth2/token with
// the route's Basic credentials and the client-credentials form body, and
// 401 to anything else.
function ebayTokenRequest(options) {
  const req = new EventEmitter();
  req.end = (data) => {
    const { clientId, clientSecret } = ebayCredentials();
    const basic = "Basic " + Buffer.from(`${clientId}:${clientSecret}`).toString("base64");
    const form = new URLSearchParams(String(data ?? ""));
    ebayAsked.push(`POST ${options.hostname}${options.path}`);
    const wrong = [
      [options.method === "POST" && options.hostname === ebayHost && options.path === ebayTokenPath, "the token was asked elsewhere"],
      [options.headers?.authorization === basic, "the token request's Basic credentials are not the route's"],
      [options.headers?.["Content-Type"] === "application/x-www-form-urlencoded", "the token request is not a form"],
      [form.get("grant_type") === "client_credentials" && form.get("scope") === "https://api.ebay.com/oauth/api_scope" && [...form.keys()].length === 2,
        "the token request's body is not grant_type=client_credentials&scope=…api_scope"],
    ].filter(([ok]) => !ok).map(([, why]) => why);
    ebayWrong.push(...wrong);
    const res = new EventEmitter();
    res.statusCode = wrong.length ? 401 : 200;
    res.setEncoding = () => {};
    process.nextTick(() => {
      req.emit("response", res);
      res.emit("data", wrong.length ? '{"error":"invalid_client"}' : JSON.stringify(file.ebay_token_answer));
      res.emit("end");
    });
  };
  return req;
}

// ebayAxios stands in for axios in the SDK's lib/client.js: it answers
// ebay_public_keys[kid] to GET https://api.ebay.com/commerce/notification/v1/public_key/<kid>
// with the token ebayTokenRequest issued, and rejects as axios does (an
// error with a response) with 401 for another token, 404 for a kid it
// does not know.
async function ebayAxios(config) {
  ebayAsked.push(`${config.method} ${config.url}`);
  const bearer = /^bearer (.+)$/i.exec(config.headers?.Authorization ?? "");
  const kid = config.url.startsWith(ebayKeyURL) ? decodeURIComponent(config.url.slice(ebayKeyURL.length)) : undefined;
  let status = 200;
  if (config.method !== "GET" || kid === undefined) {
    ebayWrong.push("the key was asked elsewhere");
    status = 404;
  } else if (!bearer || bearer[1] !== file.ebay_token_answer.access_token) {
    ebayWrong.push("the key was asked without the token issued");
    status = 401;
  } else if (!Object.hasOwn(file.ebay_public_keys, kid)) {
    status = 404;
  }
  if (status !== 200) throw Object.assign(new Error(`Request failed with status code ${status}`), { response: { status } });
  return { status, data: file.ebay_public_keys[kid] };
}

// loadEBaySDK requires event-notification-nodejs-sdk's validator with
// lib/client.js's axios replaced in the module cache and https.request,
// which ebay-oauth-nodejs-client calls, replaced.
function loadEBaySDK() {
  const from = { paths: [path.dirname(require.resolve("event-notification-nodejs-sdk/lib/client.js"))] };
  const filename = require.resolve("axios", from);
  require.cache[filename] = { id: filename, filename, loaded: true, exports: ebayAxios };
  https.request = ebayTokenRequest;
  if (!crypto.getHashes().includes("ssl3-sha1")) {
    console.error("check.mjs: this Node's OpenSSL has no 'ssl3-sha1' digest, the name eBay's SDK verifies with (lib/constants.js ALGORITHM)");
    process.exit(2);
  }
  return require("event-notification-nodejs-sdk/lib/validator.js");
}

// keyUnavailable says a vector was refused because no key could be had.
const keyUnavailable = "no key for the kid";

async function checkEBay(v) {
  const by = "event-notification-nodejs-sdk";
  const { clientId, clientSecret } = ebayCredentials();
  const config = { clientId, clientSecret, environment: "PRODUCTION", redirectUri: "" };
  const signature = v.headers["x-ebay-signature"];
  // lib/index.js's process() refuses these before validateSignature.
  if (!signature) return { why: "no X-EBAY-SIGNATURE", by };
  let message;
  try {
    message = JSON.parse(v.body);
  } catch {
    return { why: "the body is not JSON", by };
  }
  if (!message?.metadata || !message?.notification) return { why: "the body has no metadata or notification", by };
  ebayAsked.length = 0;
  ebayWrong.length = 0;
  let why;
  try {
    why = (await ebayValidator.validateSignature(message, signature, config)) === true ? null : "signature mismatch";
  } catch (e) {
    why = e.response ? `${keyUnavailable} (the key API answered ${e.response.status})` : "threw: " + e.message.replace(/ for signature header .*/, "");
  }
  if (ebayWrong.length) throw new Error(ebayWrong.join("; "));
  return { why, by };
}

// checkEBayHandshake answers each of ebay_handshake's challenges with the
// SDK's generateChallengeResponse, the code read from the query as an
// HTTP server would; it returns how many disagree.
function checkEBayHandshake() {
  const hs = file.ebay_handshake;
  let failed = 0;
  for (const c of hs.challenges) {
    const code = new URLSearchParams(c.query).get("challenge_code");
    const config = { verificationToken: file.env[hs.verification_token_env], endpoint: hs.endpoint };
    const ok = code === c.challenge_code && ebayValidator.generateChallengeResponse(code, config) === c.challenge_response;
    if (!ok) failed++;
    console.log(`${ok ? "ok  " : "FAIL"} ebay handshake ?${c.query}: ${ok ? "the SDK answers challengeResponse alike" : "the SDK's challengeResponse differs"}`);
  }
  return failed;
}

// --- All ---------------------------------------------------------------

const checkers = { "adobe-io": checkAdobe, "aws-sns": checkSNS, ebay: checkEBay, paypal: checkPayPal, plaid: checkPlaid };
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
  // A vector whose status is 503 is refused for want of a key, any
  // other invalid one for its signature (401).
  const agrees = !verdict.error && (verdict.why === null) === v.valid &&
    (v.status === 503) === (verdict.why?.startsWith(keyUnavailable) ?? false);
  if (!agrees) failed++;
  const said = verdict.error ? `error: ${verdict.error}` : verdict.why === null ? `valid (${verdict.by})` : `refused (${verdict.by}): ${verdict.why}`;
  console.log(`${agrees ? "ok  " : "FAIL"} ${v.name}: ${said}${agrees ? "" : `; vectors.json says valid=${v.valid}${v.status ? `, status ${v.status}` : ""}`}`);
}
failed += checkEBayHandshake();
const total = file.vectors.length + file.ebay_handshake.challenges.length;
console.log(`${total - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
