// When a waiting step polls again, and which operation of an account goes first.
import { describe, expect, it } from "vitest";
import { nextPollAt } from "../../shared/jobs/step-results.ts";
import type { Operation } from "../../shared/store/store.ts";
import { sleepWakeJob } from "./job.ts";
import { FIRST_POLL_SECONDS, moveOnAndPoll, type StepContext } from "./step-context.ts";

const T = Date.parse("2026-03-02T12:00:00Z");
const at = (seconds: number) => new Date(T + seconds * 1000);

function op(fields: Partial<Operation>): Operation {
  return { id: "op-1", kind: "wake", target: "t", step: "check-cluster", data: {}, ...fields } as Operation;
}

describe("nextPollAt", () => {
  it("counts the interval from when the poll was due, not from when a late tick ran it", () => {
    const due = op({ nextAttemptAt: at(0).toISOString() });
    expect(nextPollAt({ op: due, now: at(4) }, 15)).toEqual(at(15));
  });

  it("never polls again sooner than half the interval from now", () => {
    const longAgo = op({ nextAttemptAt: at(-600).toISOString() });
    expect(nextPollAt({ op: longAgo, now: at(0) }, 10)).toEqual(at(5));
  });

  it("counts from now when the step was not resumed from a wait", () => {
    expect(nextPollAt({ op: op({}), now: at(3) }, 15)).toEqual(at(18));
  });
});

describe("moveOnAndPoll", () => {
  it("counts the first poll from when the cloud answered the call, not from when the step started", () => {
    // The hibernate waited 0.3 s for its slot of the account's rate: the first poll comes 60 s after.
    const ctx = {
      op: op({ kind: "sleep", step: "hibernate" }),
      plan: ["check-cluster", "hibernate", "await-hibernation", "done"],
      step: "hibernate",
      progress: {},
      now: at(0),
      deps: { now: at(0), clock: () => new Date(T + 300) },
    } as unknown as StepContext;
    expect(moveOnAndPoll(ctx, [])).toMatchObject({
      status: "waiting",
      step: "await-hibernation",
      nextAttemptAt: new Date(T + 300 + FIRST_POLL_SECONDS * 1000),
    });
  });
});

describe("sleep/wake weight", () => {
  it("takes a wake's largest pool from its snapshot (the inventory shows a sleeping cluster's pools at 0)", () => {
    const snapshot = { version: 1, content: { pools: [{ id: "a", name: "a", desired: 3 }] } };
    expect(sleepWakeJob.weight!(op({ data: { largestPool: 0, progress: { snapshot } } }))).toBe(3);
    expect(sleepWakeJob.weight!(op({ data: { largestPool: 2 } }))).toBe(2);
  });
});
