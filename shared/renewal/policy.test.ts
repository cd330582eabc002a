import { describe, expect, it } from "vitest";
import {
  type CertificateFacts,
  evaluatePolicy,
  type PlanInput,
  planRenewal,
  RENEWAL_CHECKS,
  type StoredCredential,
} from "./policy.ts";
import { compileWindow } from "./window.ts";

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const facts: CertificateFacts = {
  subject: "CN=nightshift,O=system:masters",
  issuer: "CN=kubernetes",
  serial: "0a1b2c",
  notBefore: at("2026-01-01T00:00:00Z"),
  notAfter: at("2026-01-04T00:00:00Z"),
};
const stored: StoredCredential = { kind: "certificate", facts, requestedDurationMs: 3 * DAY };
const base = (over: Partial<PlanInput> = {}): PlanInput => ({
  now: at("2026-01-02T00:00:00Z"),
  stored,
  spec: { durationMs: 3 * DAY },
  ...over,
});

describe("the policy chain: each named check says 'renew because …' or nothing", () => {
  it("has the checks in order, each with a name", () => {
    expect(RENEWAL_CHECKS.map((c) => c.name)).toEqual([
      "Forced",
      "NoneStored",
      "StoredUnparsable",
      "Expired",
      "IssuerChanged",
      "DurationChanged",
      "Expiring",
      "PastLifetimePercentage",
    ]);
  });

  it("says nothing before the renewal time", () => {
    expect(evaluatePolicy(base({ now: at("2026-01-02T23:59:59Z") }))).toBeUndefined();
  });

  it.each([
    ["none stored", { stored: { kind: "none" } }, "none-stored"],
    [
      "stored one unparsable",
      { stored: { kind: "unparsable", problem: "no client certificate" } },
      "unparsable",
    ],
    ["expired", { now: at("2026-01-04T00:00:01Z") }, "expired"],
    ["past 2/3 of the lifetime", { now: at("2026-01-03T00:00:00Z") }, "past-percentage"],
    [
      "past the declared percentage",
      { now: at("2026-01-02T12:00:00Z"), spec: { durationMs: 3 * DAY, renewBeforePercentage: 50 } },
      "past-percentage",
    ],
    [
      "within renewBefore",
      { now: at("2026-01-03T18:00:00Z"), spec: { durationMs: 3 * DAY, renewBeforeMs: 6 * HOUR } },
      "expiring",
    ],
    ["the issuer changed", { currentIssuer: "CN=kubernetes-rotated" }, "issuer-changed"],
    ["the requested duration changed", { spec: { durationMs: 2 * DAY } }, "duration-changed"],
    ["forced", { forced: { requestedAt: at("2026-01-02T00:00:00Z"), requestedBy: "ops" } }, "forced"],
  ] as const)("renews when %s", (_, over, code) => {
    expect(evaluatePolicy(base(over as Partial<PlanInput>))?.code).toBe(code);
  });

  it("does not renew within renewBefore's margin before it begins", () => {
    expect(
      evaluatePolicy(
        base({ now: at("2026-01-03T17:59:59Z"), spec: { durationMs: 3 * DAY, renewBeforeMs: 6 * HOUR } }),
      ),
    ).toBeUndefined();
  });

  it("treats a notAfter moment as still valid (X.509 validity includes it)", () => {
    expect(evaluatePolicy(base({ now: facts.notAfter }))?.code).toBe("past-percentage");
  });

  it("compares the duration with what was asked, not what the vendor granted", () => {
    const granted = { kind: "certificate" as const, facts, requestedDurationMs: 5 * DAY };
    expect(evaluatePolicy(base({ stored: granted, spec: { durationMs: 5 * DAY } }))).toBeUndefined();
  });

  it("ignores spacing differences in the issuer's name", () => {
    expect(evaluatePolicy(base({ currentIssuer: "CN=kubernetes" }))).toBeUndefined();
    const spaced = { kind: "certificate" as const, facts: { ...facts, issuer: "CN=ca, O=acme" } };
    expect(evaluatePolicy(base({ stored: spaced, currentIssuer: "CN=ca,O=acme" }))).toBeUndefined();
  });
});

