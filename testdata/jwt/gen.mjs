// gen.mjs signs hookguard's JWT vectors with jose (an independent JOSE
// implementation): a token per algorithm hookguard accepts, and the attacks
// and edge cases it must refuse. The keys are test keys made once and kept
// in keys.json (private JWKs, nobody's real ones); jwks.json is their
// public JWK Set, as a route is configured with. A Go test checks that
// vectors.json is current and runs every vector natively and through the
// built module.
//
//	cd testdata/jwt && npm ci && node gen.mjs --write
import fs from "node:fs";
import crypto from "node:crypto";
import * as jose from "jose";

const NOW = 1764547200; // 2025-12-01T00:00:00Z, the Go tests' pinned clock
const LEEWAY = 30;
const ISS = "https://issuer.test", AUD = "hookguard";
const file = (n) => new URL("./" + n, import.meta.url);
const write = process.argv.includes("--write");

const algs = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"];
let keys = fs.existsSync(file("keys.json")) ? JSON.parse(fs.readFileSync(file("keys.json"))) : null;
if (!keys) {
  keys = {};
  for (const alg of algs) {
    const k = alg.startsWith("HS") ? await jose.generateSecret(alg, { extractable: true })
      : (await jose.generateKeyPair(alg, { extractable: true, crv: alg === "EdDSA" ? "Ed25519" : undefined })).privateKey;
    keys[alg] = { ...(await jose.exportJWK(k)), kid: "k-" + alg.toLowerCase(), alg };
  }
  if (write) fs.writeFileSync(file("keys.json"), JSON.stringify(keys, null, 1) + "\n");
}
const priv = {};
for (const alg of algs) priv[alg] = await jose.importJWK(keys[alg], alg);
// The public JWK Set: private members dropped (an HMAC key is its secret).
const pub = (jwk) => Object.fromEntries(Object.entries(jwk).filter(([k]) => !["d", "p", "q", "dp", "dq", "qi"].includes(k)));
const jwks = { keys: algs.map((a) => pub(keys[a])) };

const committed = fs.existsSync(file("vectors.json")) ? JSON.parse(fs.readFileSync(file("vectors.json"))).vectors : [];
const previous = (name) => committed.find((v) => v.name === name);
const randomized = (alg) => alg.startsWith("PS") || alg.startsWith("ES");

const vectors = [];
const claims = (alg, extra = {}) => ({ iss: ISS, aud: AUD, sub: "user-" + alg.toLowerCase(), iat: NOW, nbf: NOW - 10, exp: NOW + 600, ...extra });
// sign makes a token; a randomized signature the last run made is kept
// while it still verifies over the same header and payload.
async function sign(name, alg, payload, { kid = keys[alg].kid, key = priv[alg], header = {} } = {}) {
  const prot = { alg, ...(kid ? { kid } : {}), typ: "JWT", ...header };
  const prev = previous(name);
  if (prev && randomized(alg)) {
    try {
      const { payload: p, protectedHeader: h } = await jose.compactVerify(prev.token, await jose.importJWK(pub(keys[alg]), alg));
      if (JSON.stringify(JSON.parse(new TextDecoder().decode(p))) === JSON.stringify(payload) && JSON.stringify(h) === JSON.stringify(prot)) return prev.token;
    } catch {}
  }
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(prot).sign(key);
}

for (const alg of algs) {
  vectors.push({ name: alg + "/valid", token: await sign(alg + "/valid", alg, claims(alg)), valid: true, kid: keys[alg].kid, sub: "user-" + alg.toLowerCase() });
}
// Edges and attacks, on one key of each family.
for (const alg of ["HS256", "RS256", "ES256", "EdDSA"]) {
  const bad = async (what, payload, opts) => vectors.push({ name: alg + "/" + what, token: await sign(alg + "/" + what, alg, payload, opts), valid: false });
  const ok = async (what, payload, opts) => vectors.push({ name: alg + "/" + what, token: await sign(alg + "/" + what, alg, payload, opts), valid: true, kid: keys[alg].kid, sub: "user-" + alg.toLowerCase() });
  await ok("expired within the leeway", claims(alg, { exp: NOW - LEEWAY + 1 }));
  await bad("expired past the leeway", claims(alg, { exp: NOW - LEEWAY - 1 }));
  await ok("not yet valid within the leeway", claims(alg, { nbf: NOW + LEEWAY - 1 }));
  await bad("not yet valid past the leeway", claims(alg, { nbf: NOW + LEEWAY + 1 }));
  await bad("issued in the future", claims(alg, { iat: NOW + LEEWAY + 60 }));
  await bad("no exp", (({ exp, ...c }) => c)(claims(alg)));
  await bad("wrong issuer", claims(alg, { iss: "https://evil.test" }));
  await bad("wrong audience", claims(alg, { aud: "someone-else" }));
  await ok("audience in a list", claims(alg, { aud: ["other", AUD] }));
  await bad("unknown kid", claims(alg), { kid: "k-nobody" });
  const good = await sign(alg + "/valid", alg, claims(alg));
  const [h, p, s] = good.split(".");
  const evil = jose.base64url.encode(JSON.stringify({ ...claims(alg), sub: "admin" }));
  vectors.push({ name: alg + "/tampered payload", token: [h, evil, s].join("."), valid: false });
  vectors.push({ name: alg + "/no signature", token: [h, p, ""].join("."), valid: false });
}
// alg "none", with and without a kid.
for (const kid of ["k-rs256", undefined]) {
  const h = jose.base64url.encode(JSON.stringify({ alg: "none", typ: "JWT", ...(kid ? { kid } : {}) }));
  vectors.push({ name: "none/" + (kid ? "with kid" : "without kid"), token: h + "." + jose.base64url.encode(JSON.stringify(claims("RS256"))) + ".", valid: false });
}
// Algorithm confusion: HS256 keyed with the RSA (and EC) public key, as a
// verifier that lets the token pick the algorithm would accept.
for (const victim of ["RS256", "ES256"]) {
  const spki = (await jose.exportSPKI(await jose.importJWK(pub(keys[victim]), victim)));
  for (const [form, secret] of [["PEM", Buffer.from(spki)], ["JWK n/x", Buffer.from(keys[victim].n ?? keys[victim].x)]]) {
    const token = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims(victim))))
      .setProtectedHeader({ alg: "HS256", kid: keys[victim].kid, typ: "JWT" }).sign(secret);
    vectors.push({ name: "confusion/HS256 with the " + victim + " public key (" + form + ")", token, valid: false });
  }
}
// A key's own algorithm only: RS256's key under RS512, PS256 under RS256.
vectors.push({ name: "pinned/RS256 key, RS512 token", token: await sign("pinned/RS256 key, RS512 token", "RS512", claims("RS256"), { kid: keys.RS256.kid, key: await jose.importJWK(keys.RS256, "RS512") }), valid: false });
vectors.push({ name: "pinned/PS256 key, RS256 token", token: await sign("pinned/PS256 key, RS256 token", "RS256", claims("PS256"), { kid: keys.PS256.kid, key: await jose.importJWK(keys.PS256, "RS256") }), valid: false });
// A token without kid: refused, since the set has more than one key.
vectors.push({ name: "no kid", token: await sign("no kid", "HS256", claims("HS256"), { kid: "" }), valid: false });

