// The state and idempotency store every function shares, built once on the StoreBackend port:
//   idempotency  an event handled twice acts once (claim → complete | release, with a payload fingerprint)
//   leases       one holder per target at a time, with fencing tokens that only ever grow
//   operations   durable multi-step operations that keep the cloud's job ids, so a retry resumes
//   snapshots    what a sleep changed, kept until the wake restores it
//   targets      per-target state: last transition, cooldown, backoff, snooze, a hold awake
//   pools        per node pool: what resizes remember (the last one, the size to revert to)
//   secrets      an opaque slot for encrypted kubeconfigs
//   shared       copies of what is expensive to fetch (the fleet listing), so one replica fetches for all
//   renewals     per-target renewal state, indexed by when it next needs looking at (the tick reads what is due)
//   pauses       per schedule: a pause a person asked for (shared/schedule/pause.ts); the tick reads them all at once
//   lastActions  per target: its last finished action of each kind (shared/jobs/last-action.ts), for the fleet page
//   tallies      additive totals listed by prefix: the metrics' durable counters (shared/metrics/)
//   ledger       the append-only record of every action
// Time is always an argument; nothing here reads a clock.
import { hex, utf8 } from "../signer/encoding.ts";
import type {
  LedgerEntry,
  LedgerEntryInput,
  LedgerQuery,
  RecordInput,
  StoreBackend,
  Tally,
  TallyIncrement,
  VersionedRecord,
} from "./backend.ts";
import { LEDGER_MAX_LIMIT } from "./backend.ts";
import { type StoreCallObserver, timedBackend } from "./timed.ts";

const NS = {
  idempotency: "idem",
  lease: "lease",
  operation: "op",
  snapshot: "snap",
  target: "target",
  secret: "secret",
  shared: "shared",
  lineup: "op-lineup",
  renewal: "renewal",
  pool: "pool",
  schedulePause: "schedule-pause",
  lastAction: "last-action",
} as const;

/** Compare-and-set loops give up after this many lost races (each loss means someone else progressed). */
const MAX_CAS_ATTEMPTS = 8;

export class StoreConflictError extends Error {
  constructor(what: string) {
    super(`${what}: too many concurrent writers; try again`);
    this.name = "StoreConflictError";
  }
}

/**
 * The store did not answer (a backend's connection lost, or its server restarting): nothing is
 * known to be written, and the same call may succeed later. Transient: a step that meets it is
 * retried, a tick that meets it ends and the next one tries again. The message names the store
 * (never its password) and the reason.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreUnavailableError";
    // An outage, not a fault in the code: where a call met it says nothing, so every log line that
    // carries it shows the message alone, no stack frames.
    this.stack = `${this.name}: ${message}`;
  }
}

/** SHA-256 hex over the parts, each length-prefixed so ("ab","c") and ("a","bc") differ. */
export async function fingerprint(parts: readonly string[]): Promise<string> {
  const joined = parts.map((p) => `${utf8(p).length}:${p}`).join("|");
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(joined))));
}

function parse<T>(record: VersionedRecord): T {
  return JSON.parse(record.value) as T;
}

// ---------------------------------------------------------------------------------------------
// Idempotency records: absent → IN_PROGRESS (leased) → COMPLETED, or released back to absent.
// An IN_PROGRESS record whose lease ran out may be claimed again (the holder crashed); the claim
// token is the record's version, so the old holder's complete/release is refused afterwards.

export type IdempotencyStatus = "IN_PROGRESS" | "COMPLETED";

interface IdempotencyValue {
  status: IdempotencyStatus;
  fingerprint: string;
  /** Epoch ms; only while IN_PROGRESS. */
  leaseUntil?: number;
  /** JSON text stored by complete(). */
  result?: string;
  createdAt: number;
}

export type ClaimOutcome =
  | { outcome: "claimed"; token: number; takenOver: boolean }
  | { outcome: "in-progress"; leaseUntil: Date }
  | { outcome: "completed"; result: string }
  | { outcome: "mismatch" };

