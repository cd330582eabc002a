// The jobs runtime: what a job kind declares, and what the runtime (runtime.ts) does with it.
//
// A job author's guide
// --------------------
// Sleep/wake, node-pool resize and certificate renewal are job kinds. Whoever decides that work is
// due (the tick's schedule engine, a webhook) creates a durable operation in the store, once:
// `store.operations.create({ id, target, kind, step: "start", data })` with an idempotent id (one
// per job, slot and target), `kind` one of the job's `kinds`, and `data.account` naming the cloud
// account (the runtime takes due operations round-robin over accounts and hands each step that
// account's provider). Everything else the job needs goes in `data`; the steps keep their progress
// under `data.progress` (the runtime keeps `data.progress.failures` there for its back-off).
//
// The job kind then declares, in a few lines:
//   name        for log lines, e.g. "sleep/wake"
//   kinds       the operation kinds it runs, e.g. ["sleep", "wake"]
//   priority    the order among kinds on one target for operations created at the same instant
//   deadlineMs  how long after its creation an operation may keep retrying transient errors
//   prepare     reads an operation into what its steps work with (validated: bad data ends the
//               operation naming the field), and resolves the step to run ("start" → the first)
//   steps       the table: step name → { run(ctx) → StepResult }. A step is a pure decision around at
//               most ONE cloud-changing call or ONE poll (the thin effect), and returns what to store:
//                 next step       status "running", step: run it at once (chained, within budget)
//                 wait until      status "waiting", step, nextAttemptAt: poll again then
//                 done            status "succeeded", step "done", event: the outcome
//                 failed          permanent: status "failed", error, event (or throw any error);
//                                 transient: throw `new TransientError(...)` (or a transient
//                                 ProviderError): retried with back-off, never a result
//               with the ledger entries of what it did (a final result always with its outcome
//               entry: appending it is what records the target's last action, last-action.ts). A
//               step never waits and never writes the operation itself: the runtime writes the
//               result with compare-and-set.
//   fail        the operation's end when the runtime fails it (a permanent error thrown by a step,
//               transient errors past the deadline, no provider for the account): the final data,
//               the ledger entry and the outcome event, exactly as a failing step would.
//   weight      optional: the larger first within an account (e.g. the biggest node pool).
//
// Register the kind in functions/jobs.ts. The runtime then owns everything durable: one operation
// at a time per target across ALL kinds, a lease per target with a fencing token, re-read and
// compare-and-set per step (a crash repeats at most the step in progress, so a step's cloud call
// must be safe to repeat once: read before you change), chaining, the step budget, back-off, the
// ledger, the report and the outcome events (each collected once, when the operation ends, and
// recorded in the same write for the outbox to publish: outbox.ts), and each target's last finished
// action of each kind (last-action.ts: what the dashboard's fleet shows).
import type { KubernetesClient } from "../providers/kubernetes.ts";
import type { Kubeconfig, Provider } from "../providers/port.ts";
import type { RenewalServices } from "../renewal/services.ts";
import type { Schedule } from "../schedule/types.ts";
import type { LedgerEntryInput } from "../store/backend.ts";
import type { Operation, Store } from "../store/store.ts";

/**
 * A cluster's Kubernetes API over mutual TLS (Node host: functions/sleepwake/kubernetes-access.node.ts);
 * without it, a provider's gateway client (`Provider.kubernetes`) is used.
 * `issue` mints a kubeconfig when none is held or it is about to expire.
 */
export interface KubernetesAccess {
  client(target: string, issue: () => Promise<Kubeconfig>, now: Date): Promise<KubernetesClient>;
  /** Drops what is held for the target (after the API server refused its certificate). */
  forget(target: string): Promise<void>;
}

/** What the runtime hands every step. */
export interface StepEnv {
  store: Store;
  /** The operation's account's provider, with this run's shared reads (shared-reads.ts). */
  provider: Provider;
  /** Absent on the Workers host. */
  kube?: KubernetesAccess;
  /** The credential vault and sinks (certificate renewal); absent where the host configured none. */
  renewal?: RenewalServices;
  /** The schedules as loaded: which one owns a cluster (a wake or sleep on demand is done its way). */
  schedules?: readonly Schedule[];
  /** The step's time (the clouds' time). */
  now: Date;
  /**
   * The time as the step goes on (after its call was answered, e.g.); default: `now` throughout.
   * A wait counted from when the cloud accepted a change reads it after the call.
   */
  clock?: () => Date;
}

export type Outcome = "succeeded" | "skipped" | "failed";

/** What every finished operation reports: EventBridge's detail (published from the outbox, outbox.ts). */
export interface OutcomeDetail {
  /** The operation's kind, e.g. "sleep", "resize", "renew". */
  kind: string;
  operationId: string;
  target: string;
  /** The schedule's slot that asked for it (it names the local time), when a schedule did. */
  slot?: string;
  /** What was asked for, e.g. "wake", "scale-up". */
  requested: string;
  outcome: Outcome;
  /** What was done, e.g. ["scale-pool batch 2→0", "hibernate"]; empty: nothing. */
  taken: string[];
  /** Metadata only (sizes, phases, expiry dates), JSON; never key material. */
  before?: unknown;
  after?: Record<string, unknown>;
  /** Changes a human made that the job left in place: a success with conflicts is published as "conflict". */
  conflicts?: unknown[];
  /** Why nothing was done (a skipped outcome). */
  reason?: string;
  error?: { kind: string; message: string };
}

/** One per finished operation; routed to EventBridge / signed webhooks when configured. */
export interface OutcomeEvent<Detail extends OutcomeDetail = OutcomeDetail> {
  /** "nightshift.<kind>", e.g. "nightshift.sleep". */
  detailType: string;
  detail: Detail;
}

/** What a step returns for the runtime to store (see the guide above). */
export interface StepResult<Event extends OutcomeEvent = OutcomeEvent> {
  status: "running" | "waiting" | "succeeded" | "failed";
  /** The step to run next (or being waited on). */
  step: string;
  /** The operation's whole data after this step. */
  data: Record<string, unknown>;
  /** When to run again (waiting, or a retry); absent: as soon as possible. */
  nextAttemptAt?: Date;
  error?: { kind: string; message: string };
  ledger: LedgerEntryInput[];
  /** The outcome, when the operation ends. */
  event?: Event;
}

export interface Step<Ctx, Event extends OutcomeEvent = OutcomeEvent> {
  run(ctx: Ctx): StepResult<Event> | Promise<StepResult<Event>>;
}

export interface JobKind<Ctx = unknown, Event extends OutcomeEvent = OutcomeEvent> {
  name: string;
  kinds: readonly string[];
  /** Lower runs first among a target's operations created at the same instant (sleep/wake: 0). */
  priority: number;
  deadlineMs: number;
  /** The step to run and what it works with, or the operation's end when it cannot run at all. */
  prepare(op: Operation, env: StepEnv): { step: string; ctx: Ctx } | { end: StepResult<Event> };
  steps: Readonly<Record<string, Step<Ctx, Event>>>;
  fail(op: Operation, now: Date, error: { kind: string; message: string }): StepResult<Event>;
  weight?(op: Operation): number;
}

/** A failure worth trying again later (throttled, a lock held, a timeout): the runtime backs off. */
export class TransientError extends Error {
  readonly kind: string;
  readonly retryAfterSeconds?: number;
  constructor(kind: string, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = "TransientError";
    this.kind = kind;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}
