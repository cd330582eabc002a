// Each sender's check on its own: rotation (several values valid at once), exact matches only, and
// for signed events the signature, the tolerance and the headers.
import { describe, expect, it } from "vitest";
import type { WebhookCredentials } from "../../shared/config/config.ts";
import { signWebhook, WEBHOOK_TOLERANCE_SECONDS } from "../../shared/signer/webhooks.ts";
import { alertmanagerChallenges, checkAlertmanager, checkApiKey, checkSignedEvent } from "./auth.ts";

const TOKENS = ["token-being-retired-0123456789", "token-taking-over-0123456789"];
const alertmanager: WebhookCredentials["alertmanager"] = {
  tokens: TOKENS,
  basic: {
    username: "alertmanager",
    passwords: ["password-one-0123456789abc", "password-two-0123456789abc"],
  },
};
const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

describe("checkAlertmanager", () => {
  it("takes any configured bearer token or basic password, during a rotation both", () => {
    for (const token of TOKENS) expect(checkAlertmanager(`Bearer ${token}`, alertmanager)).toBe(true);
    expect(checkAlertmanager(basic("alertmanager", "password-one-0123456789abc"), alertmanager)).toBe(true);
    expect(checkAlertmanager(basic("alertmanager", "password-two-0123456789abc"), alertmanager)).toBe(true);
  });

  it("refuses near misses, other schemes, and a scheme that is not configured", () => {
    expect(checkAlertmanager(undefined, alertmanager)).toBe(false);
    expect(checkAlertmanager("Bearer", alertmanager)).toBe(false);
    expect(checkAlertmanager(`Bearer ${TOKENS[0]}x`, alertmanager)).toBe(false);
    expect(checkAlertmanager(`Bearer ${TOKENS[0]!.toUpperCase()}`, alertmanager)).toBe(false);
    expect(checkAlertmanager(`Bearer ${TOKENS.join(",")}`, alertmanager)).toBe(false);
    expect(checkAlertmanager(basic("Alertmanager", "password-one-0123456789abc"), alertmanager)).toBe(false);
    expect(checkAlertmanager(basic("alertmanager", TOKENS[0]!), alertmanager)).toBe(false);
    expect(checkAlertmanager(`Token ${TOKENS[0]}`, alertmanager)).toBe(false);
    expect(checkAlertmanager(basic("alertmanager", "password-one-0123456789abc"), { tokens: TOKENS })).toBe(
      false,
    );
    expect(checkAlertmanager(`Bearer ${TOKENS[0]}`, { tokens: [], basic: alertmanager.basic! })).toBe(false);
    // Nothing configured: nothing passes, not even an empty token.
    expect(checkAlertmanager("Bearer ", { tokens: [] })).toBe(false);
  });

  it("offers the challenges of the schemes configured", () => {
    expect(alertmanagerChallenges(alertmanager)).toEqual([
      'Bearer realm="nightshift"',
      'Basic realm="nightshift", charset="UTF-8"',
    ]);
    expect(alertmanagerChallenges({ tokens: TOKENS })).toEqual(['Bearer realm="nightshift"']);
  });
});

describe("checkApiKey", () => {
  const eventbridge = {
    header: "x-api-key",
    apiKeys: ["key-one-0123456789abcdefgh", "key-two-0123456789abcdefgh"],
  };
  it("takes either key in the configured header (any case of its name), nothing else", () => {
    expect(checkApiKey(new Headers({ "X-Api-Key": "key-one-0123456789abcdefgh" }), eventbridge)).toBe(true);
    expect(checkApiKey(new Headers({ "x-api-key": "key-two-0123456789abcdefgh" }), eventbridge)).toBe(true);
    expect(checkApiKey(new Headers({ "x-api-key": "key-two-0123456789abcdefg" }), eventbridge)).toBe(false);
    expect(checkApiKey(new Headers({ authorization: "key-one-0123456789abcdefgh" }), eventbridge)).toBe(
      false,
    );
    expect(checkApiKey(new Headers(), eventbridge)).toBe(false);
    expect(checkApiKey(new Headers({ "x-api-key": "" }), { header: "x-api-key", apiKeys: [] })).toBe(false);
  });
});

describe("checkSignedEvent", () => {
  const secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2Vjb25kLXNlY3JldC0wMTIzNDU2"];
  const now = new Date("2026-11-22T20:00:00Z");
  const body = new TextEncoder().encode('{"type":"nodepool.resize","data":{"size":5}}');
  const deliver = async (signWith: string[], at: Date, payload = body) =>
    checkSignedEvent(
      {
        headers: new Headers({ ...(await signWebhook(signWith, { id: "msg_1", body, now: at })) }),
        body: payload,
      },
      secrets,
      now,
    );

  it("verifies a signature by any configured secret, among several signatures", async () => {
    expect(await deliver([secrets[1]!], now)).toEqual({ ok: true, id: "msg_1", timestamp: now });
    expect((await deliver(["whsec_cmV0aXJlZC1zZWNyZXQ=", secrets[0]!], now)).ok).toBe(true);
  });

  it("refuses a forged or tampered delivery, and one outside the tolerance either way", async () => {
    expect(await deliver(["whsec_Zm9yZ2VkLXNlY3JldA=="], now)).toMatchObject({
      ok: false,
      reason: "bad-signature",
    });
    const tampered = new TextEncoder().encode('{"type":"nodepool.resize","data":{"size":50}}');
    expect(await deliver([secrets[0]!], now, tampered)).toMatchObject({ ok: false, reason: "bad-signature" });
    const tolerance = WEBHOOK_TOLERANCE_SECONDS * 1000;
    expect(tolerance).toBe(5 * 60_000);
    expect((await deliver([secrets[0]!], new Date(now.getTime() - tolerance))).ok).toBe(true);
    expect(await deliver([secrets[0]!], new Date(now.getTime() - tolerance - 1000))).toMatchObject({
      reason: "expired",
    });
    expect(await deliver([secrets[0]!], new Date(now.getTime() + tolerance + 1000))).toMatchObject({
      reason: "future",
    });
    const unsigned = await checkSignedEvent(
      { headers: new Headers({ "webhook-id": "msg_1" }), body },
      secrets,
      now,
    );
    expect(unsigned).toMatchObject({ ok: false, reason: "missing-headers" });
  });
});
