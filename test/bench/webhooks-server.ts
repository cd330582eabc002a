// The Node service's HTTP side for the webhook benchmark, in a process of its own as in production:
// the Hono app over the Node server, a store (BENCH_WEBHOOK_STORE: sqlite in a temp dir, or memory;
// BENCH_SQLITE_GROUP_COMMIT=0 turns the SQLite backend's group commit off, for comparison) and the
// resize function's own `accept` (functions/resize/accept.ts) with rules that match every bench
// event: each accepted event is claimed, creates its resize operation, and is marked recorded
// before the answer. The operations are left for the ticker (no `start`): the cloud call is not
// part of acceptance. Prints `{"url": ...}` once listening; stops on SIGTERM.
// `GET /__bench/handled` answers how long the app took over each request since the last such call
// (ms, from the Request to the Response: the service's own time, without the sockets' queueing).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAcceptEvents } from "../../functions/resize/accept.ts";
import { loadConfig } from "../../shared/config/config.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { parseScheduleFile } from "../../shared/schedule/schedule-file.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { sqliteBackend } from "../../shared/store/sqlite.node.ts";
import { createStore } from "../../shared/store/store.ts";
import { serveOnLoopback, webhooksApp } from "../setup/webhooks-server.node.ts";

/** The account the rules name; the bench events name its cluster and pool. */
export const BENCH_ACCOUNT = "bench-huawei";
const RULES = `kind: resize
name: bench-backlog
match: { source: alertmanager, type: QueueBacklogHigh }
target: { account: ${BENCH_ACCOUNT} }
action: { add: 1 }
max: 20
---
kind: resize
name: bench-signed
match: { source: events, type: nodepool.resize }
target: { account: ${BENCH_ACCOUNT} }
action: { set: 5 }
`;

const dir = mkdtempSync(join(tmpdir(), "nightshift-bench-webhooks-"));
const store = createStore(
  process.env.BENCH_WEBHOOK_STORE === "memory"
    ? memoryBackend()
    : await sqliteBackend(join(dir, "state.db"), {
        groupCommit: process.env.BENCH_SQLITE_GROUP_COMMIT !== "0",
      }),
);
// The credentials as the service reads them (the bench passes them in the environment).
const config = loadConfig(process.env);
const parsed = parseScheduleFile(RULES, "bench-rules.yaml");
if ("errors" in parsed) throw new Error(JSON.stringify(parsed.errors));
const log = createLogger({ level: "warn", write: (line) => process.stderr.write(`${line}\n`) });
const accept = createAcceptEvents({
  store,
  rules: parsed.rules,
  accounts: new Map([[BENCH_ACCOUNT, { kind: "huawei", region: "cn-north-4" }]]),
  log,
});
const app = webhooksApp({ log, store, webhooks: config.webhooks, accept });
let handled: number[] = [];
const fetch = async (request: Request) => {
  const path = new URL(request.url).pathname;
  if (request.method === "GET" && path === "/__bench/handled") {
    const answer = Response.json(handled);
    handled = [];
    return answer;
  }
  if (request.method === "GET" && path === "/__bench/operations") {
    // How many resize operations the accepted events created (the bench checks one per event).
    return Response.json({ operations: (await store.operations.list({}, new Date())).length });
  }
  const started = performance.now();
  const response = await app.fetch(request);
  handled.push(performance.now() - started);
  return response;
};
const { server, base } = await serveOnLoopback(fetch);
process.stdout.write(`${JSON.stringify({ url: base })}\n`);
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  void store.close().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
