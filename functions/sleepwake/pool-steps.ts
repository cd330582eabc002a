// The node-pool half of sleep and wake (Huawei CCE, Alibaba ACK, Baidu CCE). Each invocation
// makes at most one cloud-changing call; what to do next is decided from the pool as the cloud
// reports it NOW, so a step that ran its call but crashed before the store write finds its own
// change already made and goes on without repeating it.
//
// Sleep, per pool: autoscaler off (same bounds) if it is on, then size 0.
// Wake, per pool: size back to the snapshot (unless a human changed the pool while it slept:
// then a conflict is recorded and the pool left as it is), wait, then the autoscaler back on.
import { type NodePool, type NodePoolAutoscaling, ProviderError } from "../../shared/providers/port.ts";
import type { LedgerEntryInput } from "../../shared/store/backend.ts";
import type { PoolSnapshot } from "./operation-data.ts";
import { recordSnapshot } from "./snapshot.ts";
import {
  conflicted,
  fail,
  finish,
  handled,
  ledgerEntry,
  markHandled,
  moveOn,
  moveOnAndPoll,
  recordConflict,
  type StepContext,
  type StepResult,
  stay,
  wait,
} from "./step-context.ts";

/** A change is in flight (ours or someone's): clouds refuse another one until it ends. */
const settling = (pool: NodePool) => pool.phase === "scaling" || pool.phase === "busy";

function sameAutoscaling(a: NodePoolAutoscaling | undefined, b: NodePoolAutoscaling | undefined): boolean {
  const on = (x: NodePoolAutoscaling | undefined) => x?.enabled === true;
  if (!on(a) && !on(b)) return true;
  return on(a) && on(b) && a!.min === b!.min && a!.max === b!.max;
}

async function readPool(ctx: StepContext, poolId: string): Promise<NodePool | undefined> {
  try {
    return await ctx.deps.provider.getNodePool(ctx.input.clusterId, poolId);
  } catch (error) {
    if (error instanceof ProviderError && error.kind === "not-found") return undefined;
    throw error;
  }
}

function snapshotPools(ctx: StepContext): PoolSnapshot[] | undefined {
  return ctx.progress.snapshot?.content.pools;
}

/**
 * Pools of the snapshot this step has not finished with yet, the largest first: its nodes take
 * longest to drain or come up, so its change goes out first.
 */
function remaining(
  ctx: StepContext,
  pools: PoolSnapshot[],
  only?: (p: PoolSnapshot) => boolean,
): PoolSnapshot[] {
  const done = handled(ctx);
  return pools
    .filter((p) => !done.has(p.id) && !conflicted(ctx, p.id) && (only ? only(p) : true))
    .sort((a, b) => b.desired - a.desired);
}

/** Has await-pools wait for the pool to reach `desired`, as after a call of ours. */
function awaitSize(ctx: StepContext, poolId: string, desired: number): void {
  const completion = { kind: "pool-size" as const, clusterId: ctx.input.clusterId, poolId, desired };
  ctx.progress.completions = { ...ctx.progress.completions, [poolId]: completion };
}

/**
 * A change this operation wanted, found already made but not in what it has taken: the call of an
 * attempt interrupted before its result was stored (the step is repeated, reads before it changes,
 * and skips the call), or someone else's identical change. Either way it is recorded once now, so
 * the ledger and the outcome hold every action also across crashes; `found` says it was found done.
 */
function foundDone(ctx: StepContext, kind: string, detail: Record<string, unknown> & { action: string }) {
  if ((ctx.progress.taken ?? []).includes(detail.action)) return [];
  return [
    ledgerEntry(ctx, kind, {
      ...detail,
      found: "already done (an interrupted attempt's, or someone else's)",
    }),
  ];
}

/** After one pool's change: the next pool, or the wait for them all. */
const next = (ctx: StepContext, left: number, ledger: LedgerEntryInput[]) =>
  left > 0 ? stay(ctx, ledger) : moveOnAndPoll(ctx, ledger);

export async function snapshotPoolsStep(ctx: StepContext): Promise<StepResult> {
  const pools = await ctx.deps.provider.listNodePools(ctx.input.clusterId);
  const current: PoolSnapshot[] = pools.map((p) => ({
    id: p.id,
    name: p.name,
    desired: p.desired,
    ...(p.autoscaling ? { autoscaling: { ...p.autoscaling } } : {}),
  }));
  return recordSnapshot(ctx, "pools", current, (p) => p.id);
}

