// The job kinds the jobs runtime (shared/jobs/) advances on every tick, on both hosts.
import type { JobKind, OutcomeEvent } from "../shared/jobs/job-kind.ts";
import { renewalJob } from "./renewal/job.ts";
import { resizeJob } from "./resize/job.ts";
import { sleepWakeJob } from "./sleepwake/job.ts";

export const JOBS: readonly JobKind<unknown, OutcomeEvent>[] = [
  sleepWakeJob,
  resizeJob,
  renewalJob,
] as readonly JobKind<unknown, OutcomeEvent>[];
