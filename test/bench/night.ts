// Bench: one scheduled night for a large Huawei fleet, driven tick by tick through `runTick`
// against an in-process sandbox, measuring how close the sleep phase comes to what the clouds
// allow.
//
// TIME MODEL (virtual time). The sandbox clock stands still (speed 0) and moves only here. The
// ticker fires every TICK_SECONDS of simulated time; a tick does not overlap the previous one (the
// next starts at the first tick boundary after it ended). Inside a tick, time passes only while
// requests wait for their rate slot: the HTTP client's per-account limiter (`ratePerSecond`, burst
// 1) reads the simulated clock and sleeps on a virtual timer. When every request in progress is
// parked on such a timer (no fetch in flight, no event-loop activity), the clock jumps to the
// earliest timer — just as real time would pass while a real tick waits on its rate limits.
// HTTP exchanges themselves take no simulated time. The sandbox's throttle is configured with the
// same rate and counts against the simulated clock (its `realNow` is the simulated time), so a
// request over the budget is answered 429 exactly as the gateway would; `throttled` counts those
// (expected 0: the client paces itself).
//
// The fleet: `clusters` Huawei clusters over `accounts` accounts (one project each), 1-2 pools of
// 1-3 nodes, seeded deterministically. One schedule (mode full) selects all: asleep at T, awake at
// T+8h (the wake phase is driven only when asked: `wake: true`). The inventory is cached for 5
// simulated minutes and listed again in the background, as the Node host does. Ticks read the
// simulated clock as they go (`clock`), so operations chain their steps within a tick.
//
// LOWER BOUND of a phase = max(
//   duration: the slowest cluster's fixed cloud work. Sleep: pools down (NODE_DELETE_SECONDS + one
//     NODE_STAGGER_SECONDS per further node of its largest pool), then HIBERNATE_SECONDS. Wake:
//     AWAKE_SECONDS, then pools up (NODE_CREATE_SECONDS + the same stagger). A cluster's work
//     starts only once its account has sent the requests it cannot do without (STARTING_REQUESTS:
//     a sleep reads its pools and PUTs its largest one back whole, as CCE's full-spec PUT demands;
//     a wake POSTs awake), one after the other at the account's rate: with its clusters taken
//     longest first, the j-th starts no earlier than (j * requests - 1) / rate;
//   rate: the most loaded account's requests in the phase (from the sandbox request log, so the
//     calls this implementation makes, polls and inventory included) / ratePerSecond).
// ratio = measured / lower bound (never below 1 if the bound is right); measured runs from the
// phase's time (T, T+8h) to the end of the tick that saw its last operation succeed. The ORIGINAL
// bound (originalRatio) leaves out the starting requests: every cluster's work starts at the
// phase's time, as if its account could send all of them at once.
import { cronTickDeps } from "../../functions/cron.ts";
import { JOBS } from "../../functions/jobs.ts";
import { runTick, TICK_STEPPING_SHARE, type TickDeps } from "../../functions/tick.ts";
import { createHttpClient, type Fetch, type HttpClient } from "../../shared/http/client.ts";
import { type RateSchedule, rateSchedule } from "../../shared/http/limiter.ts";
import {
  countingBackend,
  countingFetch,
  type SubrequestBudget,
  subrequestBudget,
  WORKERS_SUBREQUEST_LIMIT,
} from "../../shared/jobs/budget.ts";
import { CONSUMER_CONCURRENCY, consumeOperations } from "../../shared/jobs/dispatch.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { cachedInventory, listInventory } from "../../shared/providers/inventory.ts";
import { createProvider } from "../../shared/providers/registry.ts";
import { sandboxAccounts } from "../../shared/sandbox/accounts.ts";
import { seededRandom } from "../../shared/sandbox/clock.ts";
import type { CloudName } from "../../shared/sandbox/cloud.ts";
import type { FleetSpec } from "../../shared/sandbox/huawei/fleet.ts";
import {
  AWAKE_SECONDS,
  HIBERNATE_SECONDS,
  NODE_CREATE_SECONDS,
  NODE_DELETE_SECONDS,
  NODE_STAGGER_SECONDS,
} from "../../shared/sandbox/huawei/machine.ts";
import { startSandbox } from "../../shared/sandbox/server.node.ts";
import type { Schedule } from "../../shared/schedule/types.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore, type Operation, type Store } from "../../shared/store/store.ts";
import { SimulatedQueue, WRANGLER_CONSUMER } from "../contract/queue-model.ts";
import { testSchedule } from "../fixtures/schedule.ts";

