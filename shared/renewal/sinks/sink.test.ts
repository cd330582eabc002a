import { describe, expect, it } from "vitest";
import {
  attemptDelivery,
  type CredentialSink,
  type DeliveryResult,
  deliveryId,
  sinkRetryDue,
  sinkStateAfter,
  sinkStateForNewCredential,
} from "./sink.ts";

const t0 = new Date("2026-01-01T00:00:00Z");
const plus = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const refused: DeliveryResult = {
  ok: false,
  reason: "refused",
  status: 503,
  message: "HTTP 503",
  retryable: true,
};

describe("sink state: a failed delivery is retried on its own, with back-off", () => {
  it("gives one id per credential and sink, the same on every retry", async () => {
    const a = await deliveryId("huawei:acct:ap-southeast-1:c1", "0a1b", "ci");
    expect(a).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(await deliveryId("huawei:acct:ap-southeast-1:c1", "0a1b", "ci")).toBe(a);
    expect(await deliveryId("huawei:acct:ap-southeast-1:c1", "0a1c", "ci")).not.toBe(a);
    expect(await deliveryId("huawei:acct:ap-southeast-1:c1", "0a1b", "file")).not.toBe(a);
  });

  it("records failures, backs off 1 min doubling to 1 h, and records the delivery", () => {
    let state = sinkStateForNewCredential("ci", { id: "msg_1", serial: "0a" }, undefined, t0);
    expect(sinkRetryDue(state, t0)).toBe(true);
    const retries: string[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      state = sinkStateAfter(state, refused, plus(attempt * 100));
      retries.push(`${(Date.parse(state.nextRetryAt!) - plus(attempt * 100).getTime()) / 60_000}`);
    }
    expect(retries).toEqual(["1", "2", "4", "8", "16", "32", "60", "60"]);
    expect(state).toMatchObject({
      status: "failing",
      attempts: 8,
      lastFailure: { reason: "refused", status: 503, at: plus(800).toISOString() },
    });
    expect(sinkRetryDue(state, plus(859))).toBe(false);
    expect(sinkRetryDue(state, plus(860))).toBe(true);
    state = sinkStateAfter(state, { ok: true, detail: "204" }, plus(860));
    expect(state).toMatchObject({
      status: "delivered",
      attempts: 9,
      lastDelivery: { at: plus(860).toISOString(), deliveryId: "msg_1", serial: "0a" },
    });
    expect(state.nextRetryAt).toBeUndefined();
    expect(state.lastFailure?.at).toBe(plus(800).toISOString()); // still visible
    expect(sinkRetryDue(state, plus(10_000))).toBe(false);
  });

  it("waits an hour after a failure a person must fix", () => {
    const state = sinkStateAfter(
      sinkStateForNewCredential("ci", { id: "msg_1", serial: "0a" }, undefined, t0),
      { ok: false, reason: "refused", status: 401, message: "HTTP 401", retryable: false },
      t0,
    );
    expect(state.nextRetryAt).toBe(plus(60).toISOString());
  });

  it("a new credential starts a new delivery and keeps the history", () => {
    const delivered = sinkStateAfter(
      sinkStateForNewCredential("ci", { id: "msg_1", serial: "0a" }, undefined, t0),
      { ok: true, detail: "ok" },
      t0,
    );
    const next = sinkStateForNewCredential("ci", { id: "msg_2", serial: "0b" }, delivered, plus(5));
    expect(next).toMatchObject({
      deliveryId: "msg_2",
      serial: "0b",
      status: "pending",
      attempts: 0,
      lastDelivery: { serial: "0a" },
    });
  });

  it("turns a sink that throws into a failure that does not quote the error", async () => {
    const throwing: CredentialSink = {
      name: "bad",
      kind: "file",
      destination: "/x",
      deliver: async () => {
        throw new Error("-----BEGIN PRIVATE KEY----- ...");
      },
    };
    const delivery = {
      id: "msg_1",
      target: "t",
      kubeconfig: "secret",
      certificate: { subject: "s", issuer: "i", serial: "0a", notBefore: t0, notAfter: t0 },
    };
    const { result, state } = await attemptDelivery(
      throwing,
      delivery,
      sinkStateForNewCredential("bad", { id: "msg_1", serial: "0a" }, undefined, t0),
      t0,
    );
    expect(result).toMatchObject({
      ok: false,
      reason: "write-failed",
      message: "the file sink failed unexpectedly (Error)",
    });
    expect(state.status).toBe("failing");
  });
});
