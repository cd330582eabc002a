import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BUNDLE_PATH, renderScheduleBundle } from "./bundle-schedules.node.ts";

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
