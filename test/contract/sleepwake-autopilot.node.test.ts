// Contract (Node host only): CCE Autopilot's workloads mode over whole nights. The Deployments and
// StatefulSets of the chosen namespaces go to 0 through the cluster's Kubernetes API (mutual TLS,
// with a kubeconfig the step machine issues for 1 day) and come back to exactly their replicas;
// other namespaces are untouched; a workload scaled by hand while asleep is left as it is.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createKubernetesAccess,
  type NodeKubernetesAccess,
} from "../../functions/sleepwake/kubernetes-access.node.ts";
import { advance } from "../../functions/sleepwake/steps.ts";
import { createKubernetesClient } from "../../shared/providers/kubernetes.node.ts";
import { type AutopilotWorkload, type NightHarness, startNightHarness } from "./sleepwake-harness.ts";

let night: NightHarness;
let kube: NodeKubernetesAccess;

// A fresh sandbox per test: its clock starts at the real time, so the client certificates it
// issues are valid by the real clock too (the TLS handshake checks that).
beforeEach(async () => {
  kube = createKubernetesAccess({
    client: { http: { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, sleep: async () => {} } },
  });
  night = await startNightHarness({ seed: 11, kube });
});
afterEach(async () => {
  await kube.close();
  await night.stop();
});

async function cluster(name: string) {
  const account = night.account("autopilot", "dev-cn-north-4").id;
  const provider = night.provider(account);
  const found = (await provider.listClusters()).find((c) => c.name === name);
  if (!found) throw new Error(`no autopilot cluster ${name}`);
  return { account, provider, clusterId: found.id };
}

const kinds = async (id: string) => (await night.ledger(id)).map((e) => e.kind);

/** Runs a sleep operation to its end. */
async function sleepNight(fields: Omit<Parameters<NightHarness["createOperation"]>[0], "direction">) {
  const sleep = await night.createOperation({ ...fields, direction: "sleep" });
  const slept = await night.runUntilFinished(sleep.id);
  return { sleep, slept };
}

