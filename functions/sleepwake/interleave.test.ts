import { describe, expect, it } from "vitest";
import { interleaveByAccount } from "../../shared/jobs/runtime.ts";
import type { Operation } from "../../shared/store/store.ts";
import { sleepWakeJob } from "./job.ts";

const op = (id: string, account: string, largestPool?: number) =>
  ({
    id,
    target: `${account}/${id}`,
    kind: "sleep",
    status: "pending",
    step: "start",
    data: { account, ...(largestPool !== undefined ? { largestPool } : {}) },
    attempts: 0,
    createdAt: "",
    updatedAt: "",
    version: 1,
  }) as Operation;

describe("interleaveByAccount", () => {
  it("takes accounts in turn, keeping each account's own order, and loses nothing", () => {
    const ops = [op("a1", "a"), op("a2", "a"), op("a3", "a"), op("b1", "b"), op("c1", "c"), op("c2", "c")];
    expect(interleaveByAccount(ops, sleepWakeJob.weight).map((o) => o.id)).toEqual([
      "a1",
      "b1",
      "c1",
      "a2",
      "c2",
      "a3",
    ]);
    expect(interleaveByAccount([])).toEqual([]);
  });

  it("takes an account's largest work first, keeping creation order between equals", () => {
    const ops = [op("a1", "a", 1), op("a2", "a", 3), op("a3", "a"), op("a4", "a", 3), op("b1", "b", 2)];
    expect(interleaveByAccount(ops, sleepWakeJob.weight).map((o) => o.id)).toEqual([
      "a2",
      "b1",
      "a4",
      "a1",
      "a3",
    ]);
  });
});
