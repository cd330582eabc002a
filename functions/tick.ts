// One tick of the scheduler: the Workers cron trigger and the Node ticker both call this, with
// the time of the tick passed in. Schedules are evaluated here, in code, in each schedule's own
// time zone (the cron trigger itself only knows UTC).
import type { Logger } from "../shared/log/logger.ts";

export type TickTrigger = "cron" | "ticker" | "cli";

export interface TickReport {
  at: string;
  trigger: TickTrigger;
}

export async function runTick(input: { now: Date; trigger: TickTrigger; log: Logger }): Promise<TickReport> {
  const report: TickReport = { at: input.now.toISOString(), trigger: input.trigger };
  input.log.info("tick", { ...report });
  return report;
}
