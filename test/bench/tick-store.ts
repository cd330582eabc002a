// What a tick costs the store as history grows: the listing runDueOperations starts with,
// `store.operations.list({ status: ACTIVE })`, over a store holding `active` unfinished operations,
// first with no finished ones, then with `finished` more (1,000 clusters x 2 a night x 30 days
// = 60,000). Store reads and rows are counted by a decorator on the backend, D1 queries by one on
// the binding; the goal is the same cost, within 10%, at 0 and at 60,000. For contrast, the same
// listing through the whole namespace (the path every tick took before the "active" index).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StoreBackend } from "../../shared/store/backend.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { redisBackend } from "../../shared/store/redis.node.ts";
import { sqliteBackend } from "../../shared/store/sqlite.node.ts";
import { ACTIVE, createStore, type Store } from "../../shared/store/store.ts";
import { type BackendCounts, countingBackend } from "../contract/store/counting-backend.ts";
import { isInstalled, redisSkipped, startRedisServer } from "../setup/servers.ts";
import { figureList, type SectionFigures } from "./record.ts";
import { formatNumber } from "./report.ts";
import { NOW, seed } from "./tick-seed.ts";
import { startBindingsWorker } from "./workerd.ts";

export interface ListingCost extends BackendCounts {
  /** Median ms per listing. */
  ms: number;
  /** Operations the listing returned. */
  listed: number;
  /** D1 only: queries sent to D1 per listing. */
  queries?: number;
}

export interface TickStoreFigures {
  backend: string;
  active: number;
  finished: number;
  /** The indexed listing with no finished operations stored. */
  empty: ListingCost;
  /** The indexed listing with `finished` finished operations stored. */
  full: ListingCost;
  /** The same listing through the whole namespace, with `finished` stored: the old path. */
  wholeNamespace: ListingCost;
}

const WARM_UP = 3;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** One listing through a counted store: its time, its counts, how many unfinished it returned. */
async function listOnce(
  counted: ReturnType<typeof countingBackend>,
  store: Store,
  filter: Parameters<Store["operations"]["list"]>[0],
): Promise<ListingCost> {
  counted.reset();
  const started = performance.now();
  const listed = (await store.operations.list(filter, NOW)).filter((op) => ACTIVE.includes(op.status)).length;
  const ms = performance.now() - started;
  return { ...counted.counts, ms, listed };
}

/**
 * Runs `once` for each side in alternating rounds (drift on a shared machine then hits both
 * alike), returning each side's median time with its last round's counts.
 */
export async function alternate<T extends string>(
  sides: Record<T, () => Promise<ListingCost>>,
  rounds: number,
): Promise<Record<T, ListingCost>> {
  const names = Object.keys(sides) as T[];
  const runs = Object.fromEntries(names.map((n) => [n, [] as ListingCost[]])) as Record<T, ListingCost[]>;
  for (let round = 0; round < WARM_UP + rounds; round++) {
    for (const name of names) {
      const run = await sides[name]();
      if (round >= WARM_UP) runs[name].push(run);
    }
  }
  return Object.fromEntries(
    names.map((n) => [n, { ...runs[n].at(-1)!, ms: median(runs[n].map((r) => r.ms)) }]),
  ) as Record<T, ListingCost>;
}

async function measure(
  make: () => Promise<StoreBackend>,
  o: { active: number; finished: number; rounds: number },
): Promise<TickStoreFigures> {
  // Two stores, one without and one with the finished history, each its own database.
  const empty = countingBackend(await make());
  const full = countingBackend(await make());
  const emptyStore = createStore(empty.backend);
  const fullStore = createStore(full.backend);
  try {
    await seed(emptyStore, 0, o.active, false);
    await seed(fullStore, 0, o.active, false);
    await seed(fullStore, 0, o.finished, true);
    const listings = await alternate(
      {
        empty: () => listOnce(empty, emptyStore, { status: ACTIVE }),
        full: () => listOnce(full, fullStore, { status: ACTIVE }),
      },
      o.rounds,
    );
    const { wholeNamespace } = await alternate(
      { wholeNamespace: () => listOnce(full, fullStore, {}) },
      Math.max(3, Math.ceil(o.rounds / 5)),
    );
    return {
      backend: empty.backend.kind,
      active: o.active,
      finished: o.finished,
      ...listings,
      wholeNamespace,
    };
  } finally {
    await emptyStore.close();
    await fullStore.close();
  }
}

