import { describe, expect, it } from "vitest";
import type { ProviderKind } from "../providers/port.ts";
import { estimateSavings, SavingsError, type TargetSleeps } from "./estimate.ts";
import type { Rates } from "./rates-schema.ts";

const target = (targetId: string, tags: Record<string, string>, provider: ProviderKind = "huawei") => {
  const [account, id] = targetId.split("/") as [string, string];
  return { targetId, account, id, name: id, region: "cn-north-4", provider, tags };
};

const devRates: Rates = {
  kind: "rates",
  name: "dev-rates",
  source: "schedules/rates.yaml",
  currency: "CNY",
  teamTag: "team",
  targets: [{ providers: ["huawei"] }],
  cluster: 0.5,
  pools: [
    { match: { name: "gpu-*" }, rate: { perNode: 2 } },
    { match: { id: "np-sys" }, rate: { hourly: 0.25 } },
  ],
};
const ackRates: Rates = {
  kind: "rates",
  name: "ack-rates",
  source: "schedules/rates.yaml",
  currency: "CNY",
  teamTag: "team",
  targets: [{ providers: ["alibaba"] }],
  cluster: 1.5,
  pools: [],
};

const interval = (
  start: string,
  end: string | undefined,
  pools: TargetSleeps["intervals"][number]["pools"] = [],
) => ({
  start: new Date(start),
  ...(end ? { end: new Date(end) } : {}),
  operationId: `sleep@${start}`,
  pools,
});

const fleet: TargetSleeps[] = [
  {
    // Per-pool rates: 0.5 (cluster) + 3 × 2 (gpu-a) + 0.25 (np-sys) = 6.75 an hour; "misc" unpriced.
    target: target("hw/a", { team: "payments" }),
    intervals: [
      // 20:00 on 31 January to 08:00 on 1 February in Shanghai: 4 hours in January, 8 in February.
      interval("2026-01-31T12:00:00Z", "2026-02-01T00:00:00Z", [
        { id: "np-1", name: "gpu-a", nodes: 3 },
        { id: "np-sys", name: "system", nodes: 1 },
        { id: "np-9", name: "misc", nodes: 4 },
      ]),
    ],
  },
  {
    // Only a cluster rate (1.5 an hour), pools or not; still asleep at `now`.
    target: target("ack/b", { team: "search" }, "alibaba"),
    intervals: [interval("2026-02-01T13:00:00Z", undefined, [{ id: "np-2", name: "workers", nodes: 5 }])],
  },
  { target: target("hw/d", {}), intervals: [interval("2026-02-10T02:00:00Z", "2026-02-10T03:00:00Z")] },
];
const unrated: TargetSleeps = {
  target: target("bd/c", { team: "payments" }, "baidu"),
  intervals: [interval("2026-02-05T00:00:00Z", "2026-02-05T02:00:00Z")],
};

const period = {
  from: new Date("2025-12-31T16:00:00Z"), // 2026-01-01 00:00 in Shanghai
  to: new Date("2026-02-28T16:00:00Z"), // 2026-03-01 00:00
  now: new Date("2026-02-02T01:30:00Z"), // 2026-02-02 09:30
  timezone: "Asia/Shanghai",
};

