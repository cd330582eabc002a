// Every ledger entry written outside the jobs runtime is one entry per cause, as a reusable suite:
// call `ledgerCausesContract("sqlite", () => freshBackend())` from a test file per real backend.
// Each cause (a decision's writes applied, a pre-action notice, a snooze request, a schedule's pause
// or resume, an action link opened, a dead-lettered message) is repeated as it is in production (a
// duplicated message, the next tick, a client retrying with its Idempotency-Key, the link opened
// again, a redelivery), first as is, then after a first attempt that died at each of its store
// calls in turn (that call and every later one fail, as when the process is gone): exactly one
// entry every time.
import { describe, expect, it } from "vitest";
import { createApp } from "../../functions/app.ts";
import { sendDueNotices } from "../../functions/notices.ts";
import { createActionToken } from "../../shared/events/links.ts";
import { applyWrites, writesOf } from "../../shared/jobs/decision-writes.ts";
import { recordDeadLetters } from "../../shared/jobs/dispatch.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { decideTick } from "../../shared/schedule/engine.ts";
import { pauseLedgerTarget, pauseSchedule } from "../../shared/schedule/pause.ts";
import type { StoreBackend } from "../../shared/store/backend.ts";
import { createStore, type Store, type TargetState } from "../../shared/store/store.ts";
import { testSchedule } from "../fixtures/schedule.ts";
import { testTarget } from "../fixtures/target.ts";

/** `inner`, except that its `dieAt`-th call and every one after it fail (1-based; 0: none does). */
export function dyingBackend(
  inner: StoreBackend,
  dieAt: number,
): { backend: StoreBackend; calls: () => number } {
  let calls = 0;
  const gate = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => {
    return async (...args: A): Promise<R> => {
      calls++;
      if (dieAt > 0 && calls >= dieAt) throw new Error(`simulated crash at store call ${dieAt}`);
      return call(...args);
    };
  };
  const backend: StoreBackend = {
    kind: inner.kind,
    get: gate(inner.get.bind(inner)),
    put: gate(inner.put.bind(inner)),
    delete: gate(inner.delete.bind(inner)),
    list: gate(inner.list.bind(inner)),
    listIndex: gate(inner.listIndex.bind(inner)),
    increment: gate(inner.increment.bind(inner)),
    addTallies: gate(inner.addTallies.bind(inner)),
    listTallies: gate(inner.listTallies.bind(inner)),
    append: gate(inner.append.bind(inner)),
    query: gate(inner.query.bind(inner)),
    sweep: gate(inner.sweep.bind(inner)),
    close: () => inner.close(),
  };
  return { backend, calls: () => calls };
}

const quiet = createLogger({ level: "error", write: () => {} });
const SLEEP = new Date("2026-11-23T12:00:00Z"); // Monday 20:00 in Shanghai
const WAKE_SLOT = "qa:awake:2026-11-23T08:00";
const SLEEP_SLOT = "qa:asleep:2026-11-23T20:00";
const LINK_SECRET = "ledger-causes-link-secret-0123456789abcdef";
const ADMIN_TOKEN = "ledger-causes-admin-token-0123456789abcdef";
const minutes = (n: number) => n * 60_000;
const after = (ms: number) => new Date(SLEEP.getTime() + ms);

const schedule = testSchedule({
  name: "qa",
  targets: [{ tags: { env: "qa" } }],
  rules: [
    { to: "asleep", days: ["mon"], at: "20:00" },
    { to: "awake", days: ["mon"], at: "08:00" },
  ],
  notice: { minutesBefore: 15, webhookUrl: "https://hooks.example.com/nightshift" },
});
const target = testTarget();
// What the engine decides on: the target without its phases and pools (nothing observed).
const { phase: _phase, vendorPhase: _vendorPhase, nodePools: _pools, ...facts } = target;
const awake: TargetState = {
  lastTransition: { to: "awake", at: after(-minutes(720)).toISOString(), slot: WAKE_SLOT, by: "schedule" },
};

/** The writes of the schedule's one decision for the target at `now`, the target awake since the morning. */
function writesAt(now: Date) {
  const [decision] = decideTick({
    now,
    schedules: [schedule],
    calendars: new Map(),
    targets: [facts],
    states: new Map([[target.targetId, awake]]),
  });
  const writes = writesOf(decision!, schedule, facts, { value: awake, version: 1 }, now);
  if (!writes)
    throw new Error(`the decision at ${now.toISOString()} writes nothing: ${JSON.stringify(decision)}`);
  return writes;
}

