// Signs every input in inputs.json the way the Pipes.bot document's Node.js
// example does: crypto.createHmac("sha256", secret).update(rawBody).digest("hex").
// Usage: node sign.js > vectors.node.json
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const { inputs } = JSON.parse(fs.readFileSync(path.join(__dirname, "inputs.json"), "utf8"));
const vectors = inputs.map(({ name, secret, body_b64 }) => {
  const rawBody = Buffer.from(body_b64, "base64");
  const signature = crypto.createHmac("sha256", secret).update(rawBody).digest("hex");
  return { name, secret, body_b64, signature };
});
process.stdout.write(JSON.stringify({ generator: "node crypto.createHmac", vectors }, null, 2) + "\n");
