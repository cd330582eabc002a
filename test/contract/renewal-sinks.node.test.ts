// Contract (Node host only): renewal's deliveries outside the store, and the delivered credential at
// work. A CCE Autopilot kubeconfig renewed on the sandbox CA is written by the file sink (atomically,
// mode 0600) and POSTed to a real HTTP receiver, whose Standard Webhooks signature the reference
// implementation (npm `standardwebhooks`) verifies; the delivered kubeconfig then authenticates to
// the Autopilot sandbox's Kubernetes API through `@kubernetes/client-node`. A file sink refused
// (its path a planted symlink) is delivered later from the vault without a new issuance.

import { lstat, mkdtemp, readFile, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, KubeConfig } from "@kubernetes/client-node";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseKubeconfig } from "../../shared/kubeconfig/kubeconfig.ts";
import { assertNoKeyMaterial } from "../../shared/renewal/key-material.ts";
import { fileSink } from "../../shared/renewal/sinks/file.node.ts";
import { clusterOf, type RenewalHarness, startRenewalHarness, WEBHOOK_SECRET } from "./renewal-harness.ts";

let h: RenewalHarness;
let dir: string;
let server: Server;
let hookUrl: string;
const received: Array<{ headers: Record<string, string>; body: string }> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nightshift-renewal-"));
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push({ headers: request.headers as Record<string, string>, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/kubeconfig`;
  // The sandbox starts at the real time: its Kubernetes API checks client certificates against
  // the real clock during the TLS handshake.
  h = await startRenewalHarness({
    seed: 13,
    fileSink: ({ name, path }) => fileSink({ name, path, allowedDirectory: dir }),
    fetch: (url, init) => globalThis.fetch(url, init),
  });
});
afterAll(async () => {
  await h.stop();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("renewal's sinks on the Node host", () => {
  it("writes the file (0600) and posts a signed webhook; the kubeconfig opens the cluster's Kubernetes API", async () => {
    const ap = await clusterOf(h, "autopilot", "dev-cn-north-4", "ap-dev-web");
    const path = join(dir, "ap-dev-web.yaml");
    h.declare({
      kind: "renewal",
      name: "ap-ci",
      targets: [{ accounts: [ap.account], providers: ["autopilot"], names: ["ap-dev-web"] }],
      duration: "1d",
      sinks: [
        { type: "store" },
        { type: "file", path },
        { type: "webhook", url: hookUrl, secretRef: "RENEWAL_HOOK_SECRET" },
      ],
    });
    await h.tick();
    const state = (await h.state(ap.target))!;
    expect(state.sinks.map((s) => [s.sink, s.status])).toEqual([
      ["store", "delivered"],
      ["file-2", "delivered"],
      ["webhook-3", "delivered"],
    ]);
    const stored = (await (await h.vault()).get(ap.target, h.now()))!.plaintext;
    expect(await readFile(path, "utf8")).toBe(stored);
    expect((await lstat(path)).mode & 0o777).toBe(0o600);

    expect(received).toHaveLength(1);
    const verified = new Webhook(WEBHOOK_SECRET).verify(received[0]!.body, received[0]!.headers) as {
      type: string;
      data: { kubeconfig: string; certificate: { serial: string } };
    };
    expect(verified.type).toBe("nightshift.kubeconfig.renewed");
    expect(verified.data.kubeconfig).toBe(stored);
    expect(verified.data.certificate.serial).toBe(state.certificate!.serial);

    // The delivered credential works, read by a client nobody here wrote.
    const kc = new KubeConfig();
    kc.loadFromString(await readFile(path, "utf8"));
    const apps = kc.makeApiClient(AppsV1Api);
    const workloads = (await h.sb.inspect("autopilot", "GET", "state")).state.clusters.find(
      (c: { cluster: { metadata: { uid: string } } }) => c.cluster.metadata.uid === ap.clusterId,
    ).workloads as Array<{ kind: string; namespace: string; name: string }>;
    const namespace = workloads.find(
      (w) => w.kind === "Deployment" && w.namespace !== "kube-system",
    )!.namespace;
    const listed = await apps.listNamespacedDeployment({ namespace });
    expect(listed.items.map((d) => d.metadata?.name).sort()).toEqual(
      workloads
        .filter((w) => w.kind === "Deployment" && w.namespace === namespace)
        .map((w) => w.name)
        .sort(),
    );
    assertNoKeyMaterial({
      lines: h.lines,
      payloads: [h.events, await h.store.ledger.query({ limit: 1000 })],
    });
  });

  it("refuses a planted symlink, then delivers the same credential once it is gone, without issuing again", async () => {
    h.reset();
    const ap = await clusterOf(h, "autopilot", "dev-cn-north-4", "ap-dev-web");
    const path = join(dir, "planted.yaml");
    const elsewhere = join(dir, "elsewhere.txt");
    await writeFile(elsewhere, "not yours");
    await symlink(elsewhere, path);
    h.declare({
      kind: "renewal",
      name: "ap-ci-file",
      targets: [{ accounts: [ap.account], providers: ["autopilot"], names: ["ap-dev-web"] }],
      duration: "1d",
      sinks: [{ type: "store" }, { type: "file", path }],
    });
    await h.tick();
    const state = (await h.state(ap.target))!;
    const file = state.sinks.find((s) => s.sink === "file-2")!;
    expect(file).toMatchObject({ status: "failing", lastFailure: { reason: "rejected-path" } });
    expect(await readFile(elsewhere, "utf8")).toBe("not yours");
    const issued = await h.store.ledger.query({ target: ap.target, limit: 1000 });

    await unlink(path);
    await h.advanceTo(new Date(file.nextRetryAt!));
    await h.tick();
    const after = (await h.state(ap.target))!;
    expect(after.sinks.find((s) => s.sink === "file-2")).toMatchObject({
      status: "delivered",
      lastDelivery: { serial: state.certificate!.serial },
    });
    expect(parseKubeconfig(await readFile(path, "utf8")).certificate.serial).toBe(state.certificate!.serial);
    const ledger = await h.store.ledger.query({ target: ap.target, limit: 1000 });
    expect(ledger.filter((e) => e.kind === "renew.issued")).toHaveLength(
      issued.filter((e) => e.kind === "renew.issued").length,
    );
    expect(ledger.map((e) => e.kind)).toContain("renew.redelivered");
  });
});
