// Which steps a sleep or a wake runs, per provider and mode (the design's provider table):
//   Huawei CCE      full = pools to 0, then hibernate; control-plane = hibernate only; nodes = pools only
//   CCE Autopilot   workloads only (no hibernate API, no node pools)
//   Alibaba ACK     nodes (= full): remove pool nodes, only where the schedule allows releasing them
//   Baidu CCE       nodes (= full): instance-group replicas to 0 and back
// An operation walks its plan in order; a step may skip ahead (e.g. a wake finding the cluster
// already running skips the awake steps).
import type { ProviderKind } from "../../shared/providers/port.ts";
import type { SleepMode } from "../../shared/schedule/types.ts";

export type Direction = "sleep" | "wake";

export type StepName =
  | "check-cluster"
  | "snapshot"
  | "scale-pools-down"
  | "await-pools"
  | "hibernate"
  | "await-hibernation"
  | "awake"
  | "await-running"
  | "restore-pools"
  | "restore-autoscaling"
  | "scale-workloads-down"
  | "restore-workloads"
  | "await-workloads"
  | "drop-snapshot"
  | "done";

/** Every plan starts here; the engine creates operations with `step: FIRST_STEP`. */
export const FIRST_STEP: StepName = "check-cluster";

export type StepPlan = { ok: true; steps: readonly StepName[] } | { ok: false; reason: string };

const POOLS_SLEEP: readonly StepName[] = ["scale-pools-down", "await-pools"];
const POOLS_WAKE: readonly StepName[] = [
  "restore-pools",
  "await-pools",
  "restore-autoscaling",
  "drop-snapshot",
];

const PLANS: Record<string, readonly StepName[]> = {
  "huawei/full/sleep": [
    "check-cluster",
    "snapshot",
    ...POOLS_SLEEP,
    "hibernate",
    "await-hibernation",
    "done",
  ],
  "huawei/full/wake": ["check-cluster", "awake", "await-running", ...POOLS_WAKE, "done"],
  "huawei/control-plane/sleep": ["check-cluster", "hibernate", "await-hibernation", "done"],
  "huawei/control-plane/wake": ["check-cluster", "awake", "await-running", "done"],
  "huawei/nodes/sleep": ["check-cluster", "snapshot", ...POOLS_SLEEP, "done"],
  "huawei/nodes/wake": ["check-cluster", ...POOLS_WAKE, "done"],
  "alibaba/nodes/sleep": ["check-cluster", "snapshot", ...POOLS_SLEEP, "done"],
  "alibaba/nodes/wake": ["check-cluster", ...POOLS_WAKE, "done"],
  "baidu/nodes/sleep": ["check-cluster", "snapshot", ...POOLS_SLEEP, "done"],
  "baidu/nodes/wake": ["check-cluster", ...POOLS_WAKE, "done"],
  "autopilot/workloads/sleep": [
    "check-cluster",
    "snapshot",
    "scale-workloads-down",
    "await-workloads",
    "done",
  ],
  "autopilot/workloads/wake": [
    "check-cluster",
    "restore-workloads",
    "await-workloads",
    "drop-snapshot",
    "done",
  ],
};

function unsupported(provider: ProviderKind, mode: SleepMode): string {
  if (provider === "autopilot") {
    return (
      `mode "${mode}" does not exist for CCE Autopilot: it has no hibernate API and no node pools; ` +
      'use mode "workloads" with the namespaces whose Deployments/StatefulSets should sleep'
    );
  }
  if (mode === "workloads") {
    return `mode "workloads" is for CCE Autopilot clusters only; for a ${provider} cluster use "full" or "nodes"`;
  }
  // control-plane on Alibaba / Baidu
  return (
    `mode "control-plane" needs a hibernate API, which ${provider === "alibaba" ? "Alibaba ACK" : "Baidu CCE"} ` +
    'does not have; use mode "nodes" (or "full") to scale the node pools to 0'
  );
}

export function planSteps(provider: ProviderKind, mode: SleepMode, direction: Direction): StepPlan {
  // Without a hibernate API, "full" sleep is the node half.
  const effective = (provider === "alibaba" || provider === "baidu") && mode === "full" ? "nodes" : mode;
  const steps = PLANS[`${provider}/${effective}/${direction}`];
  return steps ? { ok: true, steps } : { ok: false, reason: unsupported(provider, mode) };
}

/** The step after `step` in the plan ("done" at the end, or when `step` is not in it). */
export function stepAfter(steps: readonly StepName[], step: StepName): StepName {
  const index = steps.indexOf(step);
  return index === -1 ? "done" : (steps[index + 1] ?? "done");
}

export function isStepName(value: string): value is StepName {
  return Object.values(PLANS).some((steps) => steps.includes(value as StepName));
}