const TICK_SECONDS = 10;
const INVENTORY_MAX_AGE_MS = 5 * 60 * 1000;
/** Monday 20:00 in Shanghai: the sleep. The wake is 8 h later. */
const SLEEP_AT = Date.parse("2026-03-02T12:00:00Z");
const WAKE_AT = SLEEP_AT + 8 * 3600 * 1000;
/** The first tick comes this early, so the inventory is listed before the night starts. */
const LEAD_MS = 60 * 1000;
/**
 * The Worker's cron lists the fleet's node pools a part per minute within its budget
 * (shared/providers/spread-inventory.ts: about 290 clusters a minute): it starts this early, so a
 * fleet of a few thousand clusters is listed before the night.
 */
const WORKERS_LEAD_MS = 15 * 60 * 1000;
/** A phase taking longer than this (simulated) means something is stuck: stop with an error. */
const PHASE_LIMIT_MS = 3 * 3600 * 1000;
const ACTIVE = ["pending", "running", "waiting"] as const;

export interface PhaseResult {
  /** From the phase's time (T, or T+8h) to the end of the tick that saw its last operation succeed. */
  simulatedMinutes: number;
  lowerBoundMinutes: number;
  ratio: number;
  /**
   * The same against the original bound: every cluster's fixed work starting at the phase's time
   * (no starting requests), or the rate term when larger.
   */
  originalBoundMinutes: number;
  originalRatio: number;
  /** Which term of the lower bound was larger. */
  boundBy: "duration" | "rate";
  apiCallsPerCluster: number;
  /** With `trace`: the slowest clusters' requests (see `trace` in benchNight). */
  trace?: string[];
}

export interface NightBenchResult {
  clusters: number;
  accounts: number;
  sleep: PhaseResult;
  /** With `wake`: the morning's phase, measured the same way. */
  wake?: PhaseResult;
  realSeconds: number;
  /** Requests the sandbox answered 429 (the client's pacing should keep this at 0). */
  throttled: number;
  /** Sleep and wake operations that did not succeed (expected 0). */
  failed: number;
  /** With `host: "workers"`: what the Worker's invocations did. */
  workers?: WorkersFigures;
}

export interface WorkersFigures {
  /** Queue consumer invocations, and the most subrequests one of them made (all kinds). */
  invocations: number;
  maxConsumerSubrequests: number;
  /** The most subrequests one cron invocation made (list the fleet, decide, create, dispatch). */
  maxCronSubrequests: number;
  /** Of which: the most store queries and queue sends (one per 100 decisions)... */
  maxCronStoreSubrequests: number;
  /** ...and the most fetches and rate bookings of the fleet's listing (within LISTING_ALLOWANCE). */
  maxCronListingSubrequests: number;
  /** Store (D1) queries the consumers made per step they ran. */
  storeQueriesPerStep: number;
  /** Messages sent, and those that reached the dead-letter queue (expected 0). */
  messages: number;
  deadLettered: number;
}

interface Seeded {
  fleet: FleetSpec;
  /** Each account's clusters' fixed work in seconds, per phase. */
  workSeconds: { sleep: number[][]; wake: number[][] };
}

/** Requests each cluster's account must send before its fixed work can start, per phase. */
const STARTING_REQUESTS = { sleep: 2, wake: 1 } as const;

