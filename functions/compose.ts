// The composition root both hosts call: from the validated configuration and what differs per host
// (the store, the outbound fetch, the clocks, the schedules as loaded, Kubernetes access), it builds
// the same objects on Workers and Node: one provider per account, the cached inventory, the
// EventBridge publisher, the tick's and the app's dependencies, and `accept`, which records the
// webhook routes' events and starts the work they ask for. Web-standard APIs only.
import type { Hono } from "hono";
import { type Account, type Config, configSecrets } from "../shared/config/config.ts";
import {
  createEventBridgePublisher,
  type EventPublisher,
  eventBridgeClient,
} from "../shared/events/eventbridge.ts";
import type { AcceptEvents } from "../shared/events/inbound.ts";
import { createHttpClient, type Fetch } from "../shared/http/client.ts";
import { type OperationQueue, sendOperations } from "../shared/jobs/dispatch.ts";
import type { KubernetesAccess } from "../shared/jobs/job-kind.ts";
import { runTargetsNow } from "../shared/jobs/start-now.ts";
import { createLogger, type Logger, type LoggerOptions } from "../shared/log/logger.ts";
import type { MetricsRecorder } from "../shared/metrics/recorder.ts";
import {
  cachedInventory,
  type Inventory,
  listInventory,
  sharedListing,
} from "../shared/providers/inventory.ts";
import type { Provider } from "../shared/providers/port.ts";
import { createProvider } from "../shared/providers/registry.ts";
import type { Renewal } from "../shared/renewal/renewal-schema.ts";
import { createRenewalServices, type RenewalServicesOptions } from "../shared/renewal/services.ts";
import type { ResizeRule } from "../shared/rules/rule-schema.ts";
import type { Rates } from "../shared/savings/rates-schema.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import type { Operation, Store } from "../shared/store/store.ts";
import { type AppDeps, createApp, type HostName } from "./app.ts";
import { JOBS } from "./jobs.ts";
import { createAcceptEvents } from "./resize/accept.ts";
import type { TickDeps } from "./tick.ts";

/** How long a listing of the fleet is reused (cloud time), by this process and, shared, the others. */
export const INVENTORY_MAX_AGE_MS = 5 * 60 * 1000;

/** What differs per host: everything else comes from the configuration. */
export interface HostAdapters {
  host: HostName;
  log: Logger;
  store: Store;
  /** Outbound HTTP: the clouds' APIs and the notice webhooks (Workers: the platform's; Node: undici). */
  fetch: Fetch;
  /** The clouds' time: signing, schedule decisions, the inventory's age (the sandbox clock in the demo). */
  cloudNow: () => Date;
  /** Real time: what a person meets in real time (leases, Idempotency-Keys). */
  realNow: () => Date;
  schedules: readonly Schedule[];
  calendars: ReadonlyMap<string, Calendar>;
  /** The renewal declarations (`kind: renewal` in schedules/), as loaded. */
  renewals?: readonly Renewal[];
  /** The rates of the dashboard's savings estimate (`kind: rates` in schedules/); default none. */
  rates?: readonly Rates[];
  /** Node only: the file sink renewal delivers with (shared/renewal/sinks/file.node.ts). */
  fileSink?: RenewalServicesOptions["fileSink"];
  /** The resize rules as loaded (documents with `kind: resize` in schedules/); default none. */
  rules?: readonly ResizeRule[];
  /**
   * Workers: the operations queue, where `accept` sends what it created at once (the consumers run
   * it). Absent (Node): `accept` runs it in this process at once (the ticker would take it within
   * its period, too late for an alert).
   */
  operationQueue?: OperationQueue;
  /** Identifies this process in leases (e.g. host name + pid). */
  holder: string;
  /**
   * What this process counts for the metrics (cloud API calls; the host gives the same recorder
   * to its store for the store's latency) and flushes to the store: Node per tick, Workers per
   * invocation. Absent: nothing is counted.
   */
  metrics?: MetricsRecorder;
  /** The accounts the providers talk to; default: the configured ones (Node's embedded sandbox brings its own). */
  accounts?: readonly Account[];
  /** Node only: the Kubernetes access Autopilot's workloads mode needs. */
  kube?: KubernetesAccess;
  /** Workers: each account's request rate, shared by every invocation (functions/account-rate.workers.ts). */
  sharedRate?: (account: string) => Promise<number>;
  /**
   * How the fleet listing is kept. `sharedThroughStore`: replicas on one store list it once between
   * them; `refreshInBackground`: a stale listing is answered while the next runs (a process that
   * outlives the call, not a Worker invocation, which may be cut off). `listing` (Workers): the
   * host's own, each call within a subrequest budget (the copy the cron keeps: functions/cron.ts).
   */
  inventory:
    | { sharedThroughStore: boolean; refreshInBackground: boolean }
    | { listing: (now: Date) => Promise<Inventory> };
  /**
   * Whether the tick's time moves on with `cloudNow`/`realNow` while it chains steps (Node). False:
   * the tick keeps its trigger's time throughout (Workers: the queue consumers advance operations
   * on their own clocks).
   */
  tickFollowsClocks: boolean;
}

