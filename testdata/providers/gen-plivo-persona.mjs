// Plivo's V3 signatures, checked by its SDK, and Persona's signature
// groups, signed by Node's crypto per its docs: gen.mjs calls this with its
// kit (add, docs, hmac, json, event, secret, NOW, base, version, must,
// require, crypto, verifiers, handshakes, oursPackages, previous).
export default async function (kit) {
  const { tampered } = kit;
  const { add, hmac, json, secret, NOW, base, version, must, require, verifiers, oursPackages } = kit;
  const { validateV3Signature } = require("plivo/dist/utils/v3Security.js");
  const form = { "content-type": "application/x-www-form-urlencoded" };


  // Plivo: the string Plivo signs, built as docs.plivo.com's "Signature
  // validation-V3" describes it (the URL with its query, then the POST
  // parameters sorted by name, names and values concatenated, then the
  // nonce), with the glue the SDK uses: the query's parameters decoded and
  // sorted, "." between them and the POST parameters, "." before the
  // nonce. The SDK's validateV3Signature must accept it, and refuse the
  // tampered body.
  const plivoString = (url, params, nonce) => {
    const u = new URL(url);
    const byName = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
    const q = [...u.searchParams].sort(byName).map(([k, v]) => k + "=" + v).join("&");
    const p = Object.entries(params).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, x])).sort(byName).map(([k, v]) => k + v).join("");
    return u.origin + u.pathname + (q || p ? "?" : "") + q + (q && p ? "." : "") + p + "." + nonce;
  };
  const plivoSign = (token, url, params, nonce) => hmac("sha256", token, plivoString(url, params, nonce), "base64");
  // The parameters as Express's urlencoded parser gives them to the SDK: a
  // repeated name as an array.
  const formParams = (body) => {
    const out = {};
    for (const [k, v] of new URLSearchParams(body)) out[k] = k in out ? [].concat(out[k], v) : v;
    return out;
  };
  {
    const path = "/hooks/plivo?flow=inbound&campaign=h%C3%A9llo+world&b=2";
    const body = new URLSearchParams({ From: "+15551230000", To: "+15559870000", Text: "héllo + world. x=1&y", Type: "sms",
      MessageUUID: "3a7f1c2e-0b1d-4e5f-9a8b-7c6d5e4f3a2b", Units: "1", TotalRate: "0.00500", TotalAmount: "0.00500" }).toString();
    const nonce = "05429567804466091622";
    const mainToken = "hookguard-plivo-main-account-token";
    const url = base + path;
    const sig = plivoSign(secret, url, formParams(body), nonce);
    const ma = plivoSign(mainToken, url, formParams(body), nonce);
    await must(validateV3Signature("POST", url, nonce, secret, sig, formParams(body)), "plivo (X-Plivo-Signature-V3)");
    await must(validateV3Signature("POST", url, nonce, mainToken, ma, formParams(body)), "plivo (X-Plivo-Signature-Ma-V3)");
    if (validateV3Signature("POST", url, nonce, secret, sig, formParams(tampered(body)))) throw new Error("plivo accepts the tampered body");
    add("plivo", "node crypto per docs.plivo.com/docs/voice/concepts/signature-validation, checked by " + version("plivo") + " validateV3Signature",
      { path, body, headers: { ...form, "x-plivo-signature-v3": sig, "x-plivo-signature-ma-v3": ma, "x-plivo-signature-v3-nonce": nonce } });
  }

  // Persona: Persona-Signature t=<unix s>,v1=<hex HMAC-SHA256 of {t}.{body}>,
  // and during a rotation two such groups separated by a space
  // (docs.withpersona.com/docs/webhooks-best-practices, checking
  // signatures). The first group is under the secret being rotated out
  // (which the route lacks), the second under the route's.
  const personaGroups = (header) => header.split(" ").map((g) => Object.fromEntries(g.split(",").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])));
  const personaValid = (body, header, key) =>
    personaGroups(header).some(({ t, v1 }) => Math.abs(NOW - Number(t)) <= 300 &&
      v1.length === 64 && kit.crypto.timingSafeEqual(Buffer.from(v1, "hex"), Buffer.from(hmac("sha256", key, `${t}.${body}`, "hex"), "hex")));
  {
    const key = "wbhsec_hookguard-persona-current-0123456789";
    const old = "wbhsec_hookguard-persona-rotated-out-012345";
    const body = json({ data: { type: "event", id: "evt_hkgdPersona1", attributes: { name: "inquiry.completed", "created-at": "2025-12-01T00:00:00.000Z",
      payload: { data: { type: "inquiry", id: "inq_héllo1", attributes: { status: "completed", "reference-id": "user-42" } } } } } });
    const t = String(NOW);
    const header = `t=${t},v1=${hmac("sha256", old, `${t}.${body}`, "hex")} t=${t},v1=${hmac("sha256", key, `${t}.${body}`, "hex")}`;
    if (!personaValid(body, header, key) || !personaValid(body, header, old)) throw new Error("persona: a group does not verify");
    if (personaValid(tampered(body), header, key)) throw new Error("persona: the tampered body verifies");
    add("persona", "node crypto per docs.withpersona.com/docs/webhooks-best-practices (checking signatures; two groups, as during a secret rotation)",
      { path: "/hooks/persona", body, headers: { "content-type": "application/json", "persona-signature": header, __secret: key } });
  }

  // The requests hookguard's verify.Sign makes, checked by the SDK.
  Object.assign(verifiers, {
    plivo: (r) => validateV3Signature(r.method ?? "POST", r.url, r.headers["x-plivo-signature-v3-nonce"], r.secret, r.headers["x-plivo-signature-v3"],
      /^application\/x-www-form-urlencoded/.test(r.headers["content-type"] ?? "") ? formParams(r.body) : {}),
  });
  Object.assign(oursPackages, { plivo: "plivo" });
}
