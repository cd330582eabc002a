// One tick of the scheduler: the Workers cron trigger and the Node ticker both call this, with
// the time of the tick passed in. Plan (pure: shared/schedule/engine.ts), then apply: create one
// durable operation per (schedule, target, slot), remember what was decided per target, and
// advance the due operations of every job kind (shared/jobs/runtime.ts, the kinds: functions/jobs.ts).
import type { OutcomeEvent as EventBridgeEvent, EventPublisher } from "../shared/events/eventbridge.ts";
import type { NoticeFetch } from "../shared/events/notices.ts";
import { applyWrites, type DecisionWrites, writesOf } from "../shared/jobs/decision-writes.ts";
import type { KubernetesAccess, OutcomeEvent } from "../shared/jobs/job-kind.ts";
import { publishOutbox } from "../shared/jobs/outbox.ts";
import { runDueOperations } from "../shared/jobs/runtime.ts";
import type { Logger } from "../shared/log/logger.ts";
import type { Inventory, Target } from "../shared/providers/inventory.ts";
import type { Provider } from "../shared/providers/port.ts";
import type { Renewal } from "../shared/renewal/renewal-schema.ts";
import type { RenewalServices } from "../shared/renewal/services.ts";
import { type Decision, decideTick, type TargetFacts } from "../shared/schedule/engine.ts";
import { compileOwnership } from "../shared/schedule/ownership.ts";
import { readPauses } from "../shared/schedule/pause.ts";
import type { Calendar, DesiredState, Schedule } from "../shared/schedule/types.ts";
import type { Store } from "../shared/store/store.ts";
import { logCoverageWarnings } from "./coverage-log.ts";
import { JOBS } from "./jobs.ts";
import { type NoticeSettings, sendDueNotices } from "./notices.ts";
import { planRenewals, type RenewalDecision } from "./renewal/planning.ts";

export type TickTrigger = "cron" | "ticker" | "cli";

export interface TickDeps {
  store: Store;
  log: Logger;
  schedules: readonly Schedule[];
  calendars: ReadonlyMap<string, Calendar>;
  /** The fleet, as of the tick's time `now` (a listing cached elsewhere may ignore it). */
  inventory: (now: Date) => Promise<Inventory>;
  providerFor: (account: string) => Provider | undefined;
  /** Node host only: mutual-TLS Kubernetes access for Autopilot workloads mode (Workers use the API gateway). */
  kube?: KubernetesAccess;
  /** Certificate renewal: the declarations, and the vault and sinks the job delivers with. */
  renewals?: readonly Renewal[];
  renewal?: RenewalServices;
  /** Due renewal targets planned per tick at most (functions/renewal/planning.ts; default 200). */
  renewalLimit?: number;
  /** Identifies this process in leases (e.g. host name + pid). */
  holder: string;
  /** Operations advanced per tick at most. Default: every due one. */
  operationLimit?: number;
  /** Steps run per tick at most (Workers: keeps an invocation under its subrequest limit). Default: no limit. */
  stepLimit?: number;
  /** Operations advanced at once (default: the runner's, 16). */
  operationConcurrency?: number;
  /** The time as a tick goes on (operations chain steps within a tick); default: the tick's time throughout. */
  clock?: () => Date;
  /** Real time, for leases (default: \`clock\`); differs from the clouds' time against the sped-up sandbox. */
  realClock?: () => Date;
  /** Where outcome events go (EventBridge), when configured. */
  events?: EventPublisher;
  /** Pre-action notices: how to sign and send them. */
  notices?: { settings: NoticeSettings; fetch: NoticeFetch };
  /**
   * Workers: hands the due operations to the queue consumers instead of advancing them in the tick
   * (shared/jobs/dispatch.ts), given the ids of the operations this tick created; returns how many
   * it sent. Absent: the tick advances them itself (the Node host).
   */
  dispatch?: (now: Date, created: readonly string[]) => Promise<number>;
  /**
   * Workers: takes the writes of the tick's decisions (create, ledger, target state) to be applied
   * elsewhere (queue consumers: shared/jobs/dispatch.ts), so the cron's own subrequests stay few.
   * Absent: the tick applies them itself (the Node host).
   */
  sendWrites?: (writes: readonly DecisionWrites[]) => Promise<void>;
}