export interface Composition {
  providers: ReadonlyMap<string, Provider>;
  inventory: { get(): Promise<Inventory>; invalidate(): void };
  /** The EventBridge publisher, when NIGHTSHIFT_EVENTBRIDGE_* is configured. */
  events?: EventPublisher;
  tickDeps: TickDeps;
  /**
   * Records, dedupes and routes inbound events (functions/resize/accept.ts), and starts the work
   * they ask for. The webhook routes call it (it is also `appDeps.accept`) with the clouds' time.
   */
  accept: AcceptEvents;
  appDeps: AppDeps;
  app: Hono;
}

/** A host's log: the configured level, every secret of the configuration masked by value. */
export function configuredLogger(config: Config, options: LoggerOptions = {}): Logger {
  return createLogger({ level: config.logLevel, ...options, secrets: configSecrets(config) });
}

/** One warn line per NIGHTSHIFT_* variable nothing reads (names only, never a value), at start-up. */
export function logConfigWarnings(config: Pick<Config, "warnings">, log: Logger): void {
  for (const warning of config.warnings) {
    log.warn(`${warning.variable} ${warning.message}`, { variable: warning.variable });
  }
}

/** One provider per account, signing on `now`, over one HTTP client (whose calls `metrics` counts). */
export function createProviders(
  accounts: readonly Account[],
  deps: {
    fetch: Fetch;
    now: () => Date;
    sharedRate?: (account: string) => Promise<number>;
    metrics?: MetricsRecorder;
  },
): Map<string, Provider> {
  const http = createHttpClient({
    fetch: deps.fetch,
    ...(deps.sharedRate ? { sharedRate: deps.sharedRate } : {}),
    ...(deps.metrics ? { observe: deps.metrics.httpExchange } : {}),
  });
  return new Map(
    accounts.map((account) => [
      account.id,
      createProvider(account, { http, now: deps.now, nonce: () => crypto.randomUUID() }),
    ]),
  );
}

