import { describe, expect, it } from "vitest";
import vectors from "../../test/fixtures/signing/webhooks/standardwebhooks-1.1.1.json" with { type: "json" };
import { memoryReplayGuard, signWebhook, verifyWebhook, webhookSignature } from "./webhooks.ts";

const secret = vectors.secret;
const newSecret = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=";
const now = new Date("2026-01-01T00:00:00Z");
const body = '{"alert":"HighCPU","pool":"默认节点池"}';

describe("webhookSignature", () => {
  it.each(vectors.vectors)("matches the reference signer for $id", async (v) => {
    expect(await webhookSignature(secret, v.id, String(v.timestamp), v.body)).toBe(v.signature);
  });

  it("accepts a secret without the whsec_ prefix and refuses one that is not base64", async () => {
    const v = vectors.vectors[0]!;
    expect(await webhookSignature(secret.slice(6), v.id, String(v.timestamp), v.body)).toBe(v.signature);
    await expect(webhookSignature("whsec_not base64!", "id", "1", "")).rejects.toThrow(/whsec_/);
  });
});

describe("verifyWebhook", () => {
  const deliver = async (
    secrets: string[],
    overrides: Partial<{ id: string; now: Date; body: string }> = {},
  ) => {
    const headers = await signWebhook(secrets, {
      id: overrides.id ?? "msg_1",
      body: overrides.body ?? body,
      now: overrides.now ?? now,
    });
    return { headers: { ...headers }, body };
  };

  it("accepts a genuine delivery and returns its id and time", async () => {
    const result = await verifyWebhook(await deliver([secret]), { secrets: [secret], now });
    expect(result).toEqual({ ok: true, id: "msg_1", timestamp: now });
  });

  it("verifies the reference vectors at their own time", async () => {
    for (const v of vectors.vectors) {
      const headers = {
        "webhook-id": v.id,
        "webhook-timestamp": String(v.timestamp),
        "webhook-signature": v.signature,
      };
      const result = await verifyWebhook(
        { headers, body: v.body },
        { secrets: [secret], now: new Date(v.timestamp * 1000) },
      );
      expect(result.ok).toBe(true);
    }
  });

  it("rejects a forged signature, a wrong secret and a tampered body", async () => {
    const genuine = await deliver([secret]);
    const forged = { ...genuine, headers: { ...genuine.headers, "webhook-signature": "v1,AAAA" } };
    expect(await verifyWebhook(forged, { secrets: [secret], now })).toMatchObject({
      ok: false,
      reason: "bad-signature",
    });
    expect(await verifyWebhook(genuine, { secrets: [newSecret], now })).toMatchObject({
      reason: "bad-signature",
    });
    const tampered = { ...genuine, body: body.replace("HighCPU", "LowCPU") };
    expect(await verifyWebhook(tampered, { secrets: [secret], now })).toMatchObject({
      reason: "bad-signature",
    });
    const wrongVersion = {
      ...genuine,
      headers: {
        ...genuine.headers,
        "webhook-signature": genuine.headers["webhook-signature"].replace("v1,", "v2,"),
      },
    };
    expect(await verifyWebhook(wrongVersion, { secrets: [secret], now })).toMatchObject({
      reason: "bad-signature",
    });
  });

  it("enforces the 5-minute tolerance in both directions, to the second", async () => {
    const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
    const delivery = await deliver([secret]);
    expect((await verifyWebhook(delivery, { secrets: [secret], now: at(300) })).ok).toBe(true);
    expect(await verifyWebhook(delivery, { secrets: [secret], now: at(301) })).toMatchObject({
      reason: "expired",
    });
    expect((await verifyWebhook(delivery, { secrets: [secret], now: at(-300) })).ok).toBe(true);
    expect(await verifyWebhook(delivery, { secrets: [secret], now: at(-301) })).toMatchObject({
      reason: "future",
    });
  });

  it("rejects a replayed delivery but accepts a new id", async () => {
    const replayGuard = memoryReplayGuard();
    const delivery = await deliver([secret]);
    expect((await verifyWebhook(delivery, { secrets: [secret], now, replayGuard })).ok).toBe(true);
    expect(await verifyWebhook(delivery, { secrets: [secret], now, replayGuard })).toMatchObject({
      reason: "replayed",
    });
    const next = await deliver([secret], { id: "msg_2" });
    expect((await verifyWebhook(next, { secrets: [secret], now, replayGuard })).ok).toBe(true);
  });

  it("does not let a forged delivery burn a genuine id in the replay guard", async () => {
    const replayGuard = memoryReplayGuard();
    const genuine = await deliver([secret]);
    const forged = { ...genuine, headers: { ...genuine.headers, "webhook-signature": "v1,AAAA" } };
    expect((await verifyWebhook(forged, { secrets: [secret], now, replayGuard })).ok).toBe(false);
    expect((await verifyWebhook(genuine, { secrets: [secret], now, replayGuard })).ok).toBe(true);
  });

  it("supports secret rotation: two signatures in one header, two secrets on the receiver", async () => {
    const duringRotation = await deliver([secret, newSecret]);
    expect(duringRotation.headers["webhook-signature"].split(" ")).toHaveLength(2);
    // A receiver that already moved to the new secret, and one still on the old one, both accept.
    expect((await verifyWebhook(duringRotation, { secrets: [newSecret], now })).ok).toBe(true);
    expect((await verifyWebhook(duringRotation, { secrets: [secret], now })).ok).toBe(true);
    // A receiver holding both secrets accepts senders on either.
    const oldSender = await deliver([secret]);
    const newSender = await deliver([newSecret]);
    expect((await verifyWebhook(oldSender, { secrets: [secret, newSecret], now })).ok).toBe(true);
    expect((await verifyWebhook(newSender, { secrets: [secret, newSecret], now })).ok).toBe(true);
  });

  it("names what is missing or malformed", async () => {
    expect(await verifyWebhook({ headers: {}, body }, { secrets: [secret], now })).toMatchObject({
      reason: "missing-headers",
    });
    const delivery = await deliver([secret]);
    const badTs = {
      ...delivery,
      headers: { ...delivery.headers, "webhook-timestamp": "2026-01-01T00:00:00Z" },
    };
    expect(await verifyWebhook(badTs, { secrets: [secret], now })).toMatchObject({ reason: "bad-timestamp" });
  });

  it("reads headers from a Fetch Headers object too", async () => {
    const delivery = await deliver([secret]);
    const result = await verifyWebhook(
      { headers: new Headers(delivery.headers), body },
      { secrets: [secret], now },
    );
    expect(result.ok).toBe(true);
  });
});
