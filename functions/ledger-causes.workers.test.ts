// One ledger entry per cause outside the jobs runtime (test/contract/ledger-causes.ts) inside
// workerd, on the local D1 of the `DB` binding: every scenario starts from emptied tables.
import { env } from "cloudflare:test";
import type { D1Database } from "@cloudflare/workers-types";
import { d1Backend, migrateD1 } from "../shared/store/d1.workers.ts";
import { ledgerCausesContract } from "../test/contract/ledger-causes.ts";

const DB = (env as unknown as { DB: D1Database }).DB;

ledgerCausesContract("d1", async () => {
  await migrateD1(DB);
  await DB.batch([
    DB.prepare("DELETE FROM records"),
    DB.prepare("DELETE FROM counters"),
    DB.prepare("DELETE FROM ledger"),
  ]);
  return d1Backend(DB);
});
