// Batch F: presets signed by Node's crypto exactly as each provider's own
// documentation page says (the URL and section are the oracle), or, for the
// Standard Webhooks and Svix senders, by those libraries under each
// provider's headers. gen.mjs calls this with its kit.
export default async function (kit) {
  const { add, docs, hmac, json, event, secret, NOW, base, version, require, crypto } = kit;
  const { Webhook: Svix } = require("svix");
  const { Webhook: StandardWebhook } = require("standardwebhooks");
  const ms = String(NOW * 1000);

  // Body-only HMAC-SHA256s: the header, encoding and secret each page states.
  for (const p of [
    { preset: "agentset", doc: "docs.agentset.ai/webhooks/verify-webhook-requests (Agentset-Signature: HMAC-SHA256 of the raw body under the signing secret, hex as the example header)", header: "agentset-signature", enc: "hex" },
    { preset: "autosend", doc: "docs.autosend.com/others/webhooks/verify-requests (X-Webhook-Signature: hex HMAC-SHA256 of the request body under the webhook secret)", header: "x-webhook-signature", enc: "hex",
      extra: { "x-webhook-event": "email.opened" } },
    { preset: "katana", doc: "developer.katanamrp.com/docs/verifying-webhook-signature (x-sha2-signature: hex HMAC-SHA256 of the raw body under the webhook token)", header: "x-sha2-signature", enc: "hex" },
    { preset: "signable", doc: "developers.signable.app/early-access/ea-signed-webhooks (Signature: base64 HMAC-SHA256 of the raw body under the webhook_secret)", header: "signature", enc: "base64",
      extra: { "x-signable-webhook": String(NOW) } },
    { preset: "striga", doc: "docs.striga.com/reference/configuring-webhooks (signature: hex HMAC-SHA256 of the webhook body under the API key)", header: "signature", enc: "hex" },
    { preset: "strike", doc: "docs.strike.me/webhooks/signature-verification (X-Webhook-Signature: hex HMAC-SHA256 of the JSON payload under the subscription secret)", header: "x-webhook-signature", enc: "hex" },
  ]) {
    const body = event({ provider: p.preset });
    docs(p, { path: "/hooks/" + p.preset, body, headers: { "content-type": "application/json", ...p.extra, [p.header]: hmac("sha256", secret, body, p.enc) } });
  }

  // Key-value headers over timestamp.body.
  for (const p of [
    { preset: "billit", doc: "docs.billit.be/reference/webhook (Billit-Signature: t=,s=; SHA-256 HMAC of timestamp.payload under the signing secret, hex as the example)", header: "billit-signature", sig: "s" },
    { preset: "moonpay", doc: "dev.moonpay.com/reference/reference-webhooks-signature (Moonpay-Signature-V2: t=,s=; HMAC-SHA256 of timestamp.body under the webhook API key, hex as the example)", header: "moonpay-signature-v2", sig: "s" },
    { preset: "qonto", doc: "docs.qonto.com/api-reference/business-api/webhooks/overview (X-Qonto-Signature: t=,v1=; HMAC-SHA256 of timestamp.raw_request_body, hex as the published test data)", header: "x-qonto-signature", sig: "v1" },
    { preset: "surge", doc: "docs.surge.app/api-reference/webhooks/signature-validation (Surge-Signature: t=,v1=<lowercase hex HMAC-SHA256 of timestamp.body>)", header: "surge-signature", sig: "v1" },
    { preset: "tabapay", doc: "developers.tabapay.com/reference/verifying-webhook-signatures (X-HMAC-Signature: t=,v1=<hex HMAC-SHA256 of timestamp.raw body>)", header: "x-hmac-signature", sig: "v1",
      extra: { "idempotency-key": "5f1c2b7e-8a94-4c5d-9e0f-1a2b3c4d5e6f" } },
  ]) {
    const body = event({ provider: p.preset });
    docs(p, { path: "/hooks/" + p.preset, body, headers: { "content-type": "application/json", ...p.extra,
      [p.header]: `t=${NOW},${p.sig}=${hmac("sha256", secret, `${NOW}.${body}`, "hex")}` } });
  }
  {
    const body = json({ event_id: "2000000012345", event_type: "payment.succeeded", event_time: ms, event_object: { payment: { payment_id: "p1", description: "héllo" } } });
    docs({ preset: "zoho-payments", doc: "zoho.com/in/payments/developerdocs/webhooks/verification (X-Zoho-Webhook-Signature: t=<ms>,v=<hex HMAC-SHA256 of t.payload>)" }, { path: "/hooks/zoho-payments", body, headers: {
      "content-type": "application/json", "x-zoho-webhook-signature": `t=${ms},v=${hmac("sha256", secret, `${ms}.${body}`, "hex")}` } });
  }
  {
    // Revolut: v1.<ms>.<body>, the wsk_ secret as UTF-8, v1=<hex>.
    const wsk = "wsk_hookguardBatchFRevolutTestKey01";
    const body = json({ data: { id: "645a7696-0000-aa47-0000-cbae0449cc46", new_state: "completed", old_state: "pending", request_id: "héllo" }, event: "TransactionStateChanged", timestamp: "2025-12-01T00:00:00.000000Z" });
    docs({ preset: "revolut", doc: "developer.revolut.com/docs/guides/manage-accounts/webhooks/verify-the-payload-signature (payload_to_sign = v1.{Revolut-Request-Timestamp}.{raw_payload}; 'v1=' + hex HMAC-SHA256 under the signing secret)" }, { path: "/hooks/revolut", body, headers: {
      "content-type": "application/json", "revolut-request-timestamp": ms, "revolut-signature": "v1=" + hmac("sha256", wsk, `v1.${ms}.${body}`, "hex"), __secret: wsk } });
  }
  {
    const body = json({ jobId: "j1", status: "succeeded", output: { diarization: [{ speaker: "SPEAKER_00", start: 0.1, end: 1.2 }], note: "héllo" } });
    docs({ preset: "pyannote", doc: "docs.pyannote.ai/webhooks/verifying-webhooks (X-Signature: base64 HMAC-SHA256 of v0:{timestamp}:{body}; X-Request-Timestamp in seconds)" }, { path: "/hooks/pyannote", body, headers: {
      "content-type": "application/json", "x-request-timestamp": String(NOW), "x-signature": hmac("sha256", secret, `v0:${NOW}:${body}`, "base64") } });
  }
  {
    const body = json({ data: { order: { order_id: "order_F1", order_amount: 2, order_currency: "INR" }, payment: { cf_payment_id: "1453002795", payment_status: "SUCCESS", payment_message: "héllo" } }, event_time: "2025-12-01T05:30:00+05:30", type: "PAYMENT_SUCCESS_WEBHOOK" });
    docs({ preset: "cashfree", doc: "cashfree.com/docs/payments/online/webhooks/signature-verification (x-webhook-signature = Base64Encode(HMACSHA256(timestamp + payload, client secret)); x-webhook-timestamp in ms as the example)" }, { path: "/hooks/cashfree", body, headers: {
      "content-type": "application/json", "x-webhook-timestamp": ms, "x-webhook-signature": hmac("sha256", secret, ms + body, "base64") } });
  }
  {
    const path = "/hooks/upayments";
    const body = json({ payment_id: "100202219312345", result: "CAPTURED", order_id: "o1", requested_order_id: "ro1", reference: "héllo" });
    docs({ preset: "upayments", doc: "developers.upayments.com/reference/validating-incoming-webhook-signatures (X-Signature: base64 HMAC-SHA256 of timestamp + POST + full notification URL + raw body under the API secret key; X-Timestamp in UTC seconds)" }, { path, body, headers: {
      "content-type": "application/json", "x-timestamp": String(NOW), "x-signature": hmac("sha256", secret, `${NOW}POST${base}${path}${body}`, "base64") } });
  }

  // Standard Webhooks and Svix senders: the libraries sign, under each
  // provider's headers and secret form.
  const swKey = Buffer.from("hookguard-batch-f-standard-key!!").toString("base64");
  for (const [preset, prefix, doc, lib] of [
    ["cerebrum", "svix", "docs.cerebrum.com/docs/validation (svix- headers, Svix Portal secret)", "svix"],
    ["crossmint", "svix", "docs.crossmint.com/introduction/platform/webhooks/verify-webhooks (verified with the Svix library)", "svix"],
    ["goody", "svix", "developer.ongoody.com/webhooks/webhook-security (Svix: svix-id, svix-timestamp, svix-signature)", "svix"],
    ["make", "webhook", "developers.make.com/event-subscription/implementation/verify-signatures (Standard Webhooks 1.0: Webhook-Id, Webhook-Timestamp, Webhook-Signature, whsec_ secret)", "standardwebhooks"],
    ["quo", "webhook", "quo.com/docs webhooks-signature-validation (webhook-id, webhook-timestamp, webhook-signature v1,<base64>; whsec_ key)", "standardwebhooks"],
    ["signatureapi", "webhook", "signatureapi.com/docs/api/guides/how-to/verify-webhooks (Standard Webhooks, whsec_ secret)", "standardwebhooks"],
    ["sohar-health", "svix", "docs.soharhealth.com/documentation/webhooks/security (Svix: svix-id, svix-timestamp, svix-signature)", "svix"],
  ]) {
    const body = event({ type: preset + ".event", provider: preset });
    const id = "msg_" + preset.replace("-", "");
    const sig = (lib === "svix" ? new Svix("whsec_" + swKey) : new StandardWebhook(swKey)).sign(id, new Date(NOW * 1000), body);
    add(preset, version(lib) + " sign, under the headers of " + doc, { path: "/hooks/" + preset, body, headers: {
      "content-type": "application/json", [prefix + "-id"]: id, [prefix + "-timestamp"]: String(NOW), [prefix + "-signature"]: sig, __secret: "whsec_" + swKey } });
  }
}