export function compose(config: Config, host: HostAdapters): Composition {
  const { log, store, schedules, calendars, cloudNow, realNow } = host;
  const providers = createProviders(host.accounts ?? config.accounts, {
    fetch: host.fetch,
    now: cloudNow,
    ...(host.sharedRate ? { sharedRate: host.sharedRate } : {}),
    ...(host.metrics ? { metrics: host.metrics } : {}),
  });
  const inventory = fleetInventory(host, providers);
  const events = config.eventBridge ? eventPublisher(config.eventBridge, host.fetch, log) : undefined;
  const renewals = host.renewals ?? [];
  const renewal = createRenewalServices({
    vaultKeys: config.vaultKeys,
    namedSecrets: config.signingSecrets,
    fetch: (url, init) => host.fetch(url, init),
    now: realNow,
    ...(host.fileSink ? { fileSink: host.fileSink } : {}),
  });

  const tickDeps: TickDeps = {
    store,
    log,
    schedules,
    calendars,
    inventory: () => inventory.get(),
    providerFor: (account) => providers.get(account),
    ...(host.kube ? { kube: host.kube } : {}),
    renewals,
    renewal,
    rates: host.rates ?? [],
    ...(events ? { events } : {}),
    notices: { settings: config.notices, fetch: (url, init) => host.fetch(url, init) },
    holder: host.holder,
    ...(host.tickFollowsClocks ? { clock: cloudNow, realClock: realNow } : {}),
  };
  const start = host.operationQueue
    ? (operations: readonly Operation[], now: Date) => sendOperations(host.operationQueue!, operations, now)
    : (operations: readonly Operation[]) => {
        // Not awaited: the webhook answers now; the steps run on (leases keep ticks off them).
        void runTargetsNow({
          ...(events ? { outbox: true } : {}),
          store,
          jobs: JOBS,
          providers: (account) => providers.get(account),
          ...(host.kube ? { kube: host.kube } : {}),
          schedules,
          now: cloudNow,
          clock: cloudNow,
          realClock: realNow,
          log,
          holder: host.holder,
          targets: operations.map((op) => op.target),
        }).catch((error: unknown) =>
          log.error("running accepted operations failed; the next tick takes them", { error }),
        );
        return Promise.resolve();
      };
  const accept = createAcceptEvents({
    store,
    rules: host.rules ?? [],
    accounts: new Map(
      [...providers].map(([id, provider]) => [id, { kind: provider.kind, region: provider.region }]),
    ),
    log,
    start,
    realNow,
  });
  const appDeps: AppDeps = {
    host: host.host,
    log,
    now: cloudNow,
    realNow,
    ...(config.adminToken ? { adminToken: config.adminToken } : {}),
    inventory: () => inventory.get(),
    store,
    schedules,
    calendars,
    ...(config.notices.linkSecret ? { linkSecret: config.notices.linkSecret } : {}),
    webhooks: config.webhooks,
    renewals,
    renewal,
    rates: host.rates ?? [],
    accept,
    metrics: {
      ...(config.metricsToken ? { token: config.metricsToken } : {}),
      ...(host.metrics ? { recorder: host.metrics } : {}),
      providers: new Map([...providers].map(([id, provider]) => [id, provider.kind])),
      operationKinds: JOBS.flatMap((job) => job.kinds),
    },
  };
  return {
    providers,
    inventory,
    ...(events ? { events } : {}),
    tickDeps,
    accept,
    appDeps,
    app: createApp(appDeps),
  };
}

function fleetInventory(
  host: HostAdapters,
  providers: ReadonlyMap<string, Provider>,
): Composition["inventory"] {
  const options = host.inventory;
  if ("listing" in options) return { get: () => options.listing(host.cloudNow()), invalidate: () => {} };
  const list = async (): Promise<Inventory> => {
    const listedAt = host.cloudNow().toISOString();
    return { ...(await listInventory([...providers.values()])), listedAt };
  };
  return cachedInventory(
    options.sharedThroughStore
      ? sharedListing(list, { shared: host.store.shared, maxAgeMs: INVENTORY_MAX_AGE_MS, now: host.cloudNow })
      : list,
    {
      maxAgeMs: INVENTORY_MAX_AGE_MS,
      now: host.cloudNow,
      ...(options.refreshInBackground ? { refreshInBackground: true } : {}),
    },
  );
}

function eventPublisher(
  settings: NonNullable<Config["eventBridge"]>,
  fetch: Fetch,
  log: Logger,
): EventPublisher {
  const eventBridge = eventBridgeClient(settings, { fetch });
  return createEventBridgePublisher({
    client: eventBridge.client,
    ...(eventBridge.eventBusName ? { eventBusName: eventBridge.eventBusName } : {}),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    log,
  });
}
