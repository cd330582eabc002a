// The Node service's HTTP side for the webhook benchmark, in a process of its own as in production:
// the Hono app over the Node server, a store (BENCH_WEBHOOK_STORE: sqlite in a temp dir, or memory)
// and what records the events. Prints `{"url": ...}` once listening; stops on SIGTERM.
// `GET /__bench/handled` answers how long the app took over each request since the last such call
// (ms, from the Request to the Response: the service's own time, without the sockets' queueing).
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../functions/app.ts";
import { serveWithJsonErrors } from "../../functions/client-error.node.ts";
import { loadConfig } from "../../shared/config/config.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { openStore } from "../../shared/store/open.node.ts";
import { recordingAccept } from "../setup/recording-accept.ts";

const dir = mkdtempSync(join(tmpdir(), "nightshift-bench-webhooks-"));
const store = await openStore(
  process.env.BENCH_WEBHOOK_STORE === "memory"
    ? { kind: "memory" }
    : { kind: "sqlite", path: join(dir, "state.db") },
);
// The credentials as the service reads them (the bench passes them in the environment).
const config = loadConfig(process.env);
// The durable record: the store's duplicate-detecting claim per event id (see recording-accept.ts),
// standing in for the resize function's `accept` until it is merged.
const recorder = recordingAccept(store);
const app = createApp({
  host: "node",
  log: createLogger({ level: "warn", write: (line) => process.stderr.write(`${line}\n`) }),
  now: () => new Date(),
  inventory: async () => ({ targets: [], errors: [] }),
  store,
  schedules: [],
  calendars: new Map(),
  webhooks: config.webhooks,
  accept: recorder.accept,
});
let handled: number[] = [];
const fetch = async (request: Request) => {
  if (request.method === "GET" && new URL(request.url).pathname === "/__bench/handled") {
    const answer = Response.json(handled);
    handled = [];
    return answer;
  }
  const started = performance.now();
  const response = await app.fetch(request);
  handled.push(performance.now() - started);
  return response;
};
const server = serveWithJsonErrors({ fetch, port: 0, hostname: "127.0.0.1" }, () => {
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
  );
});
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  void store.close().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
