// Node host: the Hono app over @hono/node-server, an in-process ticker, graceful shutdown. With no
// cloud account configured it runs the sandbox clouds in-process and points the providers at them
// (the embedded default a newcomer sees before entering any credentials).
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Account, Config } from "../shared/config/config.ts";
import { createHttpClient } from "../shared/http/client.ts";
import { createNodeTransport, loadExtraCa } from "../shared/http/transport.node.ts";
import type { Logger } from "../shared/log/logger.ts";
import { listInventory } from "../shared/providers/inventory.ts";
import { createProvider } from "../shared/providers/registry.ts";
import { sandboxAccounts } from "../shared/sandbox/accounts.ts";
import { type RunningSandbox, startSandbox } from "../shared/sandbox/server.node.ts";
import { describeStore, openStore } from "../shared/store/open.node.ts";
import { createApp } from "./app.ts";
import { runTick } from "./tick.ts";

export interface RunningServer {
  url: string;
  /** Present when no account was configured and the service runs against the built-in sandbox. */
  sandbox?: RunningSandbox;
  /** Stops the ticker, lets the current tick and in-flight requests finish, closes the listener. */
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 10_000;

export async function startServer(
  config: Config,
  log: Logger,
  options: { adminToken?: string; env?: Record<string, string | undefined> } = {},
): Promise<RunningServer> {
  let accounts: Account[] = config.accounts;
  let sandbox: RunningSandbox | undefined;
  if (accounts.length === 0) {
    sandbox = await startSandbox({ basePort: 0, speed: 1 });
    accounts = sandboxAccounts(sandbox.description);
    log.info("no cloud account configured: running against the built-in sandbox clouds", {
      sandbox: Object.fromEntries(
        Object.entries(sandbox.description).map(([cloud, info]) => [cloud, info.endpoint]),
      ),
      accounts: accounts.length,
    });
  }

  const extraCaPem = await loadExtraCa(options.env ?? process.env);
  const store = await openStore(config.store);
  const transport = createNodeTransport(extraCaPem ? { extraCaPem } : {});
  const http = createHttpClient({ fetch: transport.fetch });
  // Against the sandbox, its clock is the clouds' time (it may run faster than the real one).
  const cloudNow = sandbox ? () => sandbox.sandbox.clock.now() : () => new Date();
  const providers = accounts.map((account) =>
    createProvider(account, { http, now: cloudNow, nonce: () => crypto.randomUUID() }),
  );
  const adminToken = options.adminToken ?? config.adminToken;
  const app = createApp({
    host: "node",
    log,
    now: () => new Date(),
    ...(adminToken ? { adminToken } : {}),
    inventory: () => listInventory(providers),
    store,
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    s.once("error", reject);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  // Ticks never overlap: a slow tick delays the next one instead of running beside it.
  let currentTick: Promise<unknown> = Promise.resolve();
  let stopping = false;
  const tick = () => {
    if (stopping) return;
    currentTick = currentTick
      .then(async () => {
        const now = new Date();
        await runTick({ now, trigger: "ticker", log });
        await store.sweep(now);
      })
      .catch((error: unknown) => log.error("tick failed", { error }));
  };
  tick();
  const timer = setInterval(tick, config.tickSeconds * 1000);

  log.info("nightshift started", {
    url,
    tickSeconds: config.tickSeconds,
    accounts: accounts.length,
    store: describeStore(config.store),
  });

  return {
    url,
    ...(sandbox ? { sandbox } : {}),
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
      await transport.close();
      await store.close();
      await sandbox?.stop();
      log.info("nightshift stopped", { outcome });
    },
  };
}
