// The store benchmark on a few claims, so `npm run bench` cannot rot: every backend is measured,
// and on a machine without redis-server the Redis section is skipped with the command to install
// it instead of crashing the whole run.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { benchStore } from "./store.ts";

const PATH = process.env.PATH;
afterEach(() => {
  process.env.PATH = PATH;
});

describe("benchStore", () => {
  it("measures every backend when redis-server is installed", async () => {
    const { figures, skipped } = await benchStore(50);
    expect(figures.map((f) => f.backend)).toEqual(["memory", "sqlite", "redis", "d1 (workerd, local)"]);
    for (const f of figures) expect(f.claimsPerSecond).toBeGreaterThan(0);
    expect(skipped).toEqual([]);
  }, 60_000);

  it("skips Redis, saying how to install it, when redis-server is not on PATH", async () => {
    // A redis-server first on PATH that does not run, as "command not found" would.
    const dir = mkdtempSync(join(tmpdir(), "no-redis-"));
    writeFileSync(join(dir, "redis-server"), "#!/bin/sh\nexit 127\n", { mode: 0o755 });
    process.env.PATH = `${dir}${delimiter}${PATH}`;
    const { figures, skipped } = await benchStore(50);
    expect(figures.map((f) => f.backend)).toEqual(["memory", "sqlite", "d1 (workerd, local)"]);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatch(/redis-server is not installed[\s\S]*apt-get install -y redis-server/);
  }, 60_000);
});
