// The subrequest budget and its counting wrappers, on Node and in workerd.
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../store/memory.ts";
import { createStore } from "../store/store.ts";
import {
  BudgetExceededError,
  countingBackend,
  countingFetch,
  STEP_SUBREQUESTS_MAX,
  subrequestBudget,
  WORKERS_SUBREQUEST_LIMIT,
} from "./budget.ts";

const now = new Date("2026-03-02T12:00:00Z");

describe("subrequestBudget", () => {
  it("counts to its limit, then refuses naming what was refused", () => {
    const budget = subrequestBudget(2);
    budget.spend("fetch");
    budget.spend("store get");
    expect(budget.spent).toBe(2);
    expect(() => budget.spend("queue send")).toThrow(BudgetExceededError);
    expect(() => budget.spend("queue send")).toThrow("subrequest budget of 2 spent: queue send refused");
  });

  it("lets a step start only while every step in flight and this one fit at their most, with the reserve", () => {
    const budget = subrequestBudget(WORKERS_SUBREQUEST_LIMIT);
    const room = WORKERS_SUBREQUEST_LIMIT - 16;
    for (let i = 0; i < room - 6 * STEP_SUBREQUESTS_MAX; i++) budget.spend("fetch");
    expect(budget.canStep(5, 16)).toBe(true);
    budget.spend("fetch");
    expect(budget.canStep(5, 16)).toBe(false);
    expect(budget.canStep(0, 16)).toBe(true);
  });

  it("refuses a limit that is no whole positive number", () => {
    expect(() => subrequestBudget(0)).toThrow("subrequest limit must be an integer >= 1, got 0");
  });
});

describe("counting wrappers", () => {
  it("count every store call as one subrequest (one D1 query or batch each)", async () => {
    const budget = subrequestBudget(100);
    const store = createStore(countingBackend(memoryBackend(), budget));
    await store.operations.create({ id: "op", target: "t", kind: "sleep", step: "start", data: {} }, { now });
    const created = budget.spent;
    expect(created).toBeGreaterThan(0);
    await store.operations.get("op", now);
    expect(budget.spent).toBe(created + 1);
    await store.ledger.append({ at: now, operationId: "op", target: "t", kind: "x", detail: {} });
    expect(budget.spent).toBe(created + 2);
  });

  it("count every fetch, and a store past the budget fails instead of calling D1", async () => {
    const budget = subrequestBudget(1);
    let calls = 0;
    const fetch = countingFetch(async () => {
      calls++;
      return new Response("ok");
    }, budget);
    await fetch("https://cloud.test/", {});
    await expect(async () => fetch("https://cloud.test/", {})).rejects.toThrow(BudgetExceededError);
    expect(calls).toBe(1);
    const store = createStore(countingBackend(memoryBackend(), budget));
    await expect(store.operations.get("op", now)).rejects.toThrow("store get refused");
  });
});
