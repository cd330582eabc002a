// One ledger entry per cause outside the jobs runtime (test/contract/ledger-causes.ts) on the Node
// host's real backends: a SQLite file and a real redis-server.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { redisBackend } from "../shared/store/redis.node.ts";
import { sqliteBackend } from "../shared/store/sqlite.node.ts";
import { ledgerCausesContract } from "../test/contract/ledger-causes.ts";
import { type RedisServer, startRedisServer } from "../test/setup/servers.ts";

const dir = mkdtempSync(join(tmpdir(), "nightshift-ledger-causes-"));
let files = 0;
let server: RedisServer;
let prefixes = 0;
beforeAll(async () => {
  server = await startRedisServer();
}, 40_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

ledgerCausesContract("sqlite", () => sqliteBackend(join(dir, `store-${++files}.db`)));
ledgerCausesContract("redis", () => redisBackend({ url: server.url, prefix: `causes${++prefixes}:` }));
