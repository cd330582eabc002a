import { describe, expect, it } from "vitest";
import { createLogger } from "../shared/log/logger.ts";
import { builtinCalendar } from "../shared/schedule/calendar.ts";
import type { Schedule } from "../shared/schedule/types.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore } from "../shared/store/store.ts";
import { logCoverageWarnings } from "./coverage-log.ts";

const office = (name: string, enabled = true): Schedule => ({
  name,
  source: `schedules/${name}.yaml`,
  enabled,
  timezone: "Asia/Shanghai",
  mode: "full",
  enforce: false,
  targets: [{}],
  rules: [{ to: "awake", days: ["mon"], at: "08:30" }],
  calendars: [{ builtin: "cn-mainland" }],
  holidays: "asleep",
  makeupDayAs: "mon",
  exceptions: [],
  graceMinutes: 60,
  minDwellMinutes: 0,
  releaseNodes: false,
  namespaces: [],
});

function setup(schedules: Schedule[]) {
  const lines: Array<{ level: string; msg: string; schedule?: string }> = [];
  const deps = {
    store: createStore(memoryBackend()),
    log: createLogger({ write: (line) => lines.push(JSON.parse(line)) }),
    schedules,
    calendars: new Map([["cn-mainland", builtinCalendar("cn-mainland")]]),
    holder: "test",
  };
  return { deps, lines };
}

const DECEMBER = new Date("2026-12-06T02:00:00Z");
const later = (hours: number) => new Date(DECEMBER.getTime() + hours * 3600_000);

describe("the tick's calendar-coverage warnings", () => {
  it("are logged at most once per schedule per 24 hours, for enabled schedules", async () => {
    const { deps, lines } = setup([office("a"), office("b"), office("off", false)]);
    await logCoverageWarnings(deps, DECEMBER, false);
    expect(lines.map((line) => [line.level, line.schedule])).toEqual([
      ["warn", "a"],
      ["warn", "b"],
    ]);
    expect(lines[0]?.msg).toMatch(
      /^schedule "a": calendar cn-mainland has official data only up to 2026-12-31/,
    );
    for (const hours of [0.01, 1, 23.9]) await logCoverageWarnings(deps, later(hours), false);
    expect(lines).toHaveLength(2);
    await logCoverageWarnings(deps, later(24.1), false);
    expect(lines).toHaveLength(4);
  });

  it("are said on every dry run (which writes nothing), and not at all while the data covers 60 days ahead", async () => {
    const { deps, lines } = setup([office("a")]);
    await logCoverageWarnings(deps, DECEMBER, true);
    await logCoverageWarnings(deps, DECEMBER, true);
    expect(lines).toHaveLength(2);
    await logCoverageWarnings(deps, DECEMBER, false);
    expect(lines).toHaveLength(3);
    const quiet = setup([office("a")]);
    await logCoverageWarnings(quiet.deps, new Date("2026-10-01T00:00:00Z"), false);
    expect(quiet.lines).toEqual([]);
  });
});
