// Opens the store the Node host is configured for (NIGHTSHIFT_STORE).
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { StoreConfig } from "../config/config.ts";
import { memoryBackend } from "./memory.ts";
import { redisBackend } from "./redis.node.ts";
import { sqliteBackend } from "./sqlite.node.ts";
import { createStore, type Store } from "./store.ts";

export async function openStore(config: StoreConfig): Promise<Store> {
  switch (config.kind) {
    case "memory":
      return createStore(memoryBackend());
    case "sqlite":
      await mkdir(dirname(config.path), { recursive: true });
      return createStore(await sqliteBackend(config.path));
    case "redis":
      return createStore(await redisBackend({ url: config.url, prefix: `${config.prefix}:` }));
  }
}

/** Where a store lives, for the start-up log: never the Redis password. */
export function describeStore(config: StoreConfig): string {
  if (config.kind === "redis") {
    const url = new URL(config.url);
    url.password = "";
    url.username = "";
    return `redis ${url.host}${url.pathname} (prefix ${config.prefix})`;
  }
  return config.kind === "sqlite" ? `sqlite ${config.path}` : "memory";
}
