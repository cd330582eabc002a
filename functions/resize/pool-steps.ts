// A pool action's steps: read the cluster and the pool, decide (shared/rules/decide.ts, pure),
// then apply: one resize (or autoscaler-bounds) call, polls until the pool is stable, and the
// pool's memory (cooldown, remembered size) once it is. Each step makes at most one cloud-changing
// call, and every call sets an absolute size or bounds, so a step repeated after a crash repeats
// nothing harmful.
import { TransientError } from "../../shared/jobs/job-kind.ts";
import { type Cluster, type NodePool, ProviderError } from "../../shared/providers/port.ts";
import { PROVIDERS } from "../../shared/providers/registry.ts";
import {
  type Change,
  type DecideInput,
  decideResize,
  type ResizeDecision,
} from "../../shared/rules/decide.ts";
import type { LedgerEntryInput } from "../../shared/store/backend.ts";
import type { ResizeMemory, Store } from "../../shared/store/store.ts";
import type { SnapshotContent } from "../sleepwake/operation-data.ts";
import {
  FIRST_POLL_SECONDS,
  PHASE_POLL_SECONDS,
  POLL_SECONDS,
  UNSTABLE_POLL_SECONDS,
} from "../sleepwake/step-context.ts";
import { createSleepWake, owningSchedule } from "./hand-over.ts";
import {
  fail,
  finish,
  goOn,
  ledgerEntry,
  type ResizeContext,
  type ResizeStepResult,
  waitFor,
} from "./step-context.ts";

const settling = (pool: NodePool) => pool.phase === "scaling" || pool.phase === "busy";
/** The store.pools key of a pool's memory. */
export const poolMemoryKey = (target: string, poolId: string) => `${target}/${poolId}`;
const memoryKey = (ctx: ResizeContext, poolId: string) => poolMemoryKey(ctx.op.target, poolId);

/** The pool by the id or name an event gave. */
export const findPool = (pools: readonly NodePool[], ref: string | undefined) =>
  pools.find((p) => p.id === ref) ?? pools.find((p) => p.name === ref);

/**
 * The pool as a resize decision sees it (the step and `nightshift match` alike): its size, whether
 * it sleeps and what its wake restores (a sleep's snapshot lists it, or, with no snapshot of it,
 * its control plane hibernates and the pool stays as it is), and the store's memory of it.
 */
export async function observePool(
  store: Store,
  target: string,
  pool: NodePool,
  hibernated: boolean,
  now: Date,
): Promise<Pick<DecideInput, "pool" | "asleep" | "memory">> {
  const snapshot = await store.snapshots.get(target, now);
  const snapPool = (snapshot?.value.data as SnapshotContent | undefined)?.pools?.find(
    (p) => p.id === pool.id,
  );
  const asleep = snapPool
    ? { restores: snapPool.desired, ...(snapPool.autoscaling ? { autoscaling: snapPool.autoscaling } : {}) }
    : hibernated
      ? { restores: pool.desired }
      : undefined;
  const memory = (await store.pools.get(poolMemoryKey(target, pool.id), now))?.value;
  return {
    pool: {
      id: pool.id,
      name: pool.name,
      desired: pool.desired,
      ...(pool.autoscaling ? { autoscaling: pool.autoscaling } : {}),
    },
    ...(asleep ? { asleep } : {}),
    ...(memory ? { memory } : {}),
  };
}

export function describeChange(change: Change): string {
  return change.mode === "size"
    ? `${change.from}→${change.to}`
    : `autoscaler ${change.from.min}-${change.from.max}→${change.to.min}-${change.to.max}`;
}

