// The sleep/wake step machine (its job kind: job.ts). Each step runs for ONE operation: at most one
// cloud-changing call (hibernate, awake, one pool or workload resize, one autoscaler change) or one
// poll, and returns what to store: status, the next step, the data to resume from, ledger entries
// and, when the operation ends, its outcome event. It never waits for the cloud: a step that has
// to wait returns "waiting" with the time to poll again. Provider errors are thrown to the jobs
// runtime, which retries transient ones with a back-off and fails the operation on the others.
//
// Steps per capability set and mode: plan-steps.ts. Pools: pool-steps.ts. Autopilot workloads:
// workload-steps.ts. The snapshot: snapshot.ts.
import { invalidOperation } from "../../shared/jobs/step-results.ts";
import type { Cluster } from "../../shared/providers/port.ts";
import { PROVIDERS } from "../../shared/providers/registry.ts";
import type { Operation } from "../../shared/store/store.ts";
import { readInput, readProgress } from "./operation-data.ts";
import { FIRST_STEP, isStepName, planSteps, type StepName, stepAfter } from "./plan-steps.ts";
import {
  awaitPools,
  restoreAutoscaling,
  restorePools,
  scalePoolsDown,
  snapshotPoolsStep,
} from "./pool-steps.ts";
import { dropSnapshot, loadSnapshot } from "./snapshot.ts";
import {
  fail,
  finish,
  ledgerEntry,
  moveOn,
  moveOnAndPoll,
  moveTo,
  PHASE_POLL_SECONDS,
  type StepContext,
  type StepDeps,
  type StepResult,
  UNSTABLE_POLL_SECONDS,
  wait,
} from "./step-context.ts";
import {
  awaitWorkloads,
  restoreWorkloads,
  scaleWorkloadsDown,
  snapshotWorkloadsStep,
  WORKLOADS_NEED_ACCESS,
} from "./workload-steps.ts";

export type { KubernetesAccess, SleepWakeEvent, StepDeps, StepResult } from "./step-context.ts";

/** The step an operation is at; the engine creates them at "start", the first step of every plan. */
export function currentStep(op: Pick<Operation, "step">): string {
  return op.step === "" || op.step === "start" ? FIRST_STEP : op.step;
}

/** Reads the operation into the context its steps work with, or ends it naming what is wrong. */
export function prepare(
  op: Operation,
  deps: StepDeps,
): { step: StepName; ctx: StepContext } | { end: StepResult } {
  const checked = check(op, deps);
  return "status" in checked ? { end: checked } : { step: checked.step, ctx: checked };
}

function check(op: Operation, deps: StepDeps): StepContext | StepResult {
  const read = readInput(op.data);
  if (!read.ok) return invalidOperation(op, deps.now, read.message);
  const input = read.input;
  const plan = planSteps(deps.provider, input.mode, input.direction);
  const requested = currentStep(op);
  const ctx: StepContext = {
    op,
    input,
    plan: plan.ok ? plan.steps : [],
    step: isStepName(requested) ? requested : FIRST_STEP,
    progress: readProgress(op.data),
    deps,
    now: deps.now,
  };
  if (!plan.ok) return fail(ctx, { kind: "unsupported", message: plan.reason });
  if (op.kind !== input.direction) {
    return fail(ctx, {
      kind: "invalid",
      message: `operation kind "${op.kind}" disagrees with data.direction "${input.direction}"; it must be recreated`,
    });
  }
  if (deps.provider.kind !== input.provider) {
    return fail(ctx, {
      kind: "invalid",
      message: `account ${input.account} is a ${deps.provider.kind} account, but the operation is for ${input.provider}`,
    });
  }
  if (!plan.steps.includes(requested as StepName)) {
    return fail(ctx, {
      kind: "invalid",
      message: `step "${op.step}" is not one of a ${input.provider} ${input.mode} ${input.direction} (${plan.steps.join(", ")})`,
    });
  }
  return ctx;
}

/** One step of `op` as the jobs runtime runs it, without writing it (tests repeat a step with it). */
export async function advance(op: Operation, deps: StepDeps): Promise<StepResult> {
  const prepared = prepare(op, deps);
  return "end" in prepared ? prepared.end : STEPS[prepared.step].run(prepared.ctx);
}

type Run = (ctx: StepContext) => Promise<StepResult> | StepResult;

/** Every sleep/wake step by name (which of them an operation runs, in order: plan-steps.ts). */
export const STEPS: Readonly<Record<StepName, { run: Run }>> = {
  "check-cluster": { run: (ctx) => checkCluster(ctx) },
  snapshot: {
    run: (ctx) => (ctx.input.mode === "workloads" ? snapshotWorkloadsStep(ctx) : snapshotPoolsStep(ctx)),
  },
  "scale-pools-down": { run: scalePoolsDown },
  "await-pools": { run: awaitPools },
  hibernate: { run: (ctx) => changeControlPlane(ctx, "hibernate") },
  "await-hibernation": { run: (ctx) => awaitControlPlane(ctx, "hibernate") },
  awake: { run: (ctx) => changeControlPlane(ctx, "awake") },
  "await-running": { run: (ctx) => awaitControlPlane(ctx, "awake") },
  "restore-pools": { run: restorePools },
  "restore-autoscaling": { run: restoreAutoscaling },
  "scale-workloads-down": { run: scaleWorkloadsDown },
  "restore-workloads": { run: restoreWorkloads },
  "await-workloads": { run: awaitWorkloads },
  "drop-snapshot": { run: dropSnapshot },
  done: { run: (ctx) => finish(ctx) },
};