// Every vector is checked by jose itself first: valid ones verify at NOW
// with the leeway, invalid ones do not.
// The key is the set's entry with the token's kid, used only under its own
// alg (jose's local JWK sets leave symmetric keys out, so this is by hand).
const byKid = async (h) => {
  const jwk = jwks.keys.find((k) => k.kid === h.kid);
  if (!jwk || jwk.alg !== h.alg) throw new Error("no key");
  return jose.importJWK(jwk, jwk.alg);
};
for (const v of vectors) {
  let ok = false;
  try {
    const { payload } = await jose.jwtVerify(v.token, byKid, { issuer: ISS, audience: AUD, currentDate: new Date(NOW * 1000), clockTolerance: LEEWAY, requiredClaims: ["exp"], algorithms: algs });
    ok = payload.iat === undefined || payload.iat <= NOW + LEEWAY;
  } catch {}
  if (ok !== v.valid) throw new Error(`jose disagrees on ${v.name}: verified=${ok}`);
}

// Google Pub/Sub push tokens (the gcp-pubsub preset): RS256 OIDC tokens
// as Google signs them, under the set's RS256 key standing in for
// Google's, each checked by jose with the checks Google's docs list (iss,
// aud, exp, email, email_verified).
const PUBSUB = { iss: "https://accounts.google.com", aud: "https://hooks.example.test/hooks/gcp-pubsub", email: "push@hookguard-test.iam.gserviceaccount.com" };
const pubsubClaims = (extra = {}) => ({ aud: PUBSUB.aud, azp: "1122334455", email: PUBSUB.email, email_verified: true, exp: NOW + 3600, iat: NOW, iss: PUBSUB.iss, sub: "1122334455", ...extra });
const pubsub = [];
for (const [what, extra, valid] of [["valid", {}, true], ["another service account", { email: "intruder@other-project.iam.gserviceaccount.com" }, false],
  ["email not verified", { email_verified: false }, false], ["email_verified as a string", { email_verified: "true" }, false],
  ["another audience", { aud: "https://hooks.example.test/hooks/other" }, false], ["another issuer", { iss: "https://issuer.test" }, false],
  ["expired", { iat: NOW - 7200, exp: NOW - 3600 }, false], ["no email", { email: undefined }, false]]) {
  const claims = JSON.parse(JSON.stringify(pubsubClaims(extra)));
  const token = await sign("gcp-pubsub/" + what, "RS256", claims);
  let ok = false;
  try {
    const { payload } = await jose.jwtVerify(token, byKid, { issuer: PUBSUB.iss, audience: PUBSUB.aud, currentDate: new Date(NOW * 1000), clockTolerance: LEEWAY, requiredClaims: ["exp"], algorithms: ["RS256"] });
    ok = payload.email === PUBSUB.email && payload.email_verified === true;
  } catch {}
  if (ok !== valid) throw new Error(`jose disagrees on gcp-pubsub/${what}: verified=${ok}`);
  pubsub.push({ name: "gcp-pubsub/" + what, token, valid });
}

const lock = JSON.parse(fs.readFileSync(file("package-lock.json")));
const out = JSON.stringify({ generator: "gen.mjs", oracle: "jose@" + lock.packages["node_modules/jose"].version, now: NOW, leeway_seconds: LEEWAY,
  issuer: ISS, audience: AUD, jwks, vectors, pubsub: { audience: PUBSUB.aud, email: PUBSUB.email, vectors: pubsub } }, null, 1) + "\n";
if (write) fs.writeFileSync(file("vectors.json"), out);
else process.stdout.write(out);
