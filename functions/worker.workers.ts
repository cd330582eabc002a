// Cloudflare Workers host: `fetch` serves the Hono app, `scheduled` runs one tick per cron event.
import type { ExecutionContext, ScheduledController } from "@cloudflare/workers-types";
import { type Config, ConfigError, configSecrets, loadConfig } from "../shared/config/config.ts";
import { createHttpClient } from "../shared/http/client.ts";
import { platformFetch } from "../shared/http/transport.ts";
import { createLogger, type Logger } from "../shared/log/logger.ts";
import { listInventory } from "../shared/providers/inventory.ts";
import { createProvider } from "../shared/providers/registry.ts";
import { createApp, misconfiguredApp } from "./app.ts";
import { runTick } from "./tick.ts";

export type WorkerEnv = Record<string, unknown>;

interface Runtime {
  config?: Config;
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
    const log = createLogger({
      level: config.logLevel,
      secrets: configSecrets(config),
      fields: { host: "workers" },
    });
    const http = createHttpClient({ fetch: platformFetch() });
    const providers = config.accounts.map((account) =>
      createProvider(account, { http, now: () => new Date(), nonce: () => crypto.randomUUID() }),
    );
    const app = createApp({
      host: "workers",
      log,
      now: () => new Date(),
      ...(config.adminToken ? { adminToken: config.adminToken } : {}),
      inventory: () => listInventory(providers),
    });
    runtime = { config, log, fetch: (request) => app.fetch(request, env) };
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
    if (!runtime.config)
      throw new Error("nightshift is not configured correctly; see the log for the settings to fix");
    ctx.waitUntil(runTick({ now: new Date(controller.scheduledTime), trigger: "cron", log: runtime.log }));
  },
};
