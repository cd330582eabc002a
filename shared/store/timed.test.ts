import { describe, expect, it } from "vitest";
import type { StoreBackend } from "./backend.ts";
import { memoryBackend } from "./memory.ts";
import { createStore } from "./store.ts";
import { STORE_OPERATIONS, type StoreOperation, timedBackend } from "./timed.ts";

const T0 = new Date("2026-11-22T20:00:00Z");

/** A clock that moves on by `stepMs` at every reading. */
function steppingClock(stepMs: number) {
  let now = 0;
  return () => (now += stepMs);
}

describe("timedBackend", () => {
  it("tells the observer each call's duration in seconds, by method, through the store", async () => {
    const seen: Array<[StoreOperation, number]> = [];
    const store = createStore(memoryBackend(), {
      observe: (operation, seconds) => seen.push([operation, seconds]),
      clock: steppingClock(2.5),
    });
    await store.targets.put("t", {}, null, T0);
    await store.targets.get("t", T0);
    await store.tallies.add([{ name: "x", by: 1 }]);
    expect(await store.tallies.list("")).toEqual([{ name: "x", value: 1 }]);
    await store.ledger.query({});
    expect(seen).toEqual([
      ["put", 0.0025],
      ["get", 0.0025],
      ["addTallies", 0.0025],
      ["listTallies", 0.0025],
      ["query", 0.0025],
    ]);
  });

  it("times a failed call too, and lets its error through", async () => {
    const seen: StoreOperation[] = [];
    const failing: StoreBackend = {
      ...memoryBackend(),
      get: async () => {
        throw new Error("store down");
      },
    };
    const backend = timedBackend(failing, (operation) => seen.push(operation), steppingClock(1));
    await expect(backend.get("ns", "k", T0)).rejects.toThrow("store down");
    expect(seen).toEqual(["get"]);
  });

  it("wraps every method of the port but close", () => {
    const backend = memoryBackend();
    const methods = Object.keys(backend).filter(
      (name) =>
        name !== "kind" && name !== "close" && typeof backend[name as keyof StoreBackend] === "function",
    );
    expect([...methods].sort()).toEqual([...STORE_OPERATIONS].sort());
  });
});
