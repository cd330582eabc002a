// Node host: the Hono app over @hono/node-server, an in-process ticker, graceful shutdown.

import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Config } from "../shared/config/config.ts";
import type { Logger } from "../shared/log/logger.ts";
import { createApp } from "./app.ts";
import { runTick } from "./tick.ts";

export interface RunningServer {
  url: string;
  /** Stops the ticker, lets the current tick and in-flight requests finish, closes the listener. */
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 10_000;

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const app = createApp({ host: "node", log, now: () => new Date() });

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
      .then(() => runTick({ now: new Date(), trigger: "ticker", log }))
      .catch((error: unknown) => log.error("tick failed", { error }));
  };
  tick();
  const timer = setInterval(tick, config.tickSeconds * 1000);

  log.info("nightshift started", { url, tickSeconds: config.tickSeconds, accounts: config.accounts.length });

  return {
    url,
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
      log.info("nightshift stopped", { outcome });
    },
  };
}
