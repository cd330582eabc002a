// A wake or sleep an event asks for is carried out by the sleep/wake job itself, as the cluster's
// schedule defines it (mode, releaseNodes, namespaces), so its snapshot, conflicts and ledger are
// those of a scheduled night: a resize step creates that operation (idempotently, by an id derived
// from its own) and ends; the runtime's one-operation-per-target then runs it next.
import type { Cluster } from "../../shared/providers/port.ts";
import { sleepWakeOperation } from "../../shared/schedule/engine.ts";
import { ownershipOf } from "../../shared/schedule/ownership.ts";
import type { Schedule } from "../../shared/schedule/types.ts";
import type { Operation } from "../../shared/store/store.ts";
import type { ResizeContext } from "./step-context.ts";

/** The one enabled schedule that owns the cluster (ownership.ts, as the tick asks), or why none does. */
export async function owningSchedule(
  ctx: ResizeContext,
  cluster?: Cluster,
): Promise<{ schedule: Schedule; cluster: Cluster } | { problem: string }> {
  const schedules = ctx.env.schedules;
  if (!schedules) return { problem: "the jobs runtime was given no schedules (a host wiring error)" };
  const found = cluster ?? (await ctx.env.provider.getCluster(ctx.input.clusterId));
  const ownership = ownershipOf(found, schedules);
  if (ownership.status === "owned") return { schedule: ownership.schedule, cluster: found };
  const why = ownership.status === "unmatched" ? "no schedule's targets select it" : ownership.message;
  return {
    problem: `cluster ${found.name} (${ctx.op.target}) has no schedule that owns it (${why}): nightshift sleeps and wakes a cluster the way its schedule says (mode, releaseNodes, namespaces); add it to one schedule's targets`,
  };
}

/** Creates (once) the sleep or wake of the cluster its schedule would do; returns it. */
export async function createSleepWake(
  ctx: ResizeContext,
  direction: "sleep" | "wake",
  schedule: Schedule,
  cluster: Cluster,
): Promise<Operation> {
  const fields = sleepWakeOperation(
    `${ctx.op.id}:${direction}`,
    direction,
    schedule,
    { targetId: ctx.op.target, provider: cluster.provider, account: ctx.input.account, id: cluster.id },
    `event:${ctx.input.rule.name}`,
  );
  const { operation } = await ctx.env.store.operations.create(fields, { now: ctx.now });
  return operation;
}
