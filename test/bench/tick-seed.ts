// The operations `npm run bench` seeds a store with to measure a tick's listing (tick-store.ts),
// on Node and inside workerd alike: runtime-neutral.
import type { NewOperation, Store } from "../../shared/store/store.ts";

export const NOW = new Date("2026-11-22T20:00:00Z");
const SEED_CONCURRENCY = 16;

/** Operation `i` of a seeded store: unfinished ones waiting on a cloud job, finished ones succeeded. */
export function seedOperation(i: number, finished: boolean): NewOperation {
  return {
    id: `${finished ? "done" : "live"}:${String(i).padStart(6, "0")}`,
    target: `acc${i % 10}/cluster-${i % 1000}`,
    kind: i % 2 === 0 ? "sleep" : "wake",
    step: finished ? "done" : "await-hibernation",
    data: { account: `acc${i % 10}`, jobId: `job-${i}`, pools: { p1: { desired: 3 } } },
    status: finished ? "succeeded" : "waiting",
    nextAttemptAt: finished ? undefined : new Date(NOW.getTime() + (i % 120) * 1000).toISOString(),
  };
}

/** Creates operations `from`..`to` (exclusive) through the store, a few at a time. */
export async function seed(store: Store, from: number, to: number, finished: boolean): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: SEED_CONCURRENCY }, async () => {
      while (next < to) {
        const i = next++;
        // Created over the last 30 days, so the finished ones are still kept at NOW.
        const createdAt = new Date(NOW.getTime() - 30 * 86_400_000 + (i + 1) * 1000);
        await store.operations.create(seedOperation(i, finished), { now: finished ? createdAt : NOW });
      }
    }),
  );
}
