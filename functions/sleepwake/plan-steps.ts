// Which steps a sleep or a wake runs, from the cloud's declared capabilities and the mode: `full`
// sleeps every half the cloud has (pools, then the control plane), `control-plane` needs
// `hibernate`, `nodes` needs `nodePools`, `workloads` needs `workloads`. So, per the design's table:
//   Huawei CCE      full = pools to 0, then hibernate; control-plane = hibernate only; nodes = pools only
//   CCE Autopilot   workloads only (no hibernate API, no node pools)
//   Alibaba ACK     nodes (= full): remove pool nodes, only where the schedule allows releasing them
//   Baidu CCE       nodes (= full): instance-group replicas to 0 and back
// An operation walks its plan in order; a step may skip ahead (e.g. a wake finding the cluster
// already running skips the awake steps).
import type { Provider, ProviderCapabilities } from "../../shared/providers/port.ts";
import { PROVIDERS, providersWith } from "../../shared/providers/registry.ts";
import type { SleepMode } from "../../shared/schedule/types.ts";

export type Direction = "sleep" | "wake";

export const STEP_NAMES = [
  "check-cluster",
  "snapshot",
  "scale-pools-down",
  "await-pools",
  "hibernate",
  "await-hibernation",
  "awake",
  "await-running",
  "restore-pools",
  "restore-autoscaling",
  "scale-workloads-down",
  "restore-workloads",
  "await-workloads",
  "drop-snapshot",
  "done",
] as const;

export type StepName = (typeof STEP_NAMES)[number];

/** Every plan starts here; the engine creates operations with `step: FIRST_STEP`. */
export const FIRST_STEP: StepName = "check-cluster";

export type StepPlan = { ok: true; steps: readonly StepName[] } | { ok: false; reason: string };

/** What a plan is chosen from: the cloud's declared capabilities (its kind only names it in messages). */
export type PlannedProvider = Pick<Provider, "kind" | "capabilities">;

/** The halves a mode sleeps, where the cloud can: undefined when the mode means nothing there. */
function halves(capabilities: ProviderCapabilities, mode: SleepMode) {
  const { hibernate, nodePools, workloads } = capabilities;
  switch (mode) {
    case "full":
      // Without a hibernate API, "full" sleep is the node half.
      return hibernate || nodePools
        ? { pools: nodePools, controlPlane: hibernate, workloads: false }
        : undefined;
    case "control-plane":
      return hibernate ? { pools: false, controlPlane: true, workloads: false } : undefined;
    case "nodes":
      return nodePools ? { pools: true, controlPlane: false, workloads: false } : undefined;
    case "workloads":
      return workloads ? { pools: false, controlPlane: false, workloads: true } : undefined;
  }
}

function unsupported(provider: PlannedProvider, mode: SleepMode): string {
  const { hibernate, nodePools, workloads } = provider.capabilities;
  const name = PROVIDERS[provider.kind].name;
  if (mode === "workloads") {
    const modes = (["full", "control-plane", "nodes"] as const).filter((m) =>
      halves(provider.capabilities, m),
    );
    const instead =
      modes.length > 0 ? `use ${modes.map((m) => `"${m}"`).join(" or ")}` : "nightshift cannot sleep it";
    return `mode "workloads" is for ${providersWith("workloads").join(", ")} clusters only; for a ${provider.kind} cluster ${instead}`;
  }
  if (!hibernate && !nodePools) {
    return (
      `mode "${mode}" does not exist for ${name}: it has no hibernate API and no node pools; ` +
      (workloads
        ? 'use mode "workloads" with the namespaces whose Deployments/StatefulSets should sleep'
        : "nightshift cannot sleep it")
    );
  }
  if (mode === "control-plane") {
    return (
      `mode "control-plane" needs a hibernate API, which ${name} does not have; ` +
      'use mode "nodes" (or "full") to scale the node pools to 0'
    );
  }
  return `mode "nodes" needs node pools, which ${name} does not have; use mode "control-plane" (or "full") to hibernate it`;
}

/** The steps of a sleep or a wake, from the halves the mode sleeps on this cloud. */
export function planSteps(provider: PlannedProvider, mode: SleepMode, direction: Direction): StepPlan {
  const sleeps = halves(provider.capabilities, mode);
  if (!sleeps) return { ok: false, reason: unsupported(provider, mode) };
  const steps: StepName[] = ["check-cluster"];
  if (direction === "sleep") {
    // Pools go down before the control plane hibernates (a hibernated cluster's pools cannot change).
    if (sleeps.pools || sleeps.workloads) steps.push("snapshot");
    if (sleeps.pools) steps.push("scale-pools-down", "await-pools");
    if (sleeps.controlPlane) steps.push("hibernate", "await-hibernation");
    if (sleeps.workloads) steps.push("scale-workloads-down", "await-workloads");
  } else {
    if (sleeps.controlPlane) steps.push("awake", "await-running");
    if (sleeps.pools) steps.push("restore-pools", "await-pools", "restore-autoscaling", "drop-snapshot");
    if (sleeps.workloads) steps.push("restore-workloads", "await-workloads", "drop-snapshot");
  }
  steps.push("done");
  return { ok: true, steps };
}

/** The step after `step` in the plan ("done" at the end, or when `step` is not in it). */
export function stepAfter(steps: readonly StepName[], step: StepName): StepName {
  const index = steps.indexOf(step);
  return index === -1 ? "done" : (steps[index + 1] ?? "done");
}

export function isStepName(value: string): value is StepName {
  return (STEP_NAMES as readonly string[]).includes(value);
}
