// The step machine chooses by what the cloud declares (ProviderCapabilities), not by its name: a
// fake of one cloud declaring another's capabilities is treated like the other.
import { describe, expect, it } from "vitest";
import type { Cluster, Provider, ProviderCapabilities, ProviderKind } from "../../shared/providers/port.ts";
import { PROVIDERS } from "../../shared/providers/registry.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore } from "../../shared/store/store.ts";
import { advance } from "./steps.ts";

const NOW = new Date("2026-03-02T12:00:00Z");

/** A cloud whose one cluster is in `phase`; every call is recorded, only getCluster answers. */
function fakeProvider(
  kind: ProviderKind,
  capabilities: Partial<ProviderCapabilities>,
  phase: Cluster["phase"],
) {
  const calls: string[] = [];
  const refuse = (method: string) => () => {
    calls.push(method);
    return Promise.reject(new Error(`${method} is not expected in this test`));
  };
  const provider: Provider = {
    kind,
    account: "acct",
    region: "r1",
    capabilities: { ...PROVIDERS[kind].capabilities, ...capabilities },
    getCluster: async (id) => {
      calls.push("getCluster");
      return {
        provider: kind,
        account: "acct",
        region: "r1",
        id,
        name: id,
        phase,
        vendorPhase: phase,
        tags: {},
      };
    },
    listClusters: refuse("listClusters"),
    hibernate: refuse("hibernate"),
    awake: refuse("awake"),
    listNodePools: refuse("listNodePools"),
    getNodePool: refuse("getNodePool"),
    resizeNodePool: refuse("resizeNodePool"),
    setNodePoolAutoscaling: refuse("setNodePoolAutoscaling"),
    listNodes: refuse("listNodes"),
    issueKubeconfig: refuse("issueKubeconfig"),
    getJob: refuse("getJob"),
  };
  return { provider, calls };
}

async function firstStep(provider: Provider, direction: "sleep" | "wake", mode = "full") {
  const store = createStore(memoryBackend());
  const { operation } = await store.operations.create(
    {
      id: `op-${direction}`,
      target: "acct/c1",
      kind: direction,
      step: "start",
      data: {
        direction,
        mode,
        provider: provider.kind,
        account: "acct",
        clusterId: "c1",
        schedule: "nights",
        slot: `nights:${direction}:2026-03-02T20:00`,
        releaseNodes: false,
        namespaces: [],
      },
    },
    { now: NOW },
  );
  return advance(operation, { store, provider, now: NOW });
}

describe("steps choose by capability", () => {
  it("refuses a sleep that would release instances wherever the cloud declares it, without a call", async () => {
    const releasing = fakeProvider("baidu", { shrinkReleasesInstances: true }, "running");
    const refused = await firstStep(releasing.provider, "sleep");
    expect(refused).toMatchObject({ status: "failed", error: { kind: "invalid" } });
    expect(refused.error?.message).toContain("Baidu CCE releases the instance of every node it removes");
    expect(refused.error?.message).toContain("`releaseNodes: true`");
    expect(releasing.calls).toEqual([]);

    const keeping = fakeProvider("alibaba", { shrinkReleasesInstances: false }, "running");
    expect(await firstStep(keeping.provider, "sleep")).toMatchObject({ status: "running", step: "snapshot" });
    expect(keeping.calls).toEqual(["getCluster"]);
  });

  it("wakes a hibernated cluster through `awake` on any cloud declaring hibernate", async () => {
    const hibernating = fakeProvider("baidu", { hibernate: true }, "hibernated");
    expect(await firstStep(hibernating.provider, "wake")).toMatchObject({ status: "running", step: "awake" });
    const asleep = fakeProvider("baidu", { hibernate: true }, "hibernated");
    expect(await firstStep(asleep.provider, "sleep")).toMatchObject({
      status: "succeeded",
      event: { detail: { reason: "cluster c1 is already hibernated" } },
    });
  });

  it("refuses a mode the declared capabilities do not offer, naming the cloud", async () => {
    const poolless = fakeProvider("huawei", { nodePools: false }, "running");
    const refused = await firstStep(poolless.provider, "sleep", "nodes");
    expect(refused).toMatchObject({ status: "failed", error: { kind: "unsupported" } });
    expect(refused.error?.message).toContain('mode "nodes" needs node pools, which Huawei CCE does not have');
    expect(poolless.calls).toEqual([]);
  });
});