export async function scalePoolsDown(ctx: StepContext): Promise<StepResult> {
  const pools = snapshotPools(ctx);
  if (!pools) return missingSnapshot(ctx);
  const { provider } = ctx.deps;
  const { clusterId } = ctx.input;
  // Changes found made before a crash (foundDone): recorded with whatever this step returns.
  const found: LedgerEntryInput[] = [];
  for (const snap of remaining(ctx, pools)) {
    const pool = await readPool(ctx, snap.id);
    if (!pool) {
      markHandled(ctx, snap.id); // deleted since the snapshot: nothing left to scale
      continue;
    }
    if (pool.autoscaling?.enabled) {
      if (settling(pool)) return wait(ctx, `node pool ${pool.name} to settle (${pool.vendorPhase})`, found);
      // Off first: an autoscaler would grow the pool again (and clouds refuse a size outside its bounds).
      const off = { ...pool.autoscaling, enabled: false };
      await provider.setNodePoolAutoscaling(clusterId, pool.id, off);
      return stay(ctx, [
        ...found,
        ledgerEntry(ctx, "autoscaler-off", {
          action: `autoscaler-off ${pool.name}`,
          pool: pool.id,
          name: pool.name,
          before: { autoscaling: pool.autoscaling },
          after: { autoscaling: off },
        }),
      ]);
    }
    if (snap.autoscaling?.enabled && !pool.autoscaling?.enabled) {
      const off = { ...snap.autoscaling, enabled: false };
      found.push(
        ...foundDone(ctx, "autoscaler-off", {
          action: `autoscaler-off ${pool.name}`,
          pool: pool.id,
          name: pool.name,
          before: { autoscaling: snap.autoscaling },
          after: { autoscaling: pool.autoscaling ?? off },
        }),
      );
    }
    if (pool.desired === 0) {
      markHandled(ctx, snap.id);
      awaitSize(ctx, pool.id, 0); // scaled before a crash, or by someone: still wait for its nodes to go
      if (snap.desired > 0) {
        found.push(
          ...foundDone(ctx, "scale-pool", {
            action: `scale-pool ${pool.name} ${snap.desired}→0`,
            pool: pool.id,
            name: pool.name,
            before: { desired: snap.desired },
            after: { desired: 0 },
          }),
        );
      }
      continue;
    }
    if (settling(pool)) return wait(ctx, `node pool ${pool.name} to settle (${pool.vendorPhase})`, found);
    const completion = await provider.resizeNodePool(clusterId, pool.id, {
      desired: 0,
      allowNodeRelease: ctx.input.releaseNodes,
    });
    markHandled(ctx, snap.id);
    ctx.progress.completions = { ...ctx.progress.completions, [pool.id]: completion };
    return next(ctx, remaining(ctx, pools).length, [
      ...found,
      ledgerEntry(ctx, "scale-pool", {
        action: `scale-pool ${pool.name} ${pool.desired}→0`,
        pool: pool.id,
        name: pool.name,
        before: { desired: pool.desired },
        after: { desired: 0 },
        completion,
      }),
    ]);
  }
  return moveOn(ctx, found);
}

/** One poll: a job's state, or every pool's size from one list. */
export async function awaitPools(ctx: StepContext): Promise<StepResult> {
  const completions = { ...ctx.progress.completions };
  const { provider } = ctx.deps;
  const job = Object.entries(completions).find(([, c]) => c.kind === "job");
  if (job) {
    const [key, completion] = job;
    const state = await provider.getJob(completion.kind === "job" ? completion.jobId : "");
    if (state.phase === "running") return wait(ctx, `cloud job ${state.id} (${state.vendorPhase})`);
    if (state.phase === "failed") {
      return fail(ctx, {
        kind: "cloud-job",
        message: `cloud job ${state.id} for ${key} failed: ${state.reason ?? state.vendorPhase}`,
      });
    }
    delete completions[key];
    ctx.progress.completions = completions;
    return stay(ctx, []);
  }

  const sizes = Object.entries(completions).flatMap(([poolId, c]) =>
    c.kind === "pool-size" ? [{ poolId, desired: c.desired }] : [],
  );
  const ledger: LedgerEntryInput[] = [];
  const pending: string[] = [];
  if (sizes.length > 0) {
    const listed = new Map((await provider.listNodePools(ctx.input.clusterId)).map((p) => [p.id, p]));
    for (const { poolId, desired } of sizes) {
      const pool = listed.get(poolId);
      if (!pool) continue; // deleted meanwhile: nothing to wait for
      if (pool.desired !== desired) {
        // Someone resized it after our call: theirs stands.
        const snap = snapshotPools(ctx)?.find((p) => p.id === poolId);
        ledger.push(
          recordConflict(ctx, {
            resource: "pool",
            id: poolId,
            name: pool.name,
            expected: desired,
            restore: snap?.desired ?? desired,
            found: pool.desired,
            reason: `resized to ${pool.desired} by someone else while nightshift waited for ${desired}`,
          }),
        );
        continue;
      }
      if (pool.ready !== desired || pool.phase !== "stable")
        pending.push(`${pool.name} ${pool.ready}/${desired}`);
    }
  }
  if (pending.length > 0) return wait(ctx, `node pools to reach their size: ${pending.join(", ")}`, ledger);
  delete ctx.progress.completions;
  return moveOn(ctx, ledger);
}

