// The Workers night bench (cron dispatch + queue consumers on the virtual clock) on a small fleet,
// so it cannot rot between `npm run bench` runs: every operation succeeds, no message is
// dead-lettered, no invocation passes the documented subrequest limit, and the measured time
// never beats the lower bound. Times are simulated and the fleet seeded: the figures are exact.
import { describe, expect, it } from "vitest";
import { WORKERS_SUBREQUEST_LIMIT } from "../../shared/jobs/budget.ts";
import { benchNight } from "./night.ts";

describe("benchNight the Worker's way on 40 clusters over 4 accounts", () => {
  it("sleeps and wakes every cluster through the queue, within the budget and twice the lower bound", async () => {
    const result = await benchNight({
      clusters: 40,
      accounts: 4,
      ratePerSecond: 2,
      wake: true,
      host: "workers",
    });
    expect(result).toMatchObject({ clusters: 40, accounts: 4, failed: 0 });
    for (const phase of [result.sleep, result.wake!]) {
      expect(phase.ratio).toBeGreaterThanOrEqual(1);
      expect(phase.ratio).toBeLessThanOrEqual(2);
    }
    const workers = result.workers!;
    expect(workers.invocations).toBeGreaterThan(0);
    expect(workers.deadLettered).toBe(0);
    expect(workers.maxConsumerSubrequests).toBeLessThanOrEqual(WORKERS_SUBREQUEST_LIMIT);
    expect(workers.maxCronSubrequests).toBeLessThanOrEqual(WORKERS_SUBREQUEST_LIMIT);
    expect(workers.maxCronListingSubrequests).toBeGreaterThan(0);
    expect(workers.messages).toBeGreaterThan(80);
    expect(workers.storeQueriesPerStep).toBeGreaterThan(1);
  }, 120_000);
});
