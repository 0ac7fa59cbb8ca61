// More presets signed by Node's crypto per their providers' docs: gen.mjs
// calls this with its kit (add, docs, hmac, json, event, secret, NOW, base,
// version, must, require, crypto, verifiers, handshakes, oursPackages,
// previous).
//
// Each preset gets one request signed by Node's crypto exactly as its
// provider's documentation says (the URL and section are the oracle), or,
// for the Standard Webhooks and Svix schemes, by those libraries.
export default async function (kit) {
  const { add, docs, hmac, json, event, secret, NOW, version, require, crypto, verifiers, oursPackages } = kit;
  const { Webhook: Svix } = require("svix");
  const { Webhook: StandardWebhook } = require("standardwebhooks");

  // Body-only HMACs: the signature of the raw body, under the header, in
  // the encoding and with the prefix each provider documents.
  const simple = [
    { preset: "ably", doc: "ably.com/docs/platform/integrations/webhooks (webhook security: X-Ably-Signature, base64 HMAC-SHA256 of the body under the key's secret)", header: "x-ably-signature", alg: "sha256", enc: "base64",
      extra: { "x-ably-key": "appId.keyId", "x-ably-version": "1.2" } },
    { preset: "ashby", doc: "developers.ashbyhq.com/docs/authenticating-webhooks", header: "ashby-signature", alg: "sha256", enc: "hex", prefix: "sha256=" },
    { preset: "checkr", doc: "docs.checkr.com/apis/webhooks (securing webhooks: X-Checkr-Signature, hex HMAC-SHA256 of the body under the API key)", header: "x-checkr-signature", alg: "sha256", enc: "hex" },
    { preset: "clickup", doc: "developer.clickup.com/docs/webhooksignature", header: "x-signature", alg: "sha256", enc: "hex" },
    { preset: "doppler", doc: "docs.doppler.com/docs/webhooks (verify webhook with request signing)", header: "x-doppler-signature", alg: "sha256", enc: "hex", prefix: "sha256=" },
    { preset: "dub", doc: "dub.co/docs/postbacks/verify-postback-requests (Dub-Signature, hex HMAC-SHA256 of the raw body)", header: "dub-signature", alg: "sha256", enc: "hex" },
    { preset: "easypost", doc: "docs.easypost.com/docs/webhooks (HMAC validation: X-Hmac-Signature; validate_webhook in EasyPost's client libraries signs hmac-sha256-hex=<hex HMAC-SHA256 of the body>)", header: "x-hmac-signature", alg: "sha256", enc: "hex", prefix: "hmac-sha256-hex=" },
    { preset: "helpscout", doc: "developer.helpscout.com/webhooks (X-HelpScout-Signature: base64 HMAC-SHA1 of the body under the secret key)", header: "x-helpscout-signature", alg: "sha1", enc: "base64" },
    { preset: "hookdeck", doc: "hookdeck.com/docs/authentication (Hookdeck signature: x-hookdeck-signature, base64 HMAC-SHA256 of the body under the project secret)", header: "x-hookdeck-signature", alg: "sha256", enc: "base64",
      extra: { "x-hookdeck-eventid": "evt_hkd1", "x-hookdeck-source-id": "src_1", "x-hookdeck-attempt-count": "1" } },
    { preset: "merge", doc: "docs.merge.dev/basics/webhooks/merge-webhooks (security: X-Merge-Webhook-Signature, base64url HMAC-SHA256 of the body)", header: "x-merge-webhook-signature", alg: "sha256", enc: "base64url" },
    { preset: "onfido", doc: "documentation.identity.entrust.com/api/manual-webhook-signature-verification (X-SHA2-Signature, hex HMAC-SHA256 of the raw body under the webhook token)", header: "x-sha2-signature", alg: "sha256", enc: "hex" },
    { preset: "planetscale", doc: "planetscale.com/docs/api/webhooks (validating webhooks: X-PlanetScale-Signature, hex HMAC-SHA256 of the body)", header: "x-planetscale-signature", alg: "sha256", enc: "hex" },
    { preset: "quickbooks", doc: "developer.intuit.com/app/developer/qbo/docs/develop/webhooks (validating the notification: intuit-signature, base64 HMAC-SHA256 under the verifier token)", header: "intuit-signature", alg: "sha256", enc: "base64" },
    { preset: "sendbird", doc: "docs.sendbird.com webhooks (x-sendbird-signature: HMAC-SHA256 of the body under the API token)", header: "x-sendbird-signature", alg: "sha256", enc: "hex" },
    { preset: "veriff", doc: "devdocs.veriff.com/docs/hmac-authentication-and-endpoint-security (x-hmac-signature: hex HMAC-SHA256 of the payload body under the shared secret key)", header: "x-hmac-signature", alg: "sha256", enc: "hex",
      extra: { "x-auth-client": "veriff-api-key" } },
  ];
  for (const p of simple) {
    const body = event({ provider: p.preset });
    let sig = hmac(p.alg, secret, body, p.enc);
    if (p.enc === "base64url") sig = Buffer.from(hmac(p.alg, secret, body)).toString("base64url");
    docs(p, { path: "/hooks/" + p.preset, body, headers: { "content-type": "application/json", ...p.extra, [p.header]: (p.prefix ?? "") + sig } });
  }

  {
    // Box: the body's bytes, then BOX-DELIVERY-TIMESTAMP's, base64.
    const body = json({ type: "webhook_event", id: "eac4a4f3-8d1a-4d8e-9e0a-5b0b2c1d3e4f", created_at: "2025-11-30T16:00:00-08:00", trigger: "FILE.UPLOADED", source: { id: "12345", type: "file", name: "héllo.txt" } });
    const ts = "2025-11-30T16:00:00-08:00"; // NOW, as Box writes it, with a zone
    docs({ preset: "box", doc: "developer.box.com/guides/webhooks/v2/signatures-v2 (manual signature verification)" }, { path: "/hooks/box", body, headers: {
      "content-type": "application/json", "box-delivery-id": "673a081b-bb4b-4d45-b4f1-4131a29c1d07", "box-delivery-timestamp": ts,
      "box-signature-primary": hmac("sha256", secret, body + ts, "base64"), "box-signature-secondary": hmac("sha256", "the-secondary-key", body + ts, "base64"),
      "box-signature-version": "1", "box-signature-algorithm": "HmacSHA256" } });
  }
  {
    const body = json({ data: { meta: { event_type: "contract.created", organization_id: "org_1" }, resource: { id: "c1", title: "héllo" } }, timestamp: "2025-12-01T00:00:00.000Z" });
    docs({ preset: "deel", doc: "developer.deel.com/docs/webhooks-get-started (security: HMAC-SHA256 of POST + raw body)" }, { path: "/hooks/deel", body, headers: {
      "content-type": "application/json", "x-deel-signature": hmac("sha256", secret, "POST" + body, "hex") } });
  }
  {
    const body = json({ type: "message.sent", timestamp: NOW * 1000, data: { id: "msg_1", text: "héllo" } }), t = String(NOW * 1000);
    docs({ preset: "knock", doc: "docs.knock.app/developer-tools/outbound-webhooks/overview (verifying webhook signatures: t=<ms>,s=<base64>)" }, { path: "/hooks/knock", body, headers: {
      "content-type": "application/json", "x-knock-signature": `t=${t},s=${hmac("sha256", secret, `${t}.${body}`, "base64")}` } });
  }
  {
    const body = json({ event: "track_updated", test: false, data: { tracking_number: "SHIPPO_TRANSIT", tracking_status: { status: "TRANSIT", status_details: "héllo" } } });
    docs({ preset: "shippo", doc: "docs.goshippo.com/tracking/webhook-security (HMAC security: Shippo-Auth-Signature t=,v1=)" }, { path: "/hooks/shippo", body, headers: {
      "content-type": "application/json", "shippo-auth-signature": `t=${NOW},v1=${hmac("sha256", secret, `${NOW}.${body}`, "hex")}` } });
  }

  // Batch E: body HMACs per each provider's docs.
  const simpleE = [
    { preset: "attio", doc: "docs.attio.com/rest-api/how-to/webhooks (Attio-Signature: hex SHA256 HMAC of the request body under the webhook secret)", header: "attio-signature", alg: "sha256", enc: "hex",
      extra: { "idempotency-key": "7d1f2c3e-0b4a-4e5f-9a6b-1c2d3e4f5a6b" } },
    { preset: "gusto", doc: "docs.gusto.com/app-integrations/docs/webhooks (verifying event integrity: x_gusto_signature, HMAC-SHA256 of the payload under the verification_token)", header: "x-gusto-signature", alg: "sha256", enc: "hex" },
    { preset: "mollie", doc: "docs.mollie.com/reference/webhooks-best-practices (how to verify HMAC signature: X-Mollie-Signature, hex HMAC-SHA256 of the raw body)", header: "x-mollie-signature", alg: "sha256", enc: "hex" },
    { preset: "storyblok", doc: "storyblok.com/tp/webhook-secret-with-different-technologies (webhook-signature: hex HMAC-SHA1 of the raw payload under the webhook secret)", header: "webhook-signature", alg: "sha1", enc: "hex" },
    { preset: "webex", doc: "developer.webex.com/blog/using-a-webhook-secret (X-Spark-Signature: hex HMAC-SHA1 of the raw body under the webhook secret)", header: "x-spark-signature", alg: "sha1", enc: "hex" },
  ];
  for (const p of simpleE) {
    const body = event({ provider: p.preset });
    docs(p, { path: "/hooks/" + p.preset, body, headers: { "content-type": "application/json", ...p.extra, [p.header]: hmac(p.alg, secret, body, p.enc) } });
  }
  {
    // Onfleet: the webhook secret is hex, decoded into the key; HMAC-SHA512, hex.
    const hexSecret = crypto.createHash("sha256").update("hookguard onfleet test secret").digest("hex");
    const body = json({ taskId: "t1", triggerId: 3, triggerName: "taskCompleted", time: NOW * 1000, data: { task: { notes: "héllo" } } });
    docs({ preset: "onfleet", doc: "docs.onfleet.com/reference/secrets (webhook authentication: X-Onfleet-Signature, HMAC-SHA512 under the hex-decoded webhook secret, of the raw body)" }, { path: "/hooks/onfleet", body, headers: {
      "content-type": "application/json", "x-onfleet-signature": crypto.createHmac("sha512", Buffer.from(hexSecret, "hex")).update(body).digest("hex"), __secret: hexSecret } });
  }
  {
    const body = json({ type: "post_call_transcription", event_timestamp: NOW, data: { agent_id: "a1", transcript: [{ role: "agent", message: "héllo" }] } });
    docs({ preset: "elevenlabs", doc: "elevenlabs.io/docs/product-guides/administration/webhooks (authentication: ElevenLabs-Signature t=timestamp,v0=hex HMAC-SHA256 of timestamp.request_body)" }, { path: "/hooks/elevenlabs", body, headers: {
      "content-type": "application/json", "elevenlabs-signature": `t=${NOW},v0=${hmac("sha256", secret, `${NOW}.${body}`, "hex")}` } });
  }
  {
    // Sanity: @sanity/webhook signs (milliseconds, unpadded base64url), and
    // its isValidSignature must accept the header.
    const sanity = require("@sanity/webhook");
    const body = json({ _id: "post-1", _type: "post", _rev: "r1", title: "héllo" }), t = NOW * 1000;
    const sig = await sanity.encodeSignatureHeader(body, t, secret);
    if (!(await sanity.isValidSignature(body, sig, secret))) throw new Error("@sanity/webhook rejects its own vector");
    add("sanity", version("@sanity/webhook") + " encodeSignatureHeader, checked by isValidSignature", { path: "/hooks/sanity", body, headers: {
      "content-type": "application/json", "sanity-webhook-signature": sig, "sanity-operation": "update", "sanity-document-id": "post-1" } });
  }
  {
    // Acuity Scheduling: a form-encoded body, signed as sent, base64.
    const body = "action=scheduled&id=123456&calendarID=7&appointmentTypeID=9";
    docs({ preset: "acuity", doc: "developers.acuityscheduling.com/docs/webhooks (verifying webhooks: base64 HMAC-SHA256 of the request body under the API key, X-Acuity-Signature)" }, { path: "/hooks/acuity", body, headers: {
      "content-type": "application/x-www-form-urlencoded", "x-acuity-signature": hmac("sha256", secret, body, "base64") } });
  }
  // Basic-authentication presets: the credentials user:password.
  for (const [preset, doc] of [
    ["chargebee", "chargebee.com/docs/billing/2.0/site-configuration/webhook_settings (basic authentication)"],
    ["pipedrive", "pipedrive.readme.io/docs/guide-for-webhooks (HTTP Basic auth)"],
    ["postmark", "postmarkapp.com/developer/webhooks/webhooks-overview (basic HTTP authentication in the webhook URL)"],
  ]) {
    docs({ preset, doc }, { path: "/hooks/" + preset, body: event({ provider: preset }), headers: {
      "content-type": "application/json", authorization: "Basic " + Buffer.from("user:password").toString("base64"), __secret: "user:password" } });
  }
  {
    // Mailchimp Transactional: Mandrill's scheme, a form body.
    const path = "/hooks/mailchimp";
    const params = { mandrill_events: json([{ event: "send", msg: { subject: "héllo" } }]) };
    const body = new URLSearchParams(params).toString();
    docs({ preset: "mailchimp", doc: "mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks (authenticating webhook requests: X-Mandrill-Signature)" }, { path, body, headers: {
      "content-type": "application/x-www-form-urlencoded", "x-mandrill-signature": hmac("sha1", secret, kit.base + path + "mandrill_events" + params.mandrill_events, "base64") } });
  }

  // Standard Webhooks and Svix senders: the libraries sign, under each
  // provider's headers and secret form.
  const swKey = Buffer.from("hookguard-batch-b-standard-key!!").toString("base64");
  const swHeaders = (prefix, id, sig) => ({ "content-type": "application/json", [prefix + "-id"]: id, [prefix + "-timestamp"]: String(NOW), [prefix + "-signature"]: sig });
  for (const [preset, prefix, doc, lib] of [
    ["etsy", "webhook", "developers.etsy.com/documentation/essentials/webhooks (signing secrets; Standard Webhooks headers)", "standardwebhooks"],
    ["incident-io", "svix", "docs.incident.io/integrations/webhooks (powered by Svix)", "svix"],
  ]) {
    const body = event({ type: preset + ".event", event_id: "evt_" + preset.replace("-", "") });
    const id = "msg_" + preset.replace("-", "");
    const sig = (lib === "svix" ? new Svix("whsec_" + swKey) : new StandardWebhook(swKey)).sign(id, new Date(NOW * 1000), body);
    add(preset, version(lib) + " sign, under the headers of " + doc, { path: "/hooks/" + preset, body, headers: { ...swHeaders(prefix, id, sig), __secret: "whsec_" + swKey } });
  }
  // Verifiers of the requests verify.Sign made (ours.json), for the
  // presets whose scheme an installed library verifies.
  verifiers.etsy = (r) => { new StandardWebhook(r.secret).verify(r.body, r.headers); return true; };
  verifiers["incident-io"] = (r) => { new Svix(r.secret).verify(r.body, r.headers); return true; };
  oursPackages.etsy = "standardwebhooks";
  oursPackages["incident-io"] = "svix";
}
