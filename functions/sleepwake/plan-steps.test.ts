import { describe, expect, it } from "vitest";
import type { ProviderCapabilities, ProviderKind } from "../../shared/providers/port.ts";
import { PROVIDERS } from "../../shared/providers/registry.ts";
import type { SleepMode } from "../../shared/schedule/types.ts";
import { FIRST_STEP, type PlannedProvider, planSteps, stepAfter } from "./plan-steps.ts";

/** A cloud as it declares itself. */
const cloud = (kind: ProviderKind): PlannedProvider => ({ kind, capabilities: PROVIDERS[kind].capabilities });

const steps = (provider: ProviderKind | PlannedProvider, mode: SleepMode, direction: "sleep" | "wake") => {
  const plan = planSteps(typeof provider === "string" ? cloud(provider) : provider, mode, direction);
  if (!plan.ok) throw new Error(plan.reason);
  return plan.steps;
};

describe("plan steps", () => {
  it("Huawei full: pools down before hibernating; awake before restoring the pools", () => {
    expect(steps("huawei", "full", "sleep")).toEqual([
      "check-cluster",
      "snapshot",
      "scale-pools-down",
      "await-pools",
      "hibernate",
      "await-hibernation",
      "done",
    ]);
    expect(steps("huawei", "full", "wake")).toEqual([
      "check-cluster",
      "awake",
      "await-running",
      "restore-pools",
      "await-pools",
      "restore-autoscaling",
      "drop-snapshot",
      "done",
    ]);
  });

  it("Huawei control-plane and nodes each do one half", () => {
    const all = [...steps("huawei", "control-plane", "sleep"), ...steps("huawei", "control-plane", "wake")];
    expect(all.filter((s) => s.includes("pool"))).toEqual([]);
    const nodes = [...steps("huawei", "nodes", "sleep"), ...steps("huawei", "nodes", "wake")];
    expect(nodes).not.toContain("hibernate");
    expect(nodes).not.toContain("awake");
  });

  it("Alibaba and Baidu full mode is the node half", () => {
    for (const provider of ["alibaba", "baidu"] as const) {
      expect(steps(provider, "full", "sleep")).toEqual(steps(provider, "nodes", "sleep"));
      expect(steps(provider, "full", "wake")).toEqual(steps(provider, "nodes", "wake"));
      expect(steps(provider, "full", "sleep")).not.toContain("hibernate");
    }
  });

  it("Autopilot sleeps workloads only", () => {
    expect(steps("autopilot", "workloads", "sleep")).toContain("scale-workloads-down");
    expect(steps("autopilot", "workloads", "wake")).toContain("restore-workloads");
    for (const mode of ["full", "control-plane", "nodes"] as const) {
      expect(planSteps(cloud("autopilot"), mode, "sleep")).toEqual({
        ok: false,
        reason: expect.stringContaining('use mode "workloads"'),
      });
    }
  });

  it("every plan starts at check-cluster and ends at done", () => {
    const providers: ProviderKind[] = ["huawei", "autopilot", "alibaba", "baidu"];
    const modes: SleepMode[] = ["full", "control-plane", "nodes", "workloads"];
    for (const provider of providers) {
      for (const mode of modes) {
        for (const direction of ["sleep", "wake"] as const) {
          const plan = planSteps(cloud(provider), mode, direction);
          if (!plan.ok) continue;
          expect(plan.steps[0]).toBe(FIRST_STEP);
          expect(plan.steps.at(-1)).toBe("done");
          expect(new Set(plan.steps).size).toBe(plan.steps.length);
        }
      }
    }
  });

  it("follows the declared capabilities, not the provider's name", () => {
    const as = (kind: ProviderKind, capabilities: Partial<ProviderCapabilities>): PlannedProvider => ({
      kind,
      capabilities: { ...PROVIDERS[kind].capabilities, ...capabilities },
    });
    // A Baidu cloud that could hibernate would sleep like Huawei CCE...
    const hibernatingBaidu = as("baidu", { hibernate: true });
    for (const direction of ["sleep", "wake"] as const) {
      expect(steps(hibernatingBaidu, "full", direction)).toEqual(steps("huawei", "full", direction));
      expect(steps(hibernatingBaidu, "control-plane", direction)).toEqual(
        steps("huawei", "control-plane", direction),
      );
    }
    // ...a Huawei one without pools would only hibernate, and refuse "nodes"...
    const poolless = as("huawei", { nodePools: false });
    expect(steps(poolless, "full", "sleep")).toEqual(steps("huawei", "control-plane", "sleep"));
    expect(planSteps(poolless, "nodes", "sleep")).toEqual({
      ok: false,
      reason:
        'mode "nodes" needs node pools, which Huawei CCE does not have; use mode "control-plane" (or "full") to hibernate it',
    });
    // ...and one declaring serverless workloads sleeps them like CCE Autopilot.
    const serverless = as("alibaba", { workloads: true, nodePools: false });
    expect(steps(serverless, "workloads", "wake")).toEqual(steps("autopilot", "workloads", "wake"));
    expect(planSteps(serverless, "full", "sleep")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("Alibaba ACK: it has no hibernate API and no node pools"),
    });
    expect(planSteps(cloud("baidu"), "workloads", "sleep")).toEqual({
      ok: false,
      reason:
        'mode "workloads" is for CCE Autopilot clusters only; for a baidu cluster use "full" or "nodes"',
    });
  });

  it("stepAfter walks the plan", () => {
    const plan = steps("huawei", "control-plane", "sleep");
    expect(stepAfter(plan, "check-cluster")).toBe("hibernate");
    expect(stepAfter(plan, "await-hibernation")).toBe("done");
    expect(stepAfter(plan, "restore-pools")).toBe("done");
  });
});
