// The tick's calendar-coverage warnings (shared/schedule/coverage.ts) in the log, at most once per
// schedule per 24 hours across every process and isolate: a lease in the store per schedule is
// the memory of the last warning, so a 15-second ticker or a per-minute cron does not repeat it.
import type { Logger } from "../shared/log/logger.ts";
import { coverageWarnings } from "../shared/schedule/coverage.ts";
import type { Calendar, Schedule } from "../shared/schedule/types.ts";
import type { Store } from "../shared/store/store.ts";

export const COVERAGE_WARNING_EVERY_MS = 24 * 3600 * 1000;

export interface CoverageLogDeps {
  store: Store;
  log: Logger;
  schedules: readonly Schedule[];
  calendars: ReadonlyMap<string, Calendar>;
  holder: string;
}

/** Logs each enabled schedule's coverage warning unless it was logged in the last 24 hours. */
export async function logCoverageWarnings(deps: CoverageLogDeps, now: Date, dryRun: boolean): Promise<void> {
  const warnings = coverageWarnings({
    schedules: deps.schedules.filter((schedule) => schedule.enabled),
    calendars: deps.calendars,
    from: now,
    to: now,
    now,
  });
  for (const warning of warnings) {
    try {
      // A dry run writes nothing, so it always says it.
      if (!dryRun) {
        const lease = await deps.store.leases.acquire(`calendar-coverage:${warning.schedule}`, {
          holder: deps.holder,
          ttlMs: COVERAGE_WARNING_EVERY_MS,
          now,
        });
        if (!lease.acquired) continue;
      }
      const { message, ...fields } = warning;
      deps.log.warn(message, fields);
    } catch (error) {
      deps.log.error("calendar coverage warning: the store failed", { schedule: warning.schedule, error });
    }
  }
}
