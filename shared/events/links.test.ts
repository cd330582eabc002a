import { describe, expect, it } from "vitest";
import { hmac } from "../signer/digest.ts";
import { base64, utf8 } from "../signer/encoding.ts";
import { createActionLink, createActionToken, MAX_ACTION_MINUTES, verifyActionLink } from "./links.ts";

const SECRET = "action-link-secret-0123456789abcdefABCDEF";
const OTHER_SECRET = "another-secret-for-links-0123456789abcdef";
const EXPIRES = new Date("2026-03-02T19:45:00.000Z");
const BEFORE = new Date("2026-03-02T19:30:00.000Z");

const input = {
  baseUrl: "https://nightshift.example.com",
  action: "snooze" as const,
  target: "huawei:prod-hw:cn-north-4:2f1c-cluster",
  minutes: 120,
  expiresAt: EXPIRES,
  secret: SECRET,
  slot: "weeknights:asleep:2026-03-02T20:00",
};

const tokenOf = (link: string) => decodeURIComponent(new URL(link).pathname.split("/actions/")[1]!);
const b64url = (text: string) =>
  base64(utf8(text)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

describe("createActionLink", () => {
  it("puts a compact token under /actions/ of the base URL, keeping a path prefix", async () => {
    const link = await createActionLink(input);
    expect(link).toMatch(/^https:\/\/nightshift\.example\.com\/actions\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    // Payload (~130 bytes of JSON) plus a 43-character MAC: short enough for any mail client.
    expect(link.length).toBeLessThan(300);
    const prefixed = await createActionLink({
      ...input,
      baseUrl: "https://ops.example.com/nightshift/?x=1#top",
    });
    expect(prefixed).toMatch(/^https:\/\/ops\.example\.com\/nightshift\/actions\/[A-Za-z0-9_.-]+$/);
  });

  it.each([
    [{ baseUrl: "nightshift.example.com" }, /baseUrl must be an absolute URL/],
    [{ baseUrl: "ftp://example.com" }, /baseUrl must be http\(s\)/],
    [{ action: "cancel" }, /action must be one of snooze, postpone/],
    [{ target: "" }, /target must be a target id/],
    [{ minutes: 0 }, /minutes must be a whole number from 1 to 10080; got 0/],
    [{ minutes: 1.5 }, /minutes must be a whole number/],
    [{ minutes: MAX_ACTION_MINUTES + 1 }, /minutes must be a whole number/],
    [{ expiresAt: new Date(Number.NaN) }, /expiresAt must be a valid Date/],
    [
      { secret: "short" },
      /secret must be at least 32 characters; generate one with `openssl rand -base64 32`/,
    ],
  ])("refuses bad input %o with a message saying what to fix", async (override, message) => {
    await expect(createActionLink({ ...input, ...override } as typeof input)).rejects.toThrow(message);
  });
});

describe("verifyActionLink", () => {
  it("accepts a valid link and returns what it asks for", async () => {
    const token = tokenOf(await createActionLink(input));
    expect(await verifyActionLink(token, SECRET, BEFORE)).toEqual({
      ok: true,
      action: "snooze",
      target: input.target,
      minutes: 120,
      expiresAt: EXPIRES,
      slot: input.slot,
    });
    const postpone = await createActionToken({ ...input, action: "postpone", minutes: 30, slot: undefined });
    expect(await verifyActionLink(postpone, SECRET, BEFORE)).toEqual({
      ok: true,
      action: "postpone",
      target: input.target,
      minutes: 30,
      expiresAt: EXPIRES,
    });
  });

  it("refuses a tampered payload, even one re-encoded as valid JSON", async () => {
    const token = await createActionToken(input);
    const [payload, mac] = token.split(".") as [string, string];
    const forged = b64url(
      JSON.stringify({
        v: 1,
        a: "snooze",
        t: input.target,
        m: MAX_ACTION_MINUTES,
        e: 1_900_000_000,
        s: input.slot,
      }),
    );
    expect(await verifyActionLink(`${forged}.${mac}`, SECRET, BEFORE)).toMatchObject({
      ok: false,
      reason: "bad-signature",
    });
    const flipped = `${payload.slice(0, 10)}${payload[10] === "A" ? "B" : "A"}${payload.slice(11)}`;
    expect(await verifyActionLink(`${flipped}.${mac}`, SECRET, BEFORE)).toMatchObject({
      ok: false,
      reason: "bad-signature",
    });
    const badMac = `${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`;
    expect(await verifyActionLink(`${payload}.${badMac}`, SECRET, BEFORE)).toMatchObject({
      ok: false,
      reason: "bad-signature",
    });
  });

  it("refuses a link signed with another secret, and accepts it during a rotation", async () => {
    const token = await createActionToken({ ...input, secret: OTHER_SECRET });
    expect(await verifyActionLink(token, SECRET, BEFORE)).toEqual({
      ok: false,
      reason: "bad-signature",
      message: "the action link was not signed by this service, or was changed",
    });
    expect(await verifyActionLink(token, [SECRET, OTHER_SECRET], BEFORE)).toMatchObject({ ok: true });
  });

  it("expires at expiresAt: valid one second before, refused at it and one second after", async () => {
    const token = await createActionToken(input);
    const at = (ms: number) => new Date(EXPIRES.getTime() + ms);
    expect(await verifyActionLink(token, SECRET, at(-1000))).toMatchObject({ ok: true });
    expect(await verifyActionLink(token, SECRET, at(0))).toMatchObject({ ok: false, reason: "expired" });
    expect(await verifyActionLink(token, SECRET, at(1000))).toEqual({
      ok: false,
      reason: "expired",
      message: "the action link expired at 2026-03-02T19:45:00.000Z",
    });
  });

  it("keeps whole seconds of expiresAt (a link never outlives the instant asked for)", async () => {
    const token = await createActionToken({ ...input, expiresAt: new Date(EXPIRES.getTime() + 999) });
    expect(await verifyActionLink(token, SECRET, EXPIRES)).toMatchObject({ ok: false, reason: "expired" });
  });

  it("may be used again and again until it expires, with the same answer each time", async () => {
    // Reuse is allowed: the action it triggers must be idempotent (anchored on slot), so a
    // second click, or a mail scanner opening the link first, changes nothing.
    const token = await createActionToken(input);
    const first = await verifyActionLink(token, SECRET, BEFORE);
    const again = await verifyActionLink(token, SECRET, new Date(BEFORE.getTime() + 60_000));
    expect(first.ok).toBe(true);
    expect(again).toEqual(first);
  });

  it.each([
    ["empty", ""],
    ["one part", "abc"],
    ["three parts", "a.b.c"],
    ["not base64url", "ab+c.de/f"],
    ["too long", `${"a".repeat(3000)}.b`],
  ])("calls a token malformed when it is %s", async (_, token) => {
    expect(await verifyActionLink(token, SECRET, BEFORE)).toMatchObject({ ok: false, reason: "malformed" });
  });

  it("calls a correctly signed but foreign payload malformed", async () => {
    // Only reachable with the secret; proves the payload is validated after the MAC, not trusted.
    const payload = b64url(JSON.stringify({ v: 2, a: "snooze", t: "x", m: 1, e: 1_900_000_000 }));
    const mac = base64(await hmac("SHA-256", SECRET, `nightshift/action-link/v1.${payload}`))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    expect(await verifyActionLink(`${payload}.${mac}`, SECRET, BEFORE)).toMatchObject({
      ok: false,
      reason: "malformed",
    });
  });

  it("refuses to verify with no secret or a short one", async () => {
    await expect(verifyActionLink("a.b", [], BEFORE)).rejects.toThrow(/at least one secret/);
    await expect(verifyActionLink("a.b", "short", BEFORE)).rejects.toThrow(/at least 32 characters/);
  });
});
