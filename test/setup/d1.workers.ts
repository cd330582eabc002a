// The local D1 of the `DB` binding (wrangler.toml) for the tests inside workerd: each test file
// gets its own database, and the tests of one file share it, so each starts from `emptiedD1()`.
import { env } from "cloudflare:test";
import type { D1Database } from "@cloudflare/workers-types";
import { migrateD1 } from "../../shared/store/d1.workers.ts";

export const DB = (env as unknown as { DB: D1Database }).DB;

/** The test file's D1, its schema up to date and every store table emptied. */
export async function emptiedD1(): Promise<D1Database> {
  await migrateD1(DB);
  await DB.batch([
    DB.prepare("DELETE FROM records"),
    DB.prepare("DELETE FROM counters"),
    DB.prepare("DELETE FROM tallies"),
    DB.prepare("DELETE FROM ledger"),
  ]);
  return DB;
}
