// The ownership rule as one table: which schedule owns a target, or why none does.
import { describe, expect, it } from "vitest";
import { compileOwnership, ownershipOf, viewOwnership } from "./ownership.ts";
import type { SelectableTarget } from "./plan.ts";
import type { Schedule, TargetSelector } from "./types.ts";

const schedule = (name: string, targets: TargetSelector[], enabled = true) =>
  ({ name, enabled, targets }) satisfies Pick<Schedule, "name" | "enabled" | "targets">;

const qa = schedule("qa", [{ tags: { env: "qa" } }]);
const hw = schedule("hw-account", [{ accounts: ["prod-hw"] }]);
const names = schedule("by-name", [{ names: ["qa-*"] }]);
const off = schedule("off", [{ accounts: ["prod-hw"] }], false);
const offToo = schedule("off-too", [{ providers: ["huawei"] }], false);

const target = (overrides: Partial<SelectableTarget> = {}): SelectableTarget => ({
  provider: "huawei",
  account: "prod-hw",
  region: "cn-north-4",
  id: "c1",
  name: "qa-1",
  tags: { env: "qa" },
  ...overrides,
});
const elsewhere = { account: "dev-ali", provider: "alibaba" as const };

describe("ownershipOf", () => {
  it.each([
    ["one enabled schedule matches", [qa], target(), { status: "owned", schedule: "qa" }],
    ["no schedule matches", [qa], target({ tags: {} }), { status: "unmatched" }],
    ["no schedules at all", [], target(), { status: "unmatched" }],
    [
      "two enabled schedules match (by tag and by account)",
      [qa, hw],
      target(),
      {
        status: "several-schedules",
        schedules: ["qa", "hw-account"],
        message: "matched by qa, hw-account; make the selectors exclusive (or disable all but one)",
      },
    ],
    [
      "three enabled schedules match, named in the order given",
      [names, hw, qa],
      target(),
      { status: "several-schedules", schedules: ["by-name", "hw-account", "qa"] },
    ],
    [
      "an enabled and a disabled schedule match: the enabled one owns it",
      [off, qa],
      target(),
      {
        status: "owned",
        schedule: "qa",
      },
    ],
    [
      "two enabled and a disabled: still a conflict between the enabled two",
      [off, qa, hw],
      target(),
      {
        status: "several-schedules",
        schedules: ["qa", "hw-account"],
      },
    ],
    [
      "only a disabled schedule matches",
      [off, qa],
      target({ tags: {} }),
      {
        status: "disabled",
        schedules: ["off"],
        message: "matched only by disabled schedule off (enabled: false)",
      },
    ],
    [
      "only disabled schedules match",
      [off, offToo],
      target(),
      { status: "disabled", message: "matched only by disabled schedules off, off-too (enabled: false)" },
    ],
    [
      "the other schedules' targets are unaffected",
      [qa, hw],
      target({ ...elsewhere, tags: {} }),
      {
        status: "unmatched",
      },
    ],
  ] as const)("%s", (_case, schedules, t, expected) => {
    expect(viewOwnership(ownershipOf(t, schedules))).toMatchObject(expected);
  });

  it("returns the schedule objects themselves, so callers compare by identity", () => {
    const owned = ownershipOf(target(), [off, qa]);
    expect(owned).toEqual({ status: "owned", schedule: qa });
    const conflict = ownershipOf(target(), [qa, hw]);
    expect(conflict.status === "several-schedules" && conflict.schedules[1]).toBe(hw);
  });

  it("a compiled rule answers each target of a fleet like the one-target form", () => {
    const schedules = [qa, hw, names, off, offToo];
    const ownershipAt = compileOwnership(schedules);
    const fleet = [
      target(),
      target({ tags: {}, name: "web" }),
      target({ ...elsewhere, name: "qa-2", tags: {} }),
      target({ ...elsewhere, name: "web", tags: {} }),
    ];
    expect(fleet.map((t) => viewOwnership(ownershipAt(t)).status)).toEqual([
      "several-schedules",
      "owned",
      "owned",
      "unmatched",
    ]);
    for (const t of fleet) expect(ownershipAt(t)).toEqual(ownershipOf(t, schedules));
  });
});