function app(store: Store, now: Date) {
  return createApp({
    host: "node",
    log: quiet,
    now: () => SLEEP,
    realNow: () => now,
    adminToken: ADMIN_TOKEN,
    inventory: async () => ({ targets: [target], errors: [] }),
    store,
    schedules: [schedule],
    calendars: new Map(),
    linkSecret: LINK_SECRET,
  });
}

/** A pause or resume of the schedule through the admin API, always with one Idempotency-Key. */
async function pauseRequest(store: Store, attempt: number, verb: "pause" | "resume", body: object) {
  const response = await app(store, after(attempt * minutes(2))).request(`/api/schedules/qa/${verb}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      "content-type": "application/json",
      "idempotency-key": `"${verb}-1"`,
    },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`${verb} answered ${response.status}`);
}

const scheduleEntries = async (store: Store, kind: string) =>
  (await store.ledger.query({ target: pauseLedgerTarget("qa") })).filter((e) => e.kind === kind);

interface Cause {
  name: string;
  /** What exists before the cause (not part of what may die). */
  setup?(store: Store): Promise<void>;
  /** The cause, for the `attempt`-th time (0: the first); may throw when its store dies. */
  run(store: Store, attempt: number): Promise<unknown>;
  /** Its one entry, and what else it must have left done. */
  check(store: Store): Promise<void>;
}

const entriesOf = async (store: Store, kind: string) =>
  (await store.ledger.query({ target: target.targetId })).filter((e) => e.kind === kind);

const CAUSES: Cause[] = [
  {
    name: "a scheduled sleep (its decision's writes applied again: the next tick or a duplicated message)",
    async setup(store) {
      await store.targets.put(target.targetId, awake, null, SLEEP);
    },
    run: (store, attempt) =>
      applyWrites(store, writesAt(after(minutes(1))), after(minutes(1) + attempt * 1000)),
    async check(store) {
      const id = `${SLEEP_SLOT}@${target.targetId}`;
      expect((await entriesOf(store, "sleep.scheduled")).map((e) => e.operationId)).toEqual([id]);
      const op = await store.operations.get(id, after(minutes(2)));
      expect(op?.status).toBe("pending");
      expect(op?.ledgerPending).toBeUndefined();
    },
  },
  {
    name: "a missed sleep (decided again by the next tick, or a duplicated message)",
    async setup(store) {
      await store.targets.put(target.targetId, awake, null, SLEEP);
    },
    run: (store, attempt) =>
      applyWrites(store, writesAt(after(minutes(31))), after(minutes(31) + attempt * 1000)),
    async check(store) {
      const [entry, ...more] = await entriesOf(store, "sleep.missed");
      expect(more).toEqual([]);
      expect(entry).toMatchObject({ operationId: `${SLEEP_SLOT}@${target.targetId}` });
      const state = await store.targets.get(target.targetId, after(minutes(32)));
      expect(state?.value.lastTransition).toMatchObject({ slot: SLEEP_SLOT, to: "asleep" });
    },
  },
  {
    name: "a pre-action notice (sent again once its claim's lease has lapsed)",
    run: (store, attempt) =>
      sendDueNotices(
        {
          store,
          log: quiet,
          schedules: [schedule],
          calendars: new Map(),
          targets: [target],
          settings: { secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] },
          fetch: async () => new Response(null, { status: 204 }),
          sleep: async () => {},
          random: () => 0.5,
        },
        // 15 minutes ahead, then past the claim's 5-minute lease, still inside the notice window.
        after(-minutes(15) + attempt * (minutes(5) + 1000)),
      ),
    async check(store) {
      expect((await entriesOf(store, "sleep.notice")).map((e) => e.operationId)).toEqual([
        `notice:${SLEEP_SLOT}@${target.targetId}`,
      ]);
    },
  },
  {
    name: "a snooze request (retried with its Idempotency-Key after the key's lease)",
    async run(store, attempt) {
      const response = await app(store, after(attempt * minutes(2))).request(
        `/api/targets/${target.targetId}/snooze`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${ADMIN_TOKEN}`,
            "content-type": "application/json",
            "idempotency-key": '"snooze-1"',
          },
          body: JSON.stringify({ minutes: 90 }),
        },
      );
      if (response.status !== 200) throw new Error(`snooze answered ${response.status}`);
    },
    async check(store) {
      const [entry, ...more] = await entriesOf(store, "target.snoozed");
      expect(more).toEqual([]);
      expect(entry?.detail).toEqual({ until: after(minutes(90)).toISOString() });
      const state = await store.targets.get(target.targetId, SLEEP);
      expect(state?.value.snoozeUntil).toBe(after(minutes(90)).toISOString());
    },
  },
  {
    name: "a pause of the schedule (retried with its Idempotency-Key after the key's lease)",
    run: (store, attempt) =>
      pauseRequest(store, attempt, "pause", { until: after(minutes(60)), reason: "freeze" }),
    async check(store) {
      const [entry, ...more] = await scheduleEntries(store, "schedule.paused");
      expect(more).toEqual([]);
      expect(entry?.detail).toEqual({
        schedule: "qa",
        until: after(minutes(60)).toISOString(),
        reason: "freeze",
        by: "admin API",
        since: SLEEP.toISOString(),
      });
      expect((await store.schedulePauses.get("qa", SLEEP))?.value.until).toBe(
        after(minutes(60)).toISOString(),
      );
    },
  },
  {
    name: "a resume of the schedule (retried with its Idempotency-Key after the key's lease)",
    async setup(store) {
      await pauseSchedule({ store, schedules: [schedule] }, "qa", { by: "test", now: after(-minutes(30)) });
    },
    run: (store, attempt) => pauseRequest(store, attempt, "resume", {}),
    async check(store) {
      const [entry, ...more] = await scheduleEntries(store, "schedule.resumed");
      expect(more).toEqual([]);
      expect(entry?.detail).toMatchObject({ schedule: "qa", pausedAt: after(-minutes(30)).toISOString() });
      expect((await store.schedulePauses.get("qa", SLEEP))?.value.resumedAt).toBe(SLEEP.toISOString());
    },
  },
  {
    name: "an action link (opened again)",
    async run(store) {
      const token = await createActionToken({
        action: "postpone",
        target: target.targetId,
        minutes: 180,
        expiresAt: after(minutes(180)),
        secret: LINK_SECRET,
        slot: SLEEP_SLOT,
      });
      const response = await app(store, SLEEP).request(`/actions/${token}`);
      if (response.status !== 200) throw new Error(`the link answered ${response.status}`);
    },
    async check(store) {
      const [entry, ...more] = await entriesOf(store, "target.postpone");
      expect(more).toEqual([]);
      expect(entry?.detail).toEqual({ until: after(minutes(180)).toISOString(), via: "notice link" });
      const state = await store.targets.get(target.targetId, SLEEP);
      expect(state?.value.snoozeUntil).toBe(after(minutes(180)).toISOString());
    },
  },
  {
    name: "a dead-lettered message (delivered again)",
    async setup(store) {
      const fields = { id: "op-dead", target: target.targetId, kind: "sleep", step: "start", data: {} };
      await store.operations.create(fields, { now: SLEEP });
    },
    run: (store) =>
      recordDeadLetters({
        store,
        messages: [{ id: "msg-7", body: { operationId: "op-dead", target: target.targetId }, attempts: 1 }],
        queue: "nightshift-dlq",
        now: SLEEP,
        log: quiet,
      }),
    async check(store) {
      const [entry, ...more] = await entriesOf(store, "dead-letter");
      expect(more).toEqual([]);
      expect(entry).toMatchObject({ operationId: "op-dead", detail: { message: "msg-7" } });
      expect((await store.operations.get("op-dead", SLEEP))?.error).toMatchObject({ kind: "dead-letter" });
    },
  },
];