export async function restorePools(ctx: StepContext): Promise<StepResult> {
  const pools = snapshotPools(ctx);
  if (!pools) return nothingToRestore(ctx);
  const { clusterId } = ctx.input;
  const ledger: LedgerEntryInput[] = [];
  for (const snap of remaining(ctx, pools)) {
    const pool = await readPool(ctx, snap.id);
    if (!pool) {
      ledger.push(
        recordConflict(ctx, {
          resource: "pool",
          id: snap.id,
          name: snap.name,
          expected: 0,
          restore: snap.desired,
          reason: "the node pool was deleted while the cluster slept",
        }),
      );
      continue;
    }
    const autoscalerOn = pool.autoscaling?.enabled === true;
    if (
      pool.desired === snap.desired &&
      (!autoscalerOn || sameAutoscaling(pool.autoscaling, snap.autoscaling))
    ) {
      markHandled(ctx, snap.id); // already at its size (restored before a crash, or never changed)
      awaitSize(ctx, pool.id, snap.desired);
      // The sleep scaled every pool with nodes to 0: one found at its size again was restored.
      if (snap.desired > 0) {
        ledger.push(
          ...foundDone(ctx, "restore-pool", {
            action: `restore-pool ${pool.name} 0→${snap.desired}`,
            pool: pool.id,
            name: pool.name,
            before: { desired: 0 },
            after: { desired: snap.desired },
          }),
        );
      }
      continue;
    }
    if (pool.desired !== 0 || autoscalerOn) {
      ledger.push(
        recordConflict(ctx, {
          resource: "pool",
          id: pool.id,
          name: pool.name,
          expected: 0,
          restore: snap.desired,
          found: pool.desired,
          reason: autoscalerOn
            ? "its autoscaler was turned on while the cluster slept; it is left as it is"
            : `it was resized to ${pool.desired} while the cluster slept; it is left as it is`,
        }),
      );
      continue;
    }
    if (settling(pool)) return wait(ctx, `node pool ${pool.name} to settle (${pool.vendorPhase})`, ledger);
    const completion = await ctx.deps.provider.resizeNodePool(clusterId, pool.id, { desired: snap.desired });
    markHandled(ctx, snap.id);
    ctx.progress.completions = { ...ctx.progress.completions, [pool.id]: completion };
    ledger.push(
      ledgerEntry(ctx, "restore-pool", {
        action: `restore-pool ${pool.name} 0→${snap.desired}`,
        pool: pool.id,
        name: pool.name,
        before: { desired: 0 },
        after: { desired: snap.desired },
        completion,
      }),
    );
    return next(ctx, remaining(ctx, pools).length, ledger);
  }
  return moveOn(ctx, ledger);
}

/** After the sizes are back: the autoscalers the sleep turned off, with their bounds. */
export async function restoreAutoscaling(ctx: StepContext): Promise<StepResult> {
  const pools = snapshotPools(ctx);
  if (!pools) return moveOn(ctx);
  const wanted = (p: PoolSnapshot) => p.autoscaling?.enabled === true;
  const found: LedgerEntryInput[] = [];
  for (const snap of remaining(ctx, pools, wanted)) {
    const pool = await readPool(ctx, snap.id);
    if (!pool || sameAutoscaling(pool.autoscaling, snap.autoscaling)) {
      markHandled(ctx, snap.id);
      if (pool) {
        const bounds = snap.autoscaling!;
        found.push(
          ...foundDone(ctx, "restore-autoscaling", {
            action: `autoscaler-on ${pool.name} ${bounds.min}-${bounds.max}`,
            pool: pool.id,
            name: pool.name,
            before: { autoscaling: { ...bounds, enabled: false } },
            after: { autoscaling: bounds },
          }),
        );
      }
      continue;
    }
    if (settling(pool)) return wait(ctx, `node pool ${pool.name} to settle (${pool.vendorPhase})`, found);
    const bounds = snap.autoscaling!;
    await ctx.deps.provider.setNodePoolAutoscaling(ctx.input.clusterId, pool.id, bounds);
    markHandled(ctx, snap.id);
    const left = remaining(ctx, pools, wanted).length;
    return (left > 0 ? stay : moveOn)(ctx, [
      ...found,
      ledgerEntry(ctx, "restore-autoscaling", {
        action: `autoscaler-on ${pool.name} ${bounds.min}-${bounds.max}`,
        pool: pool.id,
        name: pool.name,
        before: { autoscaling: pool.autoscaling },
        after: { autoscaling: bounds },
      }),
    ]);
  }
  return moveOn(ctx, found);
}

function missingSnapshot(ctx: StepContext): StepResult {
  return fail(ctx, {
    kind: "internal",
    message: "no snapshot of the node pools was recorded before scaling them down; nothing was changed",
  });
}

/** A wake with nothing recorded: the cluster was not put to sleep by nightshift (or was already woken). */
export function nothingToRestore(ctx: StepContext): StepResult {
  const reason = "no snapshot was found for this target: there are no remembered sizes to restore";
  // After an awake, the wake did something: it succeeded, noting this. Otherwise it had nothing to do.
  if ((ctx.progress.taken ?? []).length === 0) return finish(ctx, [], reason);
  return finish(ctx, [ledgerEntry(ctx, "nothing-to-restore", { reason })]);
}