export interface TickReport {
  at: string;
  trigger: TickTrigger;
  dryRun: boolean;
  decisions: Array<{
    target: string;
    kind: Decision["kind"];
    to?: DesiredState;
    schedule?: string;
    reason?: string;
    /** Why, for a skip or deferral that says more than its reason (which schedules conflict, what is not observed). */
    detail?: string;
    operationId?: string;
  }>;
  /** `dispatched`: operations sent to the queue consumers (Workers). */
  /** `sent`: decisions whose writes went to the queue consumers (`sendWrites`, Workers). */
  operations: { created: number; advanced: number; dispatched?: number; sent?: number };
  /** Certificate renewal: what each due target needed (functions/renewal/planning.ts). */
  renewals?: RenewalDecision[];
  /** Outcome events published from the outbox; failed: retried later; undelivered: given up on. */
  events: { sent: number; failed: number; undelivered: number };
  errors: Array<{ target?: string; message: string }>;
}

/**
 * Observed state for `enforce`: where the cloud hibernates, the phase says it directly; elsewhere,
 * pools at zero. Pools not known (`poolsUnknown`: not listed yet, or their listing failed) are no
 * observation: a running cluster may have its pools at zero, whatever the cloud.
 */
export function observedState(target: Target, hibernates: boolean): DesiredState | undefined {
  if (target.phase === "hibernated" || target.phase === "hibernating") return "asleep";
  if (target.poolsUnknown !== undefined) return undefined;
  if (hibernates && target.phase === "running" && target.nodePools.length === 0) return "awake";
  if (target.nodePools.length > 0) {
    return target.nodePools.every((p) => p.desired === 0) ? "asleep" : "awake";
  }
  return undefined;
}

/**
 * The targets whose decisions read their node pools: those an `enforce` schedule owns. The Worker's
 * listing lists their pools first and keeps them fresher (shared/providers/spread-inventory.ts).
 */
export function readsPools(schedules: readonly Schedule[]): (target: Target) => boolean {
  const ownershipOf = compileOwnership(schedules);
  return (target) => {
    const ownership = ownershipOf(target);
    return ownership.status === "owned" && ownership.schedule.enforce;
  };
}

function factsOf(target: Target, deps: Pick<TickDeps, "providerFor">): TargetFacts {
  const observed = observedState(target, deps.providerFor(target.account)?.capabilities.hibernate ?? false);
  return {
    targetId: target.targetId,
    provider: target.provider,
    account: target.account,
    region: target.region,
    id: target.id,
    name: target.name,
    tags: target.tags,
    ...(observed
      ? { observed }
      : { ...(target.poolsUnknown ? { unobserved: `node pools ${target.poolsUnknown}` } : {}) }),
    ...(target.nodePools.length > 0
      ? { largestPool: Math.max(...target.nodePools.map((p) => p.desired)) }
      : {}),
  };
}

/**
 * The share of its period a Node tick takes steps in (`canStep`): the steps under way then finish
 * before the ticker fires again, so the next tick is not skipped.
 */
export const TICK_STEPPING_SHARE = 0.8;

/**
 * With `waitUntil`, the least time between a pass over the due operations and the next: the polls
 * falling due within it are taken together, each pass reading the unfinished operations once.
 */
export const DUE_PASS_GAP_MS = 1000;

export async function runTick(input: {
  now: Date;
  trigger: TickTrigger;
  deps: TickDeps;
  dryRun?: boolean;
  /** Whether this tick plans (default); false: it only advances due operations (not the planner). */
  plan?: boolean;
  /**
   * Asked before every step: false once the tick's period is over. The run then takes no further
   * operation and ends its chains, so the next tick starts on time and takes what is left (the
   * largest work first) together with what fell due meanwhile, instead of waiting behind it.
   */
  canStep?: () => boolean;
  /**
   * The Node host: waits until `at` (the clouds' time) when that comes within the tick's period,
   * saying whether it did. The tick then also runs the operations that fall due during its period
   * (a poll due 3 s after the tick started runs then, not at the next tick, which would add up to
   * a whole period to every wait for the cloud), in passes at least DUE_PASS_GAP_MS apart.
   * Absent: the tick runs what is due at its start, and the chains that follow.
   */
  waitUntil?: (at: Date) => Promise<boolean>;
}): Promise<TickReport> {
  const { now, deps } = input;
  const dryRun = input.dryRun ?? false;
  const report: TickReport = {
    at: now.toISOString(),
    trigger: input.trigger,
    dryRun,
    decisions: [],
    operations: { created: 0, advanced: 0 },
    events: { sent: 0, failed: 0, undelivered: 0 },
    errors: [],
  };

  // With several replicas only the one holding the planner lease plans (shared/jobs/planner-lease.ts);
  // every replica advances the due operations.
  const created = (input.plan ?? true) ? await planOperations(now, deps, dryRun, report) : [];
  if (!dryRun && deps.dispatch) await dispatchOperations(now, deps, deps.dispatch, created, report);
  else if (!dryRun) await advanceDueOperations(now, deps, report, input.canStep, input.waitUntil);
  // On both hosts the tick publishes what the outbox holds (on Workers, what the consumers finished).
  if (!dryRun) report.events = await publishOutboxEvents(deps, now, report);
  // One line per tick for the machines that read the log (on Workers, one per cron invocation).
  deps.log.routine("tick", {
    at: report.at,
    trigger: report.trigger,
    dryRun,
    planned: input.plan ?? true,
    acted: report.decisions.filter((d) => d.kind === "act").length,
    deferred: report.decisions.filter((d) => d.kind === "defer").length,
    advanced: report.operations.advanced,
    ...(report.operations.dispatched !== undefined ? { dispatched: report.operations.dispatched } : {}),
    ...(report.operations.sent !== undefined ? { sent: report.operations.sent } : {}),
    errors: report.errors.length,
  });
  return report;
}

