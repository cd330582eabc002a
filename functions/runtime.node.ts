// The Node host's adapters, opened once from the configuration: the store (SQLite or Redis), the
// undici transport (extra CA, proxy), Kubernetes access, the schedules and calendars read from
// disk, and with no account configured the built-in sandbox clouds (its accounts and clock). The
// composition root (functions/compose.ts) builds the rest. `start`, `plan` and `tick` share it, so
// the CLI sees exactly what the service sees.
import { mkdir, open, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { type Account, type Config, ConfigError, type StoreConfig } from "../shared/config/config.ts";
import { createNodeTransport, loadExtraCa } from "../shared/http/transport.node.ts";
import type { Logger } from "../shared/log/logger.ts";
import { createMetricsRecorder, type MetricsRecorder } from "../shared/metrics/recorder.ts";
import { fileSink } from "../shared/renewal/sinks/file.node.ts";
import { sandboxAccounts } from "../shared/sandbox/accounts.ts";
import { type RunningSandbox, startSandbox } from "../shared/sandbox/server.node.ts";
import { loadSchedules } from "../shared/schedule/load.node.ts";
import { formatScheduleFileError } from "../shared/schedule/schedule-file.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import { describeStore, openStore } from "../shared/store/open.node.ts";
import type { Store } from "../shared/store/store.ts";
import { type Composition, compose, logConfigWarnings } from "./compose.ts";
import { chooseDemoNight } from "./demo-start.ts";
import { createKubernetesAccess } from "./sleepwake/kubernetes-access.node.ts";
import type { TickDeps } from "./tick.ts";

export class ScheduleLoadError extends Error {
  readonly lines: string[];
  constructor(lines: string[]) {
    super(`the schedules are invalid:\n${lines.join("\n")}`);
    this.name = "ScheduleLoadError";
    this.lines = lines;
  }
}

export interface NodeRuntime {
  accounts: Account[];
  sandbox?: RunningSandbox;
  store: Store;
  schedules: Schedule[];
  calendars: Map<string, Calendar>;
  /**
   * The clouds' time: the sandbox clock when running against it (sped up), else the real clock.
   * Planning, signing and schedule decisions run on it.
   */
  cloudNow: () => Date;
  /** Real time: what a person meets in real time (leases, Idempotency-Keys, store expiries). */
  realNow: () => Date;
  /** The store this runtime opened: the demo's own when the embedded sandbox runs without NIGHTSHIFT_STORE. */
  storeConfig: StoreConfig;
  inventory: Composition["inventory"];
  tickDeps: TickDeps;
  /** The HTTP surface, on the same store, schedules and clocks as the tick. */
  app: Composition["app"];
  /** Records inbound events and starts what they ask for (the webhook routes' `accept`). */
  accept: Composition["accept"];
  rules: NonNullable<Parameters<typeof compose>[1]["rules"]>;
  /**
   * This process's counts for the metrics; the service flushes them to the store every tick and
   * when it stops (a one-shot `plan` or `tick --dry-run` writes nothing).
   */
  metrics: MetricsRecorder;
  close(): Promise<void>;
}

/** The embedded demo's own store, fresh each run like the in-memory sandbox fleet it describes. */
export const DEMO_STORE_PATH = ".nightshift/demo.db";

export interface NodeRuntimeOptions {
  env?: Record<string, string | undefined>;
  /** Where the embedded sandbox's clock starts (default: the demo's night, see chooseDemoNight). */
  sandboxStart?: Date;
  /**
   * The embedded sandbox's store when NIGHTSHIFT_STORE is not set: "fresh-file" (`start`: a fresh
   * DEMO_STORE_PATH, so the API can be explored) or "memory" (one-shot `plan` and `tick`).
   */
  demoStore?: "fresh-file" | "memory";
}

/**
 * Everything is checked and opened before the sandbox starts (it keeps the process alive), and
 * whatever was opened is closed again when a later step fails.
 */
export async function createNodeRuntime(
  config: Config,
  log: Logger,
  options: NodeRuntimeOptions = {},
): Promise<NodeRuntime> {
  logConfigWarnings(config, log);
  const loaded = await loadSchedules(config.schedulesDir);
  if ("errors" in loaded) throw new ScheduleLoadError(loaded.errors.map(formatScheduleFileError));
  if (loaded.schedules.length === 0) {
    log.warn("no schedules found: nothing will be put to sleep or woken", {
      dir: resolve(config.schedulesDir),
      hint: "add a schedule file (*.yaml) there (see schedules/FORMAT.md), or point NIGHTSHIFT_SCHEDULES_DIR at the folder that has them",
    });
  }
  const embedded = config.accounts.length === 0;
  const extraCaPem = await loadExtraCa(options.env ?? process.env);
  const realNow = () => new Date();

  const metrics = createMetricsRecorder();
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    let storeConfig = config.store;
    if (embedded && !config.storeSet) {
      const demo = await demoStore(options.demoStore);
      storeConfig = demo.config;
      closers.push(demo.release);
    }
    const store = await openStore(storeConfig, {
      observe: metrics.storeCall,
      // An outage is two lines (lost, restored), not one error per call.
      onConnection: (change) =>
        change.state === "lost"
          ? log.error("store connection lost; store calls wait for it, then fail until it is back", {
              store: change.store,
              reason: change.reason,
            })
          : log.info("store connection restored", { store: change.store, downMs: change.downMs }),
    });
    closers.push(() => store.close());
    // The service only: a one-shot `plan` or `tick` reads the store it is pointed at, as asked.
    if (embedded && config.storeSet && config.store.kind !== "memory" && options.demoStore === "fresh-file") {
      log.warn("running the embedded sandbox against the configured NIGHTSHIFT_STORE, kept as it is", {
        store: describeStore(config.store),
        hint: "the sandbox fleet is fresh each run: earlier runs' operations and states may not match it; unset NIGHTSHIFT_STORE to use a fresh demo store",
      });
    }
    const transport = createNodeTransport(extraCaPem ? { extraCaPem } : {});
    closers.push(() => transport.close());
    const kube = createKubernetesAccess({ client: { http: { observe: metrics.httpExchange } } });
    closers.push(() => kube.close());

    let accounts: Account[] = config.accounts;
    let sandbox: RunningSandbox | undefined;
    if (embedded) {
      const night = options.sandboxStart
        ? undefined
        : chooseDemoNight({
            schedules: loaded.schedules,
            calendars: loaded.calendars,
            now: realNow(),
            speed: config.sandboxSpeed,
          });
      const start = options.sandboxStart ?? night?.start;
      sandbox = await startSandbox({ basePort: 0, speed: config.sandboxSpeed, ...(start ? { start } : {}) });
      closers.push(() => sandbox!.stop());
      accounts = sandboxAccounts(sandbox.description);
      log.info("no cloud account configured: running against the built-in sandbox clouds", {
        sandbox: Object.fromEntries(
          Object.entries(sandbox.description).map(([cloud, info]) => [cloud, info.endpoint]),
        ),
        speed: config.sandboxSpeed,
        accounts: accounts.length,
        store: describeStore(storeConfig),
        ...(night
          ? {
              cloudStart: night.start.toISOString(),
              firstNight: `${night.sleep.schedule}: sleep ${night.sleep.local.weekday} ${night.sleep.local.time}, wake ${night.wake.local.weekday} ${night.wake.local.time} (${night.sleep.local.timezone})`,
            }
          : {}),
      });
    }
    const running = sandbox;
    const cloudNow = running ? () => running.sandbox.clock.now() : realNow;
    // The demo renews the example's credentials too: with no vault key configured it encrypts
    // them under a key of this run (its store is fresh each run as well).
    const vaultKeys =
      embedded && config.vaultKeys.length === 0 ? [{ id: "demo", key: randomVaultKey() }] : config.vaultKeys;
    const composed = compose(
      { ...config, vaultKeys },
      {
        host: "node",
        log,
        store,
        fetch: transport.fetch,
        cloudNow,
        realNow,
        schedules: loaded.schedules,
        calendars: loaded.calendars,
        rules: loaded.rules,
        renewals: loaded.renewals,
        rates: loaded.rates,
        fileSink: fileSinkIn(config.fileSinkDir),
        holder: `${hostname()}:${process.pid}`,
        metrics,
        accounts,
        kube,
        inventory: { sharedThroughStore: true, refreshInBackground: true },
        tickFollowsClocks: true,
      },
    );
    return {
      accounts,
      ...(sandbox ? { sandbox } : {}),
      store,
      storeConfig,
      schedules: loaded.schedules,
      calendars: loaded.calendars,
      cloudNow,
      realNow,
      inventory: composed.inventory,
      tickDeps: composed.tickDeps,
      app: composed.app,
      accept: composed.accept,
      rules: loaded.rules,
      metrics,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Renewal's file sink, writing only inside NIGHTSHIFT_FILE_SINK_DIR (unset: it refuses, saying so). */
function fileSinkIn(directory: string | undefined) {
  return ({ name, path }: { name: string; path: string }) => {
    if (directory === undefined)
      return {
        name,
        kind: "file" as const,
        destination: path,
        deliver: async () => ({
          ok: false as const,
          reason: "unavailable" as const,
          retryable: false,
          message: `sink ${name}: file sinks are off; set NIGHTSHIFT_FILE_SINK_DIR to the directory they may write in (${path} must be inside it)`,
        }),
      };
    return fileSink({ name, path, allowedDirectory: directory });
  };
}

/** 32 random bytes, base64: an AES-256 key. */
function randomVaultKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
}

async function demoStore(
  kind: NodeRuntimeOptions["demoStore"] = "memory",
): Promise<{ config: StoreConfig; release: () => Promise<void> }> {
  if (kind === "memory") return { config: { kind: "memory" }, release: async () => {} };
  const release = await claimDemoStore();
  await rm(resolve(DEMO_STORE_PATH), { force: true });
  return { config: { kind: "sqlite", path: DEMO_STORE_PATH }, release };
}

/**
 * The demo starts its store afresh, so two demos in one directory (say, on two ports) would
 * delete each other's file under the running one: the first to start holds a lock file naming
 * its process, and a second one refuses, saying what to do. A lock left by a process that is gone
 * is taken over.
 */
async function claimDemoStore(): Promise<() => Promise<void>> {
  const lock = resolve(`${DEMO_STORE_PATH}.lock`);
  const mine = String(process.pid);
  const unwritable = (error: unknown) =>
    new ConfigError(
      [
        {
          variable: "NIGHTSHIFT_STORE",
          message: `cannot create the demo's store in ${resolve(DEMO_STORE_PATH, "..")} (${(error as { code?: string }).code ?? (error as Error).message}); start from a writable directory, or name a writable file, e.g. NIGHTSHIFT_STORE=sqlite:/tmp/nightshift.db`,
        },
      ],
      { cause: error },
    );
  try {
    await mkdir(resolve(DEMO_STORE_PATH, ".."), { recursive: true });
  } catch (error) {
    throw unwritable(error);
  }
  try {
    const file = await open(lock, "wx");
    await file.writeFile(mine);
    await file.close();
  } catch (error) {
    if ((error as { code?: string }).code !== "EEXIST") throw unwritable(error);
    const holder = Number((await readFile(lock, "utf8").catch(() => "")).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processIsAlive(holder))
      throw new ConfigError([
        {
          variable: "NIGHTSHIFT_STORE",
          message: `another nightshift demo (pid ${holder}) is running in this directory on ${DEMO_STORE_PATH}, which a new demo would start afresh under it; stop that one first, start this one from another directory, or set NIGHTSHIFT_STORE (e.g. sqlite:.nightshift/state.db)`,
        },
      ]);
    await writeFile(lock, mine).catch((failed: unknown) => {
      throw unwritable(failed);
    });
  }
  return async () => {
    if ((await readFile(lock, "utf8").catch(() => "")).trim() === mine) await rm(lock, { force: true });
  };
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as { code?: string }).code === "EPERM";
  }
}
