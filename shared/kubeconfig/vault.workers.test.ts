// The credential vault on D1 inside workerd, against the local D1 of the `DB` binding.
import { env } from "cloudflare:test";
import type { D1Database } from "@cloudflare/workers-types";
import { vaultContract } from "../../test/contract/store/vault-contract.ts";
import { d1Backend, migrateD1 } from "../store/d1.workers.ts";

const DB = (env as unknown as { DB: D1Database }).DB;

vaultContract("d1", async () => {
  await migrateD1(DB);
  await DB.batch([
    DB.prepare("DELETE FROM records"),
    DB.prepare("DELETE FROM counters"),
    DB.prepare("DELETE FROM ledger"),
  ]);
  return d1Backend(DB);
});
