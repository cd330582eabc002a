// The outbox with the real EventBridge client (eventBridgeClient, from loadConfig) and the tick's own event shape
// (functions/tick.ts outcomeEvent) against the local SigV4-checking EventBridge endpoint: what the
// publisher's quick in-call retries leave failed (an entry refused, a missing bus) is sent again on
// later ticks, alone, with the same detail.eventId, and never again once accepted.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { outcomeEvent } from "../../functions/tick.ts";
import { loadConfig } from "../../shared/config/config.ts";
import { createEventBridgePublisher, eventBridgeClient } from "../../shared/events/eventbridge.ts";
import type { JobKind } from "../../shared/jobs/job-kind.ts";
import { eventIdOf, publishOutbox } from "../../shared/jobs/outbox.ts";
import { runDueOperations } from "../../shared/jobs/runtime.ts";
import { createLogger } from "../../shared/log/logger.ts";
import type { Provider } from "../../shared/providers/port.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore, type Operation, type Store } from "../../shared/store/store.ts";
import {
  type EventBridgeEndpoint,
  type ReceivedEntry,
  startEventBridgeEndpoint,
} from "./eventbridge-endpoint.node.ts";

const T0 = new Date("2026-03-02T22:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const log = createLogger({ level: "error", write: () => {} });

const sleep: JobKind<Operation> = {
  name: "sleep",
  kinds: ["sleep"],
  priority: 0,
  deadlineMs: 3600_000,
  prepare: (op) => ({ step: "done", ctx: op }),
  steps: {
    done: {
      run: (op) => ({
        status: "succeeded",
        step: "done",
        data: op.data,
        ledger: [],
        event: {
          detailType: "nightshift.sleep",
          detail: {
            kind: "sleep",
            operationId: op.id,
            target: op.target,
            requested: "sleep",
            outcome: "succeeded",
            taken: ["hibernate"],
          },
        },
      }),
    },
  },
  fail: (op, _now, error) => ({ status: "failed", step: op.step, data: op.data, error, ledger: [] }),
};

let endpoint: EventBridgeEndpoint;
let store: Store;

beforeEach(async () => {
  endpoint = await startEventBridgeEndpoint();
  store = createStore(memoryBackend());
});
afterEach(async () => {
  await endpoint.close();
});

const detailOf = (entry: ReceivedEntry) =>
  JSON.parse(entry.Detail!) as { eventId: string; operationId: string };

async function finish(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `sleep-${String(i).padStart(2, "0")}`);
  for (const id of ids)
    await store.operations.create(
      { id, target: `huawei:prod:cn-north-4:${id}`, kind: "sleep", step: "start", data: { account: "prod" } },
      { now: T0 },
    );
  await runDueOperations({
    store,
    jobs: [sleep],
    providers: () => ({}) as Provider,
    now: T0,
    log,
    holder: "node-1",
    outbox: true,
  });
  return ids;
}

function tick(now: Date) {
  const settings = eventBridgeClient(
    loadConfig({
      NIGHTSHIFT_EVENTBRIDGE_REGION: endpoint.region,
      NIGHTSHIFT_EVENTBRIDGE_ACCESS_KEY_ID: endpoint.accessKeyId,
      NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY: endpoint.secretAccessKey,
      NIGHTSHIFT_EVENTBRIDGE_ENDPOINT: endpoint.url,
    }).eventBridge!,
  );
  const publisher = createEventBridgePublisher({ ...settings, sleep: async () => {}, random: () => 0 });
  return publishOutbox({ store, publisher, toEvent: outcomeEvent, now, log, holder: "node-1" });
}

describe("the outbox against a SigV4-checking EventBridge endpoint", () => {
  it("sends again on later ticks only what was refused, with the same event id", async () => {
    const ids = await finish(12);
    endpoint.failEntries({
      match: (e) => detailOf(e).operationId === ids[4],
      times: 1,
      errorCode: "NotAuthorizedForDetailTypeException",
      errorMessage: "not authorized for this detail type",
    });
    expect(await tick(T0)).toEqual({ due: 12, sent: 11, failed: 1, undelivered: 0 });
    expect(endpoint.calls.map((c) => c.entries.length)).toEqual([10, 2]);

    expect(await tick(at(29))).toMatchObject({ due: 0 });
    expect(await tick(at(30))).toEqual({ due: 1, sent: 1, failed: 0, undelivered: 0 });
    expect(endpoint.calls.at(-1)!.entries.map((e) => detailOf(e).operationId)).toEqual([ids[4]]);
    expect(await tick(at(3600))).toMatchObject({ due: 0 });

    expect(endpoint.refused).toEqual([]);
    expect(endpoint.accepted.map((e) => detailOf(e).operationId).sort()).toEqual(ids);
    const refusedThenAccepted = endpoint.calls
      .flatMap((c) => c.entries)
      .filter((e) => detailOf(e).operationId === ids[4]);
    const id = await eventIdOf(ids[4]!, "nightshift.sleep");
    expect(refusedThenAccepted.map((e) => detailOf(e).eventId)).toEqual([id, id]);
    expect(endpoint.accepted[0]).toMatchObject({
      Source: "nightshift",
      DetailType: "nightshift.sleep",
      Time: T0.getTime() / 1000,
    });
  });

  it("keeps every event while the bus is missing, and sends them once it exists", async () => {
    const ids = await finish(3);
    endpoint.failCalls({
      times: 2,
      kind: "error",
      status: 400,
      errorCode: "ResourceNotFoundException",
      message: "Event bus default does not exist.",
    });
    expect(await tick(T0)).toEqual({ due: 3, sent: 0, failed: 3, undelivered: 0 });
    expect(await tick(at(30))).toEqual({ due: 3, sent: 0, failed: 3, undelivered: 0 });
    expect((await store.operations.get(ids[0]!, at(30)))?.outbox).toMatchObject({
      attempts: 2,
      nextAttemptAt: at(90).toISOString(),
      lastError: { code: "ResourceNotFoundException" },
    });
    expect(await tick(at(90))).toEqual({ due: 3, sent: 3, failed: 0, undelivered: 0 });
    expect(endpoint.accepted.map((e) => detailOf(e).operationId)).toEqual(ids);
  });
});
