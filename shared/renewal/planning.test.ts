// The renewal decisions around the policy: what a due target needs, the state the API shows after
// a plan, and the operation ids that make planning idempotent.
import { describe, expect, it } from "vitest";
import { policySpecOf } from "./declaration.ts";
import { decideDue, newRenewalState, renewOperationId, withPlan } from "./planning.ts";
import type { StoredCredential } from "./policy.ts";
import type { SinkState } from "./sinks/sink.ts";

const T0 = new Date("2026-05-04T08:00:00Z");
const HOUR = 3_600_000;
const stored: StoredCredential = {
  kind: "certificate",
  facts: {
    subject: "CN=ci",
    issuer: "CN=ca",
    serial: "0a",
    notBefore: new Date(T0.getTime() - HOUR),
    notAfter: new Date(T0.getTime() + 2 * HOUR),
  },
  requestedDurationMs: 3 * HOUR,
};
const spec = policySpecOf(
  { durationMinutes: 180, renewBefore: { percentage: 100 / 3 }, sinks: [{ type: "store" }] },
  "alibaba",
);
const state = newRenewalState({
  target: "ack/c1",
  declaration: "ci",
  provider: "alibaba",
  account: "ack",
  clusterId: "c1",
  specFingerprint: "f",
  now: T0,
});
const failing = (serial: string, retryAt: Date): SinkState => ({
  sink: "webhook-2",
  deliveryId: "msg_1",
  serial,
  status: "failing",
  attempts: 1,
  nextRetryAt: retryAt.toISOString(),
});

describe("decideDue", () => {
  it("waits until the renewal time (2/3 of the lifetime), naming it", () => {
    const decision = decideDue(state, stored, spec, T0);
    expect(decision).toMatchObject({ kind: "wait", plan: { waitingFor: "renewal-time" } });
    expect(decision.kind === "wait" && decision.plan.nextAttemptAt).toEqual(new Date(T0.getTime() + HOUR));
  });

  it("retries a due delivery of the stored credential, not one of an older credential", () => {
    expect(decideDue({ ...state, sinks: [failing("0a", T0)] }, stored, spec, T0)).toEqual({
      kind: "deliver",
      sinks: ["webhook-2"],
    });
    expect(decideDue({ ...state, sinks: [failing("09", T0)] }, stored, spec, T0).kind).toBe("wait");
    expect(
      decideDue({ ...state, sinks: [failing("0a", new Date(T0.getTime() + 60_000))] }, stored, spec, T0).kind,
    ).toBe("wait");
  });

  it("renews before retrying deliveries when the renewal is due (the new credential goes to every sink)", () => {
    const at = new Date(T0.getTime() + HOUR);
    expect(decideDue({ ...state, sinks: [failing("0a", T0)] }, stored, spec, at)).toMatchObject({
      kind: "renew",
      plan: { reason: { code: "past-percentage" } },
    });
  });

  it("renews at once when forced, inside a back-off, recording the override", () => {
    const failures = { failedAttempts: 1, lastFailureAt: T0.toISOString() };
    const decision = decideDue(
      { ...state, failures, forced: { requestedAt: T0.toISOString() } },
      stored,
      spec,
      T0,
    );
    expect(decision).toMatchObject({
      kind: "renew",
      plan: { reason: { code: "forced" }, overrides: ["backoff"] },
    });
  });
});

describe("withPlan", () => {
  it("keeps what the API shows: next attempt, why it waits, the certificate, the metrics", () => {
    const decision = decideDue(state, stored, spec, T0);
    if (decision.kind !== "wait") throw new Error("expected a wait");
    const planned = withPlan(state, decision.plan, stored, T0);
    expect(planned).toMatchObject({
      nextAttemptAt: new Date(T0.getTime() + HOUR).toISOString(),
      waitingFor: "renewal-time",
      certificate: {
        serial: "0a",
        notAfter: stored.kind === "certificate" ? stored.facts.notAfter.toISOString() : "",
      },
      renewalTime: new Date(T0.getTime() + HOUR).toISOString(),
      secondsUntilExpiry: 7200,
    });
    expect(JSON.stringify(planned)).not.toMatch(/BEGIN|client-key/);
  });
});

describe("renewOperationId", () => {
  it("is one per declaration, planned time and target; a delivery retry names the credential", () => {
    expect(renewOperationId("renew", "ci", "2026-05-04T09:00:00.000Z", "ack/c1")).toBe(
      "renew:ci:2026-05-04T09:00:00.000Z:ack/c1",
    );
    expect(renewOperationId("deliver", "ci", "2026-05-04T09:00:00.000Z", "ack/c1", "0a")).toBe(
      "deliver:ci:0a:2026-05-04T09:00:00.000Z:ack/c1",
    );
  });
});
