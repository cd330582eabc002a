// Certificate renewal as a job kind of the jobs runtime (shared/jobs/): its steps (steps.ts), and
// how an operation the runtime fails ends (the same ledger entry and outcome event as a failing
// step; the tick's renewal planning then backs the target off: functions/renewal/planning.ts).
import type { JobKind } from "../../shared/jobs/job-kind.ts";
import {
  DEADLINE_MS,
  failOperation,
  prepare,
  type RenewalContext,
  type RenewalEvent,
  STEPS,
} from "./steps.ts";

export const renewalJob: JobKind<RenewalContext, RenewalEvent> = {
  name: "renewal",
  kinds: ["renew"],
  // After sleep/wake (0): a renewal created at the same instant waits for the wake, whose cluster it needs.
  priority: 1,
  deadlineMs: DEADLINE_MS,
  prepare,
  steps: STEPS,
  fail: failOperation,
};
