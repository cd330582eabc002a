// Cloudflare Workers host: `fetch` serves the Hono app, `scheduled` runs one tick per cron event.
// State lives in D1 (binding DB); the schedules are compiled in (functions/schedules.bundle.ts).
import type { D1Database, ExecutionContext, ScheduledController } from "@cloudflare/workers-types";
import { type Config, ConfigError, configSecrets, loadConfig } from "../shared/config/config.ts";
import { createEventBridgePublisher, eventBridgeClient } from "../shared/events/eventbridge.ts";
import { createHttpClient } from "../shared/http/client.ts";
import { platformFetch } from "../shared/http/transport.ts";
import { createLogger, type Logger } from "../shared/log/logger.ts";
import { cachedInventory, listInventory } from "../shared/providers/inventory.ts";
import { createProvider } from "../shared/providers/registry.ts";
import { loadScheduleSources } from "../shared/schedule/load.ts";
import { formatScheduleFileError } from "../shared/schedule/schedule-file.ts";
import { d1Backend } from "../shared/store/d1.workers.ts";
import { createStore } from "../shared/store/store.ts";
import { createApp, misconfiguredApp } from "./app.ts";
import { CALENDAR_FILES, SCHEDULE_DIR, SCHEDULE_FILES } from "./schedules.bundle.ts";
import { runTick, type TickDeps } from "./tick.ts";

export type WorkerEnv = Record<string, unknown>;

function isD1(binding: unknown): binding is D1Database {
  return (
    typeof binding === "object" && binding !== null && typeof (binding as D1Database).prepare === "function"
  );
}

interface Runtime {
  config?: Config;
  tickDeps?: TickDeps;
  log: Logger;
  fetch: (request: Request) => Response | Promise<Response>;
}

// Bindings are fixed for the life of an isolate, so the parsed configuration is kept per env object.
const runtimes = new WeakMap<object, Runtime>();
/**
 * Sleep/wake steps one cron invocation runs at most. A step makes at most 3 requests, and Workers
 * limits the subrequests of one invocation (1,000 on the paid plan by default): what is left over
 * runs in the next minute's invocation.
 */
const WORKER_STEPS_PER_TICK = 250;

function runtimeFor(env: WorkerEnv): Runtime {
  const cached = runtimes.get(env);
  if (cached) return cached;
  let runtime: Runtime;
  try {
    const config = loadConfig(env);
    const log = createLogger({
      level: config.logLevel,
      secrets: configSecrets(config),
      fields: { host: "workers" },
    });
    if (!isD1(env.DB)) {
      throw new ConfigError([
        {
          variable: "DB",
          message: 'the D1 binding is missing; declare [[d1_databases]] binding = "DB" in wrangler.toml',
        },
      ]);
    }
    const loaded = loadScheduleSources({
      dir: SCHEDULE_DIR,
      schedules: SCHEDULE_FILES,
      calendarFile: (path) => CALENDAR_FILES[path],
    });
    if ("errors" in loaded) {
      throw new ConfigError(
        loaded.errors.map((e) => ({ variable: "schedules", message: formatScheduleFileError(e) })),
      );
    }
    const store = createStore(d1Backend(env.DB));
    const http = createHttpClient({ fetch: platformFetch() });
    const byAccount = new Map(
      config.accounts.map((account) => [
        account.id,
        createProvider(account, { http, now: () => new Date(), nonce: () => crypto.randomUUID() }),
      ]),
    );
    const inventory = cachedInventory(() => listInventory([...byAccount.values()]), {
      maxAgeMs: 5 * 60 * 1000,
      now: () => new Date(),
    });
    const app = createApp({
      host: "workers",
      log,
      now: () => new Date(),
      ...(config.adminToken ? { adminToken: config.adminToken } : {}),
      inventory: () => inventory.get(),
      store,
      schedules: loaded.schedules,
      calendars: loaded.calendars,
      ...(config.notices.linkSecret ? { linkSecret: config.notices.linkSecret } : {}),
    });
    const eventBridge = config.eventBridge ? eventBridgeClient(config.eventBridge) : undefined;
    const tickDeps: TickDeps = {
      store,
      log,
      schedules: loaded.schedules,
      calendars: loaded.calendars,
      inventory: () => inventory.get(),
      providerFor: (account) => byAccount.get(account),
      ...(eventBridge
        ? {
            events: createEventBridgePublisher({
              client: eventBridge.client,
              ...(eventBridge.eventBusName ? { eventBusName: eventBridge.eventBusName } : {}),
              sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
              random: Math.random,
              log,
            }),
          }
        : {}),
      notices: { settings: config.notices, fetch: (url, init) => fetch(url, init) },
      // No Kubernetes access on Workers: Autopilot workloads mode runs on the Node host.
      holder: `worker:${crypto.randomUUID()}`,
      stepLimit: WORKER_STEPS_PER_TICK,
    };
    runtime = { config, tickDeps, log, fetch: (request) => app.fetch(request, env) };
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

export default {
  async fetch(request: Request, env: WorkerEnv, _ctx?: ExecutionContext): Promise<Response> {
    return runtimeFor(env).fetch(request);
  },
  async scheduled(controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    const runtime = runtimeFor(env);
    if (!runtime.tickDeps)
      throw new Error("nightshift is not configured correctly; see the log for the settings to fix");
    const now = new Date(controller.scheduledTime);
    // The tick's time as it runs: the cron's scheduled time plus the time this invocation has run
    // (the same as the real clock, up to the cron's start delay), so every step of the tick agrees
    // with the time the tick was planned at.
    const started = Date.now();
    const deps: TickDeps = {
      ...runtime.tickDeps,
      clock: () => new Date(controller.scheduledTime + (Date.now() - started)),
    };
    ctx.waitUntil(
      (async () => {
        await runTick({ now, trigger: "cron", deps });
        await deps.store.sweep(now);
      })(),
    );
  },
};
