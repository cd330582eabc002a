// `nightshift match` against the built-in sandbox (no account configured): what each rule would do
// with a sample event, and why, deciding on the pool as the cloud shows it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createHttpClient } from "../shared/http/client.ts";
import { createProvider } from "../shared/providers/registry.ts";
import { sandboxAccounts } from "../shared/sandbox/accounts.ts";
import { startSandbox } from "../shared/sandbox/server.node.ts";
import { openStore } from "../shared/store/open.node.ts";
import { runMatch } from "./match.node.ts";

const dir = mkdtempSync(join(tmpdir(), "nightshift-match-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  join(dir, "rules.yaml"),
  `kind: resize
name: grow-batch
match: { source: alertmanager, type: BatchBacklog }
target: { account: sandbox-huawei-platform-dev-cn-north-4 }
action: { add: 20 }
max: 7
---
kind: resize
name: wake-qa
match: { source: events, type: cluster.wake }
action: wake
---
kind: resize
name: ci-grows-batch
match: { source: eventbridge, type: CI Backlog, data: { queue: "e2e-*" } }
target: { account: sandbox-huawei-platform-dev-cn-north-4, pool: batch }
action: { set: 1 }
min: 2
`,
);

/** The embedded sandbox's dev-core cluster (its fleet is the same every run: seed 1). */
async function devCore() {
  const sandbox = await startSandbox({ basePort: 0, speed: 0 });
  try {
    const account = sandboxAccounts(sandbox.description).find(
      (a) => a.id === "sandbox-huawei-platform-dev-cn-north-4",
    )!;
    const http = createHttpClient({ fetch: (input, init) => fetch(input, init) });
    const provider = createProvider(account, {
      http,
      now: () => sandbox.sandbox.clock.now(),
      nonce: () => crypto.randomUUID(),
    });
    const cluster = (await provider.listClusters()).find((c) => c.name === "dev-core")!;
    const batch = (await provider.listNodePools(cluster.id)).find((p) => p.name === "batch")!;
    return { clusterId: cluster.id, batch: batch.desired, batchId: batch.id };
  } finally {
    await sandbox.stop();
  }
}

async function match(stdin: string, args: string[] = [], store = "memory") {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runMatch(args, stdin, {
    stdout: (l) => stdout.push(l),
    stderr: (l) => stderr.push(l),
    env: { NIGHTSHIFT_SCHEDULES_DIR: dir, NIGHTSHIFT_STORE: store },
  });
  return { code, stdout, stderr };
}

describe("nightshift match", () => {
  it("prints each rule's verdict and the decision on the pool as it is", async () => {
    const { clusterId, batch } = await devCore();
    const event = {
      source: "alertmanager",
      id: "a-1",
      type: "BatchBacklog",
      status: "firing",
      labels: { cluster: clusterId, pool: "batch" },
      data: {},
      occurredAt: "2026-03-02T10:00:00Z",
      origin: {},
    };
    const { code, stdout, stderr } = await match(JSON.stringify(event));
    expect({ code, stderr }).toEqual({ code: 0, stderr: [] });
    expect(stdout).toEqual([
      "alertmanager a-1 (BatchBacklog, firing):",
      `  grow-batch: resize: node pool batch: ${batch}→7 (rule grow-batch, add 20, asked for ${batch + 20}, clamped to max 7)`,
      "  wake-qa: no match: source alertmanager is not events",
      "  ci-grows-batch: no match: source alertmanager is not eventbridge",
    ]);
  });

  it("says what is missing, and refuses input that is not an event, naming the field", async () => {
    const event = { source: "events", id: "m-1", type: "cluster.wake", labels: {}, data: {} };
    expect((await match(JSON.stringify([event]))).stdout).toEqual([
      "events m-1 (cluster.wake):",
      "  grow-batch: no match: source events is not alertmanager",
      "  wake-qa: no target: the event does not name the target's account (label or data field account), cluster (label or data field cluster)",
      "  ci-grows-batch: no match: source events is not eventbridge",
    ]);
    const bad = await match(JSON.stringify({ source: "pagerduty", id: "x", type: "t" }));
    expect(bad.code).toBe(2);
    expect(bad.stderr[0]).toMatch(/^nightshift match: source: /);
    expect((await match("not json")).code).toBe(2);
    expect((await match("{}", ["--format", "nope"])).stderr[0]).toBe(
      'nightshift match: --format must be one of alertmanager, events, eventbridge, inbound (got "nope")',
    );
  });

  it("reads the webhook routes' own formats: an Alertmanager payload, a signed event's body, an EventBridge envelope", async () => {
    const { clusterId, batch } = await devCore();
    const alertmanager = {
      version: "4",
      groupKey: '{}:{alertname="BatchBacklog"}',
      truncatedAlerts: 0,
      status: "firing",
      receiver: "nightshift",
      groupLabels: { alertname: "BatchBacklog" },
      commonLabels: { alertname: "BatchBacklog", cluster: clusterId },
      commonAnnotations: {},
      externalURL: "http://alertmanager:9093",
      alerts: [
        ["firing", "batch", "0000000000000001"],
        ["resolved", "batch", "0000000000000002"],
      ].map(([status, pool, fingerprint]) => ({
        status,
        labels: { alertname: "BatchBacklog", pool },
        annotations: {},
        startsAt: "2026-03-02T09:00:00Z",
        endsAt: status === "resolved" ? "2026-03-02T09:30:00Z" : "0001-01-01T00:00:00Z",
        generatorURL: "",
        fingerprint,
      })),
    };
    const fromAlertmanager = await match(JSON.stringify(alertmanager), ["--format", "alertmanager"]);
    expect(fromAlertmanager.code).toBe(0);
    // One event per alert, its id the route's digest; the resolved one does not match a rule without revert.
    expect(fromAlertmanager.stdout).toEqual([
      expect.stringMatching(/^alertmanager [0-9a-f]{64} \(BatchBacklog, firing\):$/),
      `  grow-batch: resize: node pool batch: ${batch}→7 (rule grow-batch, add 20, asked for ${batch + 20}, clamped to max 7)`,
      "  wake-qa: no match: source alertmanager is not events",
      "  ci-grows-batch: no match: source alertmanager is not eventbridge",
      expect.stringMatching(/^alertmanager [0-9a-f]{64} \(BatchBacklog, resolved\):$/),
      "  grow-batch: no match: the alert resolved and the rule acts on firing alerts (without revert)",
      "  wake-qa: no match: source alertmanager is not events",
      "  ci-grows-batch: no match: source alertmanager is not eventbridge",
    ]);

    const signed = { type: "cluster.wake", data: { cluster: clusterId } };
    const fromSigned = await match(JSON.stringify(signed), ["--format", "events"]);
    expect(fromSigned.stdout).toEqual([
      "events stdin (cluster.wake):",
      "  grow-batch: no match: source events is not alertmanager",
      "  wake-qa: no target: the event does not name the target's account (label or data field account)",
      "  ci-grows-batch: no match: source events is not eventbridge",
    ]);

    const envelope = {
      version: "0",
      id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
      "detail-type": "CI Backlog",
      source: "com.example.ci",
      account: "111122223333",
      time: "2026-03-02T09:00:00Z",
      region: "eu-central-1",
      resources: [],
      detail: { queue: "e2e-nightly", cluster: clusterId },
    };
    const fromEventBridge = await match(JSON.stringify(envelope), ["--format", "eventbridge"]);
    expect(fromEventBridge.stdout).toEqual([
      "eventbridge 6a7e8feb-b491-4cf7-a9f1-bf3703467718 (CI Backlog):",
      "  grow-batch: no match: source eventbridge is not alertmanager",
      "  wake-qa: no match: source eventbridge is not events",
      `  ci-grows-batch: resize: node pool batch: ${batch}→2 (rule ci-grows-batch, set 1, asked for 1, clamped to min 2)`,
    ]);
    const otherQueue = await match(
      JSON.stringify({ ...envelope, detail: { ...envelope.detail, queue: "unit" } }),
      ["--format", "eventbridge", "--json"],
    );
    expect(JSON.parse(otherQueue.stdout[0]!).rules[2]).toMatchObject({
      rule: "ci-grows-batch",
      matched: false,
      outcome: "no match",
    });
  });

  it("says when the pool is in its cooldown", async () => {
    const { clusterId, batchId } = await devCore();
    const file = join(dir, "cooldown.db");
    const store = await openStore({ kind: "sqlite", path: file });
    const target = `sandbox-huawei-platform-dev-cn-north-4/${clusterId}`;
    // The pool was resized a minute ago (grow-batch's cooldown is the default 5 minutes).
    const resizedAt = new Date(Date.now() - 60_000).toISOString();
    await store.pools.put(
      `${target}/${batchId}`,
      { lastResizeAt: resizedAt, lastDirection: "up", lastRule: "grow-batch" },
      null,
      new Date(),
    );
    await store.close();
    const event = {
      source: "alertmanager",
      id: "c-1",
      type: "BatchBacklog",
      status: "firing",
      labels: { cluster: clusterId, pool: "batch" },
    };
    const { code, stdout } = await match(JSON.stringify(event), [], `sqlite:${file}`);
    expect(code).toBe(0);
    const until = new Date(Date.parse(resizedAt) + 5 * 60_000).toISOString();
    expect(stdout[1]).toBe(
      `  grow-batch: cooldown: node pool batch was resized at ${resizedAt} (rule grow-batch); rule grow-batch's cooldown of 5 min lasts until ${until}`,
    );
  });

  it("refuses a payload its format does not read, naming every field", async () => {
    const refused = await match(JSON.stringify({ version: "4", alerts: [] }), ["--format", "alertmanager"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr[0]).toMatch(
      /^nightshift match: groupKey: is required \(string\); .*alerts: must hold at least one alert.* \(expected Alertmanager's webhook payload, version 4\)$/,
    );
    const signed = await match(JSON.stringify({ data: {} }), ["--format", "events"]);
    expect(signed.stderr[0]).toMatch(
      /^nightshift match: type: is required \(string\) \(expected a signed event's body/,
    );
    const envelope = await match(JSON.stringify({ detail: {} }), ["--format", "eventbridge"]);
    expect(envelope.stderr[0]).toMatch(/^nightshift match: version: is required/);
  });
});
