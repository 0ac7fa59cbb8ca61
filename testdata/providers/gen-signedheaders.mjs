// Presets whose signature covers a list of headers the request names
// (Coinbase CDP's Hook0 signature, Contentful's request verification):
// gen.mjs calls this with its kit (add, docs, hmac, json, event, secret,
// NOW, base, version, must, require, crypto, verifiers, handshakes,
// oursPackages, previous).
export default async function (kit) {
  const { tampered } = kit;
  const { add, hmac, json, event, NOW, version, must, require, crypto, verifiers, oursPackages } = kit;
  const { signRequest, verifyRequest } = require("@contentful/node-apps-toolkit");

  const rejects = async (what, f) => {
    let ok;
    try { ok = await f(); } catch { ok = false; }
    if (ok) throw new Error(what);
  };

  // Coinbase CDP (Hook0's scheme): no SDK installs; Node's crypto signs
  // {t}.{h}.{values joined by "."}.{body}, and the verifier Coinbase
  // documents (docs.cdp.coinbase.com/webhooks/transfers/verification:
  // parse t, h and v1, join the named headers' values with ".", HMAC-SHA256
  // under the secret, timing-safe compare, at most 5 minutes old) checks it.
  const coinbaseVerify = (body, headers, secret, now = NOW) => {
    const elements = headers["x-hook0-signature"].split(",");
    const field = (k) => elements.find((e) => e.startsWith(k + "="))?.split("=")[1] ?? "";
    const t = field("t"), h = field("h"), v1 = field("v1");
    const values = h.split(" ").map((name) => headers[name] ?? "").join(".");
    const expected = hmac("sha256", secret, `${t}.${h}.${values}.${body}`, "hex");
    const fresh = now - Number(t) <= 5 * 60;
    return fresh && v1.length === expected.length && crypto.timingSafeEqual(Buffer.from(v1), Buffer.from(expected));
  };
  {
    // Hook0's published conformance vector ("a header-scheme signature
    // verifies", hook0/hook0 clients/conformance/signature.json), at its
    // own time: the documented verifier must accept it. It is signed at
    // 1800000000, not at NOW, so it is a Go test (hook0_test.go), not a
    // vector here.
    const headers = { "x-event-id": "evt-1", "x-delivery-id": "dlv-1", "content-type": "application/json",
      "x-hook0-signature": "t=1800000000,h=x-event-id x-delivery-id,v1=19a6fb8f6581715b241a93af02a58611c3b0ac7b747a8d2a5b120ee418d0c347" };
    await must(coinbaseVerify(`{"event":"user.created"}`, headers, "a-subscription-secret", 1800000000), "Coinbase's documented verifier, on Hook0's conformance vector,");
  }
  {
    const cdpSecret = "hookguard-cdp-subscription-secret-0123";
    const body = event({ type: "payments.transfers.completed", data: { transferId: "tr_1", amount: "1.50", currency: "USDC" } });
    const base = { "content-type": "application/json", "x-event-id": "0b3f6d0e-4c1a-4a8e-9e55-6c2f1b7a9d01", "x-event-type": "payments.transfers.completed" };
    const h = "content-type x-event-id x-event-type";
    const values = h.split(" ").map((n) => base[n]).join(".");
    const sig = `t=${NOW},v0=${hmac("sha256", cdpSecret, `${NOW}.${body}`, "hex")},h=${h},v1=${hmac("sha256", cdpSecret, `${NOW}.${h}.${values}.${body}`, "hex")}`;
    const headers = { ...base, "x-hook0-signature": sig };
    await must(coinbaseVerify(body, headers, cdpSecret), "Coinbase's documented verifier");
    await rejects("Coinbase's documented verifier accepts the tampered body", () => coinbaseVerify(tampered(body), headers, cdpSecret));
    add("coinbase-cdp", "node crypto per docs.cdp.coinbase.com/webhooks/verify-signatures (Hook0's v1 over {t}.{h}.{values}.{body}), checked by Coinbase's documented verifier", {
      path: "/hooks/coinbase-cdp", body, headers: { ...headers, __secret: cdpSecret } });
  }

  // Contentful: the toolkit's signRequest signs (the secret is 64
  // characters, as the toolkit requires), verifyRequest checks.
  const contentfulSecret = "hookguard-contentful-signing-secret-0123456789abcdefghijklmnopqr";
  if (contentfulSecret.length !== 64) throw new Error("the Contentful secret must be 64 characters");
  const contentfulValid = (method, path, headers, body, secret) => verifyRequest(secret, { method, path, headers, body });
  {
    const path = "/hooks/contentful";
    const body = json({ sys: { type: "Entry", id: "5KsDBWseXY6QegucYAoacS", space: { sys: { id: "yadj1kx9rmg0" } } }, fields: { title: { "en-US": "héllo" } } });
    const base = { "content-type": "application/vnd.contentful.management.v1+json", "x-contentful-topic": "ContentManagement.Entry.publish",
      "x-contentful-webhook-name": "hookguard test" };
    const signed = signRequest(contentfulSecret, { method: "POST", path, headers: base, body }, NOW * 1000);
    const headers = { ...base, ...signed };
    await must(contentfulValid("POST", path, headers, body, contentfulSecret), "@contentful/node-apps-toolkit verifyRequest");
    await rejects("verifyRequest accepts the tampered body", () => contentfulValid("POST", path, headers, tampered(body), contentfulSecret));
    add("contentful", version("@contentful/node-apps-toolkit") + " signRequest, checked by verifyRequest", { path, body,
      headers: { ...headers, __secret: contentfulSecret } });
  }

  // The requests hookguard's verify.Sign made (ours.json), should the
  // integrator list contentful there: its secret must be 64 characters.
  Object.assign(verifiers, {
    contentful: (r) => { const u = new URL(r.url); return contentfulValid("POST", u.pathname + u.search, r.headers, r.body, r.secret); },
  });
  Object.assign(oursPackages, { contentful: "@contentful/node-apps-toolkit" });
}
