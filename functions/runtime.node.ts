// Everything the Node host runs with, assembled once from the configuration: accounts (or the
// built-in sandbox when none is configured), the store, one provider per account, the schedules
// and calendars, the cached inventory, and the tick's dependencies. `start`, `plan` and `tick`
// share it, so the CLI sees exactly what the service sees.
import { hostname } from "node:os";
import type { Account, Config } from "../shared/config/config.ts";
import { createEventBridgePublisher, eventBridgeFromEnv } from "../shared/events/eventbridge.ts";
import { createHttpClient } from "../shared/http/client.ts";
import { createNodeTransport, loadExtraCa } from "../shared/http/transport.node.ts";
import type { Logger } from "../shared/log/logger.ts";
import { cachedInventory, listInventory } from "../shared/providers/inventory.ts";
import type { Provider } from "../shared/providers/port.ts";
import { createProvider } from "../shared/providers/registry.ts";
import { sandboxAccounts } from "../shared/sandbox/accounts.ts";
import { type RunningSandbox, startSandbox } from "../shared/sandbox/server.node.ts";
import { loadSchedules } from "../shared/schedule/load.node.ts";
import { formatScheduleFileError } from "../shared/schedule/schedule-file.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import { openStore } from "../shared/store/open.node.ts";
import type { Store } from "../shared/store/store.ts";
import { createKubernetesAccess } from "./sleepwake/kubernetes-access.node.ts";
import type { TickDeps } from "./tick.ts";

/** How long a listing of the fleet is reused (cloud time). */
const INVENTORY_MAX_AGE_MS = 5 * 60 * 1000;

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
  providers: Provider[];
  schedules: Schedule[];
  calendars: Map<string, Calendar>;
  /** The clouds' time: the sandbox clock when running against it, else the real clock. */
  cloudNow: () => Date;
  inventory: ReturnType<typeof cachedInventory>;
  tickDeps: TickDeps;
  close(): Promise<void>;
}

export async function createNodeRuntime(
  config: Config,
  log: Logger,
  options: { env?: Record<string, string | undefined>; sandboxStart?: Date } = {},
): Promise<NodeRuntime> {
  const loaded = await loadSchedules(config.schedulesDir);
  if ("errors" in loaded) throw new ScheduleLoadError(loaded.errors.map(formatScheduleFileError));

  let accounts: Account[] = config.accounts;
  let sandbox: RunningSandbox | undefined;
  if (accounts.length === 0) {
    sandbox = await startSandbox({
      basePort: 0,
      speed: config.sandboxSpeed,
      ...(options.sandboxStart ? { start: options.sandboxStart } : {}),
    });
    accounts = sandboxAccounts(sandbox.description);
    log.info("no cloud account configured: running against the built-in sandbox clouds", {
      sandbox: Object.fromEntries(
        Object.entries(sandbox.description).map(([cloud, info]) => [cloud, info.endpoint]),
      ),
      speed: config.sandboxSpeed,
      accounts: accounts.length,
    });
  }
  const running = sandbox;
  const cloudNow = running ? () => running.sandbox.clock.now() : () => new Date();

  const store = await openStore(config.store);
  const extraCaPem = await loadExtraCa(options.env ?? process.env);
  const transport = createNodeTransport(extraCaPem ? { extraCaPem } : {});
  const http = createHttpClient({ fetch: transport.fetch });
  const byAccount = new Map(
    accounts.map((account) => [
      account.id,
      createProvider(account, { http, now: cloudNow, nonce: () => crypto.randomUUID() }),
    ]),
  );
  const providers = [...byAccount.values()];
  const inventory = cachedInventory(() => listInventory(providers), {
    maxAgeMs: INVENTORY_MAX_AGE_MS,
    now: cloudNow,
    refreshInBackground: true,
  });
  const kube = createKubernetesAccess();
  const eventBridge = eventBridgeFromEnv(options.env ?? process.env);
  const events = eventBridge
    ? createEventBridgePublisher({
        client: eventBridge.client,
        ...(eventBridge.eventBusName ? { eventBusName: eventBridge.eventBusName } : {}),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        random: Math.random,
        log,
      })
    : undefined;

  return {
    accounts,
    ...(sandbox ? { sandbox } : {}),
    store,
    providers,
    schedules: loaded.schedules,
    calendars: loaded.calendars,
    cloudNow,
    inventory,
    tickDeps: {
      store,
      log,
      schedules: loaded.schedules,
      calendars: loaded.calendars,
      inventory: () => inventory.get(),
      providerFor: (account) => byAccount.get(account),
      kube,
      ...(events ? { events } : {}),
      notices: { settings: config.notices, fetch: (url, init) => transport.fetch(url, init) },
      holder: `${hostname()}:${process.pid}`,
      clock: cloudNow,
    },
    async close() {
      await kube.close();
      await transport.close();
      await store.close();
      await sandbox?.stop();
    },
  };
}
