// The migration files wrangler applies (wrangler.toml `migrations_dir`) must be exactly the text of
// MIGRATIONS in sql.ts, which the backends apply themselves. NIGHTSHIFT_WRITE_MIGRATIONS=1 rewrites
// the files from sql.ts instead of comparing.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MIGRATIONS, migrationFileText, SCHEMA_VERSION } from "./sql.ts";

const dir = fileURLToPath(new URL("./migrations/", import.meta.url));

if (process.env.NIGHTSHIFT_WRITE_MIGRATIONS === "1") {
  for (const migration of MIGRATIONS) writeFileSync(`${dir}${migration.file}`, migrationFileText(migration));
}

describe("SQL migrations", () => {
  it("has one file per migration in sql.ts, with the same text", () => {
    const files = readdirSync(dir)
      .filter((name) => name.endsWith(".sql"))
      .sort();
    expect(files).toEqual(MIGRATIONS.map((m) => m.file));
    for (const migration of MIGRATIONS) {
      expect(readFileSync(`${dir}${migration.file}`, "utf8"), migration.file).toBe(
        migrationFileText(migration),
      );
    }
  });

  it("numbers migrations 1..n in order, names files after them, and records each version", () => {
    MIGRATIONS.forEach((migration, index) => {
      expect(migration.version).toBe(index + 1);
      expect(migration.file).toBe(`${String(migration.version).padStart(4, "0")}_${migration.name}.sql`);
      expect(migration.statements.at(-1)).toBe(
        `INSERT OR IGNORE INTO schema_version (version, name) VALUES (${migration.version}, '${migration.name}')`,
      );
      for (const statement of migration.statements) {
        expect(statement).not.toContain(";");
        expect(statement).not.toMatch(/^\s*(BEGIN|COMMIT|ROLLBACK)\b/i);
      }
    });
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });
});
