// Runs inside workerd for `npm run bench` (tick-store.ts): seeds the local D1 through the same
// store code the Worker uses, then runs one listing of a tick's per request, counting store reads
// on the backend and queries on the D1 binding. The caller times the request.
import type { D1Database, D1PreparedStatement } from "@cloudflare/workers-types";
import { d1Backend } from "../../shared/store/d1.workers.ts";
import { ACTIVE, createStore } from "../../shared/store/store.ts";
import { countingBackend } from "../contract/store/counting-backend.ts";
import { NOW, seed } from "./tick-seed.ts";

// wrangler.toml binds the rate-limiter Durable Object, so every entrypoint run with it exports it.
export { AccountRateLimiter } from "../../functions/account-rate.workers.ts";

/** The binding, counting every query it sends to D1 (a batch is one). */
function countingD1(db: D1Database, count: { queries: number }): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const sent =
      <K extends "first" | "all" | "run" | "raw">(method: K) =>
      (...args: unknown[]) => {
        count.queries++;
        return (statement[method] as (...a: unknown[]) => unknown).apply(statement, args);
      };
    const wrapped = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values)),
      first: sent("first"),
      all: sent("all"),
      run: sent("run"),
      raw: sent("raw"),
    } as unknown as D1PreparedStatement;
    real.set(wrapped, statement);
    return wrapped;
  };
  return {
    prepare: (sql: string) => wrap(db.prepare(sql)),
    batch: (statements: D1PreparedStatement[]) => {
      count.queries++;
      return db.batch(statements.map((s) => real.get(s) ?? s));
    },
    exec: (sql: string) => {
      count.queries++;
      return db.exec(sql);
    },
  } as unknown as D1Database;
}

const d1 = { queries: 0 };
let wrapped: D1Database | undefined;

export default {
  async fetch(request: Request, env: { DB: D1Database }): Promise<Response> {
    const url = new URL(request.url);
    wrapped ??= countingD1(env.DB, d1);
    const counted = countingBackend(d1Backend(wrapped));
    const store = createStore(counted.backend);
    if (url.pathname === "/seed") {
      const from = Number(url.searchParams.get("from"));
      const to = Number(url.searchParams.get("to"));
      await seed(store, from, to, url.searchParams.get("finished") === "true");
      return Response.json({ seeded: to - from });
    }
    const filter = url.searchParams.get("filter") === "active" ? { status: ACTIVE } : {};
    counted.reset();
    d1.queries = 0;
    const started = performance.now();
    const listed = (await store.operations.list(filter, NOW)).filter((op) =>
      ACTIVE.includes(op.status),
    ).length;
    const ms = performance.now() - started;
    return Response.json({ ...counted.counts, queries: d1.queries, ms, listed });
  },
};
