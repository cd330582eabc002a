// The targets' last actions: how a step's result becomes a finished action, which finish a record
// keeps, and the runtime writing it when an operation ends, also when the process dies between the
// operation's final write and the record (the ledger flusher then writes it, once).
import { describe, expect, it } from "vitest";
import { createLogger } from "../log/logger.ts";
import type { Provider } from "../providers/port.ts";
import type { StoreBackend } from "../store/backend.ts";
import { memoryBackend } from "../store/memory.ts";
import { createStore, type FinishedAction, type Operation } from "../store/store.ts";
import type { JobKind, OutcomeEvent, StepResult } from "./job-kind.ts";
import { finishedAction, lastOf, SHORT_ERROR_LENGTH, withFinished } from "./last-action.ts";
import { flushFinishedLedgers } from "./ledger-pending.ts";
import { runDueOperations } from "./runtime.ts";

const T0 = new Date("2026-03-02T20:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const op = { id: "sleep:1", kind: "sleep" };

function event(outcome: OutcomeEvent["detail"]["outcome"]): OutcomeEvent {
  return {
    detailType: "nightshift.sleep",
    detail: {
      kind: "sleep",
      operationId: "sleep:1",
      target: "hw/c1",
      requested: "sleep",
      outcome,
      taken: [],
    },
  };
}

describe("finishedAction", () => {
  it("is the end of an operation that acted, at the step's time", () => {
    expect(finishedAction(op, { status: "succeeded", event: event("succeeded") }, T0)).toEqual({
      kind: "sleep",
      outcome: "succeeded",
      at: T0.toISOString(),
      operationId: "sleep:1",
    });
  });

  it("keeps a failure's error, shortened", () => {
    const message = "x".repeat(500);
    const action = finishedAction(op, { status: "failed", error: { kind: "cloud", message } }, T0);
    expect(action).toMatchObject({ outcome: "failed" });
    expect(action?.error).toHaveLength(SHORT_ERROR_LENGTH);
    expect(action?.error?.endsWith("…")).toBe(true);
  });

  it("is nothing while the operation goes on, nor for a skip", () => {
    expect(finishedAction(op, { status: "running" }, T0)).toBeUndefined();
    expect(finishedAction(op, { status: "waiting" }, T0)).toBeUndefined();
    expect(finishedAction(op, { status: "succeeded", event: event("skipped") }, T0)).toBeUndefined();
  });
});

describe("withFinished and lastOf", () => {
  const action = (kind: string, id: string, seconds: number): FinishedAction => ({
    kind,
    outcome: "succeeded",
    at: at(seconds).toISOString(),
    operationId: id,
  });

  it("adds a kind's first finish and replaces it with a later one only", () => {
    const first = withFinished(undefined, action("sleep", "s1", 10), at(10))!;
    expect(first).toEqual({ byKind: { sleep: action("sleep", "s1", 10) }, updatedAt: at(10).toISOString() });
    expect(withFinished(first, action("sleep", "s1", 10), at(20))).toBeUndefined();
    expect(withFinished(first, action("sleep", "s0", 5), at(20))).toBeUndefined();
    const both = withFinished(first, action("wake", "w1", 30), at(30))!;
    expect(Object.keys(both.byKind)).toEqual(["sleep", "wake"]);
    expect(lastOf(both)?.operationId).toBe("w1");
    expect(withFinished(both, action("sleep", "s2", 40), at(40))?.byKind.sleep?.operationId).toBe("s2");
    expect(lastOf(undefined)).toBeUndefined();
  });

  it("orders finishes of the same instant by operation id, so every writer keeps the same one", () => {
    const a = withFinished(undefined, action("resize", "r-a", 10), at(10))!;
    expect(withFinished(a, action("resize", "r-b", 10), at(10))?.byKind.resize?.operationId).toBe("r-b");
    const b = withFinished(undefined, action("resize", "r-b", 10), at(10))!;
    expect(withFinished(b, action("resize", "r-a", 10), at(10))).toBeUndefined();
  });
});

/** "ping": one step that succeeds, or fails when the operation's data says so. */
const ping: JobKind<Operation> = {
  name: "ping",
  kinds: ["ping"],
  priority: 0,
  deadlineMs: 3600_000,
  prepare: (operation) => ({ step: "run", ctx: operation }),
  steps: {
    run: {
      run(operation): StepResult {
        const failed = operation.data.fail === true;
        const entry = {
          at: at(60),
          operationId: operation.id,
          target: operation.target,
          kind: `ping.${failed ? "failed" : "succeeded"}`,
          detail: {},
        };
        return failed
          ? {
              status: "failed",
              step: "run",
              data: operation.data,
              error: { kind: "cloud", message: "quota exceeded" },
              ledger: [entry],
            }
          : { status: "succeeded", step: "done", data: operation.data, ledger: [entry] };
      },
    },
  },
  fail: (operation, _now, error) => ({
    status: "failed",
    step: operation.step,
    data: operation.data,
    error,
    ledger: [],
  }),
};

/** A memory backend whose next `failures` writes to the last actions throw (the process dying there). */
function dyingBackend(failures: number): StoreBackend {
  const backend = memoryBackend();
  let left = failures;
  return {
    ...backend,
    kind: backend.kind,
    async put(namespace, key, record, condition, now) {
      if (namespace === "last-action" && left > 0) {
        left--;
        throw new Error("the process died");
      }
      return backend.put(namespace, key, record, condition, now);
    },
  };
}

function run(store: ReturnType<typeof createStore>, now: Date) {
  return runDueOperations({
    store,
    jobs: [ping as JobKind<unknown>],
    providers: () => ({}) as Provider,
    now,
    log: createLogger({ write: () => {} }),
    holder: "test",
  });
}

describe("the runtime records the target's last action when an operation ends", () => {
  it("on success and on failure, each its own kind's record", async () => {
    const store = createStore(memoryBackend());
    await store.operations.create(
      { id: "ok", target: "hw/c1", kind: "ping", step: "start", data: {} },
      { now: T0 },
    );
    await store.operations.create(
      { id: "bad", target: "hw/c2", kind: "ping", step: "start", data: { fail: true } },
      { now: T0 },
    );
    await run(store, at(60));
    expect((await store.lastActions.get("hw/c1", at(60)))?.value.byKind).toEqual({
      ping: { kind: "ping", outcome: "succeeded", at: at(60).toISOString(), operationId: "ok" },
    });
    expect((await store.lastActions.get("hw/c2", at(60)))?.value.byKind).toEqual({
      ping: {
        kind: "ping",
        outcome: "failed",
        at: at(60).toISOString(),
        operationId: "bad",
        error: "quota exceeded",
      },
    });
    // The operation keeps its end; its entries were appended and cleared.
    expect(await store.operations.get("ok", at(60))).toMatchObject({
      status: "succeeded",
      finished: { operationId: "ok" },
    });
    expect((await store.operations.get("ok", at(60)))?.ledgerPending).toBeUndefined();
  });

  it("after a crash between the final write and the record, the ledger flusher writes it, once", async () => {
    const store = createStore(dyingBackend(1));
    await store.operations.create(
      { id: "ok", target: "hw/c1", kind: "ping", step: "start", data: {} },
      { now: T0 },
    );
    const report = await run(store, at(60));
    expect(report.errors).toEqual([{ operationId: "ok", target: "hw/c1", message: "the process died" }]);
    expect(await store.lastActions.get("hw/c1", at(60))).toBeUndefined();
    // Finished, its entries still pending: it sits in the ledger index until they are cleared.
    expect((await store.operations.ledgerPending({}, at(61))).map((o) => o.id)).toEqual(["ok"]);
    expect(await flushFinishedLedgers(store, at(120))).toBe(1);
    expect((await store.lastActions.get("hw/c1", at(120)))?.value.byKind.ping).toMatchObject({
      operationId: "ok",
      outcome: "succeeded",
      at: at(60).toISOString(),
    });
    expect((await store.lastActions.get("hw/c1", at(120)))?.version).toBe(1);
    expect(await store.operations.ledgerPending({}, at(121))).toEqual([]);
    expect((await store.ledger.query({ target: "hw/c1" })).map((e) => e.kind)).toEqual(["ping.succeeded"]);
  });
});
