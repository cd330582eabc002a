// Contract, on both hosts (Node and inside workerd): CCE Autopilot's workloads mode without a
// client certificate. With no mutual-TLS access (`kube` absent, as on the Workers host) the steps
// reach each cluster's Kubernetes API through the API gateway, signed with the account's AK/SK
// (`https://{clusterid}.{Endpoint}/{uri}`; the sandbox's single-host form `/clusters/{id}/{uri}`),
// and a whole night scales the chosen namespaces to 0 and back to exactly their replicas.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AutopilotWorkload, type NightHarness, startNightHarness } from "./sleepwake-harness.ts";

interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  accessKeyId?: string;
}

let night: NightHarness;

beforeEach(async () => {
  night = await startNightHarness({ seed: 23 });
});
afterEach(async () => {
  await night.stop();
});

describe("Autopilot workloads mode through the API gateway (no client certificate)", () => {
  it("sleeps the chosen namespaces to 0 and wakes them to exactly their replicas, every call signed", async () => {
    const account = night.account("autopilot", "dev-cn-north-4");
    const provider = night.provider(account.id);
    const clusterId = (await provider.listClusters()).find((c) => c.name === "ap-dev-web")!.id;
    const before = await night.autopilotWorkloads(clusterId);
    const namespaces = [...new Set(before.map((w) => w.namespace).filter((ns) => ns !== "kube-system"))];
    const inChosen = (w: AutopilotWorkload) => namespaces.includes(w.namespace);
    expect(before.filter((w) => inChosen(w) && w.replicas > 0).length).toBeGreaterThan(0);
    const fields = {
      mode: "workloads",
      provider: "autopilot",
      account: account.id,
      clusterId,
      namespaces,
    } as const;

    const sleep = await night.createOperation({ ...fields, direction: "sleep" });
    expect((await night.runUntilFinished(sleep.id)).status).toBe("succeeded");
    for (const w of await night.autopilotWorkloads(clusterId)) {
      if (inChosen(w)) expect(w).toMatchObject({ replicas: 0, running: 0 });
      else expect(w).toEqual(before.find((b) => b.name === w.name && b.namespace === w.namespace));
    }

    const wake = await night.createOperation({ ...fields, direction: "wake" });
    expect((await night.runUntilFinished(wake.id)).status).toBe("succeeded");
    expect(await night.autopilotWorkloads(clusterId)).toEqual(before);

    // Every Kubernetes call went through the gateway, signed with the account's key; no kubeconfig
    // was issued.
    const requests = (await night.sb.inspect("autopilot", "GET", "requests")).requests as LoggedRequest[];
    const kube = requests.filter((r) => r.path.startsWith(`/clusters/${clusterId}/apis/apps/v1/`));
    expect(kube.some((r) => r.method === "PATCH" && r.path.endsWith("/scale"))).toBe(true);
    expect(kube.every((r) => r.accessKeyId === account.accessKeyId)).toBe(true);
    expect(kube.filter((r) => r.status >= 300)).toEqual([]);
    expect(requests.filter((r) => r.path.endsWith("/clustercert"))).toEqual([]);
  });

  it("is refused without the account's signature (401) and for a cluster of another account (404)", async () => {
    const dev = night.account("autopilot", "dev-cn-north-4");
    const qa = night.accounts.find(
      (a) => a.vendor === "autopilot" && a.id !== dev.id && !a.id.startsWith("sandbox-autopilot-dev"),
    )!;
    const clusterId = (await night.provider(dev.id).listClusters())[0]!.id;
    const path = `${night.sb.autopilot.endpoint}/clusters/${clusterId}/apis/apps/v1/namespaces/kube-system/deployments`;
    const unsigned = await fetch(path, { headers: { "content-type": "application/json" } });
    expect(unsigned.status).toBe(401);

    const foreign = night.provider(qa.id).kubernetes!(clusterId);
    await expect(foreign.listWorkloads("kube-system")).rejects.toMatchObject({
      kind: "not-found",
      status: 404,
    });
    const own = night.provider(dev.id).kubernetes!(clusterId);
    expect((await own.listWorkloads("kube-system")).map((w) => w.name)).toEqual(["coredns"]);
  });
});
