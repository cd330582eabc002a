// The credential vault on a SQLite file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { vaultContract } from "../../test/contract/store/vault-contract.ts";
import { sqliteBackend } from "../store/sqlite.node.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

vaultContract("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-vault-"));
  dirs.push(dir);
  return sqliteBackend(join(dir, "store.db"));
});
