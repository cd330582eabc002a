// Node host: the Hono app over @hono/node-server, an in-process ticker, graceful shutdown. With no
// cloud account configured it runs the sandbox clouds in-process (sped up) and points the
// providers at them: the embedded default a newcomer sees before entering any credentials.
import type { AddressInfo } from "node:net";
import { setTimeout as pause } from "node:timers/promises";
import type { Hono } from "hono";
import { type Config, ConfigError } from "../shared/config/config.ts";
import { createPlannerLease, plannerLeaseTtlMs } from "../shared/jobs/planner-lease.ts";
import type { Logger } from "../shared/log/logger.ts";
import { describeStore } from "../shared/store/open.node.ts";
import { serveWithJsonErrors } from "./client-error.node.ts";
import { errorBody } from "./errors.ts";
import { createNodeRuntime, type NodeRuntime } from "./runtime.node.ts";
import { DUE_PASS_GAP_MS, runTick, TICK_STEPPING_SHARE } from "./tick.ts";

export interface RunningServer {
  url: string;
  runtime: NodeRuntime;
  /** Stops the ticker, lets the current tick and in-flight requests finish, closes everything. */
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 10_000;
/**
 * Against the sped-up sandbox a real minute is hours of cloud time: tick every 10 cloud minutes
 * instead, well inside a schedule's grace window (at speed 600, once a real second).
 */
const EMBEDDED_TICK_CLOUD_SECONDS = 600;
const embeddedTickSeconds = (speed: number) =>
  Math.min(60, Math.max(0.25, EMBEDDED_TICK_CLOUD_SECONDS / Math.max(speed, 1)));

type Server = ReturnType<typeof serveWithJsonErrors>;

/** Binds HOST:PORT; a port in use or an address not on this machine is a ConfigError naming it. */
async function listen(
  config: Config,
  fetch: Parameters<typeof serveWithJsonErrors>[0]["fetch"],
): Promise<Server> {
  try {
    return await new Promise<Server>((resolve, reject) => {
      const s = serveWithJsonErrors({ fetch, port: config.port, hostname: config.host }, () => resolve(s));
      s.once("error", reject);
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const where = `${config.host}:${config.port}`;
    const issue =
      code === "EADDRINUSE"
        ? { variable: "PORT", message: `${where} is already in use; set PORT to a free port (0 picks one)` }
        : code === "EACCES"
          ? { variable: "PORT", message: `${where} needs privileges; use a port above 1023, e.g. 8787` }
          : {
              variable: "HOST",
              message: `cannot listen on ${where} (${code ?? (error as Error).message}); use an address of this machine such as 127.0.0.1 or 0.0.0.0`,
            };
    throw new ConfigError([issue], { cause: error });
  }
}

export async function startServer(
  config: Config,
  log: Logger,
  options: {
    env?: Record<string, string | undefined>;
    tickSeconds?: number;
  } = {},
): Promise<RunningServer> {
  // The port first: it is the one thing that can still be taken, and nothing else is running yet.
  let app: Hono | undefined;
  const server = await listen(config, (request: Request) =>
    app
      ? app.fetch(request)
      : Response.json(errorBody("starting", "nightshift is starting; try again in a few seconds"), {
          status: 503,
          headers: { "Retry-After": "1" },
        }),
  );
  let runtime: NodeRuntime;
  try {
    runtime = await createNodeRuntime(config, log, {
      demoStore: "fresh-file",
      ...(options.env ? { env: options.env } : {}),
    });
  } catch (error) {
    await new Promise((resolve) => server.close(resolve));
    throw error;
  }
  app = runtime.app;

  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  const tickSeconds =
    options.tickSeconds ??
    (runtime.sandbox && !config.tickSecondsSet
      ? embeddedTickSeconds(config.sandboxSpeed)
      : config.tickSeconds);
  // Several replicas on one store: the one holding the planner lease plans, all advance due
  // operations. It is claimed (taken or renewed) on every timer firing, even while a slow tick
  // runs, so only a planner that stopped firing loses it.
  const plannerLeaseMs = config.plannerLeaseSeconds
    ? config.plannerLeaseSeconds * 1000
    : plannerLeaseTtlMs(tickSeconds);
  const planner = createPlannerLease({
    store: runtime.store,
    holder: runtime.tickDeps.holder,
    ttlMs: plannerLeaseMs,
    now: runtime.realNow,
  });
  const claimPlanner = () =>
    planner.claim().then(
      (claim) => {
        if (claim.changed && claim.plans)
          log.info("this replica plans now", { holder: runtime.tickDeps.holder });
        if (claim.changed && !claim.plans) log.info("another replica plans now", { holder: claim.holder });
        return claim.plans;
      },
      (error: unknown) => {
        log.error("planner lease: the store did not answer; this tick only advances operations", { error });
        return false;
      },
    );

  // Ticks never overlap, nor pile up: while one runs, the timer's next firings are skipped (a
  // slow tick's leftovers are simply due at the next one).
  let currentTick: Promise<unknown> = Promise.resolve();
  let ticking = false;
  let stopping = false;
  const tick = () => {
    if (stopping) return;
    const plans = claimPlanner();
    if (ticking) return;
    ticking = true;
    currentTick = (async () => {
      const plan = await plans;
      const now = runtime.cloudNow();
      // A tick steps only within its period: the next one starts on time with what is left.
      const over = runtime.realNow().getTime() + TICK_STEPPING_SHARE * tickSeconds * 1000;
      const canStep = () => runtime.realNow().getTime() < over;
      // Within its period the tick also runs what falls due meanwhile (a poll due 3 s in runs then,
      // not a period later). `at` is the clouds' time, which may run faster than real time (the
      // sandbox), never slower: it waits in short spans and looks at the clock again.
      const waitUntil = async (at: Date) => {
        for (;;) {
          const left = at.getTime() - runtime.cloudNow().getTime();
          if (left <= 0) return true;
          const periodLeft = over - runtime.realNow().getTime();
          if (stopping || periodLeft <= 0) return false;
          await pause(Math.min(left, periodLeft, DUE_PASS_GAP_MS));
        }
      };
      await runTick({ now, trigger: "ticker", deps: runtime.tickDeps, plan, canStep, waitUntil });
      // Store expiries are kept in real time (the cloud clock may run ahead, never behind).
      await runtime.store.sweep(runtime.realNow());
      // This process's counts (cloud calls, store latency) join every replica's in the store.
      await runtime.metrics
        .flush(runtime.store)
        .catch((error: unknown) => log.warn("metrics: counts not stored; kept for the next tick", { error }));
    })()
      .catch((error: unknown) => log.error("tick failed", { error }))
      .finally(() => {
        ticking = false;
      });
  };
  tick();
  const timer = setInterval(tick, tickSeconds * 1000);

  log.info("nightshift started", {
    url,
    tickSeconds,
    plannerLeaseSeconds: plannerLeaseMs / 1000,
    accounts: runtime.accounts.length,
    schedules: runtime.schedules.map((s) => s.name),
    store: describeStore(runtime.storeConfig),
  });

  return {
    url,
    runtime,
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive connections would hold close() open; in-flight requests still finish.
      if ("closeIdleConnections" in server) server.closeIdleConnections();
      const forced = new Promise<"timeout">((resolve) =>
        setTimeout(resolve, SHUTDOWN_GRACE_MS, "timeout").unref(),
      );
      const outcome = await Promise.race([
        Promise.all([closed, currentTick]).then(() => "clean" as const),
        forced,
      ]);
      if (outcome === "timeout" && "closeAllConnections" in server) server.closeAllConnections();
      // Handed over at once: another replica plans at its next tick instead of after the TTL.
      await planner
        .release()
        .catch((error: unknown) => log.warn("planner lease release failed; it expires by itself", { error }));
      await runtime.metrics
        .flush(runtime.store)
        .catch((error: unknown) => log.warn("metrics: the last counts could not be stored", { error }));
      await runtime.close();
      log.info("nightshift stopped", { outcome });
    },
  };
}
