// More presets signed or checked by their providers' SDKs: gen.mjs calls
// this with its kit (add, docs, hmac, json, event, secret, NOW, base,
// version, must, require, crypto, verifiers, handshakes, oursPackages,
// previous).
export default async function (kit) {
  const { add, docs, hmac, json, event, secret, NOW, version, must, require, verifiers, oursPackages } = kit;
  const { validateSignature: lineValidate } = require("@line/bot-sdk");
  const Pusher = require("pusher");
  const MT = require("modern-treasury");
  const { validateWebhookSignature: sinchValidate } = require("@sinch/sdk-core");
  const { Webhook: StandardWebhook } = require("standardwebhooks");
  const ModernTreasury = MT.default ?? MT;
  const mt = (key) => new ModernTreasury({ apiKey: "unused", organizationID: "unused", webhookKey: key });
  const pusherKey = "hookguard-app-key";
  const pusherWebhook = (sec, headers, body) =>
    new Pusher({ appId: "1", key: pusherKey, secret: sec, cluster: "mt1" }).webhook({ headers: { "x-pusher-key": pusherKey, ...headers }, rawBody: body }).isValid();
  const json1 = { "content-type": "application/json" };

  // Providers with an SDK that verifies (and where it can, signs).
  {
    const body = json({ destination: "U0123", events: [{ type: "message", webhookEventId: "01H0", message: { type: "text", text: "héllo" } }] });
    const sig = hmac("sha256", secret, body, "base64");
    await must(lineValidate(body, secret, sig), "@line/bot-sdk");
    add("line", "node crypto per developers.line.biz verify-webhook-signature, checked by " + version("@line/bot-sdk") + " validateSignature", { path: "/hooks/line", body,
      headers: { ...json1, "x-line-signature": sig } });
  }
  {
    const body = json({ time_ms: NOW * 1000, events: [{ name: "channel_occupied", channel: "héllo" }] });
    const Token = require("pusher/lib/token");
    const sig = new Token(pusherKey, secret).sign(body);
    const headers = { ...json1, "x-pusher-key": pusherKey, "x-pusher-signature": sig };
    await must(pusherWebhook(secret, headers, body), "pusher");
    add("pusher", version("pusher") + " Token.sign, checked by WebHook.isValid", { path: "/hooks/pusher", body, headers });
  }
  {
    const body = json({ event: "completed", data: { id: "po_1", object: "payment_order", description: "héllo" } });
    const sig = mt(secret).webhooks.getSignature(body, { key: secret });
    const headers = { ...json1, "x-topic": "payment_order", "x-live": "false", "x-signature": sig };
    await must(mt(secret).webhooks.validateSignature(body, headers, { key: secret }), "modern-treasury");
    add("modern-treasury", version("modern-treasury") + " webhooks.getSignature, checked by webhooks.validateSignature", { path: "/hooks/modern-treasury", body, headers });
  }
  {
    const body = json({ app_id: "01APP", accepted_time: "2025-12-01T00:00:00Z", message: { id: "01MSG", contact_message: { text_message: { text: "héllo" } } } });
    const nonce = "01FJA8B4A7BM43YGWSG9GBV067", ts = String(NOW);
    const headers = { ...json1, "x-sinch-webhook-signature-nonce": nonce, "x-sinch-webhook-signature-timestamp": ts,
      "x-sinch-webhook-signature-algorithm": "HmacSHA256", "x-sinch-webhook-signature": hmac("sha256", secret, `${body}.${nonce}.${ts}`, "base64") };
    await must(sinchValidate(secret, headers, body), "@sinch/sdk-core");
    add("sinch", "node crypto per developers.sinch.com conversation callbacks (validating callback requests), checked by " + version("@sinch/sdk-core") + " validateWebhookSignature", { path: "/hooks/sinch", body, headers });
  }
  // Standard Webhooks providers: the library both document signs.
  const swKey = Buffer.from("hookguard-batch-a-webhooks-key!!").toString("base64");
  for (const [preset, doc] of [["render", "render.com/docs/webhooks (Render's example receiver, render-examples/webhook-receiver, verifies with standardwebhooks)"], ["supabase", "supabase.com/docs/guides/auth/auth-hooks"]]) {
    const body = event({ type: preset + ".event" }), id = "msg_" + preset;
    const sig = new StandardWebhook(swKey).sign(id, new Date(NOW * 1000), body);
    const headers = { ...json1, "webhook-id": id, "webhook-timestamp": String(NOW), "webhook-signature": sig };
    new StandardWebhook("whsec_" + swKey).verify(body, headers); // throws unless it verifies
    add(preset, version("standardwebhooks") + " sign, under the headers of " + doc, { path: "/hooks/" + preset, body, headers: { ...headers, __secret: "whsec_" + swKey } });
  }

  // Providers without an SDK here: Node's crypto, following their docs.
  const simple = [
    { preset: "jira", doc: "developer.atlassian.com/cloud/jira/platform/webhooks (secure admin webhooks)", header: "x-hub-signature", alg: "sha256", enc: "hex", prefix: "sha256=",
      extra: { "x-atlassian-webhook-identifier": "a1b2c3d4-1111-2222-3333-444455556666", "x-atlassian-webhook-flow": "Primary" } },
    { preset: "notion", doc: "developers.notion.com/reference/webhooks (validating event payloads)", header: "x-notion-signature", alg: "sha256", enc: "hex", prefix: "sha256=" },
    { preset: "chargify", doc: "docs.maxio.com advanced billing webhooks (signature verification); webhook.co's recipe agrees", header: "x-chargify-webhook-signature-hmac-sha-256", alg: "sha256", enc: "hex",
      extra: { "content-type": "application/x-www-form-urlencoded", "x-chargify-webhook-id": "123456" },
      body: "id=123456&event=test&payload%5Bchargify%5D=h%C3%A9llo" },
    { preset: "mongodb-atlas", doc: "mongodb.com/docs/atlas (webhook integration, X-MMS-Signature); webhook.co's recipe agrees", header: "x-mms-signature", alg: "sha1", enc: "base64" },
    { preset: "autodesk", doc: "aps.autodesk.com webhooks (secret token, x-adsk-signature); webhook.co's recipe agrees", header: "x-adsk-signature", alg: "sha1", enc: "hex", prefix: "sha1hash=" },
    { preset: "aftership", doc: "aftership.com/docs/tracking webhook signature; webhook.co's recipe agrees", header: "aftership-hmac-sha256", alg: "sha256", enc: "base64" },
    { preset: "bolt", doc: "help.bolt.com webhooks (verify the signature); webhook.co's recipe agrees", header: "x-bolt-hmac-sha256", alg: "sha256", enc: "base64" },
    { preset: "cal-com", doc: "cal.com/docs webhooks (verifying the authenticity); webhook.co's recipe agrees", header: "x-cal-signature-256", alg: "sha256", enc: "hex" },
    { preset: "dwolla", doc: "developers.dwolla.com webhooks (validating webhooks); webhook.co's recipe agrees", header: "x-request-signature-sha-256", alg: "sha256", enc: "hex" },
  ];
  for (const p of simple) {
    const body = p.body ?? event({ provider: p.preset });
    docs(p, { path: "/hooks/" + p.preset, body, headers: { ...json1, ...p.extra, [p.header]: (p.prefix ?? "") + hmac(p.alg, secret, body, p.enc) } });
  }
  {
    // Airtable: the key is macSecretBase64, decoded.
    const mac = Buffer.from("hookguard-airtable-mac-secret-01").toString("base64");
    const body = json({ base: { id: "appABC" }, webhook: { id: "achXYZ" }, timestamp: "2025-12-01T00:00:00.000Z" });
    docs({ preset: "airtable", doc: "airtable.com/developers/web/api/webhooks-overview (webhook notification delivery)" }, { path: "/hooks/airtable", body,
      headers: { ...json1, "x-airtable-content-mac": "hmac-sha256=" + hmac("sha256", Buffer.from(mac, "base64"), body, "hex"), __secret: mac } });
  }
  {
    // Teams outgoing webhooks: the security token, base64-decoded, is the key.
    const token = Buffer.from("hookguard-teams-security-token!!").toString("base64");
    const body = json({ type: "message", id: "1485983408511", text: "<at>Bot</at> héllo", from: { id: "29:1", name: "User" } });
    docs({ preset: "microsoft-teams", doc: "learn.microsoft.com microsoftteams platform outgoing webhooks (verify the HMAC token)" }, { path: "/hooks/microsoft-teams", body,
      headers: { ...json1, authorization: "HMAC " + hmac("sha256", Buffer.from(token, "base64"), body, "base64"), __secret: token } });
  }
  {
    // Squarespace: the secret is hex and is hex-decoded into the key.
    const hexSecret = Buffer.from("hookguard-squarespace-secret-01!").toString("hex");
    const body = json({ id: "5c2ba184b63ed3cb", websiteId: "5c2a7b6b", subscriptionId: "5c2ba1a4", topic: "order.create", createdOn: "2025-12-01T00:00:00.000Z", data: { orderId: "o1", text: "héllo" } });
    docs({ preset: "squarespace", doc: "developers.squarespace.com/commerce-apis/webhooks/verifying-notifications" }, { path: "/hooks/squarespace", body,
      headers: { ...json1, "squarespace-signature": hmac("sha256", Buffer.from(hexSecret, "hex"), body, "hex"), __secret: hexSecret } });
  }
  {
    const body = json({ data: [{ topic: "event:klaviyo.sent_sms", external_id: "ev_1", payload: { text: "héllo" } }], meta: { klaviyo_account_id: "AB12", klaviyo_webhook_id: "01WH", timestamp: "2025-12-01T00:00:00+00:00" } });
    const ts = new Date(NOW * 1000).toUTCString();
    docs({ preset: "klaviyo", doc: "developers.klaviyo.com/en/docs/working_with_system_webhooks (HMAC signature verification); webhook.co's recipe agrees" }, { path: "/hooks/klaviyo", body,
      headers: { ...json1, "klaviyo-webhook-id": "01WH", "klaviyo-timestamp": ts, "klaviyo-signature": hmac("sha256", secret, body + ts, "hex") } });
  }
  {
    const body = json({ version: "1.0", id: "evt_air1", type: "PUSH_BODY", text: "héllo" });
    docs({ preset: "airship", doc: "webhook.co's recipe (airship): HMAC-SHA256 hex of {X-UA-Timestamp}:{body}" }, { path: "/hooks/airship", body,
      headers: { ...json1, "x-ua-timestamp": String(NOW), "x-ua-signature": hmac("sha256", secret, `${NOW}:${body}`, "hex") } });
  }
  docs({ preset: "telegram", doc: "core.telegram.org/bots/api#setwebhook (secret_token)" }, { path: "/hooks/telegram",
    body: json({ update_id: 10000, message: { message_id: 1, date: NOW, chat: { id: 1, type: "private" }, text: "héllo" } }),
    headers: { ...json1, "x-telegram-bot-api-secret-token": "hookguard_telegram-Secret_0123456789" , __secret: "hookguard_telegram-Secret_0123456789" } });
  docs({ preset: "okta", doc: "developer.okta.com/docs/concepts/event-hooks (authorization header)" }, { path: "/hooks/okta",
    body: json({ eventType: "com.okta.event_hook", eventId: "b5a188b9-5ece-4636-b041-482ffda96311", data: { events: [{ eventType: "user.session.start" }] } }),
    headers: { ...json1, authorization: secret } });

  // The requests hookguard's verify.Sign made, checked by the SDKs' verifiers.
  Object.assign(verifiers, {
    line: (r) => lineValidate(r.body, r.secret, r.headers["x-line-signature"]),
    pusher: (r) => pusherWebhook(r.secret, r.headers, r.body),
    "modern-treasury": (r) => mt(r.secret).webhooks.validateSignature(r.body, r.headers, { key: r.secret }),
    // verify.Sign signs the nonce the request carries: none, so the empty string.
    sinch: (r) => sinchValidate(r.secret, { "x-sinch-webhook-signature-nonce": "", ...r.headers }, r.body),
    render: (r) => { new StandardWebhook(r.secret).verify(r.body, r.headers); return true; },
    supabase: (r) => { new StandardWebhook(r.secret).verify(r.body, r.headers); return true; },
  });
  Object.assign(oursPackages, { line: "@line/bot-sdk", pusher: "pusher", "modern-treasury": "modern-treasury", sinch: "@sinch/sdk-core",
    render: "standardwebhooks", supabase: "standardwebhooks" });
}
