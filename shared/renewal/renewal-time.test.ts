import { describe, expect, it } from "vitest";
import { backoffDelayMs, backoffUntil, type FailureHistory, recordFailure } from "./backoff.ts";
import { renewalTime } from "./renewal-time.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => new Date(iso);

describe("renewalTime (cert-manager's pki.RenewalTime)", () => {
  const notBefore = at("2026-01-01T00:00:00Z");
  const notAfter = at("2026-01-04T00:00:00Z"); // 3 days: Alibaba's longest temporary kubeconfig

  it("defaults to 2/3 of the lifetime", () => {
    expect(renewalTime(notBefore, notAfter, {})).toEqual({
      at: at("2026-01-03T00:00:00Z"),
      rule: "default",
      renewBeforeMs: DAY,
    });
  });

  it("takes renewBefore when it is shorter than the lifetime", () => {
    const r = renewalTime(notBefore, notAfter, { renewBeforeMs: 6 * HOUR, renewBeforePercentage: 50 });
    expect(r).toEqual({ at: at("2026-01-03T18:00:00Z"), rule: "renew-before", renewBeforeMs: 6 * HOUR });
  });

  it("falls back to the percentage, then to 2/3, when renewBefore is not shorter than the lifetime", () => {
    expect(
      renewalTime(notBefore, notAfter, { renewBeforeMs: 3 * DAY, renewBeforePercentage: 50 }).at,
    ).toEqual(at("2026-01-02T12:00:00Z"));
    expect(renewalTime(notBefore, notAfter, { renewBeforeMs: 4 * DAY }).rule).toBe("default");
    expect(renewalTime(notBefore, notAfter, { renewBeforeMs: 0 }).rule).toBe("default");
  });

  it("ignores a percentage outside (0, 100)", () => {
    expect(renewalTime(notBefore, notAfter, { renewBeforePercentage: 100 }).rule).toBe("default");
    expect(renewalTime(notBefore, notAfter, { renewBeforePercentage: 0 }).rule).toBe("default");
  });

  it("truncates to whole seconds, so a re-check at the stored time is never early", () => {
    // 10 s lifetime: a third is 3333 ms, so notAfter - 3.333 s = 6.667 s, truncated to 6 s.
    const r = renewalTime(at("2026-01-01T00:00:00Z"), at("2026-01-01T00:00:10Z"), {});
    expect(r.at).toEqual(at("2026-01-01T00:00:06Z"));
  });
});

describe("issuance back-off (cert-manager's 1 h doubling to 32 h)", () => {
  it("doubles from 1 h and stops at 32 h", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelayMs(n) / HOUR)).toEqual([
      1, 2, 4, 8, 16, 32, 32, 32,
    ]);
    expect(backoffDelayMs(0)).toBe(HOUR);
  });

  it("counts from the last failure", () => {
    const failures = { failedAttempts: 3, lastFailureAt: at("2026-01-01T00:00:00Z") };
    expect(backoffUntil(failures, at("2026-01-01T03:59:59Z"))).toEqual(at("2026-01-01T04:00:00Z"));
    expect(backoffUntil(failures, at("2026-01-01T04:00:00Z"))).toBeUndefined();
  });

  it("is lifted when the declaration now asks for another duration", () => {
    const failures = {
      failedAttempts: 2,
      lastFailureAt: at("2026-01-01T00:00:00Z"),
      requestedDurationMs: DAY,
    };
    expect(backoffUntil(failures, at("2026-01-01T00:10:00Z"), DAY)).toEqual(at("2026-01-01T02:00:00Z"));
    expect(backoffUntil(failures, at("2026-01-01T00:10:00Z"), 2 * DAY)).toBeUndefined();
  });

  it("never waits past a quarter of the validity left, and an hour once expired", () => {
    const failures = { failedAttempts: 5, lastFailureAt: at("2026-01-03T15:00:00Z") }; // 16 h due
    // Expires in 9 h: wait 2 h 15 min at most.
    expect(backoffUntil(failures, at("2026-01-03T15:00:00Z"), undefined, at("2026-01-04T00:00:00Z"))).toEqual(
      at("2026-01-03T17:15:00Z"),
    );
    // Expiry far away: the ordinary back-off.
    expect(backoffUntil(failures, at("2026-01-03T15:00:00Z"), undefined, at("2026-02-04T00:00:00Z"))).toEqual(
      at("2026-01-04T07:00:00Z"),
    );
    // At least 1 min (the tick's period); hourly once expired.
    expect(backoffUntil(failures, at("2026-01-03T15:00:00Z"), undefined, at("2026-01-03T15:02:00Z"))).toEqual(
      at("2026-01-03T15:01:00Z"),
    );
    expect(backoffUntil(failures, at("2026-01-03T15:00:00Z"), undefined, at("2026-01-03T14:00:00Z"))).toEqual(
      at("2026-01-03T16:00:00Z"),
    );
  });

  it("gives a 60-minute credential renewed 20 min before expiry ten attempts before it expires", () => {
    // Found by the chaos suite: with half the validity left and at least 5 min, four attempts.
    const expiresAt = at("2026-01-03T12:00:00Z");
    let now = at("2026-01-03T11:40:00Z");
    let failures: FailureHistory | undefined;
    const attempts: string[] = [];
    while (now.getTime() <= expiresAt.getTime()) {
      attempts.push(now.toISOString().slice(11, 16));
      failures = recordFailure(failures, now);
      // The next tick on the minute at or after the back-off.
      const until = backoffUntil(failures, now, undefined, expiresAt)!;
      now = new Date(Math.ceil(until.getTime() / 60_000) * 60_000);
    }
    expect(attempts).toEqual([
      "11:40",
      "11:45",
      "11:49",
      "11:52",
      "11:54",
      "11:56",
      "11:57",
      "11:58",
      "11:59",
      "12:00",
    ]);
  });

  it("counts failures of the same request and starts over for another", () => {
    const one = recordFailure(undefined, at("2026-01-01T00:00:00Z"), DAY);
    const two = recordFailure(one, at("2026-01-01T01:00:00Z"), DAY);
    expect(two).toEqual({
      failedAttempts: 2,
      lastFailureAt: at("2026-01-01T01:00:00Z"),
      requestedDurationMs: DAY,
    });
    expect(recordFailure(two, at("2026-01-01T03:00:00Z"), 2 * DAY).failedAttempts).toBe(1);
  });
});
