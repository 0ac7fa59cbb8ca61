// gen.mjs signs one request per hookguard preset with the provider's own
// SDK where one installs from npm (Node's crypto, following the provider's
// documentation, where none does), and checks the requests hookguard's
// verify.Sign made (ours.json) with the same SDKs' verifiers. It writes
// vectors.json; a Go test checks that file is current and runs every vector
// natively and through the built module.
//
//	cd testdata/providers && npm ci && node gen.mjs --write
import crypto from "node:crypto";
import { createRequire } from "node:module";
import fs from "node:fs";
import { sign as octokitSign, verify as octokitVerify } from "@octokit/webhooks-methods";
import { LinearWebhookClient } from "@linear/sdk/webhooks";
import { verifyKey as discordVerify } from "discord-interactions";
import { TelnyxWebhook } from "telnyx/lib/webhooks.js";

const require = createRequire(import.meta.url);
const Stripe = require("stripe");
const { Webhook: Svix } = require("svix");
const { Webhook: StandardWebhook } = require("standardwebhooks");
const twilio = require("twilio");
const { WebhooksHelper } = require("square");
const { Signature: HubSpotSignature } = require("@hubspot/api-client/lib/src/utils/signature");
const { Paddle } = require("@paddle/paddle-node-sdk");
new Paddle("pdl_unused_api_key"); // registers the Node runtime the validator needs
const { WebhooksValidator: PaddleValidator } = require(require.resolve("@paddle/paddle-node-sdk").replace(/index[^/]*$/, "") + "notifications/helpers/webhooks-validator.js");
const Orb = require("orb-billing");
const { EventWebhook: SendGridWebhook } = require("@sendgrid/eventwebhook");
const { validateWebhookSignature: razorpayVerify } = require("razorpay/dist/utils/razorpay-utils");
const { Webhook: CoinbaseCommerce } = require("coinbase-commerce-node");
const gocardless = require("gocardless-nodejs/webhooks");
const { WorkOS } = require("@workos-inc/node");
const Mux = require("@mux/mux-node");
const { WebflowClient } = require("webflow-api");
const OpenAI = require("openai");
const Lithic = require("lithic");
const { validateWebhook: replicateVerify } = require("replicate");
const { validateEvent: polarValidate, WebhookVerificationError: PolarVerificationError } = require("@polar-sh/sdk/webhooks");
const { Resend } = require("resend");
const pkgs = JSON.parse(fs.readFileSync(new URL("./package-lock.json", import.meta.url)));
const version = (name) => `${name}@${pkgs.packages["node_modules/" + name].version}`;

// Every vector is signed at NOW, the time the Go tests pin the module's clock to.
const NOW = 1764547200; // 2025-12-01T00:00:00Z
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...a) { if (a.length) super(...a); else super(NOW * 1000); }
  static now() { return NOW * 1000; }
};
const stripe = new Stripe("sk_test_unused");

const hmac = (alg, key, data, enc) => crypto.createHmac(alg, key).update(data).digest(enc);
const json = (o) => JSON.stringify(o);
const base = "http://127.0.0.1:8080";
const secret = "hookguard-test-secret-0123456789abcdef";

const vectors = [];
// previous finds a vector in the committed vectors.json, to keep a
// randomized signature that still verifies.
const committed = fs.existsSync(new URL("./vectors.json", import.meta.url)) ? JSON.parse(fs.readFileSync(new URL("./vectors.json", import.meta.url))).vectors : [];
const previous = (name) => committed.find((v) => v.name === name);
function add(preset, oracle, { name = preset, method = "POST", path, headers, body }) {
  vectors.push({ name, preset, oracle, secret: headers.__secret ?? secret, ...(headers.__signing ? { signing_key: headers.__signing } : {}),
    method, url: base + path, headers: Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith("__"))), body });
}
const event = (o) => json({ id: "evt_123", type: "test.event", text: "héllo", ...o });