describe("Autopilot workloads mode, whole nights", () => {
  it("scales the chosen namespaces' workloads to 0 and back to exactly their replicas", async () => {
    const { account, clusterId } = await cluster("ap-dev-web");
    const before = await night.autopilotWorkloads(clusterId);
    const namespaces = [...new Set(before.map((w) => w.namespace).filter((ns) => ns !== "kube-system"))];
    const chosen = namespaces.slice(0, 2);
    const inChosen = (w: AutopilotWorkload) => chosen.includes(w.namespace);
    const running = before.filter((w) => inChosen(w) && w.replicas > 0);
    expect(running.length).toBeGreaterThan(0);
    const clustercertsBefore = (await night.sb.inspect("autopilot", "GET", "requests")).requests.filter(
      (r: { path: string }) => r.path.endsWith("/clustercert"),
    ).length;

    const fields = {
      mode: "workloads",
      provider: "autopilot",
      account,
      clusterId,
      namespaces: chosen,
    } as const;
    const { sleep, slept } = await sleepNight(fields);
    expect(slept.status).toBe("succeeded");
    const asleep = await night.autopilotWorkloads(clusterId);
    for (const w of asleep) {
      const was = before.find((b) => b.kind === w.kind && b.namespace === w.namespace && b.name === w.name)!;
      if (inChosen(w)) expect(w).toMatchObject({ replicas: 0, running: 0 });
      else expect(w).toEqual(was); // other namespaces (kube-system included) untouched
    }
    expect((await kinds(sleep.id)).filter((k) => k === "sleep.scale-workload")).toHaveLength(running.length);
    const snapshot = await night.store.snapshots.get(`${account}/${clusterId}`, night.now());
    expect(snapshot?.value.data.workloads).toHaveLength(before.filter(inChosen).length);

    const wake = await night.createOperation({ ...fields, direction: "wake" });
    expect((await night.runUntilFinished(wake.id)).status).toBe("succeeded");
    expect(await night.autopilotWorkloads(clusterId)).toEqual(before);
    expect((await kinds(wake.id)).filter((k) => k === "wake.restore-workload")).toHaveLength(running.length);
    expect(await night.store.snapshots.get(`${account}/${clusterId}`, night.now())).toBeUndefined();

    // One kubeconfig (validity 1 day) served the whole night; its key never reached the store.
    const clustercerts = (await night.sb.inspect("autopilot", "GET", "requests")).requests.filter(
      (r: { path: string }) => r.path.endsWith("/clustercert"),
    );
    expect(clustercerts.length - clustercertsBefore).toBe(1);
    const stored = JSON.stringify([
      await night.store.operations.get(sleep.id, night.now()),
      await night.store.operations.get(wake.id, night.now()),
      await night.ledger(sleep.id),
      await night.ledger(wake.id),
    ]);
    expect(stored).not.toMatch(/client-key-data|PRIVATE KEY/);
  });

  it("leaves a workload scaled by hand while asleep as it is, and records the conflict", async () => {
    const { account, provider, clusterId } = await cluster("ap-dev-data");
    const before = await night.autopilotWorkloads(clusterId);
    const namespaces = [...new Set(before.map((w) => w.namespace).filter((ns) => ns !== "kube-system"))];
    const fields = { mode: "workloads", provider: "autopilot", account, clusterId, namespaces } as const;
    const { slept } = await sleepNight(fields);
    expect(slept.status).toBe("succeeded");

    const touched = before.find((w) => w.namespace !== "kube-system" && w.replicas !== 2)!;
    const human = createKubernetesClient(await provider.issueKubeconfig(clusterId, 1));
    try {
      await human.setScale({ kind: touched.kind, namespace: touched.namespace, name: touched.name }, 2);
    } finally {
      await human.close();
    }
    await night.advanceClock(300);

    const wake = await night.createOperation({ ...fields, direction: "wake" });
    expect((await night.runUntilFinished(wake.id)).status).toBe("succeeded");
    const after = await night.autopilotWorkloads(clusterId);
    const key = (w: AutopilotWorkload) => `${w.kind}/${w.namespace}/${w.name}`;
    expect(after.find((w) => key(w) === key(touched))).toMatchObject({ replicas: 2, running: 2 });
    expect(after.filter((w) => key(w) !== key(touched))).toEqual(
      before.filter((w) => key(w) !== key(touched)),
    );
    const conflicts = (await night.ledger(wake.id)).filter((e) => e.kind === "wake.conflict");
    expect(conflicts.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        resource: "workload",
        id: key(touched),
        before: { left: 0, snapshot: touched.replicas },
        after: { found: 2 },
      }),
    ]);
    expect(night.events.at(-1)?.detail.conflicts).toHaveLength(1);
  });

  it("a restore step run twice (crash before the store write) scales each workload once", async () => {
    const { account, provider, clusterId } = await cluster("ap-dev-web");
    const before = await night.autopilotWorkloads(clusterId);
    const namespaces = [...new Set(before.map((w) => w.namespace).filter((ns) => ns !== "kube-system"))];
    const fields = { mode: "workloads", provider: "autopilot", account, clusterId, namespaces } as const;
    await sleepNight(fields);
    const wake = await night.createOperation({ ...fields, direction: "wake" });
    const op = await night.runUntilStep(wake.id, "restore-workloads");
    const deps = { store: night.store, provider, kube, now: night.now() };
    const first = await advance(op, deps);
    const second = await advance(op, deps);
    const restored = (r: typeof first) =>
      r.ledger.filter((e) => e.kind === "wake.restore-workload").map((e) => e.detail.workload);
    expect(restored(first)).toHaveLength(1);
    expect(restored(second)).not.toContain(restored(first)[0]);
    expect(second.ledger.filter((e) => e.kind === "wake.conflict")).toEqual([]);
    await night.store.operations.update(
      op.id,
      op.version,
      { status: second.status, step: second.step, data: second.data, clear: ["nextAttemptAt"] },
      { now: night.now() },
    );
    expect((await night.runUntilFinished(wake.id)).status).toBe("succeeded");
    expect(await night.autopilotWorkloads(clusterId)).toEqual(before);
  });

  it("fails clearly when the schedule names no namespaces", async () => {
    const { account, clusterId } = await cluster("ap-dev-web");
    const sleep = await night.createOperation({
      direction: "sleep",
      mode: "workloads",
      provider: "autopilot",
      account,
      clusterId,
      namespaces: [],
    });
    const failed = await night.runUntilFinished(sleep.id);
    expect(failed).toMatchObject({ status: "failed", error: { kind: "invalid" } });
    expect(failed.error?.message).toContain("list them under `namespaces:`");
  });
});
