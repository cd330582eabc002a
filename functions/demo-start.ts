// Where the embedded demo's simulated clock starts: a few cloud minutes before the earliest
// upcoming sleep of the schedules that is followed by its wake soon enough to be watched, so a
// newcomer sees a sleep and a wake within about a minute whatever the real day and hour.
import { calendarsFor } from "../shared/schedule/engine.ts";
import { planTransitions } from "../shared/schedule/plan.ts";
import type { Calendar, PlannedTransition, Schedule } from "../shared/schedule/types.ts";

const MINUTE = 60_000;
/** Cloud time before the sleep: the first tick records the fleet as it is before anything happens. */
export const DEMO_LEAD_MS = 5 * MINUTE;
/** Cloud time the wake's operation takes to finish (a few ticks of 10 cloud minutes). */
const SETTLE_MS = 30 * MINUTE;
/** How far ahead to look for a night short enough (weekends and holidays included). */
const HORIZON_MS = 21 * 24 * 60 * MINUTE;

export interface DemoNight {
  /** Where the simulated clock starts. */
  start: Date;
  sleep: PlannedTransition;
  wake: PlannedTransition;
}

/**
 * The demo's night: the earliest sleep after `now` whose wake follows within `watchRealMs` real
 * milliseconds at `speed` (counting the lead before it and the wake's own operation), or undefined
 * when no schedule has such a night in the next three weeks (then the demo runs from real now).
 */
export function chooseDemoNight(input: {
  schedules: readonly Schedule[];
  calendars: ReadonlyMap<string, Calendar>;
  now: Date;
  speed: number;
  watchRealMs?: number;
}): DemoNight | undefined {
  const budget = (input.watchRealMs ?? 60_000) * input.speed - DEMO_LEAD_MS - SETTLE_MS;
  const window = { from: input.now, to: new Date(input.now.getTime() + HORIZON_MS) };
  let best: DemoNight | undefined;
  for (const schedule of input.schedules.filter((s) => s.enabled)) {
    const planned = planTransitions(schedule, calendarsFor(schedule, input.calendars), window);
    for (let i = 0; i + 1 < planned.length; i++) {
      const sleep = planned[i]!;
      const wake = planned[i + 1]!;
      if (sleep.to !== "asleep" || wake.to !== "awake") continue;
      if (wake.at.getTime() - sleep.at.getTime() > budget) continue;
      if (!best || sleep.at < best.sleep.at) {
        const start = new Date(Math.max(input.now.getTime(), sleep.at.getTime() - DEMO_LEAD_MS));
        best = { start, sleep, wake };
      }
      break;
    }
  }
  return best;
}