// Providers with an SDK.
{
  const body = event({ object: "event" });
  add("stripe", version("stripe") + " generateTestHeaderString", { path: "/hooks/stripe", body,
    headers: { "content-type": "application/json", "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload: body, secret: "whsec_" + secret, timestamp: NOW }), __secret: "whsec_" + secret } });
}
{
  const body = event({ action: "opened" });
  add("github", version("@octokit/webhooks-methods") + " sign", { path: "/hooks/github", body,
    headers: { "content-type": "application/json", "x-github-event": "ping", "x-hub-signature-256": await octokitSign(secret, body) } });
}
const swKey = Buffer.from("hookguard-standard-webhooks-key!").toString("base64");
{
  const body = event({ type: "user.created" });
  const wh = new StandardWebhook(swKey);
  add("standard-webhooks", version("standardwebhooks") + " sign", { path: "/hooks/standard-webhooks", body,
    headers: { "content-type": "application/json", "webhook-id": "msg_2abc", "webhook-timestamp": String(NOW),
      "webhook-signature": wh.sign("msg_2abc", new Date(NOW * 1000), body), __secret: swKey } });
}
{
  const body = event({ type: "invoice.paid" });
  const wh = new Svix("whsec_" + swKey);
  add("svix", version("svix") + " sign", { path: "/hooks/svix", body,
    headers: { "content-type": "application/json", "svix-id": "msg_svix1", "svix-timestamp": String(NOW),
      "svix-signature": wh.sign("msg_svix1", new Date(NOW * 1000), body), __secret: "whsec_" + swKey } });
}
{
  const path = "/hooks/twilio";
  const params = { AccountSid: "AC123", Body: "héllo + world", From: "+15551230000", To: "+15559870000", MessageSid: "SM1" };
  const body = new URLSearchParams(params).toString();
  add("twilio", version("twilio") + " getExpectedTwilioSignature", { path, body,
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilio.getExpectedTwilioSignature(secret, base + path, params) } });
  const jbody = json({ event: "call.completed", sid: "CA1" });
  const jpath = "/hooks/twilio?bodySHA256=" + crypto.createHash("sha256").update(jbody).digest("hex");
  vectors.push({ name: "twilio-bodySHA256", preset: "twilio", oracle: version("twilio") + " getExpectedTwilioSignature", secret,
    method: "POST", url: base + jpath, headers: { "content-type": "application/json", "x-twilio-signature": twilio.getExpectedTwilioSignature(secret, base + jpath, {}) }, body: jbody });
}
{
  const body = event({ type: "payment.updated" });
  const sig = hmac("sha256", secret, base + "/hooks/square" + body, "base64");
  if (!(await WebhooksHelper.verifySignature({ requestBody: body, signatureHeader: sig, signatureKey: secret, notificationUrl: base + "/hooks/square" }))) throw new Error("square rejects its own vector");
  add("square", version("square") + " WebhooksHelper.verifySignature", { path: "/hooks/square", body,
    headers: { "content-type": "application/json", "x-square-hmacsha256-signature": sig } });
}
{
  const body = json([{ objectId: 1, subscriptionType: "contact.creation" }]);
  const ts = String(NOW * 1000);
  const sig = HubSpotSignature.getSignature("POST", "v3", { clientSecret: secret, requestBody: body, url: base + "/hooks/hubspot", timestamp: ts });
  add("hubspot", version("@hubspot/api-client") + " Signature.getSignature v3", { path: "/hooks/hubspot", body,
    headers: { "content-type": "application/json", "x-hubspot-signature-v3": sig, "x-hubspot-request-timestamp": ts } });
}
{
  const body = json({ event_id: "evt_1", event_type: "subscription.created", occurred_at: "2025-12-01T00:00:00Z" });
  const sig = `ts=${NOW};h1=${hmac("sha256", "pdl_ntfset_" + secret, `${NOW}:${body}`, "hex")}`;
  if (!(await new PaddleValidator().isValidSignature(body, "pdl_ntfset_" + secret, sig))) throw new Error("paddle rejects its own vector");
  add("paddle", version("@paddle/paddle-node-sdk") + " isValidSignature", { path: "/hooks/paddle", body,
    headers: { "content-type": "application/json", "paddle-signature": sig, __secret: "pdl_ntfset_" + secret } });
}
{
  const body = json({ type: "customer.created", id: "ev_1" });
  const ts = new Date(NOW * 1000).toISOString().replace("Z", "").replace(".000", ".000000");
  const orb = new Orb({ apiKey: "unused", webhookSecret: secret });
  const sig = orb.webhooks.signPayload(body, { timestamp: ts, secret });
  add("orb", version("orb-billing") + " signPayload", { path: "/hooks/orb", body,
    headers: { "content-type": "application/json", "x-orb-timestamp": ts, "x-orb-signature": sig } });
}
{
  const body = json({ action: "create", type: "Issue", data: { id: "i1" }, webhookTimestamp: NOW * 1000 });
  const sig = hmac("sha256", secret, body, "hex");
  if (!new LinearWebhookClient(secret).verify(Buffer.from(body), sig)) throw new Error("linear rejects its own vector");
  add("linear", "node crypto per linear.app/developers/webhooks, checked by " + version("@linear/sdk") + " LinearWebhookClient.verify", { path: "/hooks/linear", body,
    headers: { "content-type": "application/json", "linear-signature": sig } });
}

// More providers with an SDK: where the SDK only verifies, Node's crypto
// (or the Standard Webhooks and Svix libraries, for those schemes) signs
// as the provider documents, and the SDK's verifier must accept it.
const workos = new WorkOS("sk_test_unused");
const mux = new (Mux.default ?? Mux)({ tokenId: "unused", tokenSecret: "unused" });
const webflow = new WebflowClient({ accessToken: "unused" });
const openai = new (OpenAI.default ?? OpenAI)({ apiKey: "unused" });
const lithic = new (Lithic.default ?? Lithic)({ apiKey: "unused" });
const resend = new Resend("re_unused");
// polarVerify: Polar's validateEvent verifies, then parses the event into
// its models; a body that is not one of Polar's events fails the parse
// after the signature passed, which is not a WebhookVerificationError.
const polarVerify = (body, headers, secret) => {
  try { polarValidate(body, headers, secret); } catch (e) { if (e instanceof PolarVerificationError || !/parse/i.test(e.message)) throw e; }
  return true;
};
const must = async (ok, what) => { if (!(await ok)) throw new Error(what + " rejects its own vector"); };
{
  const body = event({ event: "payment.captured", entity: "event" });
  const sig = hmac("sha256", secret, body, "hex");
  await must(razorpayVerify(body, sig, secret), "razorpay");
  add("razorpay", "node crypto per razorpay.com/docs/webhooks/validate-test, checked by " + version("razorpay") + " validateWebhookSignature", { path: "/hooks/razorpay", body,
    headers: { "content-type": "application/json", "x-razorpay-event-id": "evt_rzp1", "x-razorpay-signature": sig } });
}
{
  const body = json({ id: 1, scheduled_for: "2025-12-01T00:00:00Z", event: { id: "evt_cc1", type: "charge:confirmed", data: { code: "ABC" } } });
  const sig = CoinbaseCommerce.computeSignature(body, secret);
  await must(CoinbaseCommerce.verifySigHeader(body, sig, secret), "coinbase-commerce-node");
  add("coinbase-commerce", version("coinbase-commerce-node") + " Webhook.computeSignature", { path: "/hooks/coinbase-commerce", body,
    headers: { "content-type": "application/json", "x-cc-webhook-signature": sig } });
}
{
  const body = json({ events: [{ id: "EV123", action: "created", resource_type: "payments", links: { payment: "PM123" } }] });
  const sig = hmac("sha256", secret, body, "hex");
  gocardless.parse(body, secret, sig); // throws unless it verifies
  add("gocardless", "node crypto per developer.gocardless.com webhooks, checked by " + version("gocardless-nodejs") + " webhooks.parse", { path: "/hooks/gocardless", body,
    headers: { "content-type": "application/json", "webhook-signature": sig } });
}
{
  const payload = { id: "event_01", event: "user.created", data: { email: "héllo@example.com" }, created_at: "2025-12-01T00:00:00.000Z" };
  const body = json(payload), ts = String(NOW * 1000);
  const sig = `t=${ts}, v1=${await workos.webhooks.computeSignature(ts, payload, secret)}`;
  await must(workos.webhooks.verifyHeader({ payload, sigHeader: sig, secret }), "@workos-inc/node");
  add("workos", version("@workos-inc/node") + " webhooks.computeSignature", { path: "/hooks/workos", body,
    headers: { "content-type": "application/json", "workos-signature": sig } });
}
{
  const body = event({ type: "video.asset.ready", object: { type: "asset", id: "a1" } });
  const headers = { "content-type": "application/json", "mux-signature": `t=${NOW},v1=${hmac("sha256", secret, `${NOW}.${body}`, "hex")}` };
  await mux.webhooks.verifySignature(body, headers, secret); // throws unless it verifies
  add("mux", "node crypto per mux.com/docs/core/verify-webhook-signatures, checked by " + version("@mux/mux-node") + " webhooks.verifySignature", { path: "/hooks/mux", body, headers });
}
{
  const body = json({ triggerType: "form_submission", payload: { name: "héllo" } }), ts = String(NOW * 1000);
  const headers = { "content-type": "application/json", "x-webflow-timestamp": ts, "x-webflow-signature": hmac("sha256", secret, `${ts}:${body}`, "hex") };
  await must(webflow.webhooks.verifySignature({ headers, body, secret }), "webflow-api");
  add("webflow", "node crypto per developers.webflow.com working-with-webhooks, checked by " + version("webflow-api") + " webhooks.verifySignature", { path: "/hooks/webflow", body, headers });
}
// Standard Webhooks and Svix providers: the libraries sign, under each
// provider's documented headers and secret form.
const swSign = (key, id, body) => new StandardWebhook(key).sign(id, new Date(NOW * 1000), body);
const swHeaders = (prefix, id, sig) => ({ "content-type": "application/json", [prefix + "-id"]: id, [prefix + "-timestamp"]: String(NOW), [prefix + "-signature"]: sig });
{
  const body = json({ object: "event", id: "evt_oai1", type: "response.completed", created_at: NOW, data: { id: "resp_1" } });
  const headers = swHeaders("webhook", "wh_oai1", swSign(swKey, "wh_oai1", body));
  await openai.webhooks.verifySignature(body, headers, "whsec_" + swKey); // throws unless it verifies
  add("openai", version("standardwebhooks") + " sign, checked by " + version("openai") + " webhooks.verifySignature", { path: "/hooks/openai", body, headers: { ...headers, __secret: "whsec_" + swKey } });
}
{
  const body = json({ id: "pred_1", status: "succeeded", output: ["héllo"] });
  const headers = swHeaders("webhook", "msg_rep1", swSign(swKey, "msg_rep1", body));
  await must(replicateVerify({ headers, body }, "whsec_" + swKey), "replicate");
  add("replicate", version("standardwebhooks") + " sign, checked by " + version("replicate") + " validateWebhook", { path: "/hooks/replicate", body, headers: { ...headers, __secret: "whsec_" + swKey } });
}
{
  const body = json({ type: "card.created", token: "tok_1", text: "héllo" });
  const headers = swHeaders("webhook", "msg_lit1", swSign(swKey, "msg_lit1", body));
  lithic.webhooks.verifySignature(body, headers, "whsec_" + swKey); // throws unless it verifies
  add("lithic", version("standardwebhooks") + " sign, checked by " + version("lithic") + " webhooks.verifySignature", { path: "/hooks/lithic", body, headers: { ...headers, __secret: "whsec_" + swKey } });
}
{
  const polarSecret = "polar_whs_hookguardTestSecret0123456789";
  const body = json({ type: "checkout.created", timestamp: "2025-12-01T00:00:00Z", data: { id: "co_1" } });
  const headers = swHeaders("webhook", "msg_pol1", swSign(Buffer.from(polarSecret).toString("base64"), "msg_pol1", body));
  polarVerify(body, headers, polarSecret);
  add("polar", version("standardwebhooks") + " sign (key: the secret's bytes), checked by " + version("@polar-sh/sdk") + " validateEvent", { path: "/hooks/polar", body, headers: { ...headers, __secret: polarSecret } });
}
{
  const body = json({ type: "email.delivered", created_at: "2025-12-01T00:00:00.000Z", data: { email_id: "e1", subject: "héllo" } });
  const sig = new Svix("whsec_" + swKey).sign("msg_res1", new Date(NOW * 1000), body);
  const headers = swHeaders("svix", "msg_res1", sig);
  resend.webhooks.verify({ payload: body, headers: { id: "msg_res1", timestamp: String(NOW), signature: sig }, webhookSecret: "whsec_" + swKey }); // throws unless it verifies
  add("resend", version("svix") + " sign, checked by " + version("resend") + " webhooks.verify", { path: "/hooks/resend", body, headers: { ...headers, __secret: "whsec_" + swKey } });
}
for (const [preset, prefix, doc, lib] of [
  ["clerk", "svix", "clerk.com/docs/webhooks/verify-webhooks", "svix"],
  ["stytch", "svix", "stytch.com/docs/b2b/guides/webhooks (powered by Svix)", "svix"],
  ["brex", "webhook", "developer.brex.com/docs/webhooks", "standardwebhooks"],
]) {
  const body = event({ type: preset + ".event" }), id = "msg_" + preset.replace("-", "");
  const sig = (lib === "svix" ? new Svix("whsec_" + swKey) : new StandardWebhook(swKey)).sign(id, new Date(NOW * 1000), body);
  add(preset, version(lib) + " sign, under the headers of " + doc, { path: "/hooks/" + preset, body, headers: { ...swHeaders(prefix, id, sig), __secret: "whsec_" + swKey } });
}

// Providers that sign with a private key. Node's crypto signs, with keys
// made from fixed seeds (test keys, nobody's real ones); the provider's own
// verifier checks each vector. signing_key lets the Go tests sign more.
const seedFor = (label) => crypto.createHash("sha256").update("hookguard test key for " + label).digest();
function ed25519Key(label) {
  const seed = seedFor(label);
  const key = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
  const pub = crypto.createPublicKey(key).export({ format: "der", type: "spki" }).subarray(12);
  return { seed, key, pub, sign: (msg) => crypto.sign(null, Buffer.from(msg), key) };
}
{
  const k = ed25519Key("discord");
  const body = json({ type: 1, id: "interaction_1", application_id: "app_1", token: "tok" });
  const ts = String(NOW), sig = k.sign(ts + body).toString("hex"), pub = k.pub.toString("hex");
  if (!(await discordVerify(body, sig, ts, pub))) throw new Error("discord-interactions rejects its vector");
  add("discord", "node crypto, checked by " + version("discord-interactions") + " verifyKey", { path: "/hooks/discord", body,
    headers: { "content-type": "application/json", "x-signature-ed25519": sig, "x-signature-timestamp": ts, __secret: pub, __signing: k.seed.toString("hex") } });
}
{
  const k = ed25519Key("telnyx");
  const body = json({ data: { event_type: "message.received", id: "evt_tx1", payload: { text: "héllo" } } });
  const ts = String(NOW), sig = k.sign(ts + "|" + body).toString("base64"), pub = k.pub.toString("base64");
  const headers = { "content-type": "application/json", "telnyx-signature-ed25519": sig, "telnyx-timestamp": ts };
  await new TelnyxWebhook(pub).verify(body, headers); // throws unless it verifies
  add("telnyx", "node crypto, checked by " + version("telnyx") + " TelnyxWebhook.verify", { path: "/hooks/telnyx", body,
    headers: { ...headers, __secret: pub, __signing: k.seed.toString("hex") } });
}
{
  // ECDSA signatures are randomized: a signature the last run made is
  // kept while it still verifies, so the file is reproducible.
  const d = seedFor("sendgrid");
  const ecdh = crypto.createECDH("prime256v1");
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  const b64u = (b) => b.toString("base64url");
  const key = crypto.createPrivateKey({ key: { kty: "EC", crv: "P-256", d: b64u(d), x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) }, format: "jwk" });
  const pub = crypto.createPublicKey(key).export({ format: "der", type: "spki" }).toString("base64");
  const body = json([{ email: "user@example.com", event: "delivered", sg_event_id: "sg_1", timestamp: NOW }]) + "\r\n";
  const ts = String(NOW);
  const sgw = new SendGridWebhook();
  const ok = (sig) => sgw.verifySignature(sgw.convertPublicKeyToECDSA(pub), body, sig, ts);
  let sig = previous("sendgrid")?.headers["x-twilio-email-event-webhook-signature"];
  if (!sig || !ok(sig)) sig = crypto.sign("sha256", Buffer.from(ts + body), { key, dsaEncoding: "der" }).toString("base64");
  if (!ok(sig)) throw new Error("@sendgrid/eventwebhook rejects its vector");
  add("sendgrid", "node crypto, checked by " + version("@sendgrid/eventwebhook") + " verifySignature", { path: "/hooks/sendgrid", body,
    headers: { "content-type": "application/json", "x-twilio-email-event-webhook-signature": sig, "x-twilio-email-event-webhook-timestamp": ts,
      __secret: pub, __signing: d.toString("hex") } });
}
{
  // Standard Webhooks v1a (Ed25519), per the spec: no SDK here signs it.
  // A v1 entry under a secret the route lacks is listed first.
  const k = ed25519Key("standard-webhooks");
  const body = event({ type: "user.deleted" });
  const id = "msg_v1a", ts = String(NOW), msg = `${id}.${ts}.${body}`;
  const sig = k.sign(msg).toString("base64");
  if (!crypto.verify(null, Buffer.from(msg), crypto.createPublicKey(k.key), Buffer.from(sig, "base64"))) throw new Error("v1a does not verify");
  add("standard-webhooks", "node crypto per standardwebhooks.com spec (v1a, Ed25519)", { name: "standard-webhooks-v1a", path: "/hooks/standard-webhooks", body,
    headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": ts,
      "webhook-signature": "v1," + hmac("sha256", "not-the-route-secret", msg, "base64") + " v1a," + sig,
      __secret: "whpk_" + k.pub.toString("base64"), __signing: "whsk_" + Buffer.concat([k.seed, k.pub]).toString("base64") } });
}

