"""Signs every input in inputs.json the way the Pipes.bot document's Python
example does: hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest().

Usage: python3 sign.py > vectors.python.json
"""
import base64
import hashlib
import hmac
import json
import os
import sys

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "inputs.json"), encoding="utf-8") as f:
    inputs = json.load(f)["inputs"]

vectors = []
for item in inputs:
    raw_body = base64.b64decode(item["body_b64"])
    signature = hmac.new(item["secret"].encode(), raw_body, hashlib.sha256).hexdigest()
    vectors.append({"name": item["name"], "secret": item["secret"], "body_b64": item["body_b64"], "signature": signature})

sys.stdout.write(json.dumps({"generator": "python hmac.new", "vectors": vectors}, indent=2, ensure_ascii=False) + "\n")
