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
