// CCE Autopilot's workloads mode: the Deployments and StatefulSets of the schedule's namespaces
// scaled to 0 through the cluster's Kubernetes API (replicas remembered in the snapshot) and back.
// One scale call per invocation; like the pool steps, each decision is made from the replicas the
// API server reports now, so a repeated step never repeats a change.
//
// Which way to the cluster's Kubernetes API:
//   - Node host (`deps.kube`): straight to the API server with a kubeconfig from clustercert
//     (mutual TLS). It does not depend on the API gateway and does not spend the account's
//     gateway throttle on every poll.
//   - Workers host, or anywhere without `deps.kube`: through the API gateway
//     (`provider.kubernetes`), signed with the account's AK/SK, as a Worker cannot present a
//     per-cluster client certificate.
// A provider offering neither fails the operation saying so.
import type { KubernetesClient, Scale, WorkloadRef } from "../../shared/providers/kubernetes.ts";
import { ProviderError } from "../../shared/providers/port.ts";
import type { LedgerEntryInput } from "../../shared/store/backend.ts";
import { type WorkloadSnapshot, workloadKey } from "./operation-data.ts";
import { nothingToRestore } from "./pool-steps.ts";
import { recordSnapshot } from "./snapshot.ts";
import {
  conflicted,
  fail,
  handled,
  ledgerEntry,
  markHandled,
  moveOn,
  recordConflict,
  type StepContext,
  type StepResult,
  stay,
  wait,
} from "./step-context.ts";

/** Validity of the kubeconfig the workloads steps use (Autopilot counts in days). */
export const KUBECONFIG_VALIDITY_DAYS = 1;

export const WORKLOADS_NEED_ACCESS =
  "workloads mode needs the cluster's Kubernetes API: this cloud offers it neither through an API " +
  "gateway nor (on this host) with a client certificate; run nightshift on Node (npm start, or a " +
  "container) for this schedule";

type WithClient = (client: KubernetesClient) => Promise<StepResult>;

/**
 * Runs `use` with the cluster's client. A refused certificate (expired, or the cluster's CA
 * rotated) is dropped and a fresh kubeconfig tried once before the operation fails.
 */
async function withKubernetes(ctx: StepContext, use: WithClient): Promise<StepResult> {
  const { kube, provider } = ctx.deps;
  if (!kube) {
    if (!provider.kubernetes) return fail(ctx, { kind: "unsupported", message: WORKLOADS_NEED_ACCESS });
    const client = provider.kubernetes(ctx.input.clusterId);
    try {
      return await use(client);
    } finally {
      await client.close();
    }
  }
  const client = await kube.client(
    ctx.op.target,
    () => provider.issueKubeconfig(ctx.input.clusterId, KUBECONFIG_VALIDITY_DAYS),
    ctx.now,
  );
  try {
    return await use(client);
  } catch (error) {
    const refused =
      error instanceof ProviderError && error.kind === "auth" && error.api.includes(".kubernetes.");
    if (!refused) throw error;
    await kube.forget(ctx.op.target);
    if (ctx.progress.reauthenticated) throw error;
    ctx.progress.reauthenticated = true;
    return stay(ctx, []);
  }
}

const refOf = (w: WorkloadSnapshot): WorkloadRef => ({ kind: w.kind, namespace: w.namespace, name: w.name });

async function readScale(client: KubernetesClient, ref: WorkloadRef): Promise<Scale | undefined> {
  try {
    return await client.getScale(ref);
  } catch (error) {
    if (error instanceof ProviderError && error.kind === "not-found") return undefined;
    throw error;
  }
}

function snapshotWorkloads(ctx: StepContext): WorkloadSnapshot[] | undefined {
  return ctx.progress.snapshot?.content.workloads;
}

function remaining(ctx: StepContext, workloads: WorkloadSnapshot[]): WorkloadSnapshot[] {
  const done = handled(ctx);
  return workloads.filter((w) => !done.has(workloadKey(w)) && !conflicted(ctx, workloadKey(w)));
}

const next = (ctx: StepContext, left: number, ledger: LedgerEntryInput[]) =>
  left > 0 ? stay(ctx, ledger) : moveOn(ctx, ledger);

export function snapshotWorkloadsStep(ctx: StepContext): Promise<StepResult> {
  return withKubernetes(ctx, async (client) => {
    const current: WorkloadSnapshot[] = [];
    for (const namespace of ctx.input.namespaces) {
      for (const w of await client.listWorkloads(namespace)) {
        current.push({ kind: w.kind, namespace: w.namespace, name: w.name, replicas: w.replicas });
      }
    }
    return recordSnapshot(ctx, "workloads", current, workloadKey);
  });
}

