import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { redisBackend } from "../../shared/store/redis.node.ts";
import { sqliteBackend } from "../../shared/store/sqlite.node.ts";
import { createStore } from "../../shared/store/store.ts";
import { type RedisServer, startRedisServer } from "../setup/servers.ts";
import { duplicateStorm } from "./resize-duplicates.ts";

const dir = mkdtempSync(join(tmpdir(), "nightshift-storm-"));
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
}, 40_000);
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

duplicateStorm("sqlite", async () => createStore(await sqliteBackend(join(dir, "store.db"))));
duplicateStorm("redis", async () => createStore(await redisBackend({ url: redis.url, prefix: "storm:" })));
