// More presets signed by Node's crypto per their providers' docs: gen.mjs
// calls this with its kit (add, docs, hmac, json, event, secret, NOW, base,
// version, must, require, crypto, verifiers, handshakes, oursPackages,
// previous).
//
// Each preset gets one request signed by Node's crypto exactly as its
// provider's documentation says (the URL and section are the oracle), or,
// for the Standard Webhooks and Svix schemes, by those libraries.
export default async function (kit) {
  const { add, docs, hmac, json, event, secret, NOW, version, require, verifiers, oursPackages } = kit;
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
