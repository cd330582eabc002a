import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUNDLE_PATH, renderScheduleBundle, runBundleSchedules } from "./bundle-schedules.node.ts";

describe("the Worker's schedule bundle", () => {
  it("is exactly what `npm run bundle-schedules` makes from schedules/ now", async () => {
    const fresh = await renderScheduleBundle("schedules");
    const committed = readFileSync(BUNDLE_PATH, "utf8");
    expect(
      committed === fresh,
      "functions/schedules.bundle.ts is stale: run `npm run bundle-schedules`",
    ).toBe(true);
  });
});

describe("bundle-schedules refuses what is not one directory", () => {
  // Found by the chaos fuzz: an option was taken for a directory (an uncaught error, exit 1 through
  // the last resort) and nothing checked the argument count before the bundle was overwritten.
  it("answers an option, two directories or a missing directory with exit 2 and a message, writing nothing", async () => {
    const { runBundleSchedules } = await import("./bundle-schedules.node.ts");
    const bundlePath = `/tmp/nightshift-bundle-refused-${process.pid}.ts`;
    for (const args of [["--dry-run"], ["schedules", "other"], ["/no/such/dir"]]) {
      const errors: string[] = [];
      const code = await runBundleSchedules(
        args,
        { stdout: () => {}, stderr: (l) => errors.push(l) },
        { bundlePath },
      );
      expect(code, args.join(" ")).toBe(2);
      expect(errors.join("\n"), args.join(" ")).toMatch(
        /unknown option --dry-run|give one directory|\/no\/such\/dir/,
      );
    }
    const { existsSync } = await import("node:fs");
    expect(existsSync(bundlePath)).toBe(false);
  });
});

describe("bundle-schedules", () => {
  it("refuses invalid schedules with every problem by file and line, writing nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nightshift-bundle-"));
    try {
      writeFileSync(join(dir, "bad.yaml"), "name: bad\ntimezone: Mars/Olympus\nsleep: []\n");
      const before = readFileSync(BUNDLE_PATH, "utf8");
      const stdout: string[] = [];
      const stderr: string[] = [];
      const code = await runBundleSchedules([dir], {
        stdout: (line) => stdout.push(line),
        stderr: (line) => stderr.push(line),
      });
      expect(code).toBe(1);
      expect(stdout).toEqual([]);
      expect(stderr.join("\n")).toContain(`${dir}/bad.yaml:2: timezone`);
      expect(readFileSync(BUNDLE_PATH, "utf8")).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