describe("estimateSavings", () => {
  const estimate = estimateSavings({
    targets: [...fleet, unrated],
    rates: [devRates, ackRates],
    ...period,
    now: new Date("2026-02-20T00:00:00Z"),
  });

  it("prices a cluster by its pools and one by its cluster rate, split at the month boundary", () => {
    const [b, a, d] = estimate.targets;
    expect(a).toEqual({
      target: "hw/a",
      team: "payments",
      rates: "dev-rates",
      unpricedPools: ["misc"],
      hours: 12,
      amount: 81,
      days: [
        { date: "2026-01-31", hours: 4, amount: 27 },
        { date: "2026-02-01", hours: 8, amount: 54 },
      ],
      months: [
        { month: "2026-01", hours: 4, amount: 27 },
        { month: "2026-02", hours: 8, amount: 54 },
      ],
    });
    expect(b).toMatchObject({ target: "ack/b", team: "search", rates: "ack-rates", unpricedPools: [] });
    expect(d).toMatchObject({ target: "hw/d", rates: "dev-rates", hours: 1, amount: 0.5 });
    expect(d!.team).toBeUndefined();
    expect(estimate.currency).toBe("CNY");
    expect(estimate.unrated).toEqual([{ target: "bd/c", hours: 2 }]);
  });

  it("counts an ongoing sleep up to now", () => {
    const atNow = estimateSavings({ targets: fleet, rates: [devRates, ackRates], ...period });
    const b = atNow.targets.find((t) => t.target === "ack/b")!;
    // 21:00 on 1 February to 09:30 on the 2nd: 3 + 9.5 hours at 1.5.
    expect(b.days).toEqual([
      { date: "2026-02-01", hours: 3, amount: 4.5 },
      { date: "2026-02-02", hours: 9.5, amount: 14.25 },
    ]);
    expect(atNow.teams).toEqual([
      {
        team: "payments",
        targets: 1,
        hours: 12,
        amount: 81,
        days: [
          { date: "2026-01-31", hours: 4, amount: 27 },
          { date: "2026-02-01", hours: 8, amount: 54 },
        ],
        months: [
          { month: "2026-01", hours: 4, amount: 27 },
          { month: "2026-02", hours: 8, amount: 54 },
        ],
      },
      {
        team: "search",
        targets: 1,
        hours: 12.5,
        amount: 18.75,
        days: [
          { date: "2026-02-01", hours: 3, amount: 4.5 },
          { date: "2026-02-02", hours: 9.5, amount: 14.25 },
        ],
        months: [{ month: "2026-02", hours: 12.5, amount: 18.75 }],
      },
    ]);
    // hw/d sleeps on the 10th, after now: nothing yet.
    expect(atNow.targets.map((t) => t.target)).toEqual(["ack/b", "hw/a"]);
    expect(atNow).toMatchObject({ hours: 24.5, amount: 99.75 });
    expect(atNow.months).toEqual([
      { month: "2026-01", hours: 4, amount: 27 },
      { month: "2026-02", hours: 20.5, amount: 72.75 },
    ]);
  });

  it("totals by team, the untagged last, and over the fleet", () => {
    expect(estimate.teams.map((t) => [t.team, t.targets, t.hours, t.amount])).toEqual([
      ["payments", 1, 12, 81],
      // 21:00 on 1 February to the period's now (08:00 on the 20th): 443 hours at 1.5.
      ["search", 1, 443, 664.5],
      [undefined, 1, 1, 0.5],
    ]);
    expect(estimate).toMatchObject({ hours: 456, amount: 746 });
  });

  it("splits days and months at each target's own midnight", () => {
    const berlin = estimateSavings({
      targets: [{ ...fleet[0]!, timezone: "Europe/Berlin" }],
      rates: [devRates],
      ...period,
    });
    // 13:00 on 31 January to 01:00 on 1 February in Berlin.
    expect(berlin.days).toEqual([
      { date: "2026-01-31", hours: 11, amount: 74.25 },
      { date: "2026-02-01", hours: 1, amount: 6.75 },
    ]);
  });

  it("counts only the hours within the period", () => {
    const february = estimateSavings({
      targets: fleet.slice(0, 1),
      rates: [devRates],
      ...period,
      from: new Date("2026-01-31T16:00:00Z"),
    });
    expect(february.targets[0]!.days).toEqual([{ date: "2026-02-01", hours: 8, amount: 54 }]);
    expect(february.months).toEqual([{ month: "2026-02", hours: 8, amount: 54 }]);
  });

  it("refuses rates in two currencies and a period that ends before it starts", () => {
    const euro = { ...ackRates, name: "eu-rates", currency: "EUR" };
    expect(() => estimateSavings({ targets: fleet, rates: [devRates, euro], ...period })).toThrow(
      SavingsError,
    );
    expect(() => estimateSavings({ targets: fleet, rates: [devRates, euro], ...period })).toThrow(
      "rates eu-rates (schedules/rates.yaml) is in EUR but rates dev-rates (schedules/rates.yaml) in CNY; every rates document must use the same currency (nightshift converts none)",
    );
    expect(() =>
      estimateSavings({ targets: fleet, rates: [devRates], ...period, to: new Date("2025-01-01T00:00:00Z") }),
    ).toThrow(/to \(2025-01-01T00:00:00.000Z\) must not be before from/);
  });

  it("estimates nothing, in no currency, without rates", () => {
    const none = estimateSavings({ targets: fleet, rates: [], ...period });
    expect(none.currency).toBeUndefined();
    expect(none.targets).toEqual([]);
    expect(none.unrated.map((u) => u.target)).toEqual(["ack/b", "hw/a"]);
  });
});
