// The jobs runtime: advances the due operations of every registered job kind (job-kind.ts has the
// author's guide), as every tick does. Per target, only its oldest unfinished operation of any
// registered kind runs (ties: the kind's priority, then the id), so two jobs never act on one
// cluster at once and a wake never overtakes the sleep before it. Per operation: take the target's
// lease (with a fencing token), re-read the operation (appending what ledger entries a crashed
// worker left pending in it), run one step, write the result with compare-and-set on the version
// read, its ledger entries in the same write (a lost race means another worker advanced it: its
// result stands and ours is dropped), append those entries exactly once (ledger-pending.ts); while
// the operation can go on at once (no wait for the cloud), run its next step the same way, then
// release the lease. Every step is written before the next one runs, so a crash anywhere repeats
// at most the step in progress. One target's failure never stops the others. Transient errors are
// retried with an exponential back-off (backoff.ts: 30 s doubling to 30 min) until the kind's
// deadline; permanent ones fail the operation through the kind's `fail`. With `outbox`, an operation's final write also records its
// outcome event in the store's outbox (outbox.ts publishes it, at least once).
import type { Logger } from "../log/logger.ts";
import { type Provider, ProviderError } from "../providers/port.ts";
import type { RenewalServices } from "../renewal/services.ts";
import type { Schedule } from "../schedule/types.ts";
import {
  FINISHED,
  type Operation,
  type OperationChanges,
  type OutboxEntry,
  type Store,
  StoreConflictError,
  StoreUnavailableError,
} from "../store/store.ts";
import { backoffSeconds } from "./backoff.ts";
import {
  type JobKind,
  type KubernetesAccess,
  type OutcomeEvent,
  type StepResult,
  TransientError,
} from "./job-kind.ts";
import { finishedAction } from "./last-action.ts";
import { appendPending, pendingEntries } from "./ledger-pending.ts";
import { outboxEntryFor } from "./outbox.ts";
import { createSharedReads, type SharedReads } from "./shared-reads.ts";

export { BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS, backoffSeconds } from "./backoff.ts";

export const LEASE_TTL_MS = 2 * 60 * 1000;
const ACTIVE = ["pending", "running", "waiting"] as const;
const DEFAULT_CONCURRENCY = 16;
/** Steps one operation may run back to back in one call (a sleep has about 6 that need no wait). */
export const DEFAULT_STEPS_PER_OPERATION = 12;

export interface RunDueOptions<Event extends OutcomeEvent = OutcomeEvent> {
  store: Store;
  /** The job kinds this run advances (functions/jobs.ts); operations of other kinds are left alone. */
  jobs: readonly JobKind<unknown, Event>[];
  /** The provider of an account id (as in the operation's data.account); undefined when none is configured. */
  providers: (account: string) => Provider | undefined;
  /** The Node host's Kubernetes access (Autopilot workloads); absent on Workers, which use the API gateway. */
  kube?: KubernetesAccess;
  /** The credential vault and sinks the renewal job delivers with (shared/renewal/services.ts). */
  renewal?: RenewalServices;
  /** The schedules as loaded, handed to every step (StepEnv.schedules). */
  schedules?: readonly Schedule[];
  /** The time of the run: which operations are due, and the first step of each. */
  now: Date;
  /** The time as the run goes on (steps chained after the first read it). Default: `now` throughout. */
  clock?: () => Date;
  /** Real time, for the per-target lease (default: `clock`); differs from it against the sped-up sandbox. */
  realClock?: () => Date;
  log: Logger;
  /** At most this many operations advanced in this run. */
  limit?: number;
  /**
   * At most this many steps in this run, all operations together (a step makes at most 3
   * requests): once reached, no operation is taken and no chain goes on. Default: no limit.
   */
  stepLimit?: number;
  /**
   * Asked before every step (and before taking an operation): false stops the run as `stepLimit`
   * does. A Workers invocation answers from its subrequest budget (budget.ts).
   */
  canStep?: () => boolean;
  /**
   * The due operations to advance, already chosen by the caller (a queue consumer: the oldest
   * unfinished one per target, among those its messages name); default: read from the store.
   */
  selected?: readonly Operation[];
  /** Who holds the leases (host and process), for people reading them. */
  holder: string;
  /** Operations advanced at the same time (distinct targets). Default 16. */
  concurrency?: number;
  /** Steps one operation may run back to back while it needs no wait. Default 12; 1 = one step per run. */
  stepsPerOperation?: number;
  /**
   * Record each finished operation's outcome event in the store's outbox, in the write that finishes
   * it (outbox.ts publishes it from there). Off (no bus configured): the event is only reported.
   */
  outbox?: boolean;
}

