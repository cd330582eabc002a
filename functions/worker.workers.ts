// Cloudflare Workers host: `fetch` serves the Hono app; `scheduled` runs one tick per cron event,
// which decides, creates the operations and dispatches them to the OPERATIONS queue; `queue`
// advances the operations its batch names (shared/jobs/dispatch.ts), and records what reached the
// dead-letter queue. State lives in D1 (binding DB); the schedules are compiled in, parsed and
// validated at build time (functions/schedules.bundle.ts).
import type {
  D1Database,
  ExecutionContext,
  MessageBatch,
  Queue,
  ScheduledController,
} from "@cloudflare/workers-types";
import { ConfigError, loadConfig } from "../shared/config/config.ts";
import { platformFetch } from "../shared/http/transport.ts";
import {
  countingBackend,
  countingFetch,
  type SubrequestBudget,
  subrequestBudget,
  WORKERS_SUBREQUEST_LIMIT,
} from "../shared/jobs/budget.ts";
import {
  CONSUMER_CONCURRENCY,
  consumeOperations,
  DEAD_LETTER_QUEUE,
  OPERATIONS_QUEUE,
  type OperationMessage,
  type OperationQueue,
  recordDeadLetters,
} from "../shared/jobs/dispatch.ts";
import { createLogger, type Logger } from "../shared/log/logger.ts";
import { createMetricsRecorder, type MetricsRecorder } from "../shared/metrics/recorder.ts";
import { loadCompiledSchedules } from "../shared/schedule/compiled.ts";
import { d1Backend } from "../shared/store/d1.workers.ts";
import { createStore, type Store } from "../shared/store/store.ts";
import { accountRateFromEnv } from "./account-rate.workers.ts";
import { misconfiguredApp } from "./app.ts";
import { compose, configuredLogger, createProviders, logConfigWarnings } from "./compose.ts";
import { API_LISTING_ALLOWANCE, cronTickDeps, fleetListing } from "./cron.ts";
import { JOBS } from "./jobs.ts";
import { COMPILED_SCHEDULES } from "./schedules.bundle.ts";
import { runTick, type TickDeps } from "./tick.ts";

// Every export of this module is a Workers entrypoint: workerd refuses to load a main module that
// exports anything but handlers and classes (a string constant stops `wrangler dev` and deploy).
export { AccountRateLimiter } from "./account-rate.workers.ts";

export type WorkerEnv = Record<string, unknown>;

function isD1(binding: unknown): binding is D1Database {
  return (
    typeof binding === "object" && binding !== null && typeof (binding as D1Database).prepare === "function"
  );
}

function isQueue(binding: unknown): binding is Queue<OperationMessage> {
  return (
    typeof binding === "object" && binding !== null && typeof (binding as Queue).sendBatch === "function"
  );
}

interface Runtime {
  tickDeps?: TickDeps;
  /** The configured accounts' ids (the cron lists the fleet a part per invocation). */
  accounts?: readonly string[];
  /** One invocation's store and providers, every subrequest counted against its budget. */
  invocation?: (budget: SubrequestBudget) => Pick<TickDeps, "store" | "providerFor">;
  queue?: OperationQueue;
  /** This isolate's counts for the metrics, and the store they are flushed to after each invocation. */
  metrics?: { recorder: MetricsRecorder; store: Store };
  log: Logger;
  fetch: (request: Request) => Response | Promise<Response>;
}