export function scaleWorkloadsDown(ctx: StepContext): Promise<StepResult> {
  return withKubernetes(ctx, async (client) => {
    const workloads = snapshotWorkloads(ctx);
    if (!workloads) {
      return fail(ctx, {
        kind: "internal",
        message: "no snapshot of the workloads was recorded before scaling them down; nothing was changed",
      });
    }
    for (const w of remaining(ctx, workloads)) {
      const key = workloadKey(w);
      const scale = await readScale(client, refOf(w));
      if (!scale || scale.replicas === 0) {
        markHandled(ctx, key);
        continue;
      }
      await client.setScale(refOf(w), 0);
      markHandled(ctx, key);
      return next(ctx, remaining(ctx, workloads).length, [
        ledgerEntry(ctx, "scale-workload", {
          action: `scale-workload ${key} ${scale.replicas}→0`,
          workload: key,
          before: { replicas: scale.replicas },
          after: { replicas: 0 },
        }),
      ]);
    }
    return moveOn(ctx);
  });
}

export function restoreWorkloads(ctx: StepContext): Promise<StepResult> {
  const workloads = snapshotWorkloads(ctx);
  if (!workloads) return Promise.resolve(nothingToRestore(ctx));
  return withKubernetes(ctx, async (client) => {
    const ledger: LedgerEntryInput[] = [];
    for (const w of remaining(ctx, workloads)) {
      const key = workloadKey(w);
      const scale = await readScale(client, refOf(w));
      const conflict = {
        resource: "workload" as const,
        id: key,
        name: key,
        expected: 0,
        restore: w.replicas,
      };
      if (!scale) {
        ledger.push(
          recordConflict(ctx, { ...conflict, reason: "the workload was deleted while the cluster slept" }),
        );
        continue;
      }
      if (scale.replicas === w.replicas) {
        markHandled(ctx, key); // already restored (before a crash), or never scaled
        continue;
      }
      if (scale.replicas !== 0) {
        ledger.push(
          recordConflict(ctx, {
            ...conflict,
            found: scale.replicas,
            reason: `it was scaled to ${scale.replicas} while the cluster slept; it is left as it is`,
          }),
        );
        continue;
      }
      await client.setScale(refOf(w), w.replicas);
      markHandled(ctx, key);
      ledger.push(
        ledgerEntry(ctx, "restore-workload", {
          action: `restore-workload ${key} 0→${w.replicas}`,
          workload: key,
          before: { replicas: 0 },
          after: { replicas: w.replicas },
        }),
      );
      return next(ctx, remaining(ctx, workloads).length, ledger);
    }
    return moveOn(ctx, ledger);
  });
}

/** One poll per namespace: every handled workload at its replicas, with its pods ready. */
export function awaitWorkloads(ctx: StepContext): Promise<StepResult> {
  const workloads = (snapshotWorkloads(ctx) ?? []).filter((w) => !conflicted(ctx, workloadKey(w)));
  if (workloads.length === 0) return Promise.resolve(moveOn(ctx));
  const sleeping = ctx.input.direction === "sleep";
  return withKubernetes(ctx, async (client) => {
    const ledger: LedgerEntryInput[] = [];
    const pending: string[] = [];
    for (const namespace of [...new Set(workloads.map((w) => w.namespace))]) {
      const listed = new Map((await client.listWorkloads(namespace)).map((w) => [workloadKey(w), w]));
      for (const w of workloads.filter((x) => x.namespace === namespace)) {
        const key = workloadKey(w);
        const found = listed.get(key);
        if (!found) continue;
        const target = sleeping ? 0 : w.replicas;
        if (found.replicas !== target) {
          ledger.push(
            recordConflict(ctx, {
              resource: "workload",
              id: key,
              name: key,
              expected: sleeping ? 0 : w.replicas,
              restore: w.replicas,
              found: found.replicas,
              reason: `scaled to ${found.replicas} by someone else while nightshift waited for ${target}`,
            }),
          );
          continue;
        }
        if (found.readyReplicas !== target) pending.push(`${key} ${found.readyReplicas}/${target}`);
      }
    }
    if (pending.length > 0)
      return wait(ctx, `workloads to reach their replicas: ${pending.join(", ")}`, ledger);
    return moveOn(ctx, ledger);
  });
}
