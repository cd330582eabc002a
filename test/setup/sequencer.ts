// The order `npm test` starts its files in: the few that mostly wait (real processes on a
// simulated clock, a real-time first run) first, each in a worker of its own, so the other workers
// compute beside them instead of after them; then vitest's own order (longest first from its
// cache, else largest file first). A file missing here is only started later, never skipped.
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Longest wait first (seconds of wall time on a 2-core machine, of which a fifth is CPU). */
const WAITING = [
  "test/chaos/sigkill.chaos.test.ts", // ~75-115 s: 22 service starts and a night at speed 60
  "test/e2e/replicas.node.test.ts", // ~70 s: a night at speed 20
  "test/e2e/crash-resume.node.test.ts", // ~70 s: a night at speed 20
  "test/e2e/first-run.node.test.ts", // ~60 s: the demo's first sleep and wake, in real time
  "test/chaos/redis-restart.chaos.test.ts", // three replicas and a restarted Redis at speed 60 (not yet timed here)
];

const rank = (spec: TestSpecification) => WAITING.findIndex((file) => spec.moduleId.endsWith(`/${file}`));

export class WaitingFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const waiting = sorted.filter((spec) => rank(spec) >= 0).sort((a, b) => rank(a) - rank(b));
    return [...waiting, ...sorted.filter((spec) => rank(spec) < 0)];
  }
}
