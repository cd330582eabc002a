// `npm ci` (what every user's CI runs) refuses a lock file that is out of step with package.json,
// or that lacks the entries of other platforms' optional packages (@biomejs/cli-darwin-arm64,
// @cloudflare/workerd-windows-64, ...), which some npm versions leave out when they write the lock
// on one platform. These checks fail the test run before a user's CI does. Fix: run `npm install`
// with npm >= 11 (it writes every platform's entries) and commit package-lock.json.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

interface LockedPackage {
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const read = (file: string) => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), "utf8"));
const lock = read("package-lock.json") as {
  lockfileVersion: number;
  packages: Record<string, LockedPackage>;
};
const manifest = read("package.json") as LockedPackage;

/** Where Node would find `name` when required from the package installed at `from` ("" is the root). */
function resolveInLock(packages: Record<string, LockedPackage>, from: string, name: string) {
  let base = from;
  for (;;) {
    const candidate = `${base === "" ? "" : `${base}/`}node_modules/${name}`;
    if (candidate in packages) return candidate;
    if (base === "") return undefined;
    const parent = base.lastIndexOf("/node_modules/");
    base = parent === -1 ? "" : base.slice(0, parent);
  }
}

/** Every optional dependency that has no entry in the lock, as "<package> -> <dependency>". */
function missingOptionalEntries(packages: Record<string, LockedPackage>): string[] {
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(packages)) {
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      if (resolveInLock(packages, path, name) === undefined) missing.push(`${path || "(root)"} -> ${name}`);
    }
  }
  return missing;
}

describe("package-lock.json works with npm ci", () => {
  it("is a version 3 lock whose root entry lists exactly package.json's dependencies", () => {
    expect(lock.lockfileVersion).toBe(3);
    const root = lock.packages[""];
    expect(root?.dependencies ?? {}).toEqual(manifest.dependencies ?? {});
    expect(root?.devDependencies ?? {}).toEqual(manifest.devDependencies ?? {});
  });

  it("has an entry for every optional (platform-specific) package, for every platform", () => {
    expect(missingOptionalEntries(lock.packages)).toEqual([]);
    // The check is not vacuous: the lock does carry other platforms' packages.
    expect(Object.keys(lock.packages)).toContain("node_modules/@biomejs/cli-darwin-arm64");
  });

  it("reports a lock written without other platforms' packages", () => {
    const packages = structuredClone(lock.packages);
    delete packages["node_modules/@biomejs/cli-darwin-arm64"];
    expect(missingOptionalEntries(packages)).toContain(
      "node_modules/@biomejs/biome -> @biomejs/cli-darwin-arm64",
    );
  });

  it("resolves nested packages the way Node does: nearest node_modules first, then upwards", () => {
    const packages = {
      "node_modules/a": {},
      "node_modules/b/node_modules/a": {},
      "node_modules/@s/c": {},
    };
    expect(resolveInLock(packages, "node_modules/b", "a")).toBe("node_modules/b/node_modules/a");
    expect(resolveInLock(packages, "node_modules/@s/c", "a")).toBe("node_modules/a");
    expect(resolveInLock(packages, "node_modules/b/node_modules/a", "@s/c")).toBe("node_modules/@s/c");
    expect(resolveInLock(packages, "", "missing")).toBeUndefined();
  });
});
