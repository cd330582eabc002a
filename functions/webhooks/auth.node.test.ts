// The constant-time path: every configured value is compared, with the constant-time comparison,
// whether the first one matches, a later one, or none. An early exit would let response times
// say how many values there are and which one matched. (Node only: it spies on the module.)
import { beforeEach, describe, expect, it, vi } from "vitest";
import type * as Compare from "../../shared/signer/compare.ts";
import { signWebhook } from "../../shared/signer/webhooks.ts";

vi.mock("../../shared/signer/compare.ts", async (original) => {
  const actual = await original<typeof Compare>();
  return { timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
// The Node project shares modules across test files (isolate: false): an earlier file may have
// loaded auth.ts against the real comparison, so load it (and what it imports) afresh here.
vi.resetModules();
const compare = await import("../../shared/signer/compare.ts");
const { checkAlertmanager, checkApiKey, checkSignedEvent } = await import("./auth.ts");
const timingSafeEqual = vi.mocked(compare.timingSafeEqual);
beforeEach(() => timingSafeEqual.mockClear());

const compared = () => timingSafeEqual.mock.calls.map(([offered, expected]) => [offered, expected]);

describe("constant-time comparison of every configured value", () => {
  const tokens = ["token-a-0123456789abcdefgh", "token-b-0123456789abcdefgh", "token-c-0123456789abcdefgh"];

  it("bearer tokens: all three compared, whichever matches", () => {
    for (const offered of [tokens[0]!, tokens[2]!, "no-such-token-0123456789ab"]) {
      timingSafeEqual.mockClear();
      checkAlertmanager(`Bearer ${offered}`, { tokens });
      expect(compared()).toEqual(tokens.map((token) => [offered, token]));
    }
  });

  it("basic auth: the user name and every password, even when the user name is wrong", () => {
    const credentials = {
      tokens: [],
      basic: {
        username: "alertmanager",
        passwords: ["pw-one-0123456789abcdefgh", "pw-two-0123456789abcdefgh"],
      },
    };
    checkAlertmanager(`Basic ${btoa("intruder:pw-one-0123456789abcdefgh")}`, credentials);
    expect(compared()).toEqual([
      ["intruder", "alertmanager"],
      ["pw-one-0123456789abcdefgh", "pw-one-0123456789abcdefgh"],
      ["pw-one-0123456789abcdefgh", "pw-two-0123456789abcdefgh"],
    ]);
  });

  it("API keys: every key compared", () => {
    checkApiKey(new Headers({ "x-api-key": "key-a-0123456789abcdefgh" }), {
      header: "x-api-key",
      apiKeys: ["key-a-0123456789abcdefgh", "key-b-0123456789abcdefgh"],
    });
    expect(compared()).toHaveLength(2);
  });

  it("signed events: every offered signature against every secret's", async () => {
    const secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2Vjb25kLXNlY3JldC0wMTIzNDU2"];
    const now = new Date("2026-11-22T20:00:00Z");
    const body = '{"type":"x","data":{}}';
    // Two signatures offered (a sender mid-rotation), two secrets configured: four comparisons,
    // though the first pair already matches.
    const headers = await signWebhook(secrets, { id: "msg_1", body, now });
    timingSafeEqual.mockClear();
    const verified = await checkSignedEvent(
      { headers: new Headers({ ...headers }), body: new TextEncoder().encode(body) },
      secrets,
      now,
    );
    expect(verified.ok).toBe(true);
    expect(compared()).toHaveLength(4);
  });
});
