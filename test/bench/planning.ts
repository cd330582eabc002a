// The cost of planning one tick: decideTick (plan every schedule's catch-up reach, match every
// target, decide per target) for 10,000 targets and 50 schedules, each target with a stored state.
import { decideTick, type TargetFacts } from "../../shared/schedule/engine.ts";
import { benchCalendar, benchSchedule, benchTarget } from "../../shared/schedule/plan.bench.ts";
import type { TargetState } from "../../shared/store/store.ts";

export function benchDecideTick(targets: number, schedules: number): { medianMs: number; decisions: number } {
  const calendar = benchCalendar();
  const all = Array.from({ length: schedules }, (_, i) => ({
    ...benchSchedule(i),
    calendars: benchSchedule(i).calendars.length > 0 ? [{ builtin: calendar.name }] : [],
  }));
  const fleet: TargetFacts[] = Array.from({ length: targets }, (_, i) => {
    const t = benchTarget(i, schedules);
    return { ...t, targetId: `${t.account}/${t.id}` };
  });
  const states = new Map<string, TargetState>(
    fleet.map((t) => [
      t.targetId,
      { lastTransition: { to: "awake", at: "2026-10-01T00:00:00Z", slot: "old", by: "schedule" } },
    ]),
  );
  const calendars = new Map([[calendar.name, calendar]]);
  const times: number[] = [];
  let decisions = 0;
  for (let round = 0; round < 9; round++) {
    const now = new Date(Date.UTC(2026, 9, 8, 23, 30 + round));
    const started = performance.now();
    decisions = decideTick({ now, schedules: all, calendars, targets: fleet, states }).length;
    if (round > 0) times.push(performance.now() - started); // round 0 warms up
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, decisions };
}
