// Presets whose signature is inside the body (Adyen, Braintree), signed by
// the providers' SDKs: gen.mjs calls this with its kit (add, docs, hmac,
// json, event, secret, NOW, base, version, must, require, crypto,
// verifiers, handshakes, oursPackages, previous).
export default async function (kit) {
  const { tampered } = kit;
  const { add, json, version, must, require, verifiers, oursPackages } = kit;
  const { hmacValidator: AdyenHmacValidator } = require("@adyen/api-library");
  const braintree = require("braintree");
  const adyen = new AdyenHmacValidator();
  const json1 = { "content-type": "application/json" };
  const form = { "content-type": "application/x-www-form-urlencoded" };

  const adyenValid = (body, key) => {
    const items = JSON.parse(body).notificationItems;
    return items.length > 0 && items.every(({ NotificationRequestItem: item }) => adyen.validateHMAC(item, key));
  };
  const adyenVector = (name, oracle, key, items) => {
    const body = json({ live: "false", notificationItems: items.map((item) => ({ NotificationRequestItem: item })) });
    if (!adyenValid(body, key)) throw new Error(name + ": @adyen/api-library rejects its own vector");
    let tamperedOK;
    try { tamperedOK = adyenValid(tampered(body), key); } catch { tamperedOK = false; }
    if (tamperedOK) {
      const m = Buffer.byteLength(body) >> 1;
      throw new Error(name + ": the tampered body's byte falls outside the signed fields: …" + Buffer.from(body).subarray(m - 12, m + 12).toString() + "…");
    }
    add("adyen", oracle, { name, path: "/hooks/adyen", body, headers: { ...json1, __secret: key } });
  };

  // Adyen: HmacValidator.calculateHmac signs each item, validateHMAC checks it.
  {
    const key = Buffer.from("hookguard-adyen-hmac-key-0123456").toString("hex").toUpperCase();
    // Laid out as Adyen sends an item: its fields sorted by name.
    const item = {
      additionalData: { authCode: "063915", authorisedAmountCurrency: "EUR", authorisedAmountValue: "1130", cardSummary: "1111", expiryDate: "03/2030" },
      amount: { currency: "EUR", value: 1130 }, eventCode: "AUTHORISATION", eventDate: "2025-12-01T00:00:00+01:00",
      merchantAccountCode: "HookguardTestECOM", merchantReference: "order-héllo-42", operations: ["CANCEL", "CAPTURE", "REFUND"],
      originalReference: "", paymentMethod: "visa", pspReference: "QFQTPCQ8HXSKGK82", reason: "063915:1111:03/2030", success: "true",
    };
    item.additionalData.hmacSignature = adyen.calculateHmac(item, key);
    adyenVector("adyen", version("@adyen/api-library") + " HmacValidator.calculateHmac, checked by validateHMAC", key, [item]);
  }
  // Adyen's documented sample: its HMAC key, item and signature.
  {
    const key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
    const item = {
      additionalData: { hmacSignature: "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=" },
      eventDate: "2019-01-01T01:00:00.000+01:00",
      pspReference: "7914073381342284", originalReference: "", merchantAccountCode: "TestMerchant", merchantReference: "TestPayment-1407325143704",
      amount: { value: 1130, currency: "EUR" }, eventCode: "AUTHORISATION", success: "true",
    };
    adyenVector("adyen-docs-example", "Adyen's documented sample (docs.adyen.com/development-resources/webhooks/secure-webhooks/verify-hmac-signatures: HMAC key 44782DEF…, " +
      "pspReference 7914073381342284, signature coqCmt…), checked by " + version("@adyen/api-library") + " validateHMAC", key, [item]);
  }

  // Braintree: WebhookTestingGateway.sampleNotification signs as the
  // gateway does; WebhookNotificationGateway.parse checks it. The route's
  // secret is public_key:private_key.
  const btGateway = (publicKey, privateKey) => new braintree.BraintreeGateway({ environment: braintree.Environment.Sandbox, merchantId: "hookguardmerchant", publicKey, privateKey });
  const btParse = async (secret, body) => {
    const i = secret.indexOf(":");
    const f = new URLSearchParams(body);
    await btGateway(secret.slice(0, i), secret.slice(i + 1)).webhookNotification.parse(f.get("bt_signature"), f.get("bt_payload")); // rejects unless it verifies
    return true;
  };
  {
    const publicKey = "hkgd7test4public", privateKey = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    const sample = btGateway(publicKey, privateKey).webhookTesting.sampleNotification(braintree.WebhookNotification.Kind.SubscriptionWentPastDue, "sub_héllo_1");
    const body = new URLSearchParams(sample).toString();
    const secret = publicKey + ":" + privateKey;
    await must(btParse(secret, body), "braintree");
    let tamperedOK;
    try { tamperedOK = await btParse(secret, tampered(body)); } catch { tamperedOK = false; }
    if (tamperedOK) throw new Error("braintree accepts the tampered body");
    add("braintree", version("braintree") + " webhookTesting.sampleNotification, checked by webhookNotification.parse", { path: "/hooks/braintree", body,
      headers: { ...form, __secret: secret } });
  }
  {
    // The bt_challenge GET Braintree sends to check a destination: the
    // answer its SDK's webhookNotification.verify gives.
    const publicKey = "hkgd7test4public", privateKey = "0a1b2c3d4e5f60718293a4b5c6d7e8f9", challenge = "20f9f8ed05f77439fe955c977e4c8a53";
    kit.handshakes.push({ name: "braintree bt_challenge", preset: "braintree", oracle: version("braintree") + " webhookNotification.verify",
      secret: publicKey + ":" + privateKey, unsigned: true, method: "GET", url: kit.base + "/hooks/braintree?bt_challenge=" + challenge, body: "", headers: {},
      answer_text: btGateway(publicKey, privateKey).webhookNotification.verify(challenge) });
  }

  // The requests hookguard's verify.SignRequest made, checked by the SDKs.
  Object.assign(verifiers, {
    adyen: (r) => adyenValid(r.body, r.secret),
    braintree: (r) => btParse(r.secret, r.body),
  });
  Object.assign(oursPackages, { adyen: "@adyen/api-library", braintree: "braintree" });
}