/**
 * The deciding part of a tick: list the fleet, decide, create operations, send due notices.
 * Returns the ids of the operations it created.
 */
async function planOperations(
  now: Date,
  deps: TickDeps,
  dryRun: boolean,
  report: TickReport,
): Promise<string[]> {
  const created: string[] = [];
  const toSend: DecisionWrites[] = [];
  const inventory = await deps.inventory(now);
  for (const error of inventory.errors) {
    report.errors.push({
      message: `${error.account}${error.clusterId ? `/${error.clusterId}` : ""}: ${error.message}`,
    });
  }
  await logCoverageWarnings(deps, now, dryRun);
  const targets = new Map(inventory.targets.map((t) => [t.targetId, t]));
  const states = new Map((await deps.store.targets.list(now)).map((s) => [s.key, s] as const));
  const pauses = await readPauses(deps.store, now);
  const decisions = decideTick({
    now,
    schedules: deps.schedules,
    calendars: deps.calendars,
    targets: inventory.targets.map((t) => factsOf(t, deps)),
    states: new Map([...states].map(([key, s]) => [key, s.value])),
    pauses,
  });

  for (const decision of decisions) {
    report.decisions.push({
      target: decision.targetId,
      kind: decision.kind,
      ...(decision.transition ? { to: decision.transition.to } : {}),
      ...(decision.schedule ? { schedule: decision.schedule } : {}),
      ...(decision.kind !== "act" ? { reason: decision.reason } : { operationId: decision.operationId }),
      ...(decision.kind !== "act" && decision.detail ? { detail: decision.detail } : {}),
    });
    if (dryRun) continue;
    try {
      const target = targets.get(decision.targetId)!;
      const schedule = deps.schedules.find((s) => s.name === decision.schedule);
      const writes = writesOf(decision, schedule, factsOf(target, deps), states.get(decision.targetId), now);
      if (!writes) continue;
      if (deps.sendWrites) {
        toSend.push(writes);
        continue;
      }
      const { created: isNew } = await applyWrites(deps.store, writes, now);
      if (isNew) {
        report.operations.created++;
        created.push(writes.operation!.fields.id);
      }
    } catch (error) {
      // One target's trouble never stops the others.
      report.errors.push({
        target: decision.targetId,
        message: error instanceof Error ? error.message : String(error),
      });
      deps.log.error("tick: applying a decision failed", { target: decision.targetId, error });
    }
  }
  if (deps.sendWrites && toSend.length > 0) {
    try {
      await deps.sendWrites(toSend);
      report.operations.sent = toSend.length;
    } catch (error) {
      // The next tick decides them again (the same operation ids, the same state versions).
      report.errors.push({
        message: `sending decisions: ${error instanceof Error ? error.message : String(error)}`,
      });
      deps.log.error("tick: sending decisions failed", { error });
    }
  }

  await planRenewalOperations(now, deps, dryRun, inventory, report, created);

  if (!dryRun && deps.notices) {
    try {
      await sendDueNotices(
        {
          store: deps.store,
          log: deps.log,
          schedules: deps.schedules,
          calendars: deps.calendars,
          targets: inventory.targets,
          pauses,
          settings: deps.notices.settings,
          fetch: deps.notices.fetch,
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
          random: Math.random,
        },
        now,
      );
    } catch (error) {
      report.errors.push({
        message: `pre-action notices: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return created;
}

/** Certificate renewal's part of planning: the due targets' renew (and redelivery) operations. */
async function planRenewalOperations(
  now: Date,
  deps: TickDeps,
  dryRun: boolean,
  inventory: Inventory,
  report: TickReport,
  created: string[],
): Promise<void> {
  if (!deps.renewals || deps.renewals.length === 0) return;
  try {
    const planned = await planRenewals(
      {
        store: deps.store,
        renewals: deps.renewals,
        ...(deps.renewal ? { services: deps.renewal } : {}),
        log: deps.log,
        ...(deps.renewalLimit !== undefined ? { limit: deps.renewalLimit } : {}),
      },
      inventory,
      now,
      dryRun,
    );
    report.renewals = planned.decisions;
    created.push(...planned.created);
    report.errors.push(...planned.errors);
  } catch (error) {
    report.errors.push({
      message: `renewal planning: ${error instanceof Error ? error.message : String(error)}`,
    });
    deps.log.error("tick: renewal planning failed", { error });
  }
}

/**
 * The advancing part of a tick (the Node host): run the due steps of every job kind; with
 * `waitUntil`, again as more fall due within the tick's period.
 */
async function advanceDueOperations(
  now: Date,
  deps: TickDeps,
  report: TickReport,
  canStep: (() => boolean) | undefined,
  waitUntil: ((at: Date) => Promise<boolean>) | undefined,
): Promise<void> {
  for (let passAt = now; ; ) {
    const pass = await advancePass(passAt, deps, canStep);
    report.operations.advanced += pass.advanced;
    if (!waitUntil || pass.nextDueAt === undefined || (canStep && !canStep())) return;
    const ended = deps.clock?.() ?? passAt;
    const at = new Date(Math.max(Date.parse(pass.nextDueAt), ended.getTime() + DUE_PASS_GAP_MS));
    if (!(await waitUntil(at))) return;
    passAt = deps.clock?.() ?? at;
  }
}

function advancePass(now: Date, deps: TickDeps, canStep: (() => boolean) | undefined) {
  return runDueOperations({
    ...(canStep ? { canStep } : {}),
    // With a bus configured, each finished operation's event is recorded in the outbox.
    ...(deps.events ? { outbox: true } : {}),
    store: deps.store,
    jobs: JOBS,
    providers: deps.providerFor,
    ...(deps.kube ? { kube: deps.kube } : {}),
    ...(deps.renewal ? { renewal: deps.renewal } : {}),
    schedules: deps.schedules,
    now,
    log: deps.log,
    ...(deps.operationLimit !== undefined ? { limit: deps.operationLimit } : {}),
    ...(deps.stepLimit !== undefined ? { stepLimit: deps.stepLimit } : {}),
    ...(deps.operationConcurrency ? { concurrency: deps.operationConcurrency } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.realClock ? { realClock: deps.realClock } : {}),
    holder: deps.holder,
  });
}

/** Workers: hand the due operations to the queue consumers (shared/jobs/dispatch.ts). */
async function dispatchOperations(
  now: Date,
  deps: TickDeps,
  dispatch: NonNullable<TickDeps["dispatch"]>,
  created: readonly string[],
  report: TickReport,
): Promise<void> {
  try {
    report.operations.dispatched = await dispatch(now, created);
  } catch (error) {
    // The next tick's recovery sweep sends what this one could not.
    report.errors.push({
      message: `dispatching operations: ${error instanceof Error ? error.message : String(error)}`,
    });
    deps.log.error("tick: dispatching operations failed", { error });
  }
}

/**
 * The outbox hook: publishes the outcome events that are due (this tick's and earlier failures'),
 * shared/jobs/outbox.ts. Events are a copy of the ledger for other systems: a failure here is
 * reported, never fatal to the tick.
 */
async function publishOutboxEvents(
  deps: TickDeps,
  now: Date,
  report: TickReport,
): Promise<TickReport["events"]> {
  try {
    const published = await publishOutbox({
      store: deps.store,
      publisher: deps.events,
      toEvent: outcomeEvent,
      now: deps.realClock?.() ?? deps.clock?.() ?? now,
      log: deps.log,
      holder: deps.holder,
    });
    return { sent: published.sent, failed: published.failed, undelivered: published.undelivered };
  } catch (error) {
    report.errors.push({
      message: `outcome events: ${error instanceof Error ? error.message : String(error)}`,
    });
    deps.log.error("publishing outcome events failed; they stay in the outbox", { error });
    return { sent: 0, failed: 0, undelivered: 0 };
  }
}

/** A finished operation (any job kind) as the EventBridge event other systems route on; `time`: when it ended. */
export function outcomeEvent(event: OutcomeEvent, time: Date): EventBridgeEvent {
  const d = event.detail;
  const conflicts = d.conflicts ?? [];
  const after = conflicts.length > 0 ? { ...d.after, conflicts } : d.after;
  return {
    detailType: event.detailType,
    time,
    detail: {
      target: d.target,
      requested: d.requested,
      taken: d.taken.length > 0 ? d.taken.join(", ") : "none",
      ...(d.before !== undefined ? { before: d.before } : {}),
      ...(after !== undefined ? { after } : {}),
      operationId: d.operationId,
      outcome: conflicts.length > 0 && d.outcome === "succeeded" ? "conflict" : d.outcome,
      ...(d.error ? { error: { code: d.error.kind, message: d.error.message } } : {}),
    },
  };
}