// Providers without an SDK here: Node's crypto, following their docs.
const docs = (p, h) => add(p.preset, "node crypto per " + p.doc, h);
const simple = [
  { preset: "pipes", doc: "pipes.bot docs", header: "x-pipes-signature", alg: "sha256", enc: "hex" },
  { preset: "bitbucket", doc: "support.atlassian.com (secure webhooks)", header: "x-hub-signature", alg: "sha256", enc: "hex", prefix: "sha256=" },
  { preset: "shopify", doc: "shopify.dev verify-deliveries", header: "x-shopify-hmac-sha256", alg: "sha256", enc: "base64" },
  { preset: "typeform", doc: "typeform.com developers webhooks security", header: "typeform-signature", alg: "sha256", enc: "base64", prefix: "sha256=" },
  { preset: "woocommerce", doc: "woocommerce.github.io webhooks", header: "x-wc-webhook-signature", alg: "sha256", enc: "base64" },
  { preset: "twitter", doc: "developer.x.com account-activity securing webhooks", header: "x-twitter-webhooks-signature", alg: "sha256", enc: "base64", prefix: "sha256=" },
  { preset: "xero", doc: "developer.xero.com webhooks", header: "x-xero-signature", alg: "sha256", enc: "base64" },
  { preset: "vercel", doc: "vercel.com docs webhooks", header: "x-vercel-signature", alg: "sha1", enc: "hex" },
  { preset: "intercom", doc: "developers.intercom.com webhooks", header: "x-hub-signature", alg: "sha1", enc: "hex", prefix: "sha1=" },
  { preset: "gitea", doc: "docs.gitea.com/usage/webhooks", header: "x-gitea-signature", alg: "sha256", enc: "hex", extra: { "x-gitea-delivery": "f6266f16-1bf3-46a5-9ea4-602e06ead473" } },
  { preset: "forgejo", doc: "forgejo.org/docs/latest/user/webhooks", header: "x-forgejo-signature", alg: "sha256", enc: "hex", extra: { "x-forgejo-delivery": "f6266f16-1bf3-46a5-9ea4-602e06ead474" } },
  { preset: "meta", doc: "developers.facebook.com/docs/graph-api/webhooks/getting-started (validate payloads)", header: "x-hub-signature-256", alg: "sha256", enc: "hex", prefix: "sha256=" },
  { preset: "whatsapp", doc: "developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks (validate payloads)", header: "x-hub-signature-256", alg: "sha256", enc: "hex", prefix: "sha256=" },
  { preset: "lemon-squeezy", doc: "docs.lemonsqueezy.com/help/webhooks/signing-requests", header: "x-signature", alg: "sha256", enc: "hex" },
  { preset: "paystack", doc: "paystack.com/docs/payments/webhooks (verify event origin)", header: "x-paystack-signature", alg: "sha512", enc: "hex" },
  { preset: "sentry", doc: "docs.sentry.io/organization/integrations/integration-platform/webhooks (verifying the signature)", header: "sentry-hook-signature", alg: "sha256", enc: "hex", extra: { "sentry-hook-timestamp": String(NOW), "sentry-hook-resource": "issue" } },
  { preset: "dropbox", doc: "dropbox.com/developers/reference/webhooks (verifying requests)", header: "x-dropbox-signature", alg: "sha256", enc: "hex" },
  { preset: "checkout-com", doc: "checkout.com/docs/developer-resources/webhooks (verify the signature)", header: "cko-signature", alg: "sha256", enc: "hex" },
  { preset: "nylas", doc: "developer.nylas.com/docs/v3/notifications/webhooks (verify webhook signatures)", header: "x-nylas-signature", alg: "sha256", enc: "hex" },
  { preset: "launchdarkly", doc: "docs.launchdarkly.com/home/infrastructure/webhooks (signing webhooks)", header: "x-ld-signature", alg: "sha256", enc: "hex" },
  { preset: "segment", doc: "segment.com/docs/connections/destinations/catalog/actions-webhook (X-Signature, shared secret)", header: "x-signature", alg: "sha1", enc: "hex" },
  { preset: "heroku", doc: "devcenter.heroku.com/articles/app-webhooks (securing webhook requests)", header: "heroku-webhook-hmac-sha256", alg: "sha256", enc: "base64" },
  { preset: "circleci", doc: "circleci.com/docs/webhooks (validate webhooks)", header: "circleci-signature", alg: "sha256", enc: "hex", prefix: "v1=" },
  { preset: "pagerduty", doc: "developer.pagerduty.com/docs/verifying-signatures (gosdk checks it with go-pagerduty webhookv3)", header: "x-pagerduty-signature", alg: "sha256", enc: "hex", prefix: "v1=" },
];
for (const p of simple) {
  const body = event({ provider: p.preset });
  docs(p, { path: "/hooks/" + p.preset, body, headers: { "content-type": "application/json", ...p.extra, [p.header]: (p.prefix ?? "") + hmac(p.alg, secret, body, p.enc) } });
}
{
  const body = "token=abc&team_id=T1&text=h%C3%A9llo";
  docs({ preset: "slack", doc: "api.slack.com verifying-requests" }, { path: "/hooks/slack", body, headers: {
    "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": String(NOW), "x-slack-signature": "v0=" + hmac("sha256", secret, `v0:${NOW}:${body}`, "hex") } });
}
{
  const body = event({ event: "meeting.started" });
  docs({ preset: "zoom", doc: "developers.zoom.us webhooks" }, { path: "/hooks/zoom", body, headers: {
    "content-type": "application/json", "x-zm-request-timestamp": String(NOW), "x-zm-signature": "v0=" + hmac("sha256", secret, `v0:${NOW}:${body}`, "hex") } });
}
{
  const body = event({ type: "ticket.created" });
  const ts = new Date(NOW * 1000).toISOString().replace(".000", "");
  docs({ preset: "zendesk", doc: "developer.zendesk.com webhooks verifying" }, { path: "/hooks/zendesk", body, headers: {
    "content-type": "application/json", "x-zendesk-webhook-signature-timestamp": ts, "x-zendesk-webhook-signature": hmac("sha256", secret, ts + body, "base64") } });
}
{
  const body = event({ event: "post.publish" });
  docs({ preset: "tiktok", doc: "developers.tiktok.com webhooks verification" }, { path: "/hooks/tiktok", body, headers: {
    "content-type": "application/json", "tiktok-signature": `t=${NOW},s=${hmac("sha256", secret, `${NOW}.${body}`, "hex")}` } });
}
{
  const body = event({ event: "invitee.created" });
  docs({ preset: "calendly", doc: "developer.calendly.com webhook signatures" }, { path: "/hooks/calendly", body, headers: {
    "content-type": "application/json", "calendly-webhook-signature": `t=${NOW},v1=${hmac("sha256", secret, `${NOW}.${body}`, "hex")}` } });
}
{
  const path = "/hooks/mandrill";
  const params = { mandrill_events: json([{ event: "send", msg: { subject: "héllo" } }]) };
  const body = new URLSearchParams(params).toString();
  docs({ preset: "mandrill", doc: "mailchimp.com developer transactional webhooks authenticating" }, { path, body, headers: {
    "content-type": "application/x-www-form-urlencoded", "x-mandrill-signature": hmac("sha1", secret, base + path + "mandrill_events" + params.mandrill_events, "base64") } });
}
{
  const token = "f3a1c9e0b2d84c7a9e1f";
  const body = json({ signature: { timestamp: String(NOW), token, signature: hmac("sha256", secret, String(NOW) + token, "hex") }, "event-data": { event: "delivered" } });
  docs({ preset: "mailgun", doc: "documentation.mailgun.com securing webhooks" }, { path: "/hooks/mailgun", body, headers: { "content-type": "application/json" } });
}
{
  // PagerDuty lists one v1= signature per active secret: one under a
  // secret the route lacks comes first.
  const body = event({ event: { event_type: "incident.triggered" } });
  docs({ preset: "pagerduty", doc: "developer.pagerduty.com/docs/verifying-signatures (several signatures; gosdk checks it with go-pagerduty webhookv3)" }, { name: "pagerduty-two-signatures", path: "/hooks/pagerduty", body, headers: {
    "content-type": "application/json", "x-pagerduty-signature": `v1=${hmac("sha256", "not-the-route-secret", body, "hex")},v1=${hmac("sha256", secret, body, "hex")}` } });
}
{
  const path = "/hooks/trello";
  const body = json({ action: { type: "updateCard", data: { text: "héllo" } }, model: { id: "m1" } });
  docs({ preset: "trello", doc: "developer.atlassian.com/cloud/trello/guides/rest-api/webhooks (webhook signatures)" }, { path, body, headers: {
    "content-type": "application/json", "x-trello-webhook": hmac("sha1", secret, body + base + path, "base64") } });
}
{
  const body = json({ event: "build.finished", build: { id: "b1", message: "héllo" } });
  docs({ preset: "buildkite", doc: "buildkite.com/docs/apis/webhooks (webhook signature; gosdk checks it with go-buildkite ValidatePayload)" }, { path: "/hooks/buildkite", body, headers: {
    "content-type": "application/json", "x-buildkite-event": "build.finished", "x-buildkite-signature": `timestamp=${NOW},signature=${hmac("sha256", secret, `${NOW}.${body}`, "hex")}` } });
}
{
  const body = event({ metric: "delivered", data: { delivery_id: "d1" } });
  docs({ preset: "customer-io", doc: "docs.customer.io/journeys/webhooks (securely verify requests)" }, { path: "/hooks/customer-io", body, headers: {
    "content-type": "application/json", "x-cio-timestamp": String(NOW), "x-cio-signature": hmac("sha256", secret, `v0:${NOW}:${body}`, "hex") } });
}
{
  const body = json({ subscription: { id: "sub1", type: "channel.follow", version: "2" }, event: { user_name: "héllo" } });
  const id = "e76c6bd4-55c9-4987-8304-da1588d8988b", ts = "2025-12-01T00:00:00.123456789Z";
  docs({ preset: "twitch", doc: "dev.twitch.tv/docs/eventsub/handling-webhook-events (verifying the event message)" }, { path: "/hooks/twitch", body, headers: {
    "content-type": "application/json", "twitch-eventsub-message-id": id, "twitch-eventsub-message-timestamp": ts, "twitch-eventsub-message-type": "notification",
    "twitch-eventsub-message-signature": "sha256=" + hmac("sha256", secret, id + ts + body, "hex") } });
}
{
  const body = json({ id: "evt_awx1", name: "payment_intent.succeeded", data: { object: { id: "int_1", descriptor: "héllo" } } }), ts = String(NOW * 1000);
  docs({ preset: "airwallex", doc: "airwallex.com/docs/developer-tools/webhooks/listen-for-webhook-events (check webhook signatures)" }, { path: "/hooks/airwallex", body, headers: {
    "content-type": "application/json", "x-timestamp": ts, "x-signature": hmac("sha256", secret, ts + body, "hex") } });
}
{
  const body = json({ type: "inbound_received", payload: { conversation: { id: "cnv_1", subject: "héllo" } } }), ts = String(NOW * 1000);
  docs({ preset: "front", doc: "dev.frontapp.com/docs/application-webhooks (verifying integrity)" }, { path: "/hooks/front", body, headers: {
    "content-type": "application/json", "x-front-request-timestamp": ts, "x-front-signature": hmac("sha256", secret, ts + ":" + body, "base64") } });
}
docs({ preset: "gitlab", doc: "docs.gitlab.com webhooks (secret token)" }, { path: "/hooks/gitlab", body: event({ object_kind: "push" }),
  headers: { "content-type": "application/json", "x-gitlab-token": secret } });

