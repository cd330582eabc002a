import { env } from "cloudflare:test";
import type { D1Database } from "@cloudflare/workers-types";
import { d1Backend, migrateD1 } from "../../shared/store/d1.workers.ts";
import { createStore } from "../../shared/store/store.ts";
import { duplicateStorm } from "./resize-duplicates.ts";

const DB = (env as unknown as { DB: D1Database }).DB;

duplicateStorm("d1", async () => {
  await migrateD1(DB);
  return createStore(d1Backend(DB));
});
