// The Redis backend against a REAL redis-server started here (Debian package `redis-server`), on a
// free loopback port, without persistence; killed after. Runs the shared backend contract (each
// test on a fresh key prefix), Redis-specific behaviour (physical expiry, index pruning, prefixes,
// script cache loss), a differential run against the memory reference, and races between four
// Node processes that each hold their own connection.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendContract } from "../../test/contract/store/backend-contract.ts";
import { storeContract } from "../../test/contract/store/store-contract.ts";
import { freePort, type RedisServer, startRedisServer, stopChild } from "../../test/setup/servers.ts";
import type { LedgerQuery, StoreBackend } from "./backend.ts";
import { memoryBackend } from "./memory.ts";
import { type ConnectionChange, redisBackend } from "./redis.node.ts";
import { StoreUnavailableError } from "./store.ts";

const T0 = new Date("2026-11-22T20:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

let server: RedisServer;
let prefixes = 0;
const freshPrefix = () => `t${++prefixes}:${process.pid}:`;

beforeAll(async () => {
  server = await startRedisServer();
}, 40_000);
afterAll(async () => {
  await server?.stop();
});

backendContract("redis", async () => redisBackend({ url: server.url, prefix: freshPrefix() }));
storeContract("redis", async () => redisBackend({ url: server.url, prefix: freshPrefix() }));

const rawClient = () => createClient({ url: server.url });

async function withRaw<T>(use: (raw: ReturnType<typeof rawClient>) => Promise<T>): Promise<T> {
  const raw = rawClient();
  await raw.connect();
  try {
    return await use(raw);
  } finally {
    await raw.close();
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return await check();
}

describe("redis backend: what only Redis does", () => {
  it("puts unfinished operations written before record indexes into the active index, once, at open", async () => {
    const prefix = freshPrefix();
    const op = (id: string, status: string, createdAt: string) =>
      JSON.stringify({ id, target: "t", kind: "sleep", status, step: "s", data: {}, attempts: 0, createdAt });
    // As the backend wrote them before: record hashes without an index field, in the key index.
    await withRaw(async (raw) => {
      for (const [id, status, createdAt] of [
        ["legacy-waiting", "waiting", "2026-11-20T22:00:00.123Z"],
        ["legacy-done", "succeeded", "2026-11-19T22:00:00.000Z"],
        ["legacy-pending", "pending", "2026-11-21T22:00:00.000Z"],
      ] as const) {
        await raw.hSet(`${prefix}rec:2:op${id}`, { v: op(id, status, createdAt), n: "3", e: "" });
        await raw.zAdd(`${prefix}idx:2:op`, { score: 0, value: id });
      }
    });
    const backend = await redisBackend({ url: server.url, prefix });
    try {
      expect(
        (await backend.listIndex("op", "active", {}, T0)).map((r) => [r.key, r.score, r.version]),
      ).toEqual([
        ["legacy-waiting", Date.parse("2026-11-20T22:00:00.123Z"), 3],
        ["legacy-pending", Date.parse("2026-11-21T22:00:00.000Z"), 3],
      ]);
      expect((await backend.get("op", "legacy-done", T0))?.version).toBe(3);
    } finally {
      await backend.close();
    }
    // Once per prefix: a store opened again does not scan the operations again.
    await withRaw(async (raw) => {
      await raw.hSet(`${prefix}rec:2:oplate`, {
        v: op("late", "waiting", "2026-11-22T00:00:00.000Z"),
        n: "1",
        e: "",
      });
      await raw.zAdd(`${prefix}idx:2:op`, { score: 0, value: "late" });
    });
    const reopened = await redisBackend({ url: server.url, prefix });
    try {
      expect((await reopened.listIndex("op", "active", {}, T0)).map((r) => r.key)).toEqual([
        "legacy-waiting",
        "legacy-pending",
      ]);
    } finally {
      await reopened.close();
    }
  });

  it("gives an expiring record a physical TTL one margin after its expiry, and drops it on rewrite", async () => {
    const prefix = freshPrefix();
    const backend = await redisBackend({ url: server.url, prefix, expiryMarginMs: 3_600_000 });
    try {
      await backend.put(
        "ns",
        "k",
        { value: "v", expiresAt: at(60_000).getTime() },
        { expectedVersion: null },
        T0,
      );
      await withRaw(async (raw) => {
        const ttl = await raw.pTTL(`${prefix}rec:2:nsk`);
        expect(ttl).toBeGreaterThan(3_660_000 - 10_000);
        expect(ttl).toBeLessThanOrEqual(3_660_000);
        expect(await raw.zScore(`${prefix}expiry`, "2:nsk")).toBe(at(60_000).getTime());
      });
      expect(
        await backend.put("ns", "k", { value: "w", expiresAt: null }, { expectedVersion: 1 }, T0),
      ).toEqual({
        ok: true,
        version: 2,
      });
      await withRaw(async (raw) => {
        expect(await raw.pTTL(`${prefix}rec:2:nsk`)).toBe(-1);
        expect(await raw.zCard(`${prefix}expiry`)).toBe(0);
      });
    } finally {
      await backend.close();
    }
  });

  it("lets Redis free expired records itself; list and sweep prune what they left in the indexes", async () => {
    // Real milliseconds (Redis frees them on its own clock): long enough that the first list comes
    // before it even on a busy machine.
    const LIFETIME_MS = 500;
    const prefix = freshPrefix();
    const backend = await redisBackend({ url: server.url, prefix, expiryMarginMs: 0 });
    try {
      for (const key of ["a1", "b1"]) {
        await backend.put(
          "ns",
          key,
          { value: key, expiresAt: at(LIFETIME_MS).getTime() },
          { expectedVersion: null },
          T0,
        );
      }
      await backend.put("ns", "c1", { value: "c1", expiresAt: null }, { expectedVersion: null }, T0);
      // Before the logical expiry both are live, whatever Redis does later.
      expect((await backend.list("ns", {}, at(LIFETIME_MS - 1))).map((r) => r.key)).toEqual([
        "a1",
        "b1",
        "c1",
      ]);
      const freed = await withRaw((raw) =>
        until(async () => (await raw.exists([`${prefix}rec:2:nsa1`, `${prefix}rec:2:nsb1`])) === 0, 3_000),
      );
      expect(freed).toBe(true);
      await withRaw(async (raw) => expect(await raw.zCard(`${prefix}idx:2:ns`)).toBe(3));

      expect(await backend.list("ns", { prefix: "a" }, at(2 * LIFETIME_MS))).toEqual([]);
      await withRaw(async (raw) => {
        expect(await raw.zRange(`${prefix}idx:2:ns`, 0, -1)).toEqual(["b1", "c1"]);
        expect(await raw.zCard(`${prefix}expiry`)).toBe(2);
      });
      // Already freed by Redis, so nothing counts as swept, but the stale entries go.
      expect(await backend.sweep(at(2 * LIFETIME_MS))).toBe(0);
      await withRaw(async (raw) => {
        expect(await raw.zRange(`${prefix}idx:2:ns`, 0, -1)).toEqual(["c1"]);
        expect(await raw.zCard(`${prefix}expiry`)).toBe(0);
      });
      // Physically gone is the same as swept: a new record starts again at 1.
      expect(
        await backend.put(
          "ns",
          "a1",
          { value: "again", expiresAt: null },
          { expectedVersion: null },
          at(2 * LIFETIME_MS),
        ),
      ).toEqual({ ok: true, version: 1 });
    } finally {
      await backend.close();
    }
  });

  it("keeps stores with different prefixes on one Redis apart", async () => {
    const [p1, p2] = [freshPrefix(), freshPrefix()];
    const one = await redisBackend({ url: server.url, prefix: p1 });
    const two = await redisBackend({ url: server.url, prefix: p2 });
    try {
      for (const backend of [one, two]) {
        const put = await backend.put(
          "ns",
          "k",
          { value: "v", expiresAt: at(10).getTime() },
          { expectedVersion: null },
          T0,
        );
        expect(put).toEqual({ ok: true, version: 1 });
        expect(await backend.increment("fence")).toBe(1);
        const entry = await backend.append({ at: T0, operationId: "op", target: "t", kind: "k", detail: {} });
        expect(entry.seq).toBe(1);
      }
      expect(await one.sweep(at(20))).toBe(1);
      expect(await two.get("ns", "k", at(5))).toEqual({
        value: "v",
        version: 1,
        expiresAt: at(10).getTime(),
      });
      expect(await two.sweep(at(20))).toBe(1);
      expect(await one.query({})).toHaveLength(1);
      await withRaw(async (raw) => {
        const keys = await raw.keys(`${p1}*`);
        expect(keys.length).toBeGreaterThan(0);
        expect(keys.every((key) => key.startsWith(p1) && !key.startsWith(p2))).toBe(true);
      });
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("reloads its scripts when Redis has lost them (SCRIPT FLUSH, restart, failover)", async () => {
    const backend = await redisBackend({ url: server.url, prefix: freshPrefix() });
    try {
      await withRaw((raw) => raw.scriptFlush());
      expect(
        await backend.put("ns", "k", { value: "v", expiresAt: null }, { expectedVersion: null }, T0),
      ).toEqual({
        ok: true,
        version: 1,
      });
      expect(await backend.delete("ns", "k", 1, T0)).toBe(true);
    } finally {
      await backend.close();
    }
  });

  it("reconnects after Redis drops its connection, and the next compare-and-set still decides", async () => {
    const backend = await redisBackend({ url: server.url, prefix: freshPrefix() });
    try {
      await backend.put("ns", "k", { value: "v", expiresAt: null }, { expectedVersion: null }, T0);
      const killed = await withRaw((raw) =>
        raw.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]),
      );
      expect(Number(killed)).toBeGreaterThanOrEqual(1);
      expect(
        await backend.put("ns", "k", { value: "w", expiresAt: null }, { expectedVersion: 1 }, T0),
      ).toEqual({
        ok: true,
        version: 2,
      });
    } finally {
      await backend.close();
    }
  });

  it("rides out a restart of a durable Redis: a call under way fails as unavailable, later ones wait, nothing written is lost", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nightshift-redis-restart-"));
    let durable = await startRedisServer({ port: await freePort(), dir });
    const changes: ConnectionChange[] = [];
    const backend = await redisBackend({
      url: durable.url,
      prefix: freshPrefix(),
      onConnection: (change) => changes.push(change),
    });
    const record = (value: string) => ({ value, expiresAt: null });
    try {
      expect(await backend.put("ns", "k", record("v"), { expectedVersion: null }, T0)).toEqual({
        ok: true,
        version: 1,
      });
      // Redis holds every call (CLIENT PAUSE), so the next one is under way when it is killed.
      const raw = createClient({ url: durable.url });
      raw.on("error", () => undefined); // its connection dies with the server: expected here
      await raw.connect();
      await raw.sendCommand(["CLIENT", "PAUSE", "5000", "ALL"]);
      // Its outcome is caught at once: it may fail while the kill is still being awaited.
      const underWay = backend.get("ns", "k", T0).then(
        () => undefined,
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      await durable.kill();
      raw.destroy();
      const failure = await underWay;
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as Error).message).toMatch(
        /^the store did not answer \(Redis at redis:\/\/127\.0\.0\.1:\d+: /,
      );
      expect((failure as Error).stack).not.toMatch(/\n\s+at /);
      // A call made while it is down waits for it; restarted on its data, the write decides on it.
      const waiting = backend.put("ns", "k", record("w"), { expectedVersion: 1 }, T0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      durable = await startRedisServer({ port: durable.port, dir });
      expect(await waiting).toEqual({ ok: true, version: 2 });
      expect(changes).toEqual([
        { state: "lost", store: durable.url, reason: expect.any(String) },
        { state: "restored", store: durable.url, downMs: expect.any(Number) },
      ]);
    } finally {
      await backend.close();
      await durable.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("returns ledger details exactly as given (no re-encoding inside Redis)", async () => {
    const backend = await redisBackend({ url: server.url, prefix: freshPrefix() });
    try {
      const detail = {
        empty: [],
        nested: { list: [1, 2.5, -0.125], none: null },
        big: 9_007_199_254_740_991,
        text: "夜间 ✓",
      };
      const appended = await backend.append({ at: T0, operationId: "op", target: "t", kind: "k", detail });
      expect(appended.detail).toEqual(detail);
      expect((await backend.query({ target: "t" }))[0]).toEqual({ ...appended, detail });
    } finally {
      await backend.close();
    }
  });

  it("refuses to start against a server that is not there, naming the URL without its password", async () => {
    const port = await freePort();
    const attempt = redisBackend({ url: `redis://user:secret@127.0.0.1:${port}`, prefix: freshPrefix() });
    await expect(attempt).rejects.toThrow(
      new RegExp(`cannot connect to Redis at redis://user:\\*\\*\\*@127\\.0\\.0\\.1:${port}`),
    );
    await expect(attempt).rejects.not.toThrow(/secret/);
  });
});

// A seeded generator, so a failure replays exactly.
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

describe("redis backend: the same answers as the memory reference", () => {
  it("agrees on records through a random run of puts, deletes, gets, lists and sweeps", async () => {
    const reference = memoryBackend();
    const backend = await redisBackend({ url: server.url, prefix: freshPrefix() });
    const rnd = random(4);
    const namespaces = ["a", "b", "a:b"] as const;
    const keys = ["x", "x:1", "x:10", "b:x", "键", "y", ""] as const;
    let clock = 0;
    try {
      for (let step = 0; step < 1500; step++) {
        clock += rnd.int(4) * 1000;
        const now = at(clock);
        const ns = rnd.pick(namespaces);
        const key = rnd.pick(keys);
        const op = rnd.int(10);
        if (op < 4) {
          const current = await reference.get(ns, key, now);
          const expectedVersion = rnd.pick([null, current?.version ?? 1, 1, 2]);
          const expiresAt = rnd.pick([null, now.getTime() + 5000, now.getTime() + 20_000]);
          const args = [ns, key, { value: `v${step}`, expiresAt }, { expectedVersion }, now] as const;
          expect(await backend.put(...args), `step ${step}`).toEqual(await reference.put(...args));
        } else if (op < 6) {
          const version = rnd.pick([1, 2, 3]);
          expect(await backend.delete(ns, key, version, now), `step ${step}`).toBe(
            await reference.delete(ns, key, version, now),
          );
        } else if (op < 8) {
          const options = {
            prefix: rnd.pick([undefined, "x", "x:1", "b", ""]),
            limit: rnd.pick([undefined, 0, 1, 3]),
          };
          expect(await backend.list(ns, options, now), `step ${step}`).toEqual(
            await reference.list(ns, options, now),
          );
        } else if (op < 9) {
          expect(await backend.sweep(now), `step ${step}`).toBe(await reference.sweep(now));
        }
        expect(await backend.get(ns, key, now), `step ${step}`).toEqual(await reference.get(ns, key, now));
      }
    } finally {
      await backend.close();
    }
  });

  it("agrees on ledger queries over entries appended out of time order", async () => {
    const reference = memoryBackend();
    const backend = await redisBackend({ url: server.url, prefix: freshPrefix() });
    const rnd = random(44);
    const targets = ["hw/c1", "ali/c2", "bd/c3", "hw/c4"];
    const operations = ["op1", "op2", "op3", "op4", "op5", "op6"];
    try {
      for (let i = 0; i < 1100; i++) {
        const entry = {
          at: at(rnd.int(600) * 1000),
          operationId: rnd.pick(operations),
          target: rnd.pick(targets),
          kind: `kind${i}`,
          detail: { i },
        };
        expect(await backend.append(entry)).toEqual(await reference.append(entry));
      }
      const queries: LedgerQuery[] = [{}, { limit: 5000 }, { limit: 0 }, { afterSeq: 1050 }];
      for (let i = 0; i < 250; i++) {
        const q: LedgerQuery = {};
        if (rnd.int(2)) q.target = rnd.pick([...targets, "nobody"]);
        if (rnd.int(2)) q.operationId = rnd.pick(operations);
        if (rnd.int(2)) q.from = at(rnd.int(600) * 1000);
        if (rnd.int(2)) q.to = at(rnd.int(600) * 1000);
        if (rnd.int(2)) q.afterSeq = rnd.int(1100);
        if (rnd.int(2)) q.limit = rnd.pick([1, 7, 100, 1000, 2000]);
        queries.push(q);
      }
      for (const q of queries) {
        expect(await backend.query(q), JSON.stringify(q)).toEqual(await reference.query(q));
      }
      expect(await backend.query({})).toHaveLength(100);
      expect(await backend.query({ limit: 5000 })).toHaveLength(1000);
    } finally {
      await backend.close();
    }
  });
});

interface WorkerResult {
  wins?: number[];
  blindLosses?: number;
  values?: number[];
}

const WORKER = fileURLToPath(new URL("../../test/contract/store/redis-race.worker.node.ts", import.meta.url));
const PROCESSES = 4;
const PER_PROCESS = 250;

// Starts the racing processes, waits until every one is connected, then releases them together.
async function race(
  prefix: string,
  mode: "claim" | "takeover" | "increment" | "tally" | "append-keyed",
): Promise<WorkerResult[]> {
  const children = Array.from({ length: PROCESSES }, () =>
    spawn(process.execPath, [WORKER, server.url, prefix, mode, String(PER_PROCESS)], {
      stdio: ["pipe", "pipe", "pipe"],
    }),
  );
  const outputs = children.map((child) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const ready = new Promise<void>((resolve, reject) => {
      const check = () => {
        if (stdout.startsWith("ready\n")) {
          child.stdout.off("data", check);
          resolve();
        }
      };
      child.stdout.on("data", check);
      child.once("exit", (code) => reject(new Error(`race worker exited ${code} before ready:\n${stderr}`)));
    });
    const done = new Promise<WorkerResult>((resolve, reject) => {
      child.once("exit", (code) => {
        if (code !== 0) return reject(new Error(`race worker exited ${code}:\n${stderr}`));
        const last = stdout.trim().split("\n").at(-1) ?? "";
        resolve(JSON.parse(last) as WorkerResult);
      });
    });
    return { ready, done };
  });
  try {
    await Promise.all(outputs.map((o) => o.ready));
    for (const child of children) child.stdin.end("go\n");
    return await Promise.all(outputs.map((o) => o.done));
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
  }
}

/** The record index holds the race's key once, at the score the winning write gave it. */
async function expectIndexedOnce(backend: StoreBackend, now: Date) {
  const { i } = JSON.parse((await backend.get("race", "key", now))?.value ?? "{}") as { i: number };
  expect((await backend.listIndex("race", "active", {}, now)).map((r) => [r.key, r.score])).toEqual([
    ["key", i],
  ]);
}

describe("redis backend: races between four Node processes, each with its own connection", () => {
  it(`lets exactly one of ${PROCESSES} x ${PER_PROCESS} concurrent claims of one key win`, async () => {
    const prefix = freshPrefix();
    const results = await race(prefix, "claim");
    const wins = results.flatMap((r) => r.wins ?? []);
    expect(wins).toEqual([1]);
    expect(results.reduce((sum, r) => sum + (r.blindLosses ?? 0), 0)).toBe(0);
    const backend = await redisBackend({ url: server.url, prefix });
    try {
      expect((await backend.get("race", "key", T0))?.version).toBe(1);
      await expectIndexedOnce(backend, T0);
    } finally {
      await backend.close();
    }
  }, 60_000);

  it("lets exactly one process take over an expired claim, one version up", async () => {
    const prefix = freshPrefix();
    const backend = await redisBackend({ url: server.url, prefix });
    try {
      // Expires at 20:00:10; the workers claim at 20:00:20.
      await backend.put(
        "race",
        "key",
        { value: "old", expiresAt: at(10_000).getTime(), index: { name: "active", score: -1 } },
        { expectedVersion: null },
        T0,
      );
      const results = await race(prefix, "takeover");
      expect(results.flatMap((r) => r.wins ?? [])).toEqual([2]);
      expect(results.reduce((sum, r) => sum + (r.blindLosses ?? 0), 0)).toBe(0);
      await expectIndexedOnce(backend, at(20_000));
      expect((await backend.get("race", "key", at(20_000)))?.version).toBe(2);
    } finally {
      await backend.close();
    }
  }, 60_000);

  it(`hands out ${PROCESSES * PER_PROCESS} distinct counter values to concurrent increments`, async () => {
    const results = await race(freshPrefix(), "increment");
    const values = results.flatMap((r) => r.values ?? []);
    expect(values).toHaveLength(PROCESSES * PER_PROCESS);
    expect(new Set(values).size).toBe(PROCESSES * PER_PROCESS);
    expect(Math.min(...values)).toBe(1);
    expect(Math.max(...values)).toBe(PROCESSES * PER_PROCESS);
  }, 60_000);

  it(`sums the tallies ${PROCESSES} x ${PER_PROCESS} concurrent calls add, two per call`, async () => {
    const prefix = freshPrefix();
    const results = await race(prefix, "tally");
    expect(results.flatMap((r) => r.values ?? [])).toHaveLength(PROCESSES * PER_PROCESS);
    const backend = await redisBackend({ url: server.url, prefix });
    try {
      expect(await backend.listTallies("race:")).toEqual([
        { name: "race:a", value: PROCESSES * PER_PROCESS },
        { name: "race:b", value: 2 * PROCESSES * PER_PROCESS },
      ]);
    } finally {
      await backend.close();
    }
  }, 60_000);

  it(`stores each of ${PER_PROCESS} keys once when ${PROCESSES} processes append all of them at once`, async () => {
    const prefix = freshPrefix();
    const results = await race(prefix, "append-keyed");
    // Every process got, for each key, the seq of the one entry stored under it.
    for (const r of results) expect(r.values).toEqual(results[0]!.values);
    const backend = await redisBackend({ url: server.url, prefix });
    try {
      const stored = await backend.query({ limit: 1000 });
      expect(stored).toHaveLength(PER_PROCESS);
      expect(stored.map((e) => e.seq)).toEqual([...results[0]!.values!].sort((a, b) => a - b));
      for (const e of stored) expect(e.key).toBe(`race:${(e.detail as { i: number }).i}`);
    } finally {
      await backend.close();
    }
  }, 60_000);
});