/**
 * `make` gives a fresh, empty backend; only one is open at a time (the D1 suite empties one
 * database for each).
 */
export function ledgerCausesContract(name: string, make: () => Promise<StoreBackend>) {
  /**
   * On a fresh backend: the cause set up, its first attempt dying at store call `dieAt` (0: never),
   * then `repeats` more attempts, then its check. Returns how many store calls the first attempt made.
   */
  async function scenario(cause: Cause, dieAt: number, repeats: number): Promise<number> {
    const backend = await make();
    try {
      await cause.setup?.(createStore(backend));
      const dying = dyingBackend(backend, dieAt);
      await cause.run(createStore(dying.backend), 0).catch((error: unknown) => {
        if (dieAt === 0) throw error;
      });
      for (let attempt = 1; attempt <= repeats; attempt++) await cause.run(createStore(backend), attempt);
      await cause.check(createStore(backend)).catch((error: unknown) => {
        throw new Error(
          `${dieAt === 0 ? "repeated" : `first attempt died at store call ${dieAt}`}: ${String(error)}`,
        );
      });
      return dying.calls();
    } finally {
      await backend.close();
    }
  }

  describe(`one ledger entry per cause: ${name}`, () => {
    for (const cause of CAUSES) {
      it(`${cause.name}: repeated, and after a first attempt that died at each of its store calls`, async () => {
        const calls = await scenario(cause, 0, 2);
        expect(calls).toBeGreaterThan(1);
        for (let dieAt = 1; dieAt <= calls; dieAt++) await scenario(cause, dieAt, 1);
      });
    }
  });
}