export interface Idempotency {
  /**
   * `leaseMs`: how long the claimer may work before others may take over (chosen by the caller,
   * independent of any invocation's lifetime). `ttlMs`: how long the key is remembered at all.
   */
  claim(
    key: string,
    o: { fingerprint: string; leaseMs: number; ttlMs: number; now: Date },
  ): Promise<ClaimOutcome>;
  /** Stores the result; false when the claim was lost (lease expired and taken over). */
  complete(key: string, o: { token: number; result: string; ttlMs: number; now: Date }): Promise<boolean>;
  /** Gives the key back after a failure so a retry can run; false when the claim was lost. */
  release(key: string, o: { token: number; now: Date }): Promise<boolean>;
  /**
   * Extends the lease of a long-running claim. Returns the claim's NEW token (extending is a write,
   * and tokens are record versions), or undefined when the claim was lost.
   */
  extend(key: string, o: { token: number; leaseMs: number; now: Date }): Promise<number | undefined>;
}

function positive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number of milliseconds`);
}

function idempotency(backend: StoreBackend): Idempotency {
  const ns = NS.idempotency;
  const write = (
    key: string,
    value: IdempotencyValue,
    expiresAt: number,
    expectedVersion: number | null,
    now: Date,
  ) => backend.put(ns, key, { value: JSON.stringify(value), expiresAt }, { expectedVersion }, now);

  async function mine(key: string, token: number, now: Date) {
    const record = await backend.get(ns, key, now);
    if (!record || record.version !== token) return undefined;
    const value = parse<IdempotencyValue>(record);
    return value.status === "IN_PROGRESS" ? { record, value } : undefined;
  }

  return {
    async claim(key, { fingerprint: print, leaseMs, ttlMs, now }) {
      positive("leaseMs", leaseMs);
      positive("ttlMs", ttlMs);
      const t = now.getTime();
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const record = await backend.get(ns, key, now);
        const fresh: IdempotencyValue = {
          status: "IN_PROGRESS",
          fingerprint: print,
          leaseUntil: t + leaseMs,
          createdAt: t,
        };
        if (!record) {
          const put = await write(key, fresh, t + Math.max(ttlMs, leaseMs), null, now);
          if (put.ok) return { outcome: "claimed", token: put.version, takenOver: false };
          continue;
        }
        const value = parse<IdempotencyValue>(record);
        if (value.fingerprint !== print) return { outcome: "mismatch" };
        if (value.status === "COMPLETED") return { outcome: "completed", result: value.result ?? "null" };
        if ((value.leaseUntil ?? 0) > t)
          return { outcome: "in-progress", leaseUntil: new Date(value.leaseUntil ?? t) };
        const put = await write(
          key,
          { ...fresh, createdAt: value.createdAt },
          t + Math.max(ttlMs, leaseMs),
          record.version,
          now,
        );
        if (put.ok) return { outcome: "claimed", token: put.version, takenOver: true };
      }
      throw new StoreConflictError(`idempotency claim of "${key}"`);
    },

    async complete(key, { token, result, ttlMs, now }) {
      positive("ttlMs", ttlMs);
      const held = await mine(key, token, now);
      if (!held) return false;
      const value: IdempotencyValue = {
        status: "COMPLETED",
        fingerprint: held.value.fingerprint,
        result,
        createdAt: held.value.createdAt,
      };
      return (await write(key, value, now.getTime() + ttlMs, token, now)).ok;
    },

    async release(key, { token, now }) {
      const held = await mine(key, token, now);
      return held ? backend.delete(ns, key, token, now) : false;
    },

    async extend(key, { token, leaseMs, now }) {
      positive("leaseMs", leaseMs);
      const held = await mine(key, token, now);
      if (!held) return undefined;
      const leaseUntil = now.getTime() + leaseMs;
      const expiresAt = Math.max(held.record.expiresAt ?? leaseUntil, leaseUntil);
      const put = await write(key, { ...held.value, leaseUntil }, expiresAt, token, now);
      return put.ok ? put.version : undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Leases: one holder per name (a target) at a time. Every acquisition draws a new fencing token
// from a counter that never resets, so a holder whose lease expired and was taken over can be
// told apart from the current one by any resource that compares tokens.

export interface LeaseGrant {
  acquired: true;
  token: number;
  expiresAt: Date;
}

export interface LeaseRefusal {
  acquired: false;
  holder: string;
  expiresAt: Date;
}

interface LeaseValue {
  holder: string;
  token: number;
}

export interface Leases {
  acquire(name: string, o: { holder: string; ttlMs: number; now: Date }): Promise<LeaseGrant | LeaseRefusal>;
  renew(name: string, o: { token: number; ttlMs: number; now: Date }): Promise<boolean>;
  release(name: string, o: { token: number; now: Date }): Promise<boolean>;
  /** True while `token` is the live lease's token: the check a fenced write makes first. */
  isCurrent(name: string, token: number, now: Date): Promise<boolean>;
}

function leases(backend: StoreBackend): Leases {
  const ns = NS.lease;
  const current = async (name: string, now: Date) => {
    const record = await backend.get(ns, name, now);
    return record ? { record, value: parse<LeaseValue>(record) } : undefined;
  };
  return {
    async acquire(name, { holder, ttlMs, now }) {
      positive("ttlMs", ttlMs);
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const held = await current(name, now);
        if (held)
          return {
            acquired: false,
            holder: held.value.holder,
            expiresAt: new Date(held.record.expiresAt ?? 0),
          };
        const token = await backend.increment(`fence:${name}`);
        const expiresAt = now.getTime() + ttlMs;
        const put = await backend.put(
          ns,
          name,
          { value: JSON.stringify({ holder, token }), expiresAt },
          { expectedVersion: null },
          now,
        );
        if (put.ok) return { acquired: true, token, expiresAt: new Date(expiresAt) };
      }
      throw new StoreConflictError(`lease "${name}"`);
    },
    async renew(name, { token, ttlMs, now }) {
      positive("ttlMs", ttlMs);
      const held = await current(name, now);
      if (!held || held.value.token !== token) return false;
      const put = await backend.put(
        ns,
        name,
        { value: held.record.value, expiresAt: now.getTime() + ttlMs },
        { expectedVersion: held.record.version },
        now,
      );
      return put.ok;
    },
    async release(name, { token, now }) {
      const held = await current(name, now);
      if (!held || held.value.token !== token) return false;
      return backend.delete(ns, name, held.record.version, now);
    },
    async isCurrent(name, token, now) {
      return (await current(name, now))?.value.token === token;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Durable operations: created once per (schedule, target, slot) or event, advanced step by step
// across invocations with compare-and-set, so two workers never both apply the same step.

export type OperationStatus = "pending" | "running" | "waiting" | "succeeded" | "failed" | "cancelled";
export const FINISHED: readonly OperationStatus[] = ["succeeded", "failed", "cancelled"];
/** The unfinished statuses: what a tick works on, listed through the "active" index. */
export const ACTIVE: readonly OperationStatus[] = ["pending", "running", "waiting"];
/**
 * Every unfinished operation is in this index of the operations namespace, scored by creation
 * time (epoch ms), so listing them reads only them, oldest first, however much finished history
 * is kept. (Stores from before it: migration 0002 in sql.ts, and redis.node.ts at open.)
 */
export const ACTIVE_INDEX = "active";

/**
 * Every finished operation whose outcome event still waits to be published is in this index of the
 * operations namespace, scored by when it is due (epoch ms, real time), so the publisher reads only
 * what is due, never the history (shared/jobs/outbox.ts).
 */
export const OUTBOX_INDEX = "outbox";

/**
 * Every finished operation whose last step's ledger entries are still pending (written with its
 * final write, not yet appended: the process died in between) is in this index of the operations
 * namespace, scored by its last write (epoch ms), so the flusher reads only those, never the
 * history (shared/jobs/ledger-pending.ts). It comes before the outbox: an operation enters the
 * "outbox" index once its entries are appended.
 */
export const LEDGER_INDEX = "ledger";

/**
 * A step's ledger entry as its operation's write carries it until it is appended: the entry's
 * idempotency key makes a repeated append (after a crash) store nothing.
 */
export interface PendingLedgerEntry {
  key: string;
  /** ISO time, as the step gave it. */
  at: string;
  operationId: string;
  target: string;
  kind: string;
  detail: Record<string, unknown>;
}

/**
 * A finished operation's outcome event in the outbox, written with the operation's final write (so
 * there is no moment when the operation is finished and its event not recorded) and updated by the
 * publisher: pending until published, or until it is given up on ("undelivered").
 */
export interface OutboxEntry {
  /** The same on every attempt (derived from the operation id and the event's type): duplicates share it. */
  eventId: string;
  /** The outcome event as the job reported it: `{ detailType, detail }`, JSON. */
  event: { detailType: string; detail: Record<string, unknown> };
  /** When the outcome happened (the event's time). */
  time: string;
  state: "pending" | "published" | "undelivered";
  /** When it was recorded (real time): the publisher gives up a while after it. */
  recordedAt: string;
  /** Publishing attempts so far. */
  attempts: number;
  /** While pending: when it is due (first: when recorded; after a failure: with back-off). */
  nextAttemptAt?: string;
  /** The last failure (why it is retried, or why it was given up on). */
  lastError?: { code: string; message: string };
  /** When it was published or given up on. */
  settledAt?: string;
}

export interface Operation {
  id: string;
  target: string;
  /** e.g. "sleep", "wake", "resize", "renew". */
  kind: string;
  status: OperationStatus;
  /** The step to run next (or being waited on), named by the job. */
  step: string;
  /** The job's memory: cloud job / task ids to poll, what was changed, inputs. JSON only. */
  data: Record<string, unknown>;
  attempts: number;
  nextAttemptAt?: string;
  error?: { kind: string; message: string };
  /** The outcome event and its publishing, once finished (when events are configured). */
  outbox?: OutboxEntry;
  /** The last step's ledger entries, written with its result and cleared once appended. */
  ledgerPending?: PendingLedgerEntry[];
  /**
   * How it ended, when it ended as an action (succeeded or failed; not skipped): written with the
   * final write, and copied into the target's last actions by whoever appends that write's ledger
   * entries (shared/jobs/last-action.ts).
   */
  finished?: FinishedAction;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type NewOperation = Omit<Operation, "status" | "attempts" | "createdAt" | "updatedAt" | "version"> &
  Partial<Pick<Operation, "status" | "attempts">>;

export type OperationChanges = Partial<
  Pick<
    Operation,
    | "status"
    | "step"
    | "data"
    | "attempts"
    | "nextAttemptAt"
    | "error"
    | "outbox"
    | "ledgerPending"
    | "finished"
  >
> & {
  /** Set to clear an optional field. */
  clear?: Array<"nextAttemptAt" | "error" | "ledgerPending">;
};

export interface Operations {
  /** Idempotent: a second create with the same id returns the existing operation, unchanged. */
  create(
    op: NewOperation,
    o: { now: Date; ttlMs?: number },
  ): Promise<{ created: boolean; operation: Operation }>;
  get(id: string, now: Date): Promise<Operation | undefined>;
  /** Compare-and-set on the version the caller read. */
  update(
    id: string,
    expectedVersion: number,
    changes: OperationChanges,
    o: { now: Date; ttlMs?: number },
  ): Promise<{ ok: true; operation: Operation } | { ok: false; current: Operation | undefined }>;
  /**
   * Oldest first (by creation, then id). A filter on unfinished statuses only (e.g. ACTIVE) reads
   * the "active" index alone; any other filter reads the whole namespace, finished history included.
   */
  list(
    filter: { status?: readonly OperationStatus[]; target?: string; dueBy?: Date; limit?: number },
    now: Date,
  ): Promise<Operation[]>;
  /**
   * The unfinished operations of one target, oldest first, reading only that target's: its lineup
   * (one entry per unfinished operation, written with it) and each operation it names. What a
   * queue consumer needs to find the first operation of its messages' targets without reading the
   * whole fleet's.
   */
  ofTarget(target: string, now: Date): Promise<Operation[]>;
  /** Finished operations whose outcome event is pending and due by `dueBy`, earliest due first. */
  outboxDue(query: { dueBy: Date; limit?: number }, now: Date): Promise<Operation[]>;
  /**
   * Writes a new outbox entry with compare-and-set on the version the caller listed (no re-read: the
   * publisher has just listed it); the operation's new state, or undefined when someone else wrote.
   * `ledger`: entries the same write leaves pending (an event given up on), for `clearLedgerPending`.
   */
  updateOutbox(
    op: Operation,
    outbox: OutboxEntry,
    now: Date,
    ledger?: PendingLedgerEntry[],
  ): Promise<Operation | undefined>;
  /** Finished operations whose ledger entries are still pending, longest waiting first. */
  ledgerPending(query: { limit?: number }, now: Date): Promise<Operation[]>;
  /**
   * Clears the pending ledger entries once appended, with compare-and-set on the version the caller
   * holds (no re-read); the operation's new state, or undefined when someone else wrote.
   */
  clearLedgerPending(op: Operation, now: Date): Promise<Operation | undefined>;
}

/** Finished operations are kept this long by default, then swept (the ledger keeps the history). */
export const FINISHED_OPERATION_TTL_MS = 30 * 24 * 3600 * 1000;

function operations(backend: StoreBackend): Operations {
  const ns = NS.operation;
  // A target's lineup: one key per unfinished operation, `target␟createdAt␟id`, so listing the
  // target's prefix reads only its own, in creation order. Written after the operation is created
  // and deleted after it finishes (version 1: entries are never rewritten); the operation is the
  // truth, so a reader skips (and deletes) an entry whose operation has finished, and a missing
  // entry (a crash between the two writes, or an operation from before lineups) only hides the
  // operation from `ofTarget`: the queue consumer still reads a message's own operation by id.
  const lineupKey = (op: Pick<Operation, "target" | "createdAt" | "id">) =>
    `${op.target}\u001f${op.createdAt}\u001f${op.id}`;
  const read = (record: VersionedRecord): Operation => ({
    ...parse<Omit<Operation, "version">>(record),
    version: record.version,
  });
  // The one rule: unfinished operations never expire and stay in the "active" index, at their
  // creation time; finished ones whose ledger entries are still pending never expire and sit in the
  // "ledger" index at their last write, then (entries appended) those whose outcome event is still
  // pending never expire either (the sweep must not lose an entry or an event) and sit in the
  // "outbox" index at their due time; every other finished operation expires and is in no index.
  const record = (op: Omit<Operation, "version">, now: Date, ttlMs?: number): RecordInput => {
    const value = JSON.stringify(op);
    if (!FINISHED.includes(op.status))
      return { value, expiresAt: null, index: { name: ACTIVE_INDEX, score: Date.parse(op.createdAt) } };
    if ((op.ledgerPending?.length ?? 0) > 0) {
      const written = Date.parse(op.updatedAt);
      return {
        value,
        expiresAt: null,
        index: { name: LEDGER_INDEX, score: Number.isNaN(written) ? 0 : written },
      };
    }
    if (op.outbox?.state === "pending") {
      const due = Date.parse(op.outbox.nextAttemptAt ?? op.outbox.recordedAt);
      return { value, expiresAt: null, index: { name: OUTBOX_INDEX, score: Number.isNaN(due) ? 0 : due } };
    }
    return { value, expiresAt: now.getTime() + (ttlMs ?? FINISHED_OPERATION_TTL_MS) };
  };

  return {
    async create(input, { now, ttlMs }) {
      const op: Omit<Operation, "version"> = {
        ...input,
        status: input.status ?? "pending",
        attempts: input.attempts ?? 0,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      };
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const put = await backend.put(ns, op.id, record(op, now, ttlMs), { expectedVersion: null }, now);
        if (put.ok) {
          if (!FINISHED.includes(op.status)) {
            const entry = { value: JSON.stringify({ id: op.id }), expiresAt: null };
            await backend.put(NS.lineup, lineupKey(op), entry, { expectedVersion: null }, now);
          }
          return { created: true, operation: { ...op, version: put.version } };
        }
        if (put.current) return { created: false, operation: read(put.current) };
      }
      throw new StoreConflictError(`operation "${op.id}"`);
    },
    async get(id, now) {
      const record = await backend.get(ns, id, now);
      return record ? read(record) : undefined;
    },
    async update(id, expectedVersion, changes, { now, ttlMs }) {
      const stored = await backend.get(ns, id, now);
      if (!stored || stored.version !== expectedVersion)
        return { ok: false, current: stored ? read(stored) : undefined };
      const { clear, ...patch } = changes;
      const { version: _, ...rest } = read(stored);
      const next: Omit<Operation, "version"> = { ...rest, ...patch, updatedAt: now.toISOString() };
      for (const field of clear ?? []) delete next[field];
      const put = await backend.put(ns, id, record(next, now, ttlMs), { expectedVersion }, now);
      if (!put.ok) return { ok: false, current: put.current ? read(put.current) : undefined };
      if (FINISHED.includes(next.status) && !FINISHED.includes(rest.status))
        await backend.delete(NS.lineup, lineupKey(next), 1, now);
      return { ok: true, operation: { ...next, version: put.version } };
    },
    async list(filter, now) {
      const activeOnly = filter.status?.every((status) => ACTIVE.includes(status)) ?? false;
      const all = (
        activeOnly ? await backend.listIndex(ns, ACTIVE_INDEX, {}, now) : await backend.list(ns, {}, now)
      ).map(read);
      const due = filter.dueBy?.getTime();
      const matching = all.filter(
        (op) =>
          (!filter.status || filter.status.includes(op.status)) &&
          (!filter.target || op.target === filter.target) &&
          (due === undefined || !op.nextAttemptAt || Date.parse(op.nextAttemptAt) <= due),
      );
      matching.sort((a, b) =>
        a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1,
      );
      return filter.limit === undefined ? matching : matching.slice(0, filter.limit);
    },
    async ofTarget(target, now) {
      const entries = await backend.list(NS.lineup, { prefix: `${target}\u001f` }, now);
      const listed = await Promise.all(
        entries.map(async (entry) => {
          const record = await backend.get(ns, parse<{ id: string }>(entry).id, now);
          const op = record ? read(record) : undefined;
          if (op && !FINISHED.includes(op.status)) return op;
          // Finished (its entry's delete was lost) or gone: the entry goes now.
          await backend.delete(NS.lineup, entry.key, entry.version, now);
          return undefined;
        }),
      );
      return listed.filter((op): op is Operation => op !== undefined);
    },
    async outboxDue({ dueBy, limit }, now) {
      const query = limit === undefined ? { upTo: dueBy.getTime() } : { upTo: dueBy.getTime(), limit };
      return (await backend.listIndex(ns, OUTBOX_INDEX, query, now)).map(read);
    },
    async updateOutbox(op, outbox, now, ledger) {
      const { version, ...rest } = op;
      const next: Omit<Operation, "version"> = {
        ...rest,
        outbox,
        ...(ledger ? { ledgerPending: ledger } : {}),
      };
      const put = await backend.put(ns, op.id, record(next, now), { expectedVersion: version }, now);
      return put.ok ? { ...next, version: put.version } : undefined;
    },
    async ledgerPending({ limit }, now) {
      return (await backend.listIndex(ns, LEDGER_INDEX, limit === undefined ? {} : { limit }, now)).map(read);
    },
    async clearLedgerPending(op, now) {
      const { version, ledgerPending: _, ...rest } = op;
      const next: Omit<Operation, "version"> = { ...rest, updatedAt: now.toISOString() };
      const put = await backend.put(ns, op.id, record(next, now), { expectedVersion: version }, now);
      return put.ok ? { ...next, version: put.version } : undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Snapshots (what a sleep changed) and per-target state. Both are versioned documents per target.

export interface Snapshot {
  operationId: string;
  takenAt: string;
  /** e.g. { pools: { "<poolId>": { desired: 3, autoscaling: {...} } } } */
  data: Record<string, unknown>;
}

export interface TargetState {
  lastTransition?: {
    to: "asleep" | "awake";
    at: string;
    slot?: string;
    operationId?: string;
    by: "schedule" | "manual" | "enforce";
  };
  cooldownUntil?: string;
  backoff?: { failures: number; nextAttemptAt: string; lastError?: string };
  snoozeUntil?: string;
  /**
   * Woken on demand (an event's rule) and held awake until `until`: the schedule's sleeps wait for
   * it, and once it ends the schedule's state applies again, even a sleep handled before the hold.
   */
  heldAwake?: { at: string; until: string; operationId: string; rule: string };
  updatedAt?: string;
}

/**
 * What the resizes of one node pool remember (store.pools, keyed `account/cluster/pool id`): the
 * last resize (for the cooldown and the hysteresis) and the size before a reverting rule first
 * changed it (to put it back when the alert resolves).
 */
export interface ResizeMemory {
  lastResizeAt?: string;
  lastDirection?: "up" | "down";
  lastRule?: string;
  lastOperationId?: string;
  remembered?: {
    desired: number;
    autoscaling?: { enabled: boolean; min: number; max: number };
    rule: string;
    at: string;
  };
  updatedAt?: string;
}

/**
 * A schedule's pause (store.schedulePauses, keyed by schedule name; shared/schedule/pause.ts): while
 * it holds, the schedule puts none of its targets to sleep (its wakes still happen). The record
 * stays after the pause ends, so the engine knows when it ended (a deferred sleep counts its
 * lateness from then).
 */
export interface SchedulePause {
  /** When the pause began (kept when a pause that still holds is changed). */
  pausedAt: string;
  /** When it ends by itself; absent: only a resume ends it. */
  until?: string;
  /** Why, as the person gave it. */
  reason?: string;
  /** Who paused it: "admin API", "dashboard". */
  by: string;
  /** When a resume ended it (before `until`). */
  resumedAt?: string;
  resumedBy?: string;
  /**
   * The ledger entry of the change this record holds, appended after the write: a process that
   * died in between leaves it here, and the next change of the pause (or the request's retry)
   * appends it (appending is idempotent per key).
   */
  entry?: PendingLedgerEntry;
  updatedAt: string;
}

/** An operation that ended as an action: what the fleet shows as a target's last action. */
export interface FinishedAction {
  /** The operation's kind: "sleep", "wake", "resize", "renew". */
  kind: string;
  outcome: "succeeded" | "failed";
  /** When it ended (ISO). */
  at: string;
  operationId: string;
  /** Why it failed, shortened (shared/jobs/last-action.ts). */
  error?: string;
}

/**
 * A target's last finished action of each kind (store.lastActions, keyed by target id), written
 * when an operation ends (shared/jobs/last-action.ts), so the fleet reads every target's with one
 * list however long the history.
 */
export interface TargetActions {
  /** By operation kind. */
  byKind: Record<string, FinishedAction>;
  updatedAt: string;
}

export interface Versioned<T> {
  value: T;
  version: number;
}

export interface Documents<T> {
  get(key: string, now: Date): Promise<Versioned<T> | undefined>;
  /** expectedVersion null: only if absent. Returns the new version, or undefined on a lost race. */
  put(key: string, value: T, expectedVersion: number | null, now: Date): Promise<number | undefined>;
  delete(key: string, expectedVersion: number, now: Date): Promise<boolean>;
  list(now: Date, prefix?: string): Promise<Array<Versioned<T> & { key: string }>>;
}

function documents<T>(backend: StoreBackend, ns: string): Documents<T> {
  return {
    async get(key, now) {
      const record = await backend.get(ns, key, now);
      return record ? { value: parse<T>(record), version: record.version } : undefined;
    },
    async put(key, value, expectedVersion, now) {
      const put = await backend.put(
        ns,
        key,
        { value: JSON.stringify(value), expiresAt: null },
        { expectedVersion },
        now,
      );
      return put.ok ? put.version : undefined;
    },
    delete: (key, expectedVersion, now) => backend.delete(ns, key, expectedVersion, now),
    async list(now, prefix) {
      const records = await backend.list(ns, prefix === undefined ? {} : { prefix }, now);
      return records.map((r) => ({ key: r.key, value: parse<T>(r), version: r.version }));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Due documents: versioned documents of which those that need work at some time are in an index
// scored by that time, so a tick reads only what is due, never every document (the renewal state
// of every target: shared/renewal/state.ts).

/** The index every due document with a due time is in (epoch ms). */
export const DUE_INDEX = "due";

export interface DueDocuments<T> extends Documents<T> {
  /**
   * Writes the document by compare-and-set (null: only if absent) and, in the same write, its place
   * in the due index: `dueAt` (undefined: in no index, never due). The new version, or undefined
   * on a lost race.
   */
  putDue(
    key: string,
    value: T,
    dueAt: Date | undefined,
    expectedVersion: number | null,
    now: Date,
  ): Promise<number | undefined>;
  /** The documents due by `dueBy`, earliest first, at most `limit`. */
  due(
    query: { dueBy: Date; limit?: number },
    now: Date,
  ): Promise<Array<Versioned<T> & { key: string; dueAt: Date }>>;
}

function dueDocuments<T>(backend: StoreBackend, ns: string): DueDocuments<T> {
  return {
    ...documents<T>(backend, ns),
    async putDue(key, value, dueAt, expectedVersion, now) {
      const put = await backend.put(
        ns,
        key,
        {
          value: JSON.stringify(value),
          expiresAt: null,
          ...(dueAt ? { index: { name: DUE_INDEX, score: dueAt.getTime() } } : {}),
        },
        { expectedVersion },
        now,
      );
      return put.ok ? put.version : undefined;
    },
    async due({ dueBy, limit }, now) {
      const query = limit === undefined ? { upTo: dueBy.getTime() } : { upTo: dueBy.getTime(), limit };
      return (await backend.listIndex(ns, DUE_INDEX, query, now)).map((r) => ({
        key: r.key,
        value: parse<T>(r),
        version: r.version,
        dueAt: new Date(r.score),
      }));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Secret slots: ciphertext only; encryption and decryption live in the vault
// (shared/kubeconfig/vault.ts).

export interface SecretSlot {
  /** Which of the configured vault keys encrypted it. */
  keyId: string;
  /** base64 of the random 96-bit AES-GCM IV. */
  iv: string;
  /** base64 AES-GCM ciphertext with its 128-bit tag. */
  ciphertext: string;
  /** Non-secret metadata: what it is, when it expires (e.g. the certificate's notAfter). */
  meta: Record<string, string>;
  storedAt: string;
}

// ---------------------------------------------------------------------------------------------
// Shared copies: what one replica fetched (the fleet listing), for the others to reuse while fresh.

export interface SharedCopy {
  /** When it was fetched (the caller's clock). */
  fetchedAt: string;
  /** JSON only. */
  value: unknown;
}

// ---------------------------------------------------------------------------------------------

export interface Ledger {
  append(entry: LedgerEntryInput): Promise<LedgerEntry>;
  query(query: LedgerQuery): Promise<LedgerEntry[]>;
}

export interface Tallies {
  /** Adds every increment, all or none (backend.ts addTallies). */
  add(increments: readonly TallyIncrement[]): Promise<void>;
  /** Every tally whose name starts with `prefix`, in name order. */
  list(prefix: string): Promise<Tally[]>;
}

export interface Store {
  readonly backend: string;
  idempotency: Idempotency;
  leases: Leases;
  operations: Operations;
  snapshots: Documents<Snapshot>;
  targets: Documents<TargetState>;
  pools: Documents<ResizeMemory>;
  secrets: Documents<SecretSlot>;
  shared: Documents<SharedCopy>;
  /** Per-target renewal state (shared/renewal/state.ts), due through its index. */
  renewals: DueDocuments<unknown>;
  /** Per-schedule pauses (shared/schedule/pause.ts), keyed by schedule name. */
  schedulePauses: Documents<SchedulePause>;
  /** Per-target last finished actions (shared/jobs/last-action.ts), keyed by target id. */
  lastActions: Documents<TargetActions>;
  tallies: Tallies;
  ledger: Ledger;
  /** Removes expired idempotency keys, leases and finished operations. */
  sweep(now: Date): Promise<number>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /**
   * Told the duration of every backend call, by method (timed.ts): the store's latency metrics.
   * `clock` (ms, monotonic) defaults to performance.now.
   */
  observe?: StoreCallObserver;
  clock?: () => number;
}

export function createStore(inner: StoreBackend, options: StoreOptions = {}): Store {
  const backend = options.observe ? timedBackend(inner, options.observe, options.clock) : inner;
  return {
    backend: backend.kind,
    idempotency: idempotency(backend),
    leases: leases(backend),
    operations: operations(backend),
    snapshots: documents<Snapshot>(backend, NS.snapshot),
    targets: documents<TargetState>(backend, NS.target),
    pools: documents<ResizeMemory>(backend, NS.pool),
    secrets: documents<SecretSlot>(backend, NS.secret),
    shared: documents<SharedCopy>(backend, NS.shared),
    renewals: dueDocuments<unknown>(backend, NS.renewal),
    schedulePauses: documents<SchedulePause>(backend, NS.schedulePause),
    lastActions: documents<TargetActions>(backend, NS.lastAction),
    tallies: {
      add: (increments) => backend.addTallies(increments),
      list: (prefix) => backend.listTallies(prefix),
    },
    ledger: {
      append(entry) {
        if (!entry.operationId || !entry.target || !entry.kind) {
          throw new TypeError("a ledger entry needs operationId, target and kind");
        }
        return backend.append(entry);
      },
      query(query) {
        if (query.limit !== undefined && (query.limit < 1 || query.limit > LEDGER_MAX_LIMIT)) {
          throw new RangeError(`ledger query limit must be between 1 and ${LEDGER_MAX_LIMIT}`);
        }
        return backend.query(query);
      },
    },
    sweep: (now) => backend.sweep(now),
    close: () => backend.close(),
  };
}
