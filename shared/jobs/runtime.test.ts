// The jobs runtime on its own, with two tiny job kinds: "tally" adds one to a counter in a fake
// cloud per step until it reaches data.count, waits a minute for it to settle, then is done;
// "ping" is one step. Chaining, the step budget, back-off, lease exclusivity, one operation per
// target across kinds, crashes between steps, and outcome events collected once.
import { beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../log/logger.ts";
import type { Provider } from "../providers/port.ts";
import { memoryBackend } from "../store/memory.ts";
import { createStore, type Operation, type Store, StoreUnavailableError } from "../store/store.ts";
import { type JobKind, type StepResult, TransientError } from "./job-kind.ts";
import { flushFinishedLedgers, flushLedger } from "./ledger-pending.ts";
import { LEASE_TTL_MS, type RunDueOptions, runDueOperations } from "./runtime.ts";

const T0 = new Date("2026-03-02T20:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** The fake cloud: a counter per target, the steps run, errors the next steps throw, a gate. */
interface Cloud {
  counters: Map<string, number>;
  ran: string[];
  failNext: Error[];
  /** When set, the next step (only) announces it started, then waits until `open` resolves. */
  gate?: { entered: () => void; open: Promise<void> };
}

interface Ctx {
  op: Operation;
  added: number;
  now: Date;
}

const addedOf = (data: Record<string, unknown>) =>
  (data.progress as { added?: number } | undefined)?.added ?? 0;

function event(ctx: Ctx, outcome: "succeeded" | "failed", error?: { kind: string; message: string }) {
  return {
    detailType: `nightshift.${ctx.op.kind}`,
    detail: {
      kind: ctx.op.kind,
      operationId: ctx.op.id,
      target: ctx.op.target,
      requested: ctx.op.kind,
      outcome,
      taken: ctx.added > 0 ? [`add ×${ctx.added}`] : [],
      before: { count: 0 },
      after: { count: ctx.added },
      ...(error ? { error } : {}),
    },
  };
}

/** A job kind as an author writes one: prepare, a table of steps, fail. */
function fakeJob(cloud: Cloud, kind: "tally" | "ping", priority: number): JobKind<Ctx> {
  const data = (ctx: Ctx) => ({
    ...ctx.op.data,
    progress: { ...(ctx.op.data.progress as object), added: ctx.added },
  });
  const ledger = (ctx: Ctx, what: string) => [
    { at: ctx.now, operationId: ctx.op.id, target: ctx.op.target, kind: `${kind}.${what}`, detail: {} },
  ];
  const effect = async (ctx: Ctx) => {
    cloud.ran.push(`${ctx.op.id}:${ctx.op.step}`);
    const error = cloud.failNext.shift();
    if (error) throw error;
    const gate = cloud.gate;
    delete cloud.gate; // one step waits at it: a second one would go through
    if (gate) {
      gate.entered();
      await gate.open;
    }
    cloud.counters.set(ctx.op.target, (cloud.counters.get(ctx.op.target) ?? 0) + 1);
    ctx.added++;
  };
  return {
    name: kind,
    kinds: [kind],
    priority,
    deadlineMs: 3600_000,
    prepare: (op, env) => ({
      step: op.step === "start" ? "add" : op.step,
      ctx: { op, added: addedOf(op.data), now: env.now },
    }),
    steps: {
      add: {
        async run(ctx): Promise<StepResult> {
          await effect(ctx);
          const next =
            kind === "ping" ? "done" : ctx.added < (ctx.op.data.count as number) ? "add" : "settle";
          return { status: "running", step: next, data: data(ctx), ledger: ledger(ctx, "add") };
        },
      },
      settle: {
        run: (ctx) =>
          ctx.op.status === "waiting"
            ? { status: "running", step: "done", data: data(ctx), ledger: [] }
            : {
                status: "waiting",
                step: "settle",
                data: data(ctx),
                nextAttemptAt: new Date(ctx.now.getTime() + 60_000),
                ledger: [],
              },
      },
      done: {
        run: (ctx) => ({
          status: "succeeded",
          step: "done",
          data: data(ctx),
          ledger: ledger(ctx, "succeeded"),
          event: event(ctx, "succeeded"),
        }),
      },
    },
    fail: (op, now, error) => {
      const ctx = { op, added: addedOf(op.data), now };
      return {
        status: "failed",
        step: op.step,
        data: op.data,
        error,
        ledger: ledger(ctx, "failed"),
        event: event(ctx, "failed", error),
      };
    },
  };
}

let store: Store;
let cloud: Cloud;
let tally: JobKind<Ctx>;
let ping: JobKind<Ctx>;
let counter = 0;

beforeEach(() => {
  store = createStore(memoryBackend());
  cloud = { counters: new Map(), ran: [], failNext: [] };
  tally = fakeJob(cloud, "tally", 1);
  ping = fakeJob(cloud, "ping", 0);
});

const provider = { kind: "huawei", account: "acct", region: "r1" } as unknown as Provider;

function run(now: Date, extra: Partial<RunDueOptions> = {}) {
  return runDueOperations({
    store,
    jobs: [tally, ping],
    providers: (account) => (account === "missing" ? undefined : provider),
    now,
    log: createLogger({ level: "error", write: () => {}, now: () => now }),
    holder: "worker-1",
    ...extra,
  });
}

async function create(
  fields: { kind?: string; target?: string; count?: number; id?: string; account?: string } = {},
  now = T0,
) {
  const { kind = "tally", target = "acct/c1", count = 3, account = "acct" } = fields;
  const { operation } = await store.operations.create(
    { id: fields.id ?? `${kind}-${++counter}`, target, kind, step: "start", data: { account, count } },
    { now },
  );
  return operation;
}

const get = async (id: string, now = T0) => (await store.operations.get(id, now))!;

describe("chaining", () => {
  it("runs steps back to back until one waits, writing each, and ends on a later run", async () => {
    const op = await create();
    const first = await run(T0);
    expect(first.operations.map((o) => `${o.ran} → ${o.step}`)).toEqual([
      "start → add",
      "add → add",
      "add → settle",
      "settle → settle",
    ]);
    // Four step writes, nothing more: each step's write clears the entries the step before it
    // appended, and the last step (a wait) has none left to clear.
    expect(await get(op.id)).toMatchObject({ status: "waiting", step: "settle", version: 5 });
    expect(cloud.counters.get("acct/c1")).toBe(3);
    expect((await run(at(59))).advanced).toBe(0);
    const second = await run(at(60));
    expect(second.operations.map((o) => o.status)).toEqual(["running", "succeeded"]);
    expect((await store.ledger.query({ operationId: op.id })).map((e) => e.kind)).toEqual([
      "tally.add",
      "tally.add",
      "tally.add",
      "tally.succeeded",
    ]);
  });

  it("runs at most stepsPerOperation steps of one operation per run", async () => {
    const op = await create();
    expect((await run(T0, { stepsPerOperation: 2 })).advanced).toBe(2);
    expect(await get(op.id)).toMatchObject({ status: "running", step: "add" });
    expect(cloud.counters.get("acct/c1")).toBe(2);
  });
});

describe("the step budget", () => {
  it("counts every step, chained ones included, and leaves the rest to the next run", async () => {
    const a = await create({ id: "a", target: "acct/a" });
    const b = await create({ id: "b", target: "acct/b" });
    const first = await run(T0, { stepLimit: 3, concurrency: 1 });
    expect(first.advanced).toBe(3);
    expect(await get(a.id)).toMatchObject({ step: "settle", status: "running" });
    expect(await get(b.id)).toMatchObject({ step: "start", version: 1 });
    const second = await run(T0, { stepLimit: 3, concurrency: 1 });
    expect(second.operations.map((o) => `${o.operationId}:${o.ran}`)).toEqual([
      `${a.id}:settle`,
      `${b.id}:start`,
      `${b.id}:add`,
    ]);
  });
});

describe("back-off", () => {
  const transient = () => new TransientError("throttled", "429 slow down");

  it("retries 30 s later, doubling, clears the count on success, and honours a longer Retry-After", async () => {
    const op = await create({ count: 1 });
    cloud.failNext.push(transient(), transient(), new TransientError("throttled", "429", 600));
    await run(T0);
    expect(await get(op.id)).toMatchObject({
      status: "waiting",
      step: "add",
      attempts: 1,
      nextAttemptAt: at(30).toISOString(),
      error: { kind: "throttled", message: "429 slow down" },
      data: { progress: { failures: 1 } },
    });
    expect((await run(at(29))).advanced).toBe(0);
    await run(at(30));
    expect((await get(op.id, at(30))).nextAttemptAt).toBe(at(90).toISOString());
    await run(at(90));
    expect((await get(op.id, at(90))).nextAttemptAt).toBe(at(690).toISOString());
    await run(at(690));
    const recovered = await get(op.id, at(690));
    expect(recovered).toMatchObject({ status: "waiting", step: "settle", attempts: 3 });
    expect(recovered.error).toBeUndefined();
    expect(recovered.data.progress).toEqual({ added: 1 });
  });

  it("retries a step that met the store unavailable (a Redis restart), instead of failing the operation", async () => {
    const op = await create({ count: 1 });
    cloud.failNext.push(
      new StoreUnavailableError(
        "the store did not answer (Redis at redis://127.0.0.1:6379/0: read ECONNRESET)",
      ),
    );
    await run(T0);
    expect(await get(op.id)).toMatchObject({
      status: "waiting",
      step: "add",
      attempts: 1,
      nextAttemptAt: at(30).toISOString(),
      error: {
        kind: "internal",
        message: "the store did not answer (Redis at redis://127.0.0.1:6379/0: read ECONNRESET)",
      },
    });
    await run(at(30));
    expect(await get(op.id, at(30))).toMatchObject({ status: "waiting", step: "settle", attempts: 1 });
  });

  it("gives up through the kind's fail once the next retry would pass the deadline", async () => {
    const op = await create({ count: 1 });
    cloud.failNext.push(new TransientError("throttled", "429", 3600));
    const report = await run(at(1));
    expect(await get(op.id, at(1))).toMatchObject({
      status: "failed",
      error: {
        kind: "throttled",
        message: "429 (still failing after 1 attempts; giving up 1 h after the operation was created)",
      },
    });
    expect(report.events.map((e) => e.detail.outcome)).toEqual(["failed"]);
  });

  it("fails at once on a permanent error, with the kind's ledger entry and event", async () => {
    const op = await create({ count: 1 });
    cloud.failNext.push(new Error("the cloud refused: forbidden"));
    const report = await run(T0);
    expect(await get(op.id)).toMatchObject({ status: "failed", attempts: 1, error: { kind: "internal" } });
    expect(report.events).toEqual([
      expect.objectContaining({
        detailType: "nightshift.tally",
        detail: expect.objectContaining({
          outcome: "failed",
          error: { kind: "internal", message: "the cloud refused: forbidden" },
        }),
      }),
    ]);
    expect((await store.ledger.query({ operationId: op.id })).map((e) => e.kind)).toEqual(["tally.failed"]);
  });

  it("fails an operation whose account has no provider, naming it", async () => {
    const op = await create({ account: "missing" });
    await run(T0);
    expect((await get(op.id)).error?.message).toContain('no cloud account "missing"');
    expect(cloud.ran).toEqual([]);
  });
});

describe("leases", () => {
  it("two concurrent runs: one advances the target, the other skips it while the lease is held", async () => {
    const op = await create({ count: 1 });
    let entered!: () => void;
    let open!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    cloud.gate = { entered, open: new Promise((resolve) => (open = resolve)) };
    const first = run(T0, { holder: "worker-1" });
    await inside;
    const second = await run(T0, { holder: "worker-2" });
    expect(second).toMatchObject({ advanced: 0, skipped: [{ operationId: op.id, reason: "lease-held" }] });
    open();
    expect((await first).advanced).toBeGreaterThan(0);
    expect(cloud.counters.get("acct/c1")).toBe(1);
    expect(await store.leases.acquire("acct/c1", { holder: "x", ttlMs: 1000, now: T0 })).toMatchObject({
      acquired: true,
    });
  });
});

describe("one operation at a time per target, across kinds", () => {
  it("the oldest unfinished first, even while it waits; other targets go on", async () => {
    const older = await create({ kind: "tally", count: 1 });
    const newer = await create({ kind: "ping" }, at(1));
    const elsewhere = await create({ kind: "ping", target: "acct/c2" }, at(1));
    await run(at(1));
    expect(await get(older.id, at(1))).toMatchObject({ status: "waiting", step: "settle" });
    expect(await get(newer.id, at(1))).toMatchObject({ status: "pending", version: 1 });
    expect((await get(elsewhere.id, at(1))).status).toBe("succeeded");
    await run(at(61)); // the tally ends; the ping's turn comes on the next run
    expect((await get(older.id, at(61))).status).toBe("succeeded");
    expect((await get(newer.id, at(61))).status).toBe("pending");
    await run(at(62));
    expect((await get(newer.id, at(62))).status).toBe("succeeded");
  });

  it("created at the same instant: the kind with the lower priority first, whatever the ids", async () => {
    const t = await create({ kind: "tally", id: "a-tally", count: 1 });
    const p = await create({ kind: "ping", id: "b-ping" });
    const report = await run(T0);
    expect(report.due).toBe(1);
    expect((await get(p.id)).status).toBe("succeeded");
    expect((await get(t.id)).version).toBe(1);
  });

  it("leaves operations of kinds it does not run alone, and refuses two jobs claiming one kind", async () => {
    const other = await create({ kind: "renew" });
    expect((await run(T0)).due).toBe(0);
    expect(await get(other.id)).toEqual(other);
    await expect(run(T0, { jobs: [tally, { ...ping, kinds: ["tally"] }] })).rejects.toThrow(
      'job kinds "tally" and "ping" both run "tally" operations',
    );
  });
});

describe("a crash between steps", () => {
  /** The store, but the process "dies" at the next operation write: before or after it is stored. */
  function crashing(when: "before-write" | "after-write") {
    let armed = true;
    const crashed: Store = {
      ...store,
      leases: { ...store.leases, release: async () => false }, // a dead process releases nothing
      operations: {
        ...store.operations,
        async update(id, version, changes, o) {
          if (!armed) return store.operations.update(id, version, changes, o);
          armed = false;
          if (when === "after-write") await store.operations.update(id, version, changes, o);
          throw new Error("process killed");
        },
      },
    };
    return crashed;
  }
  const afterLease = at(LEASE_TTL_MS / 1000 + 1);

  it("after the write: the next worker goes on from the written step, repeating none", async () => {
    const op = await create({ count: 3 });
    const report = await run(T0, { store: crashing("after-write") });
    expect(report.errors).toEqual([{ operationId: op.id, target: op.target, message: "process killed" }]);
    expect((await run(at(1))).skipped).toMatchObject([{ reason: "lease-held" }]); // until the lease lapses
    await run(afterLease);
    expect(cloud.ran).toEqual([`${op.id}:start`, `${op.id}:add`, `${op.id}:add`]);
    expect(cloud.counters.get(op.target)).toBe(3);
  });

  it("before the write: the step in progress runs once more, and only it", async () => {
    const op = await create({ count: 3 });
    await run(T0, { store: crashing("before-write") });
    expect(await get(op.id)).toMatchObject({ step: "start", version: 1 });
    await run(afterLease);
    expect(cloud.ran).toEqual([`${op.id}:start`, `${op.id}:start`, `${op.id}:add`, `${op.id}:add`]);
    expect(cloud.counters.get(op.target)).toBe(4); // the one repeated step's effect, nothing more
    expect(await get(op.id, afterLease)).toMatchObject({ status: "waiting", step: "settle" });
  });
});

describe("ledger entries across a crash: each exactly once", () => {
  /**
   * The store, but the process "dies" at its `nth` ledger append (1 = the first): before the entry
   * is stored, or right after (before the write that clears it from the operation).
   */
  function dyingAtAppend(when: "before-append" | "after-append", nth = 1) {
    let appends = 0;
    const dying: Store = {
      ...store,
      leases: { ...store.leases, release: async () => false }, // a dead process releases nothing
      ledger: {
        ...store.ledger,
        async append(entry) {
          if (++appends !== nth) return store.ledger.append(entry);
          if (when === "after-append") await store.ledger.append(entry);
          throw new Error("process killed");
        },
      },
    };
    return dying;
  }
  const afterLease = at(LEASE_TTL_MS / 1000 + 1);
  const ledgerOf = async (id: string) => await store.ledger.query({ operationId: id });

  it("killed between the step's write and its append: the next worker appends the entry first, once", async () => {
    const op = await create({ count: 3 });
    const report = await run(T0, { store: dyingAtAppend("before-append") });
    expect(report.errors).toEqual([{ operationId: op.id, target: op.target, message: "process killed" }]);
    // The step is written, its entry with it (keyed by the version it read), and not yet appended.
    expect(await get(op.id)).toMatchObject({
      step: "add",
      version: 2,
      ledgerPending: [{ key: `${op.id}:${T0.getTime()}:1:0`, kind: "tally.add", at: T0.toISOString() }],
    });
    expect(await ledgerOf(op.id)).toEqual([]);

    await run(afterLease);
    await run(at(LEASE_TTL_MS / 1000 + 61));
    const entries = await ledgerOf(op.id);
    expect(entries.map((e) => e.kind)).toEqual(["tally.add", "tally.add", "tally.add", "tally.succeeded"]);
    // The late entry keeps the time of its step.
    expect(entries[0]).toMatchObject({ at: T0, key: `${op.id}:${T0.getTime()}:1:0` });
    expect(new Set(entries.map((e) => e.key)).size).toBe(4);
    // No step ran twice, and nothing is left pending.
    expect(cloud.ran).toEqual([`${op.id}:start`, `${op.id}:add`, `${op.id}:add`]);
    expect((await get(op.id, afterLease)).ledgerPending).toBeUndefined();
  });

  it("killed after the append, before the clear: the next worker's append stores nothing twice", async () => {
    const op = await create({ count: 3 });
    await run(T0, { store: dyingAtAppend("after-append", 2) });
    expect((await get(op.id)).ledgerPending).toHaveLength(1);
    expect((await ledgerOf(op.id)).map((e) => e.kind)).toEqual(["tally.add", "tally.add"]);

    await run(afterLease);
    await run(at(LEASE_TTL_MS / 1000 + 61));
    expect((await ledgerOf(op.id)).map((e) => e.kind)).toEqual([
      "tally.add",
      "tally.add",
      "tally.add",
      "tally.succeeded",
    ]);
    expect(cloud.counters.get(op.target)).toBe(3);
  });

  it("killed after a finished operation's final write: the flush finds it through its index alone", async () => {
    const op = await create({ kind: "ping" });
    // ping: start → done (ping.add), done → succeeded (ping.succeeded): killed at the second append.
    await run(T0, { store: dyingAtAppend("before-append", 2), outbox: true });
    expect(await get(op.id)).toMatchObject({
      status: "succeeded",
      ledgerPending: [{ kind: "ping.succeeded" }],
    });
    expect((await ledgerOf(op.id)).map((e) => e.kind)).toEqual(["ping.add"]);
    // No run takes a finished operation again; it waits in the "ledger" index, never expiring, and
    // its outcome event waits for it (it enters the outbox once its entries are appended).
    expect((await run(afterLease)).due).toBe(0);
    await store.sweep(at(31 * 24 * 3600));
    expect(await store.operations.get(op.id, at(31 * 24 * 3600))).toBeDefined();
    expect(await store.operations.outboxDue({ dueBy: afterLease }, afterLease)).toEqual([]);
    const [listed] = await store.operations.ledgerPending({}, afterLease);
    expect(listed?.id).toBe(op.id);

    expect(await flushFinishedLedgers(store, afterLease)).toBe(1);
    expect((await ledgerOf(op.id)).map((e) => e.kind)).toEqual(["ping.add", "ping.succeeded"]);
    expect(await store.operations.ledgerPending({}, afterLease)).toEqual([]);
    expect((await store.operations.outboxDue({ dueBy: afterLease }, afterLease)).map((o) => o.id)).toEqual([
      op.id,
    ]);
    // A second flusher that listed it before the clear: its append stores nothing, its clear loses.
    expect(await flushLedger(store, listed!, afterLease)).toBeUndefined();
    expect(await flushFinishedLedgers(store, afterLease)).toBe(0);
    expect((await ledgerOf(op.id)).map((e) => e.kind)).toEqual(["ping.add", "ping.succeeded"]);
  });
});

describe("the next due time a run reports", () => {
  it("is the earliest wait it leaves, counting a target's next operation once the first finished", async () => {
    // c1: a tally that ends waiting 60 s; c2: a ping that finishes, with a tally queued behind it.
    await create({ target: "acct/c1", count: 1 });
    await create({ kind: "ping", target: "acct/c2" });
    await create({ target: "acct/c2", count: 1 }, at(1));
    const report = await run(T0);
    // The queued tally was not due before (its target was held): due now that the ping ended.
    expect(report.nextDueAt).toBe(T0.toISOString());
    const next = await run(T0);
    expect(next.nextDueAt).toBe(at(60).toISOString());
    // Nothing due before then; afterwards, nothing left at all.
    expect((await run(at(30))).nextDueAt).toBe(at(60).toISOString());
    await run(at(60));
    expect((await run(at(60))).nextDueAt).toBeUndefined();
  });

  it("leaves out what another worker holds: its lease says nothing of when it is done", async () => {
    const op = await create({ target: "acct/c1" });
    await store.leases.acquire(op.target, { holder: "worker-2", ttlMs: LEASE_TTL_MS, now: T0 });
    const report = await run(T0);
    expect(report.skipped).toEqual([{ operationId: op.id, target: op.target, reason: "lease-held" }]);
    expect(report.nextDueAt).toBeUndefined();
  });
});

describe("outcome events", () => {
  it("are collected once per operation, when it ends, in the report", async () => {
    const op = await create({ count: 2 });
    const reports = [await run(T0), await run(at(60)), await run(at(120)), await run(at(180))];
    expect(reports.map((r) => r.events.length)).toEqual([0, 1, 0, 0]);
    expect(reports[1]!.events).toEqual([
      {
        detailType: "nightshift.tally",
        detail: {
          kind: "tally",
          operationId: op.id,
          target: op.target,
          requested: "tally",
          outcome: "succeeded",
          taken: ["add ×2"],
          before: { count: 0 },
          after: { count: 2 },
        },
      },
    ]);
  });

  it("with the outbox on, the write that finishes the operation carries its event, pending", async () => {
    const op = await create({ kind: "ping" });
    const report = await run(T0, { outbox: true });
    // start → done → succeeded: two step writes after the creation (the second clears the first's
    // appended entries), then the clear of the last step's; the event in the last step write.
    expect(await get(op.id)).toMatchObject({
      status: "succeeded",
      version: 4,
      outbox: {
        state: "pending",
        attempts: 0,
        event: report.events[0],
        time: T0.toISOString(),
        recordedAt: T0.toISOString(),
        nextAttemptAt: T0.toISOString(),
      },
    });
    expect((await store.operations.outboxDue({ dueBy: T0 }, T0)).map((o) => o.id)).toEqual([op.id]);
  });

  it("with the outbox off (no bus configured), nothing is recorded and the operation expires as before", async () => {
    const op = await create({ kind: "ping" });
    await run(T0);
    expect((await get(op.id)).outbox).toBeUndefined();
    expect(await store.operations.outboxDue({ dueBy: at(3600) }, T0)).toEqual([]);
  });
});
