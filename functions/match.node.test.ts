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
    return { clusterId: cluster.id, batch: batch.desired };
  } finally {
    await sandbox.stop();
  }
}

async function match(stdin: string, args: string[] = []) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const previous = { ...process.env };
  process.env.NIGHTSHIFT_SCHEDULES_DIR = dir;
  process.env.NIGHTSHIFT_STORE = "memory";
  try {
    const code = await runMatch(args, stdin, {
      stdout: (l) => stdout.push(l),
      stderr: (l) => stderr.push(l),
    });
    return { code, stdout, stderr };
  } finally {
    process.env = previous;
  }
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
    ]);
  });

  it("says what is missing, and refuses input that is not an event, naming the field", async () => {
    const event = { source: "events", id: "m-1", type: "cluster.wake", labels: {}, data: {} };
    expect((await match(JSON.stringify([event]))).stdout).toEqual([
      "events m-1 (cluster.wake):",
      "  grow-batch: no match: source events is not alertmanager",
      "  wake-qa: no target: the event does not name the target's account (label or data field account), cluster (label or data field cluster)",
    ]);
    const bad = await match(JSON.stringify({ source: "pagerduty", id: "x", type: "t" }));
    expect(bad.code).toBe(2);
    expect(bad.stderr[0]).toMatch(/^nightshift match: source: /);
    expect((await match("not json")).code).toBe(2);
    expect((await match("{}", ["--format", "nope"])).stderr[0]).toBe(
      'nightshift match: --format must be one of inbound (got "nope")',
    );
  });
});