// Bindings are fixed for the life of an isolate, so the parsed configuration is kept per env object.
const runtimes = new WeakMap<object, Runtime>();
function runtimeFor(env: WorkerEnv): Runtime {
  const cached = runtimes.get(env);
  if (cached) return cached;
  let runtime: Runtime;
  try {
    const config = loadConfig(env);
    const log = configuredLogger(config, { fields: { host: "workers" } });
    // Once per isolate: the runtime is built once per env and kept.
    logConfigWarnings(config, log);
    if (!isD1(env.DB)) {
      throw new ConfigError([
        {
          variable: "DB",
          message: 'the D1 binding is missing; declare [[d1_databases]] binding = "DB" in wrangler.toml',
        },
      ]);
    }
    // Parsed and validated when the Worker was built (npm run bundle-schedules).
    const loaded = loadCompiledSchedules(COMPILED_SCHEDULES);
    if (!isQueue(env.OPERATIONS)) {
      throw new ConfigError([
        {
          variable: "OPERATIONS",
          message: `the queue binding is missing; declare [[queues.producers]] binding = "OPERATIONS" queue = "${OPERATIONS_QUEUE}" in wrangler.toml`,
        },
      ]);
    }
    const queue = env.OPERATIONS;
    const db = env.DB;
    const sharedRate = accountRateFromEnv(env);
    const now = () => new Date();
    // Per isolate: every invocation's cloud calls and store calls, flushed at its end (flushMetrics).
    const metrics = createMetricsRecorder();
    const observe = { observe: metrics.storeCall };
    const invocation = (budget: SubrequestBudget) => {
      const providers = createProviders(config.accounts, {
        fetch: countingFetch(platformFetch(), budget),
        now,
        ...(sharedRate ? { sharedRate: sharedRate(budget) } : {}),
        metrics,
      });
      return {
        store: createStore(countingBackend(d1Backend(db), budget), observe),
        providerFor: (account: string) => providers.get(account),
      };
    };
    // The API's fleet: the copy the cron keeps in D1, listed live only within API_LISTING_ALLOWANCE
    // (each call counts its own subrequests), never the whole fleet on a request.
    const apiListing = async (at: Date) => {
      const budget = subrequestBudget();
      const { store, providerFor } = invocation(budget);
      const inventory = await fleetListing({
        providers: config.accounts.map((account) => providerFor(account.id)!),
        store,
        budget,
        schedules: loaded.schedules,
        allowance: API_LISTING_ALLOWANCE,
      })(at);
      log.routine("fleet listing for the API", { listedAt: inventory.listedAt, subrequests: budget.spent });
      return inventory;
    };
    const appStore = createStore(d1Backend(db), observe);
    const { tickDeps, app } = compose(config, {
      host: "workers",
      log,
      store: appStore,
      metrics,
      fetch: platformFetch(),
      cloudNow: now,
      realNow: now,
      schedules: loaded.schedules,
      calendars: loaded.calendars,
      renewals: loaded.renewals,
      rates: loaded.rates,
      rules: loaded.rules,
      operationQueue: queue,
      // No mutual-TLS Kubernetes access on Workers: Autopilot workloads go through the API gateway.
      holder: `worker:${crypto.randomUUID()}`,
      inventory: { listing: apiListing },
      tickFollowsClocks: false,
      ...(sharedRate ? { sharedRate: sharedRate() } : {}),
    });
    runtime = {
      tickDeps,
      accounts: config.accounts.map((account) => account.id),
      invocation,
      queue,
      metrics: { recorder: metrics, store: appStore },
      log,
      fetch: (request) => app.fetch(request, env),
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const log = createLogger({ fields: { host: "workers" } });
    log.error("configuration invalid", { issues: error.issues });
    const app = misconfiguredApp(error.issues);
    runtime = { log, fetch: (request) => app.fetch(request) };
  }
  runtimes.set(env, runtime);
  return runtime;
}

/**
 * Adds what this invocation counted to the store's tallies once it is done: within the
 * invocation's lifetime (waitUntil) when the platform gives one, else before returning.
 */
async function flushMetrics(runtime: Runtime, ctx?: ExecutionContext): Promise<void> {
  if (!runtime.metrics) return;
  const { recorder, store } = runtime.metrics;
  const flushing = recorder
    .flush(store)
    .catch((error: unknown) =>
      runtime.log.warn("metrics: counts not stored; kept for the next invocation", { error }),
    );
  if (ctx) ctx.waitUntil(flushing);
  else await flushing;
}

const notConfigured = () =>
  new Error("nightshift is not configured correctly; see the log for the settings to fix");

/**
 * The Worker's handlers. `now` is the consumers' clock (the real one; tests pass the clouds' time);
 * the cron's tick runs at the trigger's scheduled time.
 */
export function createWorker(options: { now?: () => Date } = {}) {
  const now = options.now ?? (() => new Date());
  return {
    async fetch(request: Request, env: WorkerEnv, ctx?: ExecutionContext): Promise<Response> {
      const runtime = runtimeFor(env);
      try {
        return await runtime.fetch(request);
      } finally {
        await flushMetrics(runtime, ctx);
      }
    },
    async scheduled(controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
      const runtime = runtimeFor(env);
      if (!runtime.tickDeps) throw notConfigured();
      const at = new Date(controller.scheduledTime);
      // The tick's D1 queries and queue sends, counted: the consumers apply its decisions
      // (`sendWrites`: one send per 100), so they stay few at any fleet size.
      const counted = subrequestBudget(Number.MAX_SAFE_INTEGER);
      const { store, providerFor } = runtime.invocation!(counted);
      const providers = runtime.accounts!.map((account) => providerFor(account)!);
      const deps = cronTickDeps(runtime.tickDeps, {
        store,
        queue: runtime.queue!,
        budget: counted,
        providers,
      });
      ctx.waitUntil(
        (async () => {
          await runTick({ now: at, trigger: "cron", deps });
          if (counted.spent > WORKERS_SUBREQUEST_LIMIT) {
            runtime.log.warn("the cron tick made more store and queue subrequests than one invocation may", {
              subrequests: counted.spent,
              limit: WORKERS_SUBREQUEST_LIMIT,
            });
          }
          await runtime.tickDeps!.store.sweep(at);
          await flushMetrics(runtime);
        })(),
      );
    },
    async queue(batch: MessageBatch, env: WorkerEnv, ctx?: ExecutionContext): Promise<void> {
      const runtime = runtimeFor(env);
      if (!runtime.tickDeps || !runtime.invocation || !runtime.queue) throw notConfigured();
      try {
        await consumeBatch(runtime, batch, now);
      } finally {
        await flushMetrics(runtime, ctx);
      }
    },
  };
}

/** The queue handler's work: record dead letters, or advance the batch's operations. */
async function consumeBatch(runtime: Runtime, batch: MessageBatch, now: () => Date): Promise<void> {
  const budget = subrequestBudget();
  const { store, providerFor } = runtime.invocation!(budget);
  if (batch.queue === DEAD_LETTER_QUEUE) {
    await recordDeadLetters({
      store,
      messages: batch.messages,
      queue: DEAD_LETTER_QUEUE,
      now: now(),
      log: runtime.log,
    });
    return;
  }
  try {
    await consume(runtime.tickDeps!, store, providerFor, runtime.queue!, budget, batch, now);
  } catch (error) {
    // The store or the queue failed: the whole batch comes back (after max_retries, the DLQ).
    runtime.log.error("queue batch failed; its messages will be retried", {
      messages: batch.messages.length,
      error: error instanceof Error ? error.message : String(error),
    });
    batch.retryAll();
  }
}

async function consume(
  deps: TickDeps,
  store: Store,
  providerFor: TickDeps["providerFor"],
  queue: OperationQueue,
  budget: SubrequestBudget,
  batch: MessageBatch,
  now: () => Date,
): Promise<void> {
  const started = now();
  const report = await consumeOperations({
    // With a bus configured, finished operations' events go to the outbox the cron tick publishes.
    ...(deps.events ? { outbox: true } : {}),
    messages: batch.messages,
    queue,
    budget,
    store,
    jobs: JOBS,
    providers: providerFor,
    ...(deps.renewal ? { renewal: deps.renewal } : {}),
    schedules: deps.schedules,
    now: started,
    clock: now,
    realClock: () => new Date(),
    log: deps.log,
    holder: deps.holder,
    concurrency: CONSUMER_CONCURRENCY,
  });
  const retry = new Set(report.retry);
  for (const message of batch.messages) {
    if (retry.has(message.id)) message.retry();
    else message.ack();
  }
  deps.log.routine("queue batch", {
    messages: batch.messages.length,
    created: report.created.length,
    advanced: report.run.advanced,
    sent: report.sent,
    retried: retry.size,
    subrequests: budget.spent,
  });
}

export default createWorker();
