// Opens the store the Node host is configured for (NIGHTSHIFT_STORE).
import { mkdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { ConfigError, type StoreConfig } from "../config/config.ts";
import { memoryBackend } from "./memory.ts";
import type { ConnectionChange } from "./redis.node.ts";
import { sqliteBackend } from "./sqlite.node.ts";
import { createStore, type Store, type StoreOptions } from "./store.ts";

/**
 * Opens the store; a store that cannot be opened is a ConfigError naming NIGHTSHIFT_STORE.
 * `options` (the latency observer) go to createStore; `onConnection` hears a networked store's
 * connection lost and restored (Redis).
 */
export async function openStore(
  config: StoreConfig,
  { onConnection, ...options }: StoreOptions & { onConnection?: (change: ConnectionChange) => void } = {},
): Promise<Store> {
  const problem = (message: string, cause: unknown) =>
    new ConfigError([{ variable: "NIGHTSHIFT_STORE", message }], { cause });
  switch (config.kind) {
    case "memory":
      return createStore(memoryBackend(), options);
    case "sqlite": {
      const path = resolve(config.path);
      const found = await stat(path).catch(() => undefined);
      if (found?.isDirectory()) {
        throw problem(
          `${path} is a directory; name a file in it, e.g. sqlite:${join(path, "state.db")}`,
          undefined,
        );
      }
      try {
        await mkdir(dirname(path), { recursive: true });
        return createStore(await sqliteBackend(path), options);
      } catch (error) {
        throw problem(
          `cannot open the SQLite file ${path} (${reason(error)}); name a writable file, e.g. sqlite:.nightshift/state.db`,
          error,
        );
      }
    }
    case "redis":
      try {
        // Imported here: the Redis client is ~650 modules, which a memory or SQLite start never loads.
        const { redisBackend } = await import("./redis.node.ts");
        return createStore(
          await redisBackend({
            url: config.url,
            prefix: `${config.prefix}:`,
            ...(onConnection ? { onConnection } : {}),
          }),
          options,
        );
      } catch (error) {
        throw problem(`${reason(error)}; check that Redis is running there, or use sqlite:<file>`, error);
      }
  }
}

const reason = (error: unknown) =>
  (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));

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
