// accept (no cloud): what is known when an event arrives is recorded then and there; operations
// are created once per event, rule and target; a store failure gives the event back for a retry.
import { describe, expect, it } from "vitest";
import type { InboundEvent } from "../../shared/events/inbound.ts";
import { createLogger } from "../../shared/log/logger.ts";
import type { ResizeRule } from "../../shared/rules/rule-schema.ts";
import { parseScheduleFile } from "../../shared/schedule/schedule-file.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore, type Operation } from "../../shared/store/store.ts";
import { createAcceptEvents } from "./accept.ts";

const NOW = new Date("2026-03-02T10:00:00Z");
const rules = (text: string): ResizeRule[] => {
  const parsed = parseScheduleFile(text, "schedules/r.yaml");
  if ("errors" in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.rules;
};
const RULES = rules(`kind: resize
name: grow
match: { source: alertmanager, type: PodsPending }
target: { account: hw, pool: { label: nodepool } }
action: { add: 1 }
---
kind: resize
name: wake-qa
match: { source: events, type: cluster.wake }
action: wake
`);
const event = (extra: Partial<InboundEvent> = {}): InboundEvent => ({
  source: "alertmanager",
  id: "e-1",
  type: "PodsPending",
  status: "firing",
  labels: { cluster: "c1", nodepool: "batch" },
  data: {},
  occurredAt: NOW.toISOString(),
  origin: {},
  ...extra,
});

function setup(options: { start?: (ops: readonly Operation[]) => Promise<void> } = {}) {
  const store = createStore(memoryBackend());
  const started: Operation[][] = [];
  const accept = createAcceptEvents({
    store,
    rules: RULES,
    accounts: new Map([["hw", { kind: "huawei", region: "cn-north-4" }]]),
    log: createLogger({ level: "error", write: () => {} }),
    start:
      options.start ??
      (async (ops) => {
        started.push([...ops]);
      }),
  });
  const kinds = async () => (await store.ledger.query({ limit: 100 })).map((e) => e.kind);
  return { store, accept, started, kinds };
}

describe("accept", () => {
  it("creates one operation per matched rule and target, with an id the same for every delivery, and starts it", async () => {
    const { store, accept, started, kinds } = setup();
    const [answer] = await accept([event()], NOW);
    expect(answer).toEqual({
      id: "e-1",
      status: "accepted",
      operations: [expect.stringMatching(/^resize:grow:[0-9a-f]{32}$/)],
    });
    const op = await store.operations.get(answer!.operations[0]!, NOW);
    expect(op).toMatchObject({
      target: "hw/c1",
      kind: "resize",
      step: "start",
      data: { account: "hw", clusterId: "c1", pool: "batch", intent: "act", rule: { name: "grow" } },
    });
    expect(started).toEqual([[op]]);
    expect(await kinds()).toEqual(["resize.accepted"]);
    // The same event again is a duplicate: nothing created, nothing started, a ledger entry.
    expect(await accept([event()], NOW)).toEqual([{ id: "e-1", status: "duplicate", operations: [] }]);
    expect(started).toHaveLength(1);
    expect(await kinds()).toEqual(["resize.accepted", "event.duplicate"]);
  });

  it("records an event no rule matched, with each rule's reason", async () => {
    const { store, accept, started } = setup();
    expect(await accept([event({ type: "DiskFull" })], NOW)).toEqual([
      { id: "e-1", status: "accepted", operations: [] },
    ]);
    expect(started).toEqual([]);
    const [entry] = await store.ledger.query({ limit: 10 });
    expect(entry).toMatchObject({
      kind: "event.unmatched",
      operationId: "event:alertmanager:e-1",
      target: "events/alertmanager",
      detail: {
        reasons: {
          grow: 'type "DiskFull" does not match "PodsPending"',
          "wake-qa": "source alertmanager is not events",
        },
      },
    });
  });

  it("records a matched event that names no target, or an account not configured", async () => {
    const { store, accept } = setup();
    await accept([event({ id: "e-2", labels: { nodepool: "batch" } })], NOW);
    await accept(
      [
        event({
          id: "e-3",
          source: "events",
          type: "cluster.wake",
          labels: {},
          data: { account: "ali", cluster: "c9" },
        }),
      ],
      NOW,
    );
    const entries = await store.ledger.query({ limit: 10 });
    expect(entries.map((e) => [e.kind, e.detail.reason])).toEqual([
      ["event.no-target", "the event does not name the target's cluster (label or data field cluster)"],
      ["event.unknown-target", 'account "ali" is not configured (configured: hw)'],
    ]);
    expect(await store.operations.list({}, NOW)).toEqual([]);
  });

  it("a resolved alert of a rule without revert matches nothing", async () => {
    const { accept } = setup();
    expect(await accept([event({ id: "e-4", status: "resolved" })], NOW)).toEqual([
      { id: "e-4", status: "accepted", operations: [] },
    ]);
  });

  it("gives the event back when the store fails, so the sender's retry does it all", async () => {
    const { store, accept } = setup();
    const create = store.operations.create;
    store.operations.create = async () => {
      throw new Error("store down");
    };
    await expect(accept([event({ id: "e-5" })], NOW)).rejects.toThrow("store down");
    store.operations.create = create;
    // The retry is not a duplicate: it is accepted and creates the operation.
    const [retry] = await accept([event({ id: "e-5" })], NOW);
    expect(retry).toMatchObject({ status: "accepted", operations: [expect.any(String)] });
    expect(await store.operations.list({}, NOW)).toHaveLength(1);
  });

  it("an operation already created by an earlier, failed acceptance is found, not doubled", async () => {
    const { store, accept } = setup();
    let failOnce = true;
    const append = store.ledger.append;
    store.ledger.append = async (entry) => {
      if (failOnce) {
        failOnce = false;
        throw new Error("ledger down");
      }
      return append(entry);
    };
    await expect(accept([event({ id: "e-6" })], NOW)).rejects.toThrow("ledger down");
    const [again] = await accept([event({ id: "e-6" })], NOW);
    expect(again!.status).toBe("accepted");
    expect(await store.operations.list({}, NOW)).toHaveLength(1);
  });
});
