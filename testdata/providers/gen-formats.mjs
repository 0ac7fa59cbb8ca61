// Presets whose signature header has a shape of its own: several headers
// (DocuSign's numbered ones, Box's secondary), or a timestamp and
// signatures by position (Recurly). Node's crypto, per each provider's
// docs. gen.mjs calls this with its kit.
export default async function ({ docs, hmac, json, event, secret, NOW, base, handshakes }) {
  {
    // Two HMAC keys on the account: one signature header each, the
    // route's key signing the second.
    const body = json({ event: "envelope-completed", apiVersion: "v2.1", uri: "/restapi/v2.1/accounts/1/envelopes/2", retryCount: 0, generatedDateTime: "2025-12-01T00:00:00.0000000Z", data: { envelopeId: "e-1" } });
    docs({ preset: "docusign", doc: "developers.docusign.com/platform/webhooks/connect/hmac (validating HMAC signatures)" }, { path: "/hooks/docusign", body, headers: {
      "content-type": "application/json", "x-docusign-signature-1": hmac("sha256", "another-connect-key-of-the-account", body, "base64"),
      "x-docusign-signature-2": hmac("sha256", secret, body, "base64") } });
  }
  {
    // Box during a rotation: the route holds only the secondary key.
    const body = json({ type: "webhook_event", id: "eb0c4e06-751f-442c-86f8-fd5bb404dbec", trigger: "FILE.UPLOADED", source: { id: "1", type: "file" } });
    const ts = "2025-12-01T00:00:00Z";
    docs({ preset: "box", doc: "developer.box.com/guides/webhooks/v2/signatures-v2 (manual signature verification, the secondary key)" }, { name: "box-secondary", path: "/hooks/box", body, headers: {
      "content-type": "application/json", "box-delivery-id": "d-2", "box-delivery-timestamp": ts,
      "box-signature-primary": hmac("sha256", "the-new-primary-key", body + ts, "base64"), "box-signature-secondary": hmac("sha256", secret, body + ts, "base64"),
      "box-signature-version": "1", "box-signature-algorithm": "HmacSHA256" } });
  }
  {
    // Two signatures during a rotation of the endpoint's key.
    const body = event({ object_type: "account", event_type: "created" }), ts = String(NOW * 1000);
    docs({ preset: "recurly", doc: "docs.recurly.com/recurly-subscriptions/docs/signature-verification (manual check)" }, { path: "/hooks/recurly", body, headers: {
      "content-type": "application/json", "recurly-signature": `${ts},${hmac("sha256", "the-rotated-out-key", `${ts}.${body}`, "hex")},${hmac("sha256", secret, `${ts}.${body}`, "hex")}` } });
  }
  {
    // Asana signs each event delivery with the secret its handshake sent.
    const body = json({ events: [{ user: { gid: "1", resource_type: "user" }, created_at: "2025-12-01T00:00:00.000Z", action: "changed", resource: { gid: "2", resource_type: "task" } }] });
    docs({ preset: "asana", doc: "developers.asana.com/docs/webhooks-guide (security: X-Hook-Signature)" }, { path: "/hooks/asana", body, headers: {
      "content-type": "application/json", "x-hook-signature": hmac("sha256", secret, body, "hex") } });
  }
  {
    // Microsoft Graph: a batch of two notifications, each with the
    // subscription's clientState; and the validation POST, echoed.
    const item = (id) => ({ subscriptionId: "7f105c7d-2dc5-4530-97cd-4e7ae6534c07", subscriptionExpirationDateTime: "2025-12-02T00:00:00Z", changeType: "updated",
      resource: "Users/" + id, resourceData: { "@odata.type": "#Microsoft.Graph.User", id }, clientState: secret, tenantId: "84bd8158-6d4d-4958-8b9f-9d6445542f95" });
    const body = json({ value: [item("a1"), item("b2")] });
    docs({ preset: "microsoft-graph", doc: "learn.microsoft.com/graph/change-notifications-delivery-webhooks (notification payload, clientState)" }, { path: "/hooks/microsoft-graph", body,
      headers: { "content-type": "application/json" } });
    const token = "Validation: Testing client application reachability for subscription Request-Id: 5fda4ca3-7ea2-4b62-b0f1-a4bc4c2ba1e4";
    handshakes.push({ name: "microsoft-graph validation", preset: "microsoft-graph", oracle: "learn.microsoft.com/graph/change-notifications-delivery-webhooks (notification endpoint validation)",
      secret, unsigned: true, method: "POST", url: base + "/hooks/microsoft-graph?validationToken=" + encodeURIComponent(token), body: "", headers: { "content-type": "text/plain" }, answer_text: token });
  }
}