async function startD1Worker() {
  const worker = await startBindingsWorker(new URL("./tick-store.worker.ts", import.meta.url));
  const call = async (path: string) => {
    const response = await worker.fetch(`http://bench${path}`);
    if (!response.ok)
      throw new Error(`tick-store worker ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    // In slices, so no single request runs for minutes.
    async seed(count: number, finished: boolean) {
      for (let from = 0; from < count; from += 5000)
        await call(`/seed?from=${from}&to=${Math.min(count, from + 5000)}&finished=${finished}`);
    },
    // Timed here, around the request: workerd hides CPU time from its own clocks. The time
    // includes one local HTTP round trip, the same for both sides.
    async list(filter: "active" | "all"): Promise<ListingCost> {
      const started = performance.now();
      const counts = (await call(`/list?filter=${filter}`)) as Omit<ListingCost, "ms">;
      return { ...counts, ms: performance.now() - started };
    },
    dispose: () => worker.dispose(),
  };
}

async function d1Figures(o: { active: number; finished: number; rounds: number }): Promise<TickStoreFigures> {
  // Two workerd instances, each with its own local D1.
  const empty = await startD1Worker();
  const full = await startD1Worker();
  try {
    await empty.seed(o.active, false);
    await full.seed(o.active, false);
    await full.seed(o.finished, true);
    const listings = await alternate(
      { empty: () => empty.list("active"), full: () => full.list("active") },
      o.rounds,
    );
    const { wholeNamespace } = await alternate(
      { wholeNamespace: () => full.list("all") },
      Math.max(3, Math.ceil(o.rounds / 5)),
    );
    return {
      backend: "d1 (workerd, local)",
      active: o.active,
      finished: o.finished,
      ...listings,
      wholeNamespace,
    };
  } finally {
    await empty.dispose();
    await full.dispose();
  }
}

/** Figures per backend, and the sections skipped because a server they need is not installed. */
export async function benchTickStore(o: {
  active: number;
  finished: number;
  rounds: number;
}): Promise<{ figures: TickStoreFigures[]; skipped: string[] }> {
  // On tmpfs where there is one: the figures are about reading, not about fsync while seeding.
  const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "nightshift-tick-"));
  const skipped: string[] = [];
  try {
    let files = 0;
    const figures = [
      await measure(async () => memoryBackend(), o),
      await measure(() => sqliteBackend(join(dir, `state-${++files}.db`)), o),
    ];
    if (isInstalled("redis-server")) {
      // A server per store, so the empty one shares no memory with the full one's history.
      const servers: Awaited<ReturnType<typeof startRedisServer>>[] = [];
      try {
        figures.push(
          await measure(async () => {
            const server = await startRedisServer();
            servers.push(server);
            return redisBackend({ url: server.url, prefix: "bench-tick:" });
          }, o),
        );
      } finally {
        for (const server of servers) await server.stop();
      }
    } else skipped.push(redisSkipped());
    figures.push(await d1Figures(o));
    return { figures, skipped };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `npm run bench` section: per backend, the listing at 0 finished, at `finished`, and through the whole namespace. */
export async function tickStoreSection(finished: number): Promise<SectionFigures> {
  const active = 1000;
  const f = figureList("tick-store");
  const tick = await benchTickStore({ active, finished, rounds: 30 });
  const atFinished = `at ${formatNumber(finished)}`;
  for (const r of tick.figures) {
    const add = (when: string, c: ListingCost, ratio?: number) => {
      const row = `${r.backend}, ${when}`;
      const counted = { better: "lower", exact: true } as const;
      f.add(row, "reads", c.reads, "count", counted);
      f.add(row, "rows", c.rows, "count", counted);
      if (c.queries !== undefined) f.add(row, "D1 queries", c.queries, "count", counted);
      f.add(row, "median", c.ms, "ms", { better: "lower" });
      if (ratio !== undefined)
        f.add(row, "ratio to 0", ratio, "x", { better: "lower", goal: { op: "<=", value: 1.1 } });
    };
    add("at 0", r.empty);
    add(atFinished, r.full, r.full.ms / r.empty.ms);
    add("whole namespace", r.wholeNamespace);
  }
  return {
    title:
      `Store part of a tick: listing the ${formatNumber(active)} unfinished operations (store.operations.list, status ` +
      `pending/running/waiting), with 0 and with ${formatNumber(finished)} finished operations kept`,
    figures: f.figures,
    notes: [
      ...tick.skipped,
      "reads and rows counted on the backend port, D1 queries on the binding; median ms of 30 listings",
      `goal: the same reads and rows, and within 10% (ratio 1.10x or less), at 0 and ${atFinished}; "whole namespace" is ` +
        `the same listing at ${formatNumber(finished)} as every tick did it before the active index`,
    ],
  };
}