const unstable = (cluster: Cluster) =>
  `cluster ${cluster.name} to become stable (it is ${cluster.vendorPhase})`;

/** Input checks that need no cloud call, then the cluster's phase decides where to start. */
async function checkCluster(ctx: StepContext): Promise<StepResult> {
  const { input, plan } = ctx;
  if (input.mode === "workloads") {
    if (!ctx.deps.kube && !ctx.deps.provider.kubernetes) {
      return fail(ctx, { kind: "unsupported", message: WORKLOADS_NEED_ACCESS });
    }
    if (input.namespaces.length === 0) {
      return fail(ctx, {
        kind: "invalid",
        message: `schedule "${input.schedule}" uses mode workloads but names no namespaces; list them under \`namespaces:\``,
      });
    }
  }
  const { capabilities, kind } = ctx.deps.provider;
  if (capabilities.shrinkReleasesInstances && plan.includes("scale-pools-down") && !input.releaseNodes) {
    return fail(ctx, {
      kind: "invalid",
      message:
        `${PROVIDERS[kind].name} releases the instance of every node it removes from a pool: sleeping ` +
        `cluster ${input.clusterId} means removing its pools' nodes, which releases their instances. Schedule "${input.schedule}" does not allow that; set ` +
        "`releaseNodes: true` in the schedule to let nightshift release them at night (they are " +
        "created again by the remembered counts on wake). Nothing was changed.",
    });
  }

  const cluster = await ctx.deps.provider.getCluster(input.clusterId);
  const hibernates = plan.includes("hibernate") || plan.includes("awake");

  if (input.direction === "sleep") {
    if (capabilities.hibernate && cluster.phase === "hibernated") {
      const reason = hibernates
        ? `cluster ${cluster.name} is already hibernated`
        : `cluster ${cluster.name} is hibernated: its node pools cannot be changed until it is woken`;
      return finish(ctx, [], reason);
    }
    if (cluster.phase === "hibernating") return wait(ctx, `cluster ${cluster.name} to finish hibernating`);
    if (cluster.phase !== "running") return wait(ctx, unstable(cluster), [], UNSTABLE_POLL_SECONDS);
    return moveOn(ctx);
  }

  if (plan.includes("drop-snapshot")) await loadSnapshot(ctx);
  if (hibernates) {
    if (cluster.phase === "hibernated") return moveTo(ctx, "awake");
    if (cluster.phase === "waking") return moveTo(ctx, "await-running");
    if (cluster.phase === "running") return moveTo(ctx, stepAfter(plan, "await-running"));
    return wait(ctx, unstable(cluster), [], UNSTABLE_POLL_SECONDS);
  }
  if (cluster.phase === "hibernated") {
    return wait(
      ctx,
      `cluster ${cluster.name} to be woken (it is hibernated; mode ${input.mode} does not wake it)`,
    );
  }
  if (cluster.phase !== "running") return wait(ctx, unstable(cluster), [], UNSTABLE_POLL_SECONDS);
  return moveOn(ctx);
}

/** The control plane's two changes (Huawei CCE): the call, the phases around it, what to wait for. */
const CONTROL_PLANE = {
  hibernate: { from: "running", during: "hibernating", to: "hibernated", waitingFor: "hibernate" },
  awake: { from: "hibernated", during: "waking", to: "running", waitingFor: "wake" },
} as const;
type ControlPlaneChange = keyof typeof CONTROL_PLANE;

async function changeControlPlane(ctx: StepContext, change: ControlPlaneChange): Promise<StepResult> {
  const { from, to } = CONTROL_PLANE[change];
  const completion = await ctx.deps.provider[change](ctx.input.clusterId);
  ctx.progress.completions = { cluster: completion };
  return moveOnAndPoll(ctx, [
    ledgerEntry(ctx, change, { action: change, before: { phase: from }, after: { phase: to }, completion }),
  ]);
}

async function awaitControlPlane(ctx: StepContext, change: ControlPlaneChange): Promise<StepResult> {
  const { from, during, to, waitingFor } = CONTROL_PLANE[change];
  const cluster = await ctx.deps.provider.getCluster(ctx.input.clusterId);
  if (cluster.phase === to) {
    delete ctx.progress.completions;
    return moveOn(ctx);
  }
  if (cluster.phase === during)
    return wait(ctx, `cluster ${cluster.name} to ${waitingFor}`, [], PHASE_POLL_SECONDS);
  // The request did not take (refused, or changed back meanwhile): issue it again.
  if (cluster.phase === from) return moveTo(ctx, change);
  return wait(ctx, unstable(cluster), [], UNSTABLE_POLL_SECONDS);
}