describe("planRenewal: next attempt = first window opening after max(renewal time, back-off)", () => {
  const nights = compileWindow({ cron: "0 22 * * *", timezone: "UTC", durationMinutes: 480 });
  const afternoons = compileWindow({ cron: "0 14 * * *", timezone: "UTC", durationMinutes: 120 });

  it("waits for the renewal time and reports the metrics", () => {
    const plan = planRenewal(base());
    expect(plan).toMatchObject({
      action: "wait",
      waitingFor: "renewal-time",
      nextAttemptAt: at("2026-01-03T00:00:00Z"),
      renewalTime: at("2026-01-03T00:00:00Z"),
      secondsUntilExpiry: 2 * 86_400,
      overrides: [],
    });
  });

  it("renews now when due and the window is open", () => {
    const plan = planRenewal(
      base({ now: at("2026-01-03T01:00:00Z"), spec: { durationMs: 3 * DAY, window: nights } }),
    );
    expect(plan).toMatchObject({ action: "renew", reason: { code: "past-percentage" }, overrides: [] });
  });

  it("waits for the window when due outside it", () => {
    const plan = planRenewal(
      base({ now: at("2026-01-03T12:00:00Z"), spec: { durationMs: 3 * DAY, window: afternoons } }),
    );
    expect(plan).toMatchObject({
      action: "wait",
      waitingFor: "window",
      nextAttemptAt: at("2026-01-03T14:00:00Z"),
    });
  });

  it("stops deferring to a window that opens only in the last quarter of the renewal period", () => {
    // Renewal period: the last day (renewBefore 1 d); its last quarter starts 18:00. The nightly
    // window opens at 22:00, too late to leave room for retries: renew now, recorded.
    const plan = planRenewal(
      base({ now: at("2026-01-03T12:00:00Z"), spec: { durationMs: 3 * DAY, window: nights } }),
    );
    expect(plan).toMatchObject({
      action: "renew",
      reason: { code: "past-percentage" },
      overrides: ["window"],
    });
  });

  it("plans a future renewal at the first window opening after the renewal time", () => {
    const noons = compileWindow({ cron: "0 12 * * *", timezone: "UTC", durationMinutes: 60 });
    const plan = planRenewal(base({ spec: { durationMs: 3 * DAY, window: noons } }));
    expect(plan).toMatchObject({
      action: "wait",
      waitingFor: "window",
      nextAttemptAt: at("2026-01-03T12:00:00Z"),
    });
    // The renewal time (00:00) falls inside the nightly window: no extra wait.
    const inside = planRenewal(base({ spec: { durationMs: 3 * DAY, window: nights } }));
    expect(inside).toMatchObject({ waitingFor: "renewal-time", nextAttemptAt: at("2026-01-03T00:00:00Z") });
  });

  it("passes the window (recorded) when it would open only after the credential expired", () => {
    const mondays = compileWindow({ cron: "0 22 * * 1", timezone: "UTC", durationMinutes: 60 });
    // Renewal time Saturday 2026-01-03 00:00; the next Monday 22:00 is after expiry on Sunday.
    const plan = planRenewal(
      base({ now: at("2026-01-03T00:00:00Z"), spec: { durationMs: 3 * DAY, window: mondays } }),
    );
    expect(plan).toMatchObject({ action: "renew", overrides: ["window"] });
  });

  it("does not wait for the window without a usable credential", () => {
    for (const over of [{ stored: { kind: "none" } }, { now: at("2026-01-05T12:00:00Z") }] as const) {
      const plan = planRenewal(
        base({ ...over, now: over.now ?? at("2026-01-05T12:00:00Z"), spec: { window: nights } }),
      );
      expect(plan.action).toBe("renew");
    }
  });

  it("waits out a back-off, then the window", () => {
    const failures = { failedAttempts: 4, lastFailureAt: at("2026-01-03T01:00:00Z") }; // 8 h, capped at a quarter of the 23 h left: until 06:45
    const noWindow = planRenewal(base({ now: at("2026-01-03T02:00:00Z"), failures }));
    expect(noWindow).toMatchObject({
      action: "wait",
      waitingFor: "backoff",
      nextAttemptAt: at("2026-01-03T06:45:00Z"),
    });
    const withWindow = planRenewal(
      base({ now: at("2026-01-03T02:00:00Z"), failures, spec: { durationMs: 3 * DAY, window: afternoons } }),
    );
    expect(withWindow).toMatchObject({
      action: "wait",
      waitingFor: "window",
      nextAttemptAt: at("2026-01-03T14:00:00Z"),
    });
    expect(withWindow.backoffUntil).toEqual(at("2026-01-03T06:45:00Z"));
  });

  it("retries when the back-off ends if the window is open then", () => {
    const failures = { failedAttempts: 2, lastFailureAt: at("2026-01-03T01:00:00Z") }; // 2 h: until 03:00
    const spec = { durationMs: 3 * DAY, window: nights };
    expect(planRenewal(base({ now: at("2026-01-03T02:00:00Z"), failures, spec }))).toMatchObject({
      action: "wait",
      waitingFor: "backoff",
      nextAttemptAt: at("2026-01-03T03:00:00Z"),
    });
    expect(planRenewal(base({ now: at("2026-01-03T03:00:00Z"), failures, spec }))).toMatchObject({
      action: "renew",
      overrides: [],
    });
  });

  it("forced renewal runs inside a back-off and a closed window, and records both", () => {
    const failures = { failedAttempts: 5, lastFailureAt: at("2026-01-03T11:00:00Z") };
    const plan = planRenewal(
      base({
        now: at("2026-01-03T12:00:00Z"),
        failures,
        forced: { requestedAt: at("2026-01-03T12:00:00Z") },
        spec: { durationMs: 3 * DAY, window: nights },
      }),
    );
    expect(plan).toMatchObject({
      action: "renew",
      reason: { code: "forced" },
      overrides: ["backoff", "window"],
    });
  });
});