export interface AdvancedOperation {
  operationId: string;
  target: string;
  /** The step that ran, and where the operation stands now. */
  ran: string;
  step: string;
  status: Operation["status"];
  /** When it runs again (waiting, or a retry). */
  nextAttemptAt?: string;
  error?: { kind: string; message: string };
}

export interface RunReport<Event extends OutcomeEvent = OutcomeEvent> {
  /** Operations that were due (the oldest unfinished one per target). */
  due: number;
  /** Steps run (listed in `operations`: an operation that went on at once appears once per step). */
  advanced: number;
  operations: AdvancedOperation[];
  skipped: Array<{ operationId: string; target: string; reason: "lease-held" | "lost-race" | "not-due" }>;
  /** Store or programming errors: the operation was left as it was. */
  errors: Array<{ operationId: string; target: string; message: string }>;
  events: Event[];
  /**
   * When the work this run saw falls due next (ISO): the earliest next attempt of the operations it
   * read and wrote, the first unfinished one per target as the run leaves them (an operation it
   * left due at once: the run's end). Absent when none of them falls due again, nor any it could
   * not take (another worker's lease, a store error): new work (a tick's decisions) aside.
   */
  nextDueAt?: string;
}

export async function runDueOperations<Event extends OutcomeEvent>(
  options: RunDueOptions<Event>,
): Promise<RunReport<Event>> {
  const { store, now, log } = options;
  const report: RunReport<Event> = {
    due: 0,
    advanced: 0,
    operations: [],
    skipped: [],
    errors: [],
    events: [],
  };
  const jobOf = jobsByKind(options.jobs);
  const active = options.selected
    ? options.selected.filter((op) => jobOf.has(op.kind))
    : (await store.operations.list({ status: ACTIVE }, now)).filter((op) => jobOf.has(op.kind));
  const priority = (op: Operation) => jobOf.get(op.kind)!.priority;
  const due = options.selected ? active : firstPerTarget(active, priority).filter((op) => isDue(op, now));
  report.due = due.length;
  const interleaved = interleaveByAccount(due, (op) => jobOf.get(op.kind)!.weight?.(op) ?? 0);
  const batch = options.limit === undefined ? interleaved : interleaved.slice(0, options.limit);

  const reads = createSharedReads(options.clock ?? (() => now));
  let next = 0;
  const worker = async () => {
    while (next < batch.length && !stepsSpent(options, report)) {
      const op = batch[next++]!;
      const job = jobOf.get(op.kind)!;
      try {
        await runOne(job, op, options, report, reads);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        report.errors.push({ operationId: op.id, target: op.target, message });
        log.error(`${job.name} operation could not be advanced`, {
          operation: op.id,
          target: op.target,
          error: message,
        });
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, batch.length));
  await Promise.all(Array.from({ length: workers }, worker));
  const nextDue = nextDueOf(active, priority, report, (options.clock ?? (() => now))());
  if (nextDue !== undefined) report.nextDueAt = new Date(nextDue).toISOString();
  return report;
}

/**
 * When the earliest of `active` (as read by the run) falls due after it, per target its first
 * unfinished operation as the run left it (one the run finished hands on to the next); targets
 * whose operation the run could not take (a lease held, a store error) say nothing.
 */
function nextDueOf(
  active: readonly Operation[],
  priority: (op: Operation) => number,
  report: RunReport<OutcomeEvent>,
  end: Date,
): number | undefined {
  const left = new Map<string, AdvancedOperation>();
  for (const o of report.operations) left.set(o.operationId, o);
  const untouchable = new Set([
    ...report.skipped.filter((s) => s.reason !== "not-due").map((s) => s.target),
    ...report.errors.map((e) => e.target),
  ]);
  const byTarget = new Map<string, Operation[]>();
  for (const op of active) byTarget.set(op.target, [...(byTarget.get(op.target) ?? []), op]);
  let next: number | undefined;
  for (const [target, ops] of byTarget) {
    if (untouchable.has(target)) continue;
    ops.sort(runsBefore(priority));
    for (const op of ops) {
      const now = left.get(op.id);
      if (now && FINISHED.includes(now.status)) continue;
      const at = now ? now.nextAttemptAt : op.nextAttemptAt;
      const due = at === undefined ? end.getTime() : Math.max(end.getTime(), Date.parse(at));
      next = next === undefined ? due : Math.min(next, due);
      break;
    }
  }
  return next;
}

export const isDue = (op: Operation, now: Date) =>
  op.nextAttemptAt === undefined || Date.parse(op.nextAttemptAt) <= now.getTime();

function jobsByKind<Event extends OutcomeEvent>(jobs: readonly JobKind<unknown, Event>[]) {
  const byKind = new Map<string, JobKind<unknown, Event>>();
  for (const job of jobs) {
    for (const kind of job.kinds) {
      const other = byKind.get(kind);
      if (other) throw new Error(`job kinds "${other.name}" and "${job.name}" both run "${kind}" operations`);
      byKind.set(kind, job);
    }
  }
  return byKind;
}

/**
 * One operation at a time per target, across all kinds: the oldest unfinished one (by creation);
 * among those created at the same instant, the lower kind priority, then the lower id. It holds
 * the target until it ends, even while it waits for the cloud.
 */
export function firstPerTarget(
  operations: readonly Operation[],
  priority: (op: Operation) => number,
): Operation[] {
  const first = new Map<string, Operation>();
  const order = runsBefore(priority);
  for (const op of operations) {
    const held = first.get(op.target);
    if (!held || order(op, held) < 0) first.set(op.target, op);
  }
  return [...first.values()];
}

/** The order of one target's operations (see firstPerTarget), as a sort comparator. */
const runsBefore =
  (priority: (op: Operation) => number) =>
  (a: Operation, b: Operation): number =>
    a.createdAt !== b.createdAt
      ? a.createdAt < b.createdAt
        ? -1
        : 1
      : priority(a) !== priority(b)
        ? priority(a) - priority(b)
        : a.id < b.id
          ? -1
          : a.id > b.id
            ? 1
            : 0;

/**
 * The order a run takes due operations in. Every account has its own API rate limit, so they are
 * taken round-robin over accounts (in creation order, the workers would queue behind one account's
 * limit while the others sit idle). Within an account, the largest work first (`weight`: the
 * biggest node pool when planned, it takes longest to drain or fill), so the night ends sooner: the
 * classic longest-job-first rule for finishing a set of jobs that share one resource.
 */
export function interleaveByAccount(
  operations: readonly Operation[],
  weight: (op: Operation) => number = () => 0,
): Operation[] {
  const queues = new Map<string, Operation[]>();
  for (const op of operations) {
    const account = typeof op.data.account === "string" ? op.data.account : "";
    const queue = queues.get(account) ?? [];
    queue.push(op);
    queues.set(account, queue);
  }
  // Array.prototype.sort is stable: equal work keeps the order given.
  for (const queue of queues.values()) queue.sort((a, b) => weight(b) - weight(a));
  const out: Operation[] = [];
  for (let round = 0; out.length < operations.length; round++) {
    for (const queue of queues.values()) if (round < queue.length) out.push(queue[round]!);
  }
  return out;
}

const stepsSpent = (options: { stepLimit?: number; canStep?: () => boolean }, report: { advanced: number }) =>
  (options.stepLimit !== undefined && report.advanced >= options.stepLimit) ||
  (options.canStep !== undefined && !options.canStep());

async function runOne<Event extends OutcomeEvent>(
  job: JobKind<unknown, Event>,
  listed: Operation,
  options: RunDueOptions<Event>,
  report: RunReport<Event>,
  reads: SharedReads,
): Promise<void> {
  const { store, holder } = options;
  const clock = options.clock ?? (() => options.now);
  const log = options.log.child({ operation: listed.id, target: listed.target });
  // The lease is a promise to other workers in real time; the steps run on the clouds' time.
  const realClock = options.realClock ?? clock;
  const started = clock();
  const leaseStarted = options.realClock ? options.realClock() : started;
  const lease = await store.leases.acquire(listed.target, {
    holder,
    ttlMs: LEASE_TTL_MS,
    now: leaseStarted,
  });
  if (!lease.acquired) {
    report.skipped.push({ operationId: listed.id, target: listed.target, reason: "lease-held" });
    return;
  }
  try {
    // Re-read under the lease: another worker may have advanced it since the list, or died
    // before appending its last step's ledger entries.
    const read = await store.operations.get(listed.id, started);
    if (
      !read ||
      FINISHED.includes(read.status) ||
      (read.nextAttemptAt !== undefined && Date.parse(read.nextAttemptAt) > started.getTime())
    ) {
      report.skipped.push({ operationId: listed.id, target: listed.target, reason: "not-due" });
      return;
    }
    // Whatever a dead worker left pending is appended first; the step's write below clears it.
    await appendPending(store, read, started);
    let op = read;
    const maxSteps = options.stepsPerOperation ?? DEFAULT_STEPS_PER_OPERATION;
    const provider = providerOf(op, options, reads);
    for (let steps = 1; ; steps++) {
      const now = clock();
      const { result, failed } = await step(job, op, provider, options, now);
      const outbox =
        options.outbox && result.event ? await outboxEntryFor(result.event, now, realClock()) : undefined;
      const written = await store.operations.update(
        op.id,
        op.version,
        changes(op, result, failed, outbox, now),
        { now },
      );
      if (!written.ok) {
        log.warn(`${job.name} step lost a race: another worker advanced the operation; its result stands`);
        report.skipped.push({ operationId: op.id, target: op.target, reason: "lost-race" });
        return;
      }
      // The step's entries are in the write: appended now (or by whoever takes it next), and
      // cleared by the next step's write when the operation goes on at once, else right away. A
      // final write's are followed by the operation's end in the target's last actions.
      await appendPending(store, written.operation, now);
      record(job, op, result, failed, written.operation, report, log);
      op = written.operation;
      const goesOn = op.status === "running" && op.nextAttemptAt === undefined;
      // Half the lease is kept in hand: a slow step never runs on a lease about to lapse.
      const leaseLeft = realClock().getTime() - leaseStarted.getTime() < LEASE_TTL_MS / 2;
      if (goesOn && steps < maxSteps && leaseLeft && !stepsSpent(options, report)) continue;
      // Cleared by someone else meanwhile (only a flusher of finished ones): their write stands.
      if ((op.ledgerPending ?? []).length > 0) await store.operations.clearLedgerPending(op, now);
      return;
    }
  } finally {
    await store.leases
      .release(listed.target, { token: lease.token, now: realClock() })
      .catch((error: unknown) =>
        log.warn("lease release failed; it expires by itself", {
          error: error instanceof Error ? error.message : String(error),
        }),
      );
  }
}

/** A step's result is written and its ledger entries appended: the report, the log line and its outcome event. */
function record<Event extends OutcomeEvent>(
  job: JobKind<unknown, Event>,
  op: Operation,
  result: StepResult<Event>,
  failed: boolean,
  written: Operation,
  report: RunReport<Event>,
  log: Logger,
): void {
  report.advanced++;
  report.operations.push({
    operationId: op.id,
    target: op.target,
    ran: op.step,
    step: written.step,
    status: written.status,
    ...(written.nextAttemptAt ? { nextAttemptAt: written.nextAttemptAt } : {}),
    ...(result.error ? { error: result.error } : {}),
  });
  const fields = { ran: op.step, step: result.step, status: result.status, next: result.nextAttemptAt };
  if (result.status === "failed")
    log.error(`${job.name} operation failed`, { ...fields, error: result.error });
  else if (failed) log.warn(`${job.name} step failed; retrying later`, { ...fields, error: result.error });
  else log.routine(`${job.name} step`, fields);
  if (result.event) {
    // The line a person watches for: what was asked (a slot names the local time), what changed.
    const d = result.event.detail;
    log.info(`${d.requested} ${d.outcome}`, {
      ...(d.slot !== undefined ? { slot: d.slot } : {}),
      changed: d.taken.length > 0 ? d.taken.join(", ") : `nothing to do${d.reason ? `: ${d.reason}` : ""}`,
      ...(d.error ? { error: d.error.message } : {}),
    });
    report.events.push(result.event);
  }
}

/** The operation's account's provider (with this run's shared reads), or why there is none. */
function providerOf(
  op: Operation,
  options: Pick<RunDueOptions, "providers">,
  reads: SharedReads,
): { provider: Provider } | { missing: string } {
  const account = typeof op.data.account === "string" ? op.data.account : "";
  try {
    const provider = options.providers(account);
    if (provider) {
      const dueAt = op.nextAttemptAt === undefined ? undefined : new Date(op.nextAttemptAt);
      return { provider: reads.forOperation(provider, dueAt ? { dueAt } : {}) };
    }
    return {
      missing: `no cloud account "${account}": it is not configured (NIGHTSHIFT_ACCOUNT_<NAME>_* variables)`,
    };
  } catch (error) {
    return {
      missing: `no cloud account "${account}": ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/** One step, or the retry / failure its error calls for. `failed`: the step threw. */
async function step<Event extends OutcomeEvent>(
  job: JobKind<unknown, Event>,
  op: Operation,
  found: ReturnType<typeof providerOf>,
  options: RunDueOptions<Event>,
  now: Date,
): Promise<{ result: StepResult<Event>; failed: boolean }> {
  if ("missing" in found) {
    return { result: job.fail(op, now, { kind: "invalid", message: found.missing }), failed: true };
  }
  // A retry stays on the step that failed (as prepared: "start" names the first).
  let at = op.step;
  try {
    const env = {
      store: options.store,
      provider: found.provider,
      ...(options.kube ? { kube: options.kube } : {}),
      ...(options.renewal ? { renewal: options.renewal } : {}),
      ...(options.schedules ? { schedules: options.schedules } : {}),
      now,
      ...(options.clock ? { clock: options.clock } : {}),
    };
    const prepared = job.prepare(op, env);
    if ("end" in prepared) return { result: prepared.end, failed: false };
    at = prepared.step;
    const run = Object.hasOwn(job.steps, prepared.step) ? job.steps[prepared.step] : undefined;
    if (!run) {
      const known = Object.keys(job.steps).join(", ");
      const message = `step "${op.step}" is not a ${job.name} step (${known}); the operation must be recreated`;
      return { result: job.fail(op, now, { kind: "invalid", message }), failed: true };
    }
    return { result: succeeded(await run.run(prepared.ctx)), failed: false };
  } catch (error) {
    return { result: retryOrFail(job, op, at, error, now), failed: true };
  }
}

/** The runtime's memory in the job's data: consecutive transient failures, for the back-off. */
function failuresOf(data: Record<string, unknown>): number {
  const progress = data.progress as { failures?: unknown } | undefined;
  return typeof progress?.failures === "number" ? progress.failures : 0;
}

function withFailures(data: Record<string, unknown>, failures: number | undefined): Record<string, unknown> {
  const { failures: _, ...progress } = (data.progress ?? {}) as Record<string, unknown>;
  return { ...data, progress: failures === undefined ? progress : { ...progress, failures } };
}

/** A step that ran clears the failure count its predecessors built up. */
function succeeded<Event extends OutcomeEvent>(result: StepResult<Event>): StepResult<Event> {
  if (failuresOf(result.data) === 0) return result;
  return { ...result, data: withFailures(result.data, undefined) };
}

/**
 * Transient: a TransientError, a transient ProviderError, a store write that kept losing races, or
 * a store that did not answer (a step's own read or write of it, e.g. the sleep's snapshot).
 */
function transientOf(error: unknown): { retryAfterSeconds?: number } | undefined {
  if (error instanceof TransientError || (error instanceof ProviderError && error.transient)) {
    return error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds };
  }
  return error instanceof StoreConflictError || error instanceof StoreUnavailableError ? {} : undefined;
}

function retryOrFail<Event extends OutcomeEvent>(
  job: JobKind<unknown, Event>,
  op: Operation,
  at: string,
  error: unknown,
  now: Date,
): StepResult<Event> {
  const kind = error instanceof ProviderError || error instanceof TransientError ? error.kind : "internal";
  const message = error instanceof Error ? error.message : String(error);
  const transient = transientOf(error);
  const failures = failuresOf(op.data) + 1;
  if (!transient) return job.fail(op, now, { kind, message });
  const delayMs = Math.max(backoffSeconds(failures), transient.retryAfterSeconds ?? 0) * 1000;
  const retryAt = new Date(now.getTime() + delayMs);
  if (retryAt.getTime() > Date.parse(op.createdAt) + job.deadlineMs) {
    return job.fail(op, now, {
      kind,
      message: `${message} (still failing after ${failures} attempts; giving up ${hours(job.deadlineMs)} after the operation was created)`,
    });
  }
  return {
    status: "waiting",
    step: at,
    data: withFailures(op.data, failures),
    nextAttemptAt: retryAt,
    error: { kind, message },
    ledger: [],
  };
}

const hours = (ms: number) =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${Math.round(ms / 60_000)} min`;

function changes(
  op: Operation,
  result: StepResult<OutcomeEvent>,
  failed: boolean,
  outbox: OutboxEntry | undefined,
  now: Date,
): OperationChanges {
  const finished = finishedAction(op, result, now);
  const clear: Array<"nextAttemptAt" | "error" | "ledgerPending"> = [];
  if (!result.nextAttemptAt) clear.push("nextAttemptAt");
  if (!result.error) clear.push("error");
  // The last step's entries, appended before this step ran: this write clears them.
  if (result.ledger.length === 0 && (op.ledgerPending ?? []).length > 0) clear.push("ledgerPending");
  return {
    status: result.status,
    step: result.step,
    data: result.data,
    attempts: failed ? op.attempts + 1 : op.attempts,
    ...(result.nextAttemptAt ? { nextAttemptAt: result.nextAttemptAt.toISOString() } : {}),
    ...(result.error ? { error: result.error } : {}),
    ...(outbox ? { outbox } : {}),
    ...(result.ledger.length > 0 ? { ledgerPending: pendingEntries(op, result.ledger) } : {}),
    ...(finished ? { finished } : {}),
    clear,
  };
}
