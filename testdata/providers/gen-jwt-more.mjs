// Presets whose provider signs a JWT under a shared secret (verify's
// KindJWT): gen.mjs calls this with its kit. Each vector is signed as the
// provider's SDK or documentation says, with the SDK's own signer where it
// has one (atlassian-jwt) and jsonwebtoken elsewhere, and checked by the
// SDK's verifier where there is one (@vonage/jwt, messagebird,
// atlassian-jwt), else by jsonwebtoken as the provider's docs verify.
// The clock is gen.mjs's, pinned to NOW.
export default async function (kit) {
  const { add, json, event, secret, NOW, base, version, must, require, crypto, verifiers, oursPackages } = kit;
  const jwt = require("jsonwebtoken");
  const { verifySignature: vonageVerify } = require("@vonage/jwt");
  const messagebird = require("messagebird/lib/webhook-signature-jwt.js");
  const atlassian = require("atlassian-jwt");
  const sha256 = (data) => crypto.createHash("sha256").update(data).digest("hex");
  const json1 = { "content-type": "application/json" };

  // The providers' checks, for these vectors and for the requests
  // verify.Sign made (ours.json): r has url, headers, body, secret.
  const bearer = (v, word) => { const [w, t] = (v ?? "").split(" "); return w === word ? t : undefined; };
  const check = {
    // @vonage/jwt verifySignature checks the HS256 signature; the
    // payload_hash and a recent iat are checked as Vonage's signed-webhooks
    // guide says.
    vonage: (r) => {
      const token = bearer(r.headers["authorization"], "Bearer");
      if (!vonageVerify(token, r.secret)) return false;
      const claims = jwt.decode(token);
      return claims.payload_hash === sha256(r.body) && Math.abs(NOW - claims.iat) <= 300;
    },
    // Netlify's docs: jwt.verify with issuer netlify, HS256, then the
    // sha256 claim against the body.
    netlify: (r) => jwt.verify(r.headers["x-webhook-signature"], r.secret, { issuer: ["netlify"], algorithms: ["HS256"] }).sha256 === sha256(r.body),
    // messagebird's verify: url_hash, payload_hash, jti, iss, exp.
    messagebird: async (r) => messagebird.verify(r.url, Buffer.from(r.body), r.headers["messagebird-signature-jwt"], crypto.createSecretKey(Buffer.from(r.secret, "utf8"))),
    // monday's docs: verify the signature, that aud is the endpoint and exp.
    monday: (r) => !!jwt.verify(r.headers["authorization"], r.secret, { audience: r.url, algorithms: ["HS256"] }),
    // atlassian-jwt: decodeSymmetric, then qsh against createQueryStringHash
    // of the request received; exp as Atlassian's guide says.
    "jira-connect": (r) => {
      const token = bearer(r.headers["authorization"], "JWT");
      const claims = atlassian.decodeSymmetric(token, r.secret, atlassian.getAlgorithm(token));
      return claims.exp > NOW && claims.qsh === atlassian.createQueryStringHash(atlassian.fromMethodAndUrl(r.method ?? "POST", r.url));
    },
  };
  Object.assign(verifiers, check);
  Object.assign(oursPackages, { vonage: "@vonage/jwt", netlify: "jsonwebtoken", messagebird: "messagebird", monday: "jsonwebtoken", "jira-connect": "atlassian-jwt" });

  {
    const body = json({ channel: "whatsapp", message_uuid: "aaaaaaaa-bbbb-cccc-dddd-0123456789ab", to: "447700900000", from: "447700900001",
      timestamp: "2025-12-01T00:00:00Z", message_type: "text", text: "héllo" });
    const token = jwt.sign({ jti: "8b8d8a1c-0f47-4b68-9ab2-5a3c4f3e2d1b", iss: "Vonage", payload_hash: sha256(body), api_key: "a1b2c3d4", application_id: "aaaaaaaa-bbbb-cccc-dddd-0123456789ab" },
      secret, { algorithm: "HS256" }); // iat: NOW, as jsonwebtoken adds it
    const headers = { ...json1, authorization: "Bearer " + token };
    await must(check.vonage({ url: base + "/hooks/vonage", headers, body, secret }), "@vonage/jwt");
    add("vonage", version("jsonwebtoken") + " sign per developer.vonage.com/en/messages/concepts/signed-webhooks, checked by " + version("@vonage/jwt") + " verifySignature and payload_hash",
      { path: "/hooks/vonage", body, headers });
  }
  {
    const body = json({ id: "5ebc34bf4fea0b01f02efa3a", site_id: "fa4dd95a-994e-4f89-8a7a-2d9e9fc36a32", state: "ready", name: "héllo-site", branch: "main", context: "production" });
    const token = jwt.sign({ sha256: sha256(body) }, secret, { algorithm: "HS256", issuer: "netlify", noTimestamp: true });
    const headers = { ...json1, "x-webhook-signature": token };
    await must(check.netlify({ headers, body, secret }), "jsonwebtoken (netlify)");
    add("netlify", version("jsonwebtoken") + " sign and verify per docs.netlify.com/site-deploys/deploy-notifications (payload signature)",
      { path: "/hooks/netlify", body, headers });
  }
  {
    const path = "/hooks/messagebird?channel=whatsapp";
    const body = json({ type: "message.created", message: { id: "msg_1", direction: "received", content: { text: "héllo" } } });
    const token = jwt.sign({ jti: "8f0f3f3c-4d5e-4a6b-9c7d-0e1f2a3b4c5d", url_hash: sha256(base + path), payload_hash: sha256(body) },
      secret, { algorithm: "HS256", issuer: "MessageBird", expiresIn: 300, notBefore: 0 });
    const headers = { ...json1, "messagebird-signature-jwt": token };
    await must(check.messagebird({ url: base + path, headers, body, secret }), "messagebird");
    add("messagebird", version("jsonwebtoken") + " sign, checked by " + version("messagebird") + " lib/webhook-signature-jwt.js verify",
      { path, body, headers });
  }
  {
    const path = "/hooks/monday";
    const body = json({ event: { type: "update_column_value", boardId: 1234567890, pulseId: 987654321, columnId: "status", value: { label: { text: "Héllo" } } } });
    const token = jwt.sign({ accountId: 1825529, userId: 4012689, aud: base + path, shortLivedToken: "short-lived-token-placeholder" },
      secret, { algorithm: "HS256", expiresIn: 300 });
    const headers = { ...json1, authorization: token };
    await must(check.monday({ url: base + path, headers, body, secret }), "jsonwebtoken (monday)");
    add("monday", version("jsonwebtoken") + " sign and verify per developer.monday.com/apps/docs/authorization-header",
      { path, body, headers });
  }
  {
    const path = "/hooks/jira-connect?user_id=u1&tag=b+c&tag=%C3%A9&flag";
    const body = json({ timestamp: NOW * 1000, webhookEvent: "jira:issue_updated", issue: { id: "10001", key: "HG-1", fields: { summary: "héllo" } } });
    const qsh = atlassian.createQueryStringHash(atlassian.fromMethodAndUrl("POST", base + path));
    const token = atlassian.encodeSymmetric({ iss: "jira:8a7b6c5d-1234-4e5f-9a8b-0c1d2e3f4a5b", iat: NOW, exp: NOW + 180, qsh }, secret);
    const headers = { ...json1, authorization: "JWT " + token };
    await must(check["jira-connect"]({ method: "POST", url: base + path, headers, body, secret }), "atlassian-jwt");
    add("jira-connect", version("atlassian-jwt") + " encodeSymmetric with createQueryStringHash, checked by decodeSymmetric",
      { path, body, headers });
  }
}