/** The earliest the slowest cluster can finish: its work, after its account's starting requests. */
function durationBoundSeconds(perAccount: number[][], requests: number, ratePerSecond: number): number {
  let bound = 0;
  for (const work of perAccount) {
    const longestFirst = [...work].sort((a, b) => b - a);
    longestFirst.forEach((seconds, j) => {
      bound = Math.max(bound, ((j + 1) * requests - 1) / ratePerSecond + seconds);
    });
  }
  return bound;
}

function seedFleet(clusters: number, accounts: number, random: () => number): Seeded {
  const pick = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const hex = () => Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("");
  const accountSpecs = Array.from({ length: accounts }, (_, i) => ({
    name: `bench-${String(i).padStart(3, "0")}`,
    accessKeyId: `BENCHAK${String(i).padStart(6, "0")}`,
    secretAccessKey: `bench-secret-${i}-${hex()}`,
    projects: [{ region: "cn-north-4", projectId: hex() }],
  }));
  const workSeconds = {
    sleep: accountSpecs.map((): number[] => []),
    wake: accountSpecs.map((): number[] => []),
  };
  const clusterSpecs = Array.from({ length: clusters }, (_, i) => {
    const pools = Array.from({ length: pick(1, 2) }, (_, j) => ({
      name: `pool-${j}`,
      size: pick(1, 3),
    }));
    const largest = Math.max(...pools.map((p) => p.size));
    const stagger = (largest - 1) * NODE_STAGGER_SECONDS;
    workSeconds.sleep[i % accounts]!.push(NODE_DELETE_SECONDS + stagger + HIBERNATE_SECONDS);
    workSeconds.wake[i % accounts]!.push(AWAKE_SECONDS + NODE_CREATE_SECONDS + stagger);
    return {
      projectId: accountSpecs[i % accounts]!.projects[0]!.projectId,
      name: `night-${String(i).padStart(5, "0")}`,
      tags: { bench: "night" },
      nodePools: pools,
    };
  });
  return { fleet: { accounts: accountSpecs, clusters: clusterSpecs }, workSeconds };
}

function schedule(): Schedule {
  return testSchedule({
    name: "bench-night",
    targets: [{ providers: ["huawei"], tags: { bench: "night" } }],
    rules: [
      { to: "asleep", days: ["mon"], at: "20:00" },
      { to: "awake", days: ["tue"], at: "04:00" },
    ],
  });
}

