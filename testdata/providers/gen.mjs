// gen.mjs signs one request per hookguard preset with the provider's own
// SDK where one installs from npm (Node's crypto, following the provider's
// documentation, where none does), and checks the requests hookguard's
// verify.Sign made (ours.json) with the same SDKs' verifiers. It writes
// vectors.json; a Go test checks that file is current and runs every vector
// natively and through the built module.
//
//	cd testdata/providers && npm ci && node gen.mjs > vectors.json
import crypto from "node:crypto";
import { createRequire } from "node:module";
import fs from "node:fs";
import { sign as octokitSign, verify as octokitVerify } from "@octokit/webhooks-methods";
import { LinearWebhookClient } from "@linear/sdk/webhooks";

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
function add(preset, oracle, { method = "POST", path, headers, body }) {
  vectors.push({ name: preset, preset, oracle, secret: headers.__secret ?? secret, method, url: base + path,
    headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k !== "__secret")), body });
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

// Providers without an SDK here: Node's crypto, following their docs.
const docs = (p, h) => add(p.preset, "node crypto per " + p.doc, h);
const simple = [
  { preset: "pipes", doc: "pipes.bot docs", header: "x-pipes-signature", alg: "sha256", enc: "hex" },
  { preset: "bitbucket", doc: "support.atlassian.com (secure webhooks)", header: "x-hub-signature", alg: "sha256", enc: "hex", prefix: "sha256=" },
  { preset: "shopify", doc: "shopify.dev verify-deliveries", header: "x-shopify-hmac-sha256", alg: "sha256", enc: "base64" },
  { preset: "typeform", doc: "typeform.com developers webhooks security", header: "typeform-signature", alg: "sha256", enc: "base64", prefix: "sha256=" },
  { preset: "woocommerce", doc: "woocommerce.github.io webhooks", header: "x-wc-webhook-signature", alg: "sha256", enc: "base64" },
  { preset: "xero", doc: "developer.xero.com webhooks", header: "x-xero-signature", alg: "sha256", enc: "base64" },
  { preset: "vercel", doc: "vercel.com docs webhooks", header: "x-vercel-signature", alg: "sha1", enc: "hex" },
  { preset: "intercom", doc: "developers.intercom.com webhooks", header: "x-hub-signature", alg: "sha1", enc: "hex", prefix: "sha1=" },
];
for (const p of simple) {
  const body = event({ provider: p.preset });
  docs(p, { path: "/hooks/" + p.preset, body, headers: { "content-type": "application/json", [p.header]: (p.prefix ?? "") + hmac(p.alg, secret, body, p.enc) } });
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
docs({ preset: "gitlab", doc: "docs.gitlab.com webhooks (secret token)" }, { path: "/hooks/gitlab", body: event({ object_kind: "push" }),
  headers: { "content-type": "application/json", "x-gitlab-token": secret } });

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
};
const ours = JSON.parse(fs.readFileSync(new URL("./ours.json", import.meta.url)));
const oursVerified = {};
for (const r of ours.requests) {
  const v = verifiers[r.preset];
  if (!v) throw new Error("no verifier for " + r.preset);
  let ok;
  try { ok = await v(r); } catch (e) { ok = false; }
  oursVerified[r.preset] = { oracle: version({ "standard-webhooks": "standardwebhooks", github: "@octokit/webhooks-methods", hubspot: "@hubspot/api-client", paddle: "@paddle/paddle-node-sdk", orb: "orb-billing", linear: "@linear/sdk" }[r.preset] ?? r.preset), verified: ok === true };
}

process.stdout.write(JSON.stringify({ generator: "gen.mjs", now: NOW, vectors, ours_verified: oursVerified }, null, 1) + "\n");