/** The decision as the ledger keeps it (JSON: times as ISO strings, the memory left out). */
function recorded(decision: ResizeDecision): Record<string, unknown> {
  const { memory: _, ...rest } = decision;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

/** Writes the pool's memory over the version read (only this target's operations write it: one at a time). */
async function remember(store: Store, key: string, memory: ResizeMemory, now: Date): Promise<void> {
  const current = await store.pools.get(key, now);
  const written = await store.pools.put(key, memory, current?.version ?? null, now);
  if (written === undefined)
    throw new TransientError(
      "conflict",
      `the memory of node pool ${key} changed while it was written; trying again`,
    );
}

async function readPools(ctx: ResizeContext): Promise<NodePool[]> {
  return ctx.env.provider.listNodePools(ctx.input.clusterId);
}

/** Read the cluster (where it can hibernate) and the pool, then decide. */
export async function readAndDecide(ctx: ResizeContext): Promise<ResizeStepResult> {
  const { provider, store } = ctx.env;
  const { input } = ctx;
  if (!provider.capabilities.nodePools)
    return fail(ctx, {
      kind: "unsupported",
      message: `${PROVIDERS[provider.kind].name} clusters have no node pools: rule ${input.rule.name}'s pool action cannot apply to ${ctx.op.target} (a cluster action, wake or sleep, can)`,
    });
  let cluster: Cluster | undefined;
  let hibernated = false;
  if (provider.capabilities.hibernate) {
    cluster = await provider.getCluster(input.clusterId);
    if (cluster.phase === "hibernated" || cluster.phase === "hibernating") hibernated = true;
    else if (cluster.phase === "waking")
      return waitFor(ctx, "read", `cluster ${cluster.name} to finish waking`, {
        seconds: PHASE_POLL_SECONDS,
      });
    else if (cluster.phase !== "running")
      return waitFor(ctx, "read", `cluster ${cluster.name} to become stable (it is ${cluster.vendorPhase})`, {
        seconds: UNSTABLE_POLL_SECONDS,
      });
  }
  const pools = await readPools(ctx);
  const pool = findPool(pools, input.pool);
  if (!pool)
    return fail(ctx, {
      kind: "not-found",
      message: `cluster ${ctx.op.target} has no node pool "${input.pool}" (its pools: ${pools.map((p) => `${p.name} (${p.id})`).join(", ") || "none"}); fix rule ${input.rule.name}'s target or the event's labels`,
    });
  if (!hibernated && settling(pool))
    return waitFor(ctx, "read", `node pool ${pool.name} to settle (${pool.vendorPhase})`, {
      seconds: POLL_SECONDS,
    });

  // Asleep: a sleep's snapshot lists the pool (its wake restores it), or the control plane hibernates.
  const observed = await observePool(store, ctx.op.target, pool, hibernated, ctx.now);
  // After the wake it asked for, a rule never wakes the cluster again (no loop if it sleeps meanwhile).
  const rule = input.afterWake ? { ...input.rule, allowWake: false } : input.rule;
  if (rule.action.kind !== "set" && rule.action.kind !== "add" && rule.action.kind !== "percent")
    return fail(ctx, {
      kind: "invalid",
      message: `rule ${rule.name} has a cluster action; the operation must be an event-${rule.action.kind}`,
    });
  const decision = decideResize({
    rule: { ...rule, action: rule.action },
    intent: input.intent,
    ...observed,
    now: ctx.now,
    operationId: ctx.op.id,
  });
  const decided = ledgerEntry(ctx, decision.outcome, {
    poolId: pool.id,
    name: pool.name,
    decision: recorded(decision),
  });

  switch (decision.outcome) {
    case "resize": {
      const { change } = decision;
      if (
        change.mode === "size" &&
        change.to < change.from &&
        provider.capabilities.shrinkReleasesInstances &&
        !rule.releaseNodes
      )
        return fail(
          ctx,
          {
            kind: "invalid",
            message: `${PROVIDERS[provider.kind].name} releases the instance of every node it removes from a pool: shrinking ${pool.name} ${describeChange(change)} would release ${change.from - change.to}; set releaseNodes: true in rule ${rule.name} to allow it. Nothing was changed.`,
          },
          [decided],
        );
      ctx.progress.decision = decision;
      ctx.progress.pool = pool;
      return goOn(ctx, "apply", [decided]);
    }
    case "cooldown":
      if (decision.retry)
        return waitFor(ctx, "read", `the cooldown of node pool ${pool.name} to end`, { at: decision.until }, [
          decided,
        ]);
      return finish(ctx, [decided], {
        outcome: "skipped",
        reason: decision.message,
        decision: decision.outcome,
      });
    case "wake-first":
      return wakeFirst(ctx, cluster, decision.message, decided);
    case "remember-for-wake":
      return rememberForWake(ctx, pool, decision, decided);
    default:
      if (decision.memory) await remember(store, memoryKey(ctx, pool.id), decision.memory, ctx.now);
      return finish(ctx, [decided], {
        outcome: "skipped",
        reason: decision.message,
        decision: decision.outcome,
      });
  }
}

/** An asleep pool a rule may wake: the cluster's wake, then this resize again, created together. */
async function wakeFirst(
  ctx: ResizeContext,
  cluster: Cluster | undefined,
  message: string,
  decided: LedgerEntryInput,
): Promise<ResizeStepResult> {
  const owner = await owningSchedule(ctx, cluster);
  if ("problem" in owner)
    return fail(ctx, { kind: "invalid", message: `cannot wake it to grow the pool: ${owner.problem}` }, [
      decided,
    ]);
  // Created at the same instant: the wake (sleep/wake's priority 0) runs first, then the resize.
  const wake = await createSleepWake(ctx, "wake", owner.schedule, owner.cluster);
  const { operation: again } = await ctx.env.store.operations.create(
    {
      id: `${ctx.op.id}:after-wake`,
      target: ctx.op.target,
      kind: "resize",
      step: "start",
      data: { ...stripProgress(ctx.op.data), afterWake: true },
    },
    { now: ctx.now },
  );
  const handed = ledgerEntry(ctx, "wake-first", {
    action: `wake ${owner.cluster.name} (operation ${wake.id}), then resize (operation ${again.id})`,
    schedule: owner.schedule.name,
    wake: wake.id,
    resize: again.id,
  });
  return finish(ctx, [decided, handed], { outcome: "succeeded", reason: message, decision: "wake-first" });
}

function stripProgress(data: Record<string, unknown>): Record<string, unknown> {
  const { progress: _, ...rest } = data;
  return rest;
}

/** Reverting an asleep pool: its snapshot's entry gets the remembered size, which the wake restores. */
async function rememberForWake(
  ctx: ResizeContext,
  pool: NodePool,
  decision: Extract<ResizeDecision, { outcome: "remember-for-wake" }>,
  decided: LedgerEntryInput,
): Promise<ResizeStepResult> {
  const { store } = ctx.env;
  const snapshot = await store.snapshots.get(ctx.op.target, ctx.now);
  const content = snapshot?.value.data as SnapshotContent | undefined;
  const entry = content?.pools?.find((p) => p.id === pool.id);
  if (!snapshot || !content?.pools || !entry)
    // Woken meanwhile (the snapshot is gone): decide again on the pool as it is now.
    return goOn(ctx, "read");
  const before = entry.desired;
  const pools = content.pools.map((p) =>
    p.id === pool.id
      ? {
          ...p,
          desired: decision.restores.desired,
          ...(decision.restores.autoscaling ? { autoscaling: decision.restores.autoscaling } : {}),
        }
      : p,
  );
  const written = await store.snapshots.put(
    ctx.op.target,
    { ...snapshot.value, data: { ...content, pools } },
    snapshot.version,
    ctx.now,
  );
  if (written === undefined)
    throw new TransientError(
      "conflict",
      `the snapshot of ${ctx.op.target} changed while it was written; trying again`,
    );
  if (decision.memory) await remember(store, memoryKey(ctx, pool.id), decision.memory, ctx.now);
  const noted = ledgerEntry(ctx, "remembered-for-wake", {
    action: `remember ${pool.name} ${before}→${decision.restores.desired} for the wake`,
    before: { restores: before },
    after: { restores: decision.restores.desired },
  });
  return finish(ctx, [decided, noted], {
    outcome: "succeeded",
    reason: decision.message,
    decision: decision.outcome,
    before: { restores: before },
    after: { restores: decision.restores.desired },
  });
}

/** The one cloud call: the size, or the autoscaler's bounds. */
export async function apply(ctx: ResizeContext): Promise<ResizeStepResult> {
  const { decision, pool } = ctx.progress;
  if (!decision || !pool) return goOn(ctx, "read");
  const { provider } = ctx.env;
  const { change } = decision;
  const completion =
    change.mode === "size"
      ? await provider.resizeNodePool(
          ctx.input.clusterId,
          pool.id,
          { desired: change.to, allowNodeRelease: ctx.input.rule.releaseNodes },
          pool,
        )
      : await provider.setNodePoolAutoscaling(
          ctx.input.clusterId,
          pool.id,
          { enabled: true, ...change.to },
          pool,
        );
  ctx.progress.completion = completion;
  const applied = ledgerEntry(ctx, "applied", {
    action: `resize ${pool.name} ${describeChange(change)}`,
    poolId: pool.id,
    name: pool.name,
    before: change.mode === "size" ? { desired: change.from } : { autoscaling: change.from },
    after: change.mode === "size" ? { desired: change.to } : { autoscaling: change.to },
    completion,
  });
  // Machines take minutes to come or go: the first look is a minute later.
  const first = change.mode === "size" ? FIRST_POLL_SECONDS : POLL_SECONDS;
  return waitFor(
    ctx,
    "await",
    `node pool ${pool.name} to reach its size`,
    { at: new Date(ctx.now.getTime() + first * 1000) },
    [applied],
  );
}

/** One poll: the cloud job, then the pool, until it is stable at its new size (or bounds). */
export async function awaitPool(ctx: ResizeContext): Promise<ResizeStepResult> {
  const { decision, pool: read, completion } = ctx.progress;
  if (!decision || !read) return goOn(ctx, "read");
  const { provider } = ctx.env;
  if (completion?.kind === "job") {
    const job = await provider.getJob(completion.jobId);
    if (job.phase === "running")
      return waitFor(ctx, "await", `cloud job ${job.id} (${job.vendorPhase})`, { seconds: POLL_SECONDS });
    if (job.phase === "failed")
      return fail(ctx, {
        kind: "cloud-job",
        message: `cloud job ${job.id} resizing ${read.name} failed: ${job.reason ?? job.vendorPhase}`,
      });
    delete ctx.progress.completion;
  }
  let pool: NodePool;
  try {
    pool = await provider.getNodePool(ctx.input.clusterId, read.id);
  } catch (error) {
    if (error instanceof ProviderError && error.kind === "not-found")
      return fail(ctx, {
        kind: "not-found",
        message: `node pool ${read.name} was deleted while it was being resized`,
      });
    throw error;
  }
  const { change } = decision;
  if (change.mode === "size" && pool.desired !== change.to) {
    // Someone resized it after our call: theirs stands; the cooldown still counts from ours.
    const conflict = ledgerEntry(ctx, "conflict", {
      action: `conflict ${pool.name}`,
      reason: `resized to ${pool.desired} by someone else while nightshift waited for ${change.to}`,
      expected: change.to,
      found: pool.desired,
    });
    return goOn(ctx, "record", [conflict]);
  }
  const converged = change.mode === "size" ? pool.ready === change.to && !settling(pool) : !settling(pool);
  if (!converged)
    return waitFor(
      ctx,
      "await",
      `node pool ${pool.name} to reach ${change.mode === "size" ? change.to : "its bounds"} (${pool.ready} ready, ${pool.vendorPhase})`,
      {
        seconds: POLL_SECONDS,
      },
    );
  return goOn(ctx, "record");
}

/** The pool is where the decision put it: its memory (cooldown, remembered size), and the outcome. */
export async function record(ctx: ResizeContext): Promise<ResizeStepResult> {
  const { decision, pool } = ctx.progress;
  if (!decision || !pool) return goOn(ctx, "read");
  if (decision.memory) await remember(ctx.env.store, memoryKey(ctx, pool.id), decision.memory, ctx.now);
  const { change } = decision;
  return finish(ctx, [], {
    outcome: "succeeded",
    reason: decision.message,
    decision: decision.outcome,
    before: change.mode === "size" ? { desired: change.from } : { autoscaling: change.from },
    after: change.mode === "size" ? { desired: change.to } : { autoscaling: change.to },
  });
}