/** Simulated time that moves only when told, and timers on it. */
function virtualTime(start: number, onAdvance: (ms: number) => void) {
  let now = start;
  // `http`: a request parked on its rate slot; else a timer of the queue model (bench of the Worker).
  const timers: Array<{ at: number; fire: () => void; http: boolean }> = [];
  const httpTimers = () => timers.reduce((n, t) => n + (t.http ? 1 : 0), 0);
  let activity = 0;
  let fetching = 0;
  let sending = 0;
  return {
    now: () => now,
    touch: () => void activity++,
    get activity() {
      return activity;
    },
    /** Moves the clock forward to `at` (never back), firing the timers due by then. */
    advanceTo(at: number) {
      const target = Math.ceil(at);
      if (target > now) {
        onAdvance(target - now);
        now = target;
      }
      const due = timers.filter((t) => t.at <= now);
      for (const t of due) timers.splice(timers.indexOf(t), 1);
      for (const t of due) t.fire();
    },
    sleep(ms: number): Promise<void> {
      activity++;
      if (!(ms > 0)) return Promise.resolve();
      return new Promise((resolve) => timers.push({ at: now + ms, fire: resolve, http: true }));
    },
    /** A timer of the model (the cron's next minute, a delayed message): time may pass while it waits. */
    wait(ms: number): Promise<void> {
      activity++;
      return new Promise((resolve) => timers.push({ at: now + Math.max(0, ms), fire: resolve, http: false }));
    },
    get nextTimer(): number | undefined {
      return timers.length === 0 ? undefined : Math.min(...timers.map((t) => t.at));
    },
    get parked() {
      return timers.length;
    },
    fetchStarted: () => {
      activity++;
      fetching++;
    },
    fetchEnded: () => {
      activity++;
      fetching--;
    },
    sendStarted: () => {
      activity++;
      sending++;
    },
    sendEnded: () => {
      activity++;
      sending--;
    },
    describe: () =>
      `${fetching} fetches in flight, ${sending} requests sending, ${timers.length} parked on timers`,
    /** Nothing in progress but requests parked on timers (and the model's timers). */
    get idle() {
      return fetching === 0 && timers.length > 0 && sending === httpTimers();
    },
    /** Nothing in progress at all, parked requests aside (none may be). */
    get still() {
      return fetching === 0 && sending === httpTimers();
    },
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Rounds of event-loop turns with no activity and no way to advance time before giving up. */
const STALL_TURNS = 100_000;

/** Runs `work`, letting simulated time pass whenever everything is waiting on it. */
async function withVirtualTime<T>(time: ReturnType<typeof virtualTime>, work: Promise<T>): Promise<T> {
  let settled = false;
  const watched = work.finally(() => {
    settled = true;
  });
  watched.catch(() => {});
  let quiet = 0;
  while (!settled) {
    const seen = time.activity;
    // A few event-loop turns with no activity: crypto and I/O callbacks have had their chance.
    await turn();
    await turn();
    await turn();
    if (settled) break;
    if (time.activity !== seen) {
      quiet = 0;
      continue;
    }
    if (!time.idle) {
      // Nothing moves, yet something waits where this driver cannot see (not a timer, not a fetch).
      if (++quiet > STALL_TURNS) throw new Error(`benchNight: stalled (${time.describe()})`);
      continue;
    }
    time.advanceTo(time.nextTimer!);
  }
  return watched;
}

/**
 * Moves the clock to `until` between ticks, one timer at a time, letting each request it releases
 * go out before the next: requests still running from the last tick (the inventory listed in the
 * background) then leave at their own rate slots, not all at once at `until`.
 */
async function passTime(time: ReturnType<typeof virtualTime>, until: number): Promise<void> {
  for (;;) {
    const next = time.nextTimer;
    if (next === undefined || next > until) break;
    time.advanceTo(next);
    let quiet = 0;
    for (;;) {
      const seen = time.activity;
      await turn();
      await turn();
      await turn();
      if (time.activity !== seen) quiet = 0;
      else if (time.still) break;
      else if (++quiet > STALL_TURNS) throw new Error(`benchNight: stalled (${time.describe()})`);
    }
  }
  time.advanceTo(until);
}

export async function benchNight(options: {
  clusters: number;
  accounts: number;
  ratePerSecond: number;
  /** Also drive the wake at T+8h until every wake finished (doubles the real time). Default false. */
  wake?: boolean;
  /**
   * "node" (default): the Node host's ticker, every 10 s, advancing everything due in the tick.
   * "workers": the Worker's way: the cron every 60 s decides and dispatches to the queue; consumer
   * invocations (wrangler.toml's batch size, batch timeout and concurrency; messages delayed until
   * each wait's end) advance the operations, each with its own subrequest budget and its own HTTP
   * client, over one shared store; every client books its requests' slots in one bucket per
   * account (the Durable Object), each booking a subrequest.
   */
  host?: "node" | "workers";
  /** The slowest clusters' timelines to keep per phase (PhaseResult.trace). Default 0. */
  trace?: number;
}): Promise<NightBenchResult> {
  const { clusters, accounts, ratePerSecond } = options;
  if (!(Number.isInteger(clusters) && clusters >= 1))
    throw new Error(`benchNight: clusters must be an integer >= 1, got ${clusters}`);
  if (!(Number.isInteger(accounts) && accounts >= 1 && accounts <= clusters))
    throw new Error(`benchNight: accounts must be an integer in [1, clusters], got ${accounts}`);
  if (!(ratePerSecond > 0 && Number.isFinite(ratePerSecond)))
    throw new Error(`benchNight: ratePerSecond must be a positive number, got ${ratePerSecond}`);
  const realStart = performance.now();

  let clockOf: ((ms: number) => void) | undefined;
  const lead = options.host === "workers" ? WORKERS_LEAD_MS : LEAD_MS;
  const time = virtualTime(SLEEP_AT - lead, (ms) => clockOf?.(ms));
  const running = await startSandbox({
    speed: 0,
    seed: 5,
    start: new Date(time.now()),
    realNow: () => time.now(),
  });
  clockOf = (ms) => running.sandbox.clock.advance(ms);
  try {
    const endpoint = running.sandbox.urlOf("huawei");
    const seeded = seedFleet(clusters, accounts, seededRandom(clusters * 7919 + accounts));
    await inspect(endpoint, "POST", "seed", seeded.fleet);
    await inspect(endpoint, "PUT", "throttle", { ratePerSecond });

    const benchFetch: Fetch = async (input, init) => {
      time.fetchStarted();
      try {
        const response = await globalThis.fetch(input, init);
        // Read fully inside the count, so "no fetch in flight" means no I/O pending.
        const body = await response.arrayBuffer();
        return new Response(body.byteLength > 0 ? body : null, {
          status: response.status,
          headers: response.headers,
        });
      } finally {
        time.fetchEnded();
      }
    };
    const random = seededRandom(17);
    // The Worker's shared rate limit (functions/account-rate.workers.ts): one bucket per account for
    // every invocation, each booking a subrequest of the invocation that makes it.
    const buckets = new Map<string, RateSchedule>();
    const sharedRate = (budget: SubrequestBudget | undefined) => async (account: string) => {
      budget?.spend("rate limiter");
      const bucket = buckets.get(account) ?? rateSchedule(ratePerSecond, 1);
      buckets.set(account, bucket);
      return bucket.reserve(time.now());
    };
    const httpOver = (fetch: Fetch, budget?: () => SubrequestBudget | undefined): HttpClient => {
      const base = createHttpClient({
        fetch,
        ratePerSecond,
        burst: 1,
        ...(budget ? { sharedRate: (account: string) => sharedRate(budget())(account) } : {}),
        // HTTP takes no simulated time here, so a cap on requests in flight would only queue them
        // where the time driver cannot see it (parked neither on a timer nor in a fetch).
        concurrency: Number.POSITIVE_INFINITY,
        now: () => new Date(time.now()),
        sleep: (ms) => time.sleep(ms),
        random,
      });
      return {
        async send(request, send) {
          time.sendStarted();
          try {
            return await base.send(request, send);
          } finally {
            time.sendEnded();
          }
        },
      };
    };
    // The Worker's cron lists the inventory through this client: its fetches count to the tick.
    let cronBudget: SubrequestBudget | undefined;
    const workers = options.host === "workers";
    const http = httpOver(
      (input, init) => {
        cronBudget?.spend("fetch");
        return benchFetch(input, init);
      },
      workers ? () => cronBudget : undefined,
    );
    const huaweiAccounts = sandboxAccounts({
      huawei: { endpoint, accounts: running.sandbox.clouds.huawei.accounts() },
    } as unknown as Record<CloudName, Record<string, unknown>>);
    const providersOver = (client: HttpClient) =>
      new Map(
        huaweiAccounts.map((a) => [
          a.id,
          createProvider(a, {
            http: client,
            now: () => new Date(time.now()),
            nonce: () => crypto.randomUUID(),
          }),
        ]),
      );
    const providers = providersOver(http);
    const inventory = cachedInventory(() => listInventory([...providers.values()]), {
      maxAgeMs: INVENTORY_MAX_AGE_MS,
      now: () => new Date(time.now()),
      // A Worker invocation may be cut off before a background listing ends: it lists in the tick.
      refreshInBackground: !workers,
    });
    const backend = memoryBackend();
    const store = createStore(backend);
    const deps: TickDeps = {
      store,
      log: createLogger({ level: "error", write: () => {}, now: () => new Date(time.now()) }),
      schedules: [schedule()],
      calendars: new Map(),
      inventory: () => inventory.get(),
      providerFor: (account) => providers.get(account),
      holder: "bench:night",
      clock: () => new Date(time.now()),
      operationLimit: clusters,
    };

    // Requests per account key and 429s, read from the sandbox log as the night goes.
    const log = running.sandbox.log;
    let seenSeq = 0;
    let throttled = 0;
    const requests: Array<{ at: number; key: string; method: string; path: string }> = [];
    const drainLog = () => {
      for (const entry of log.since(seenSeq, "huawei")) {
        seenSeq = entry.seq;
        if (entry.status === 429) throttled++;
        requests.push({
          at: Date.parse(entry.time),
          key: entry.accessKeyId ?? "",
          method: entry.method,
          path: entry.path,
        });
      }
    };

    /** Ticks from `from` until `kind` operations for every cluster have finished; their end time. */
    const runPhase = async (from: number, kind: "sleep" | "wake"): Promise<number> => {
      let tickAt = from;
      for (;;) {
        await passTime(time, tickAt);
        await withVirtualTime(
          time,
          runTick({
            now: new Date(tickAt),
            trigger: "ticker",
            deps,
            // As the Node host's ticker (server.node.ts): steps only within the tick's period.
            canStep: () => time.now() < tickAt + TICK_STEPPING_SHARE * TICK_SECONDS * 1000,
            // ...and, as that ticker, runs within its period what falls due during it.
            waitUntil: async (at) => {
              if (at.getTime() >= tickAt + TICK_STEPPING_SHARE * TICK_SECONDS * 1000) return false;
              await time.wait(at.getTime() - time.now());
              return true;
            },
          }),
        );
        drainLog();
        const ops = (await store.operations.list({}, new Date(time.now()))).filter((o) => o.kind === kind);
        const active = ops.filter((o) => (ACTIVE as readonly string[]).includes(o.status));
        if (tickAt >= from + LEAD_MS && ops.length === clusters && active.length === 0) return time.now();
        if (time.now() - from > PHASE_LIMIT_MS) {
          throw new Error(
            `benchNight: the ${kind} phase did not finish in ${PHASE_LIMIT_MS / 3_600_000} simulated hours ` +
              `(${ops.length} of ${clusters} operations created, ${active.length} still active)`,
          );
        }
        // No overlap: the next tick is the first boundary after this one ended.
        const step = TICK_SECONDS * 1000;
        tickAt += step * Math.max(1, Math.ceil((time.now() - tickAt) / step));
      }
    };

    const figures: WorkersFigures = {
      invocations: 0,
      maxConsumerSubrequests: 0,
      maxCronSubrequests: 0,
      maxCronStoreSubrequests: 0,
      maxCronListingSubrequests: 0,
      storeQueriesPerStep: 0,
      messages: 0,
      deadLettered: 0,
    };
    const storeQueries = subrequestBudget(Number.MAX_SAFE_INTEGER);
    let stepsRun = 0;
    const countedStore = (budget: SubrequestBudget): Store => createStore(countingBackend(backend, budget));

    /**
     * The Worker's way (see `host`): the cron every 60 s, the queue's deliveries and the consumer
     * invocations all run on the virtual clock; the phase ends with the invocation that finished
     * its last operation.
     */
    const runWorkersPhase = async (from: number, kind: "sleep" | "wake"): Promise<number> => {
      const queue = new SimulatedQueue(() => time.now(), WRANGLER_CONSUMER);
      let poke = () => {};
      const poked = () => new Promise<void>((resolve) => (poke = resolve));
      const sendBatch = queue.sendBatch.bind(queue);
      queue.sendBatch = async (messages) => {
        await sendBatch(messages);
        poke();
      };
      const ended = new Set<string>();
      const running = new Set<Promise<void>>();
      let created = 0;
      let end: number | undefined;
      const finish = () => {
        if (end === undefined && created === clusters && ended.size === clusters) {
          end = time.now();
          poke();
        }
      };

      const invoke = async (batch: ReturnType<SimulatedQueue["take"]>) => {
        const budget = subrequestBudget();
        const client = httpOver(countingFetch(benchFetch, budget), () => budget);
        const byAccount = providersOver(client);
        const report = await consumeOperations({
          messages: batch,
          queue,
          budget,
          store: createStore(countingBackend(countingBackend(backend, storeQueries), budget)),
          jobs: JOBS,
          providers: (account) => byAccount.get(account),
          now: new Date(time.now()),
          clock: () => new Date(time.now()),
          log: deps.log,
          holder: `worker:${figures.invocations}`,
          concurrency: CONSUMER_CONCURRENCY,
        });
        queue.settle(batch, new Set(report.retry), time.now());
        figures.invocations++;
        figures.maxConsumerSubrequests = Math.max(figures.maxConsumerSubrequests, budget.spent);
        stepsRun += report.run.advanced;
        created += report.created.length;
        for (const o of report.run.operations) {
          if (o.status === "succeeded" || o.status === "failed") ended.add(o.operationId);
        }
        finish();
      };

      const cron = async () => {
        for (let tickAt = from; end === undefined; ) {
          if (tickAt > time.now()) await time.wait(tickAt - time.now());
          if (end !== undefined) break;
          if (time.now() - from > PHASE_LIMIT_MS) {
            throw new Error(
              `benchNight: the ${kind} phase did not finish in ${PHASE_LIMIT_MS / 3_600_000} simulated hours ` +
                `(${created} of ${clusters} operations created, ${ended.size} finished)`,
            );
          }
          // One budget at the documented limit for all the cron's subrequests (it would throw past
          // it), and the listing's fetches and rate bookings counted apart as well.
          const budget = subrequestBudget(WORKERS_SUBREQUEST_LIMIT);
          const listing = subrequestBudget(Number.MAX_SAFE_INTEGER);
          cronBudget = {
            limit: budget.limit,
            get spent() {
              return budget.spent;
            },
            spend(what) {
              budget.spend(what);
              listing.spend(what);
            },
            canStep: budget.canStep,
          };
          const cronStore = countedStore(budget);
          await runTick({
            now: new Date(tickAt),
            trigger: "cron",
            deps: cronTickDeps(deps, {
              store: cronStore,
              queue,
              budget,
              providers: [...providers.values()],
            }),
          });
          cronBudget = undefined;
          drainLog();
          figures.maxCronSubrequests = Math.max(figures.maxCronSubrequests, budget.spent);
          figures.maxCronStoreSubrequests = Math.max(
            figures.maxCronStoreSubrequests,
            budget.spent - listing.spent,
          );
          figures.maxCronListingSubrequests = Math.max(figures.maxCronListingSubrequests, listing.spent);
          finish();
          const step = 60_000;
          tickAt += step * Math.max(1, Math.ceil((time.now() - tickAt) / step));
        }
      };

      const deliver = async () => {
        const { maxBatchSize, maxBatchTimeoutSeconds, maxConcurrency } = WRANGLER_CONSUMER;
        while (end === undefined) {
          const now = time.now();
          const ready = queue.waiting.filter((m) => m.deliverAt <= now);
          if (ready.length > 0 && running.size < maxConcurrency) {
            // A batch goes when it is full or its oldest message has waited the batch timeout.
            const due = Math.min(...ready.map((m) => m.deliverAt)) + maxBatchTimeoutSeconds * 1000;
            if (ready.length >= maxBatchSize || now >= due) {
              const invocation = invoke(queue.take(now)).finally(() => {
                running.delete(invocation);
                poke();
              });
              running.add(invocation);
              continue;
            }
            await Promise.race([time.wait(due - now), poked()]);
            continue;
          }
          const next = running.size < maxConcurrency ? queue.nextDelivery : undefined;
          await (next === undefined ? poked() : Promise.race([time.wait(next - now), poked()]));
        }
      };

      await withVirtualTime(
        time,
        (async () => {
          await Promise.all([cron(), deliver()]);
          while (running.size > 0) await Promise.all([...running]);
        })(),
      );
      drainLog();
      figures.messages += queue.sent;
      figures.deadLettered += queue.deadLetters.length;
      return end!;
    };

    /** The phase's figures: its measured time against the larger of its two lower bounds. */
    const phase = (kind: "sleep" | "wake", start: number, end: number): PhaseResult => {
      const inPhase = requests.filter((r) => r.at >= start && r.at <= end);
      const perKey = new Map<string, number>();
      for (const r of inPhase) perKey.set(r.key, (perKey.get(r.key) ?? 0) + 1);
      const busiest = Math.max(0, ...perKey.values());
      const durationBound =
        durationBoundSeconds(seeded.workSeconds[kind], STARTING_REQUESTS[kind], ratePerSecond) * 1000;
      const rateBound = (busiest / ratePerSecond) * 1000;
      const lowerBound = Math.max(durationBound, rateBound);
      const originalBound = Math.max(Math.max(...seeded.workSeconds[kind].flat()) * 1000, rateBound);
      return {
        simulatedMinutes: round((end - start) / 60_000),
        lowerBoundMinutes: round(lowerBound / 60_000),
        ratio: round((end - start) / lowerBound),
        originalBoundMinutes: round(originalBound / 60_000),
        originalRatio: round((end - start) / originalBound),
        boundBy: rateBound > durationBound ? "rate" : "duration",
        apiCallsPerCluster: round(inPhase.length / clusters),
      };
    };

    /**
     * `trace`: the slowest clusters of the phase, each with the requests sent for it (seconds from
     * the phase's time, method, path after the cluster id) and when its operation finished.
     */
    const trace = async (kind: "sleep" | "wake", start: number): Promise<string[] | undefined> => {
      const count = Number(options.trace ?? 0);
      if (!(count > 0)) return undefined;
      const ops = (await store.operations.list({}, new Date(time.now()))).filter((o) => o.kind === kind);
      const slowest = ops.sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt)).slice(0, count);
      const s = (at: number) => ((at - start) / 1000).toFixed(1);
      return slowest.map((op) => {
        const clusterId = String(op.data.clusterId);
        const mine = requests.filter(
          (r) => r.at >= start - 60_000 && r.path.includes(`/clusters/${clusterId}`),
        );
        const calls = mine.map((r) => `${s(r.at)} ${r.method} ${r.path.split(clusterId)[1] || "/"}`);
        // The pools as the operation's snapshot recorded them (a wake's inventory shows them at 0).
        const snapshot = (
          op.data.progress as { snapshot?: { content?: { pools?: Array<{ desired: number }> } } }
        )?.snapshot;
        const pools = (snapshot?.content?.pools ?? []).map((p) => p.desired).join("+") || "none recorded";
        return `${op.target} (pools ${pools}) finished ${s(Date.parse(op.updatedAt))}: ${calls.join("; ")}`;
      });
    };

    const drive = workers ? runWorkersPhase : runPhase;
    const traced = async (kind: "sleep" | "wake", start: number, result: PhaseResult) => {
      const lines = await trace(kind, start);
      return lines ? { ...result, trace: lines } : result;
    };
    const sleep = await traced(
      "sleep",
      SLEEP_AT,
      phase("sleep", SLEEP_AT, await drive(SLEEP_AT - lead, "sleep")),
    );
    const wake = options.wake
      ? await traced("wake", WAKE_AT, phase("wake", WAKE_AT, await drive(WAKE_AT - lead, "wake")))
      : undefined;
    figures.storeQueriesPerStep = round(storeQueries.spent / Math.max(1, stepsRun));
    const all: Operation[] = await store.operations.list({}, new Date(time.now()));
    return {
      clusters,
      accounts,
      sleep,
      ...(wake ? { wake } : {}),
      realSeconds: round((performance.now() - realStart) / 1000),
      throttled,
      failed: all.filter((o) => o.status !== "succeeded").length,
      ...(workers ? { workers: figures } : {}),
    };
  } finally {
    await running.stop();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

async function inspect(endpoint: string, method: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${endpoint}/_sandbox/${path}`, {
    method,
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
  if (!response.ok) {
    throw new Error(`benchNight: sandbox ${method} ${path}: ${response.status} ${await response.text()}`);
  }
}