// Handshakes the filter answers itself ("handshake": true): each request,
// signed where the provider signs it, and the answer the provider's docs
// say to give, computed by Node's crypto.
const handshakes = [];
{
  const body = json({ payload: { plainToken: "qgg8vlvZRS6UYooatFL8Aw" }, event_ts: NOW * 1000, event: "endpoint.url_validation" });
  const ts = String(NOW);
  handshakes.push({ name: "zoom url_validation", preset: "zoom", oracle: "node crypto per developers.zoom.us webhooks (validate your webhook endpoint)", secret,
    method: "POST", url: base + "/hooks/zoom", body,
    headers: { "content-type": "application/json", "x-zm-request-timestamp": ts, "x-zm-signature": "v0=" + hmac("sha256", secret, `v0:${ts}:${body}`, "hex") },
    answer: { plainToken: "qgg8vlvZRS6UYooatFL8Aw", encryptedToken: hmac("sha256", secret, "qgg8vlvZRS6UYooatFL8Aw", "hex") } });
}
{
  const body = json({ token: "Jhj5dZrVaK7ZwHHjRyZWjbDl", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", type: "url_verification" });
  const ts = String(NOW);
  handshakes.push({ name: "slack url_verification", preset: "slack", oracle: "api.slack.com events url_verification", secret,
    method: "POST", url: base + "/hooks/slack", body,
    headers: { "content-type": "application/json", "x-slack-request-timestamp": ts, "x-slack-signature": "v0=" + hmac("sha256", secret, `v0:${ts}:${body}`, "hex") },
    answer: { challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" } });
}
{
  const token = "crc+token/with=chars";
  handshakes.push({ name: "twitter crc", preset: "twitter", oracle: "node crypto per developer.x.com account-activity (challenge-response check)", secret, unsigned: true,
    method: "GET", url: base + "/hooks/twitter?crc_token=" + encodeURIComponent(token) + "&nonce=1", body: "", headers: {},
    answer: { response_token: "sha256=" + hmac("sha256", secret, token, "base64") } });
}

// The requests hookguard's verify.Sign made, checked by the SDKs' verifiers.
const verifiers = {
  stripe: (r) => { stripe.webhooks.constructEvent(r.body, r.headers["stripe-signature"], r.secret); return true; },
  github: (r) => octokitVerify(r.secret, r.body, r.headers["x-hub-signature-256"]),
  "standard-webhooks": (r) => { new StandardWebhook(r.secret).verify(r.body, r.headers); return true; },
  svix: (r) => { new Svix(r.secret).verify(r.body, r.headers); return true; },
  twilio: (r) => twilio.validateRequest(r.secret, r.headers["x-twilio-signature"], r.url, Object.fromEntries(new URLSearchParams(r.body))),
  square: (r) => WebhooksHelper.verifySignature({ requestBody: r.body, signatureHeader: r.headers["x-square-hmacsha256-signature"], signatureKey: r.secret, notificationUrl: r.url }),
  hubspot: (r) => HubSpotSignature.isValid({ signatureVersion: "v3", signature: r.headers["x-hubspot-signature-v3"], clientSecret: r.secret, requestBody: r.body, url: r.url, timestamp: Number(r.headers["x-hubspot-request-timestamp"]) }),
  paddle: (r) => new PaddleValidator().isValidSignature(r.body, r.secret, r.headers["paddle-signature"]),
  orb: (r) => { new Orb({ apiKey: "unused" }).webhooks.verifySignature(r.body, r.headers, r.secret); return true; },
  linear: (r) => new LinearWebhookClient(r.secret).verify(Buffer.from(r.body), r.headers["linear-signature"]),
  discord: (r) => discordVerify(r.body, r.headers["x-signature-ed25519"], r.headers["x-signature-timestamp"], r.public_key),
  telnyx: async (r) => { await new TelnyxWebhook(r.public_key).verify(r.body, r.headers); return true; },
  razorpay: (r) => razorpayVerify(r.body, r.headers["x-razorpay-signature"], r.secret),
  "coinbase-commerce": (r) => CoinbaseCommerce.verifySigHeader(r.body, r.headers["x-cc-webhook-signature"], r.secret),
  gocardless: (r) => { gocardless.parse(r.body, r.secret, r.headers["webhook-signature"]); return true; },
  workos: (r) => workos.webhooks.verifyHeader({ payload: JSON.parse(r.body), sigHeader: r.headers["workos-signature"], secret: r.secret }),
  mux: async (r) => { await mux.webhooks.verifySignature(r.body, r.headers, r.secret); return true; },
  webflow: (r) => webflow.webhooks.verifySignature({ headers: r.headers, body: r.body, secret: r.secret }),
  openai: async (r) => { await openai.webhooks.verifySignature(r.body, r.headers, r.secret); return true; },
  replicate: (r) => replicateVerify({ headers: r.headers, body: r.body }, r.secret),
  lithic: (r) => { lithic.webhooks.verifySignature(r.body, r.headers, r.secret); return true; },
  polar: (r) => polarVerify(r.body, r.headers, r.secret),
  resend: (r) => { resend.webhooks.verify({ payload: r.body, headers: { id: r.headers["svix-id"], timestamp: r.headers["svix-timestamp"], signature: r.headers["svix-signature"] }, webhookSecret: r.secret }); return true; },
  clerk: (r) => { new Svix(r.secret).verify(r.body, r.headers); return true; },
  stytch: (r) => { new Svix(r.secret).verify(r.body, r.headers); return true; },
  brex: (r) => { new StandardWebhook(r.secret).verify(r.body, r.headers); return true; },
  sendgrid: (r) => { const w = new SendGridWebhook(); return w.verifySignature(w.convertPublicKeyToECDSA(r.public_key), r.body, r.headers["x-twilio-email-event-webhook-signature"], r.headers["x-twilio-email-event-webhook-timestamp"]); },
  // No SDK here verifies v1a: Node's crypto, per the spec, over every v1a entry.
  "standard-webhooks-v1a": (r) => {
    const key = crypto.createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(r.public_key.slice(5), "base64")]), format: "der", type: "spki" });
    const msg = Buffer.from(`${r.headers["webhook-id"]}.${r.headers["webhook-timestamp"]}.${r.body}`);
    return r.headers["webhook-signature"].split(" ").some((e) => e.startsWith("v1a,") && crypto.verify(null, msg, key, Buffer.from(e.slice(4), "base64")));
  },
};
// More presets, in files of their own with the same kit: gen-sdk-more.mjs
// (signed or checked by the providers' SDKs) and gen-docs-more.mjs (Node's
// crypto per the providers' docs). Each adds its vectors and its verifiers
// of ours.json.
const oursPackages = {};
// tampered is the body TestProviderVectors sends as "tampered body"
// (cases.tamper): one letter or digit in its second half changed, for
// generators that check their SDK rejects it.
const tampered = (s) => {
  const b = Buffer.from(s);
  for (let i = b.length >> 1; i < b.length; i++) {
    const c = b[i];
    if ((c >= 0x61 && c < 0x7a) || (c >= 0x41 && c < 0x5a) || (c >= 0x30 && c < 0x39)) { b[i] = c + 1; break; }
  }
  return b.toString();
};
const kit = { add, docs, hmac, json, event, secret, NOW, base, version, must, require, crypto, verifiers, handshakes, oursPackages, previous, tampered };
for (const more of ["./gen-sdk-more.mjs", "./gen-docs-more.mjs", "./gen-bodysig.mjs", "./gen-jwt-more.mjs", "./gen-formats.mjs", "./gen-docs-more2.mjs", "./gen-signedheaders.mjs", "./gen-plivo-persona.mjs"]) await (await import(more)).default(kit);

const ours = JSON.parse(fs.readFileSync(new URL("./ours.json", import.meta.url)));
const oursVerified = {};
for (const r of ours.requests) {
  const v = verifiers[r.name];
  if (!v) throw new Error("no verifier for " + r.name);
  let ok;
  try { ok = await v(r); } catch (e) { ok = false; }
  const pkg = { "standard-webhooks": "standardwebhooks", github: "@octokit/webhooks-methods", hubspot: "@hubspot/api-client", paddle: "@paddle/paddle-node-sdk",
    orb: "orb-billing", linear: "@linear/sdk", discord: "discord-interactions", sendgrid: "@sendgrid/eventwebhook",
    "coinbase-commerce": "coinbase-commerce-node", gocardless: "gocardless-nodejs", workos: "@workos-inc/node", mux: "@mux/mux-node",
    webflow: "webflow-api", polar: "@polar-sh/sdk", clerk: "svix", stytch: "svix", brex: "standardwebhooks", ...oursPackages }[r.name] ?? r.name;
  oursVerified[r.name] = { oracle: r.name === "standard-webhooks-v1a" ? "node crypto per the spec" : version(pkg), verified: ok === true };
}

const out = JSON.stringify({ generator: "gen.mjs", now: NOW, vectors, handshakes, ours_verified: oursVerified }, null, 1) + "\n";
// --write replaces vectors.json (a shell redirect would empty it before it
// is read for previous); otherwise the file goes to stdout, for the test.
if (process.argv.includes("--write")) fs.writeFileSync(new URL("./vectors.json", import.meta.url), out);
else process.stdout.write(out);
