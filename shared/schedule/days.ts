// Day expressions in schedule files: "mon", ranges "mon-fri" / "fri-mon" (wrapping over the
// weekend), groups "weekdays" / "weekends" / "daily", or a list of these.
import { WEEKDAYS, type Weekday } from "./types.ts";

const GROUPS: Record<string, readonly Weekday[]> = {
  weekdays: ["mon", "tue", "wed", "thu", "fri"],
  weekends: ["sat", "sun"],
  daily: WEEKDAYS,
};

/** The weekdays a days expression (already validated against DAY_TOKEN) covers, Monday first. */
export function expandDays(days: string | readonly string[]): Weekday[] {
  const covered = new Set<Weekday>();
  for (const token of typeof days === "string" ? [days] : days) {
    const group = GROUPS[token];
    if (group) {
      for (const day of group) covered.add(day);
      continue;
    }
    const [first, last = first] = token.split("-") as [Weekday, Weekday?];
    const start = WEEKDAYS.indexOf(first);
    const end = WEEKDAYS.indexOf(last);
    for (let i = start; ; i = (i + 1) % 7) {
      covered.add(WEEKDAYS[i]!);
      if (i === end) break;
    }
  }
  return WEEKDAYS.filter((day) => covered.has(day));
}

/** A short form for summaries: "daily", "weekdays", "weekends", "mon-thu", "mon,wed,fri", "fri-mon". */
export function formatDays(days: readonly Weekday[]): string {
  const set = new Set(days);
  if (set.size === 7) return "daily";
  for (const [name, group] of Object.entries(GROUPS))
    if (group.length === set.size && group.every((day) => set.has(day))) return name;
  // Runs of consecutive days, allowed to wrap from sun to mon (so fri, sat, sun, mon is "fri-mon").
  const indices = WEEKDAYS.map((day, i) => (set.has(day) ? i : -1)).filter((i) => i >= 0);
  // Start at a day whose previous day is not covered, so a run over the weekend stays whole.
  const start = Math.max(
    0,
    indices.findIndex((i) => !set.has(WEEKDAYS[(i + 6) % 7]!)),
  );
  const ordered = [...indices.slice(start), ...indices.slice(0, start)];
  const runs: Weekday[][] = [];
  for (const i of ordered) {
    const run = runs.at(-1);
    const day = WEEKDAYS[i]!;
    if (run && WEEKDAYS.indexOf(run.at(-1)!) === (i + 6) % 7) run.push(day);
    else runs.push([day]);
  }
  return runs.map((run) => (run.length >= 3 ? `${run[0]}-${run.at(-1)}` : run.join(","))).join(",");
}
