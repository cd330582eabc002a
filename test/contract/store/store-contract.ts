// The store's promises, as one suite run against every backend: call
// `storeContract("sqlite", () => makeFreshBackend())` from each backend's test file.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lastOf, listLastActions, recordFinished } from "../../../shared/jobs/last-action.ts";
import type { StoreBackend } from "../../../shared/store/backend.ts";
import {
  ACTIVE,
  createStore,
  FINISHED,
  fingerprint,
  type Operation,
  type Store,
} from "../../../shared/store/store.ts";
import { countingBackend } from "./counting-backend.ts";

const T0 = new Date("2026-11-22T20:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export function storeContract(
  name: string,
  make: () => Promise<StoreBackend>,
  options: { raceSize?: number } = {},
) {
  const raceSize = options.raceSize ?? 1000;

  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = createStore(await make());
    });
    afterEach(async () => {
      await store.close();
    });

    describe("idempotency", () => {
      const claim = (key: string, print: string, now: Date, leaseMs = MINUTE) =>
        store.idempotency.claim(key, { fingerprint: print, leaseMs, ttlMs: DAY, now });

      it("claims once; a second caller sees it in progress, a different payload is a mismatch", async () => {
        const first = await claim("evt-1", "fp-a", T0);
        expect(first).toEqual({ outcome: "claimed", token: expect.any(Number), takenOver: false });
        expect(await claim("evt-1", "fp-a", at(1))).toEqual({ outcome: "in-progress", leaseUntil: at(60) });
        expect(await claim("evt-1", "fp-b", at(1))).toEqual({ outcome: "mismatch" });
      });

      it("replays the stored result once completed, until the key's time to live ends", async () => {
        const first = await claim("evt-2", "fp", T0);
        if (first.outcome !== "claimed") throw new Error("expected a claim");
        expect(
          await store.idempotency.complete("evt-2", {
            token: first.token,
            result: '{"status":202}',
            ttlMs: DAY,
            now: at(5),
          }),
        ).toBe(true);
        expect(await claim("evt-2", "fp", at(6))).toEqual({ outcome: "completed", result: '{"status":202}' });
        expect(await claim("evt-2", "other", at(6))).toEqual({ outcome: "mismatch" });
        // After the TTL the key is forgotten and the event would be handled anew.
        expect((await claim("evt-2", "fp", new Date(at(5).getTime() + DAY))).outcome).toBe("claimed");
      });

      it("releases on failure so a retry can run, and refuses a wrong token", async () => {
        const first = await claim("evt-3", "fp", T0);
        if (first.outcome !== "claimed") throw new Error("expected a claim");
        expect(await store.idempotency.release("evt-3", { token: first.token + 100, now: at(1) })).toBe(
          false,
        );
        expect(await store.idempotency.release("evt-3", { token: first.token, now: at(1) })).toBe(true);
        expect((await claim("evt-3", "fp", at(2))).outcome).toBe("claimed");
      });

      it("lets a crashed holder's expired lease be taken over, and refuses the old holder afterwards", async () => {
        const crashed = await claim("evt-4", "fp", T0, 30_000);
        if (crashed.outcome !== "claimed") throw new Error("expected a claim");
        expect((await claim("evt-4", "fp", at(29))).outcome).toBe("in-progress");
        const takeover = await claim("evt-4", "fp", at(30), 30_000);
        expect(takeover).toMatchObject({ outcome: "claimed", takenOver: true });
        if (takeover.outcome !== "claimed") throw new Error("expected a takeover");
        expect(takeover.token).toBeGreaterThan(crashed.token);
        expect(
          await store.idempotency.complete("evt-4", {
            token: crashed.token,
            result: "1",
            ttlMs: DAY,
            now: at(31),
          }),
        ).toBe(false);
        expect(await store.idempotency.release("evt-4", { token: crashed.token, now: at(31) })).toBe(false);
        expect(
          await store.idempotency.complete("evt-4", {
            token: takeover.token,
            result: "2",
            ttlMs: DAY,
            now: at(32),
          }),
        ).toBe(true);
        expect(await claim("evt-4", "fp", at(33))).toEqual({ outcome: "completed", result: "2" });
      });

      it("extends a lease with a new token, after which the old token is refused", async () => {
        const first = await claim("evt-5", "fp", T0, 10_000);
        if (first.outcome !== "claimed") throw new Error("expected a claim");
        const token = await store.idempotency.extend("evt-5", {
          token: first.token,
          leaseMs: 60_000,
          now: at(9),
        });
        expect(token).toBeGreaterThan(first.token);
        expect(await claim("evt-5", "fp", at(30))).toEqual({ outcome: "in-progress", leaseUntil: at(69) });
        expect(
          await store.idempotency.complete("evt-5", {
            token: first.token,
            result: "x",
            ttlMs: DAY,
            now: at(31),
          }),
        ).toBe(false);
        expect(
          await store.idempotency.complete("evt-5", { token: token!, result: "x", ttlMs: DAY, now: at(31) }),
        ).toBe(true);
      });

      it(`gives exactly one winner among ${raceSize} concurrent claims of one key`, async () => {
        const outcomes = await Promise.all(Array.from({ length: raceSize }, () => claim("hot", "fp", T0)));
        expect(outcomes.filter((o) => o.outcome === "claimed")).toHaveLength(1);
        expect(outcomes.filter((o) => o.outcome === "in-progress")).toHaveLength(raceSize - 1);
      });

      it("fingerprints are stable, order-sensitive and unambiguous", async () => {
        expect(await fingerprint(["POST", "/x", "{}"])).toBe(await fingerprint(["POST", "/x", "{}"]));
        expect(await fingerprint(["ab", "c"])).not.toBe(await fingerprint(["a", "bc"]));
        expect(await fingerprint(["a", "b"])).not.toBe(await fingerprint(["b", "a"]));
      });
    });

    describe("leases with fencing tokens", () => {
      it("has one holder at a time; after expiry the next holder gets a larger token and the old one is refused", async () => {
        const a = await store.leases.acquire("hw/c1", { holder: "worker-a", ttlMs: MINUTE, now: T0 });
        expect(a).toMatchObject({ acquired: true, expiresAt: at(60) });
        if (!a.acquired) throw new Error("expected a lease");
        expect(
          await store.leases.acquire("hw/c1", { holder: "worker-b", ttlMs: MINUTE, now: at(30) }),
        ).toEqual({
          acquired: false,
          holder: "worker-a",
          expiresAt: at(60),
        });
        expect(await store.leases.isCurrent("hw/c1", a.token, at(30))).toBe(true);
        const b = await store.leases.acquire("hw/c1", { holder: "worker-b", ttlMs: MINUTE, now: at(60) });
        if (!b.acquired) throw new Error("expected the expired lease to be taken over");
        expect(b.token).toBeGreaterThan(a.token);
        expect(await store.leases.isCurrent("hw/c1", a.token, at(61))).toBe(false);
        expect(await store.leases.renew("hw/c1", { token: a.token, ttlMs: MINUTE, now: at(61) })).toBe(false);
        expect(await store.leases.release("hw/c1", { token: a.token, now: at(61) })).toBe(false);
        expect(await store.leases.renew("hw/c1", { token: b.token, ttlMs: MINUTE, now: at(100) })).toBe(true);
        expect(await store.leases.isCurrent("hw/c1", b.token, at(150))).toBe(true);
        expect(await store.leases.release("hw/c1", { token: b.token, now: at(150) })).toBe(true);
        const c = await store.leases.acquire("hw/c1", { holder: "worker-a", ttlMs: MINUTE, now: at(151) });
        if (!c.acquired) throw new Error("expected a lease after release");
        expect(c.token).toBeGreaterThan(b.token);
      });

      it("keeps targets independent", async () => {
        const one = await store.leases.acquire("t1", { holder: "w", ttlMs: MINUTE, now: T0 });
        const two = await store.leases.acquire("t2", { holder: "w", ttlMs: MINUTE, now: T0 });
        expect(one.acquired && two.acquired).toBe(true);
      });

      it(`grants one of ${Math.min(raceSize, 200)} concurrent acquisitions`, async () => {
        const size = Math.min(raceSize, 200);
        const results = await Promise.all(
          Array.from({ length: size }, (_, i) =>
            store.leases.acquire("hot", { holder: `w${i}`, ttlMs: MINUTE, now: T0 }),
          ),
        );
        expect(results.filter((r) => r.acquired)).toHaveLength(1);
      });
    });

    describe("durable operations", () => {
      const base = {
        id: "sleep:weeknights:hw/c1:2026-11-22T22:00",
        target: "hw/c1",
        kind: "sleep",
        step: "snapshot",
        data: {},
      };
      /** The outcome event of `base`, recorded at 1 s, pending and due at `due`. */
      const pendingOutbox = (due: Date) => ({
        eventId: "e1",
        event: { detailType: "nightshift.sleep", detail: { operationId: base.id } },
        time: at(1).toISOString(),
        state: "pending" as const,
        recordedAt: at(1).toISOString(),
        attempts: 0,
        nextAttemptAt: due.toISOString(),
      });

      it("creates once per id and returns the existing operation on a repeat", async () => {
        const first = await store.operations.create(base, { now: T0 });
        expect(first).toMatchObject({
          created: true,
          operation: { status: "pending", attempts: 0, version: 1 },
        });
        const again = await store.operations.create({ ...base, step: "other" }, { now: at(5) });
        expect(again.created).toBe(false);
        expect(again.operation).toEqual(first.operation);
      });

      it("advances with compare-and-set and keeps the cloud's job ids for resuming", async () => {
        const { operation } = await store.operations.create(base, { now: T0 });
        const issued = await store.operations.update(
          operation.id,
          operation.version,
          {
            status: "waiting",
            step: "await-hibernation",
            data: { jobId: "job-42", pools: { p1: 3 } },
            nextAttemptAt: at(30).toISOString(),
          },
          { now: at(1) },
        );
        expect(issued.ok).toBe(true);
        const stale = await store.operations.update(
          operation.id,
          operation.version,
          { step: "duplicate" },
          { now: at(2) },
        );
        expect(stale).toMatchObject({
          ok: false,
          current: { step: "await-hibernation", data: { jobId: "job-42" } },
        });
        const resumed = await store.operations.get(operation.id, at(3));
        expect(resumed?.data).toEqual({ jobId: "job-42", pools: { p1: 3 } });
        const done = await store.operations.update(
          operation.id,
          resumed!.version,
          { status: "succeeded", clear: ["nextAttemptAt"] },
          { now: at(4) },
        );
        expect(done.ok && done.operation.nextAttemptAt).toBe(undefined);
      });

      it("lists by status, target and due time, oldest first", async () => {
        await store.operations.create({ ...base, id: "a", target: "t1" }, { now: T0 });
        await store.operations.create({ ...base, id: "b", target: "t2", status: "waiting" }, { now: at(1) });
        const c = await store.operations.create(
          { ...base, id: "c", target: "t1", status: "waiting" },
          { now: at(2) },
        );
        await store.operations.update(
          "c",
          c.operation.version,
          { nextAttemptAt: at(100).toISOString() },
          { now: at(2) },
        );
        const ids = async (filter: Parameters<Store["operations"]["list"]>[0]) =>
          (await store.operations.list(filter, at(3))).map((o) => o.id);
        expect(await ids({})).toEqual(["a", "b", "c"]);
        expect(await ids({ target: "t1" })).toEqual(["a", "c"]);
        expect(await ids({ status: ["waiting"] })).toEqual(["b", "c"]);
        expect(await ids({ status: ["waiting"], dueBy: at(50) })).toEqual(["b"]);
        expect(await ids({ limit: 1 })).toEqual(["a"]);
      });

      it("lists unfinished operations oldest first, each leaving the list when it finishes", async () => {
        await store.operations.create({ ...base, id: "z-first", target: "t1" }, { now: T0 });
        const done = await store.operations.create({ ...base, id: "done", target: "t2" }, { now: at(1) });
        await store.operations.create(
          { ...base, id: "a-last", target: "t1", status: "waiting" },
          { now: at(2) },
        );
        await store.operations.create({ ...base, id: "b-same-time", target: "t3" }, { now: at(2) });
        await store.operations.create({ ...base, id: "born-finished", status: "cancelled" }, { now: at(3) });
        const active = async (now = at(5)) =>
          (await store.operations.list({ status: ACTIVE }, now)).map((o) => o.id);
        expect(await active()).toEqual(["z-first", "done", "a-last", "b-same-time"]);
        const running = await store.operations.update(
          "done",
          done.operation.version,
          { status: "running", nextAttemptAt: at(60).toISOString() },
          { now: at(4) },
        );
        if (!running.ok) throw new Error("expected the update to win");
        // Still in creation order after a write; a due filter still applies.
        expect(await active()).toEqual(["z-first", "done", "a-last", "b-same-time"]);
        expect(
          (await store.operations.list({ status: ACTIVE, dueBy: at(30) }, at(5))).map((o) => o.id),
        ).toEqual(["z-first", "a-last", "b-same-time"]);
        expect((await store.operations.list({ status: ["running"] }, at(5))).map((o) => o.id)).toEqual([
          "done",
        ]);
        await store.operations.update(
          "done",
          running.operation.version,
          { status: "failed" },
          { now: at(6) },
        );
        expect(await active(at(7))).toEqual(["z-first", "a-last", "b-same-time"]);
        // The finished ones are still there for whoever asks for them.
        expect((await store.operations.list({ status: FINISHED }, at(7))).map((o) => o.id)).toEqual([
          "done",
          "born-finished",
        ]);
      });

      it("reads no more to list unfinished operations however many finished ones are kept", async () => {
        const counted = countingBackend(await make());
        const measured = createStore(counted.backend);
        try {
          for (let i = 0; i < 3; i++)
            await measured.operations.create({ ...base, id: `active-${i}`, target: `t${i}` }, { now: at(i) });
          const cost = async () => {
            counted.reset();
            const ids = (await measured.operations.list({ status: ACTIVE }, at(100))).map((o) => o.id);
            return { ids, ...counted.counts };
          };
          const before = await cost();
          expect(before).toEqual({ ids: ["active-0", "active-1", "active-2"], reads: 1, rows: 3, writes: 0 });
          // All at once: the same 200 rows, filled in a few commits rather than 200.
          await Promise.all(
            Array.from({ length: 200 }, (_, i) =>
              measured.operations.create(
                { ...base, id: `finished-${i}`, target: `t${i}`, status: "succeeded" },
                { now: at(10) },
              ),
            ),
          );
          expect(await cost()).toEqual(before);
        } finally {
          await measured.close();
        }
      });

      it("lists one target's unfinished operations oldest first, reading only that target's, however big the fleet", async () => {
        const counted = countingBackend(await make());
        const measured = createStore(counted.backend);
        try {
          await measured.operations.create({ ...base, id: "wake", target: "t1" }, { now: at(5) });
          const sleep = await measured.operations.create(
            { ...base, id: "sleep", target: "t1" },
            { now: at(1) },
          );
          await measured.operations.create(
            { ...base, id: "prefix-neighbour", target: "t10" },
            { now: at(2) },
          );
          await Promise.all(
            Array.from({ length: 100 }, (_, i) =>
              measured.operations.create({ ...base, id: `other-${i}`, target: `u${i}` }, { now: at(3) }),
            ),
          );
          const cost = async (now = at(10)) => {
            counted.reset();
            const ids = (await measured.operations.ofTarget("t1", now)).map((o) => o.id);
            return { ids, ...counted.counts };
          };
          // One listing of its lineup, one read per operation in it.
          expect(await cost()).toEqual({ ids: ["sleep", "wake"], reads: 3, rows: 4, writes: 0 });
          const done = await measured.operations.update(
            "sleep",
            sleep.operation.version,
            { status: "succeeded" },
            { now: at(6) },
          );
          expect(done.ok).toBe(true);
          expect(await cost()).toEqual({ ids: ["wake"], reads: 2, rows: 2, writes: 0 });
          expect((await measured.operations.ofTarget("nobody", at(10))).map((o) => o.id)).toEqual([]);
        } finally {
          await measured.close();
        }
      });

      it("keeps a finished operation whose event is pending in the outbox index, unexpired, until it is settled", async () => {
        const pending = pendingOutbox(at(30));
        const { operation } = await store.operations.create(base, { now: T0 });
        const finished = await store.operations.update(
          operation.id,
          operation.version,
          { status: "succeeded", outbox: pending },
          { now: at(1) },
        );
        if (!finished.ok) throw new Error("expected the update to win");
        await store.operations.create({ ...base, id: "no-event", status: "succeeded" }, { now: T0 });
        const due = async (by: Date, now = at(2)) =>
          (await store.operations.outboxDue({ dueBy: by }, now)).map((o) => o.id);
        expect(await due(at(29))).toEqual([]);
        expect(await due(at(30))).toEqual([base.id]);
        // Never swept while pending, however long no publisher runs.
        const later = new Date(T0.getTime() + 365 * DAY);
        await store.sweep(later);
        expect(await due(later, later)).toEqual([base.id]);

        expect(
          await store.operations.updateOutbox(operation, { ...pending, attempts: 9 }, at(40)),
        ).toBeUndefined();
        const published = await store.operations.updateOutbox(
          finished.operation,
          { ...pending, state: "published", attempts: 1, settledAt: at(40).toISOString() },
          at(40),
        );
        expect(published).toMatchObject({
          version: finished.operation.version + 1,
          outbox: { state: "published" },
        });
        expect(await due(later, at(41))).toEqual([]);
        expect((await store.operations.get(base.id, at(41)))?.outbox?.state).toBe("published");
        expect(await store.operations.get(base.id, new Date(at(40).getTime() + 30 * DAY))).toBeUndefined();
      });

      it("keeps a finished operation with pending ledger entries in the ledger index, unexpired, before the outbox", async () => {
        const entry = {
          key: `${base.id}:1:0`,
          at: at(1).toISOString(),
          operationId: base.id,
          target: base.target,
          kind: "sleep.succeeded",
          detail: {},
        };
        const outbox = pendingOutbox(at(1));
        const { operation } = await store.operations.create(base, { now: T0 });
        // Unfinished with pending entries: still (only) in the active index.
        const running = await store.operations.update(
          operation.id,
          operation.version,
          { status: "running", ledgerPending: [entry] },
          { now: at(1) },
        );
        if (!running.ok) throw new Error("expected the update to win");
        expect(await store.operations.ledgerPending({}, at(1))).toEqual([]);
        const finished = await store.operations.update(
          operation.id,
          running.operation.version,
          { status: "succeeded", ledgerPending: [entry], outbox },
          { now: at(2) },
        );
        if (!finished.ok) throw new Error("expected the update to win");
        await store.operations.create({ ...base, id: "plain", status: "succeeded" }, { now: T0 });
        const pending = async (now: Date) => (await store.operations.ledgerPending({}, now)).map((o) => o.id);
        expect(await pending(at(2))).toEqual([base.id]);
        expect(await store.operations.outboxDue({ dueBy: at(2) }, at(2))).toEqual([]);
        const later = new Date(T0.getTime() + 365 * DAY);
        await store.sweep(later);
        expect(await pending(later)).toEqual([base.id]);
        expect((await store.operations.get(base.id, later))?.ledgerPending).toEqual([entry]);

        // Cleared at a stale version: refused. At the version held: on to the outbox index.
        expect(await store.operations.clearLedgerPending(running.operation, at(3))).toBeUndefined();
        const cleared = await store.operations.clearLedgerPending(finished.operation, at(3));
        expect(cleared).toMatchObject({ version: finished.operation.version + 1, status: "succeeded" });
        expect(cleared?.ledgerPending).toBeUndefined();
        expect(await pending(at(3))).toEqual([]);
        expect((await store.operations.outboxDue({ dueBy: at(3) }, at(3))).map((o) => o.id)).toEqual([
          base.id,
        ]);
      });

      it("reads only the due outbox entries however many finished operations are kept", async () => {
        const counted = countingBackend(await make());
        const measured = createStore(counted.backend);
        const withEvent = async (id: string, state: "pending" | "published", dueAt: Date) => {
          const { operation } = await measured.operations.create({ ...base, id, target: id }, { now: T0 });
          const outbox = {
            eventId: id,
            event: { detailType: "nightshift.sleep", detail: {} },
            time: T0.toISOString(),
            state,
            recordedAt: T0.toISOString(),
            attempts: 0,
            nextAttemptAt: dueAt.toISOString(),
          };
          await measured.operations.update(
            id,
            operation.version,
            { status: "succeeded", outbox },
            { now: T0 },
          );
        };
        try {
          for (let i = 0; i < 3; i++) await withEvent(`due-${i}`, "pending", at(i));
          const cost = async () => {
            counted.reset();
            const ids = (await measured.operations.outboxDue({ dueBy: at(10) }, at(10))).map((o) => o.id);
            return { ids, ...counted.counts };
          };
          const before = await cost();
          expect(before).toEqual({ ids: ["due-0", "due-1", "due-2"], reads: 1, rows: 3, writes: 0 });
          await Promise.all([
            ...Array.from({ length: 100 }, (_, i) => withEvent(`published-${i}`, "published", at(1))),
            ...Array.from({ length: 20 }, (_, i) => withEvent(`later-${i}`, "pending", at(60))),
          ]);
          expect(await cost()).toEqual(before);
        } finally {
          await measured.close();
        }
      });

      it("forgets finished operations after their time to live, never unfinished ones", async () => {
        const { operation } = await store.operations.create(base, { now: T0 });
        await store.operations.update(
          operation.id,
          operation.version,
          { status: "succeeded" },
          { now: T0, ttlMs: 60_000 },
        );
        await store.operations.create({ ...base, id: "still-running", status: "running" }, { now: T0 });
        expect(await store.operations.get(operation.id, at(59))).toBeDefined();
        expect(await store.operations.get(operation.id, at(60))).toBeUndefined();
        expect(await store.sweep(at(60))).toBeGreaterThanOrEqual(1);
        expect(await store.operations.get("still-running", new Date(T0.getTime() + 365 * DAY))).toBeDefined();
      });
    });

    describe("snapshots, target state and secret slots", () => {
      it("keeps a snapshot until it is deleted at the version read", async () => {
        const snapshot = {
          operationId: "op1",
          takenAt: T0.toISOString(),
          data: { pools: { p1: { desired: 3 } } },
        };
        expect(await store.snapshots.put("hw/c1", snapshot, null, T0)).toBe(1);
        expect(await store.snapshots.put("hw/c1", snapshot, null, T0)).toBeUndefined();
        expect(await store.snapshots.get("hw/c1", new Date(T0.getTime() + 3650 * DAY))).toEqual({
          value: snapshot,
          version: 1,
        });
        expect(await store.snapshots.delete("hw/c1", 2, T0)).toBe(false);
        expect(await store.snapshots.delete("hw/c1", 1, T0)).toBe(true);
        expect(await store.snapshots.get("hw/c1", T0)).toBeUndefined();
      });

      it("updates per-target state with compare-and-set and lists it", async () => {
        const state = {
          lastTransition: { to: "asleep" as const, at: T0.toISOString(), by: "schedule" as const },
          snoozeUntil: at(3600).toISOString(),
        };
        const v1 = await store.targets.put("ali/c9", state, null, T0);
        expect(await store.targets.put("ali/c9", {}, 99, T0)).toBeUndefined();
        expect(
          await store.targets.put("ali/c9", { ...state, cooldownUntil: at(600).toISOString() }, v1!, T0),
        ).toBe(2);
        await store.targets.put("hw/c1", {}, null, T0);
        expect((await store.targets.list(T0)).map((t) => t.key)).toEqual(["ali/c9", "hw/c1"]);
        expect((await store.targets.get("ali/c9", T0))?.value.cooldownUntil).toBe(at(600).toISOString());
      });

      it("keeps schedule pauses by compare-and-set, apart from the targets' state", async () => {
        const pause = { pausedAt: T0.toISOString(), by: "admin API", updatedAt: T0.toISOString() };
        // A schedule may share its name with nothing else stored, but the namespaces never mix.
        await store.targets.put("qa", {}, null, T0);
        const v1 = await store.schedulePauses.put("qa", pause, null, T0);
        expect(await store.schedulePauses.put("qa", pause, null, T0)).toBeUndefined();
        const resumed = { ...pause, resumedAt: at(60).toISOString() };
        expect(await store.schedulePauses.put("qa", resumed, v1!, at(60))).toBe(v1! + 1);
        await store.schedulePauses.put("berlin", pause, null, T0);
        expect((await store.schedulePauses.list(at(60))).map((p) => [p.key, p.value])).toEqual([
          ["berlin", pause],
          ["qa", resumed],
        ]);
        expect((await store.targets.list(T0)).map((t) => t.key)).toEqual(["qa"]);
      });

      it("holds a secret slot's ciphertext as given", async () => {
        const slot = {
          keyId: "k1",
          iv: "AAAAAAAAAAAAAAAA",
          ciphertext: "AAECAwQ=",
          meta: { notAfter: at(86400).toISOString() },
          storedAt: T0.toISOString(),
        };
        await store.secrets.put("kubeconfig:hw/c1", slot, null, T0);
        expect((await store.secrets.get("kubeconfig:hw/c1", T0))?.value).toEqual(slot);
      });

      it("lists the renewal states due by a time through their index, earliest first, and none taken out of it", async () => {
        const v1 = await store.renewals.putDue("hw/c1", { n: 1 }, at(600), null, T0);
        await store.renewals.putDue("ali/c2", { n: 2 }, at(60), null, T0);
        await store.renewals.putDue("bd/c3", { n: 3 }, undefined, null, T0);
        const due = await store.renewals.due({ dueBy: at(600) }, T0);
        expect(due.map((d) => [d.key, d.dueAt.getTime()])).toEqual([
          ["ali/c2", at(60).getTime()],
          ["hw/c1", at(600).getTime()],
        ]);
        expect((await store.renewals.due({ dueBy: at(600), limit: 1 }, T0)).map((d) => d.key)).toEqual([
          "ali/c2",
        ]);
        // Rescheduled by compare-and-set; a stale version loses.
        expect(await store.renewals.putDue("hw/c1", { n: 1 }, at(9000), v1 ?? null, T0)).toBeDefined();
        expect(await store.renewals.putDue("hw/c1", { n: 9 }, at(0), v1 ?? null, T0)).toBeUndefined();
        expect((await store.renewals.due({ dueBy: at(600) }, T0)).map((d) => d.key)).toEqual(["ali/c2"]);
        expect((await store.renewals.list(T0)).map((d) => d.key).sort()).toEqual([
          "ali/c2",
          "bd/c3",
          "hw/c1",
        ]);
      });
    });

    describe("targets' last actions", () => {
      /** A finished operation carrying its end, as the jobs runtime's final write leaves it. */
      const finishedOp = (
        target: string,
        id: string,
        kind: string,
        seconds: number,
        outcome: "succeeded" | "failed" = "succeeded",
      ): Operation => ({
        id,
        target,
        kind,
        status: outcome,
        step: "done",
        data: {},
        attempts: 0,
        createdAt: T0.toISOString(),
        updatedAt: at(seconds).toISOString(),
        version: 3,
        finished: {
          kind,
          outcome,
          at: at(seconds).toISOString(),
          operationId: id,
          ...(outcome === "failed" ? { error: "quota exceeded" } : {}),
        },
      });

      it("keeps each kind's last finish per target, written once however often it is recorded", async () => {
        await recordFinished(store, finishedOp("hw/c1", "sleep-1", "sleep", 10), at(10));
        await recordFinished(store, finishedOp("hw/c1", "resize-1", "resize", 20, "failed"), at(20));
        await recordFinished(store, finishedOp("ali/c2", "renew-1", "renew", 30), at(30));
        const version = (await store.lastActions.get("hw/c1", at(40)))?.version;
        // The same finish again (a crash-retry of its flush): nothing is written.
        await recordFinished(store, finishedOp("hw/c1", "resize-1", "resize", 20, "failed"), at(50));
        const hw = await store.lastActions.get("hw/c1", at(60));
        expect(hw?.version).toBe(version);
        expect(hw?.value.byKind).toEqual({
          sleep: { kind: "sleep", outcome: "succeeded", at: at(10).toISOString(), operationId: "sleep-1" },
          resize: {
            kind: "resize",
            outcome: "failed",
            at: at(20).toISOString(),
            operationId: "resize-1",
            error: "quota exceeded",
          },
        });
        expect(lastOf(hw?.value)?.operationId).toBe("resize-1");
        // One list reads every target's.
        const all = await listLastActions(store, at(60));
        expect([...all.keys()]).toEqual(["ali/c2", "hw/c1"]);
        expect(lastOf(all.get("ali/c2"))).toMatchObject({ kind: "renew", operationId: "renew-1" });
      });

      it("never lets an earlier finish replace a later one of the same kind", async () => {
        await recordFinished(store, finishedOp("hw/c1", "wake-2", "wake", 200), at(200));
        await recordFinished(store, finishedOp("hw/c1", "wake-1", "wake", 100, "failed"), at(300));
        expect((await store.lastActions.get("hw/c1", at(300)))?.value.byKind.wake?.operationId).toBe(
          "wake-2",
        );
        await recordFinished(store, finishedOp("hw/c1", "wake-3", "wake", 400, "failed"), at(400));
        expect((await store.lastActions.get("hw/c1", at(400)))?.value.byKind.wake).toMatchObject({
          operationId: "wake-3",
          outcome: "failed",
        });
      });

      it("keeps every kind when finishes of one target are recorded at once", async () => {
        const kinds = ["sleep", "wake", "resize", "renew"];
        await Promise.all(
          kinds.map((kind, i) => recordFinished(store, finishedOp("hw/c1", `${kind}-1`, kind, i), at(10))),
        );
        const value = (await store.lastActions.get("hw/c1", at(10)))?.value;
        expect(Object.keys(value?.byKind ?? {}).sort()).toEqual([...kinds].sort());
      });
    });

    describe("ledger", () => {
      it("appends and queries through the store, refusing incomplete entries", async () => {
        await store.ledger.append({
          at: T0,
          operationId: "op1",
          target: "hw/c1",
          kind: "sleep.started",
          detail: { n: 1 },
        });
        expect((await store.ledger.query({ target: "hw/c1" }))[0]).toMatchObject({
          kind: "sleep.started",
          detail: { n: 1 },
        });
        expect(() =>
          store.ledger.append({ at: T0, operationId: "", target: "t", kind: "k", detail: {} }),
        ).toThrow(/operationId/);
        expect(() => store.ledger.query({ limit: 5000 })).toThrow(/between 1 and 1000/);
      });
    });

    it("sweeps expired idempotency keys and leases, keeping the rest", async () => {
      await store.idempotency.claim("short", { fingerprint: "f", leaseMs: 1000, ttlMs: 1000, now: T0 });
      await store.leases.acquire("lease", { holder: "w", ttlMs: 1000, now: T0 });
      await store.snapshots.put("keep", { operationId: "o", takenAt: T0.toISOString(), data: {} }, null, T0);
      expect(await store.sweep(at(2))).toBe(2);
      expect(await store.snapshots.get("keep", at(2))).toBeDefined();
    });
  });
}
