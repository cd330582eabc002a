// promtool (Prometheus' own checker, from Debian's prometheus package) over a real GET /metrics
// answer from a store holding every kind of series, label values that need escaping included; and
// over the scrape configuration and alert rules docs/metrics.md tells users to copy.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../shared/log/logger.ts";
import { createMetricsRecorder } from "../shared/metrics/recorder.ts";
import type { RenewalState } from "../shared/renewal/state.ts";
import { builtinCalendar } from "../shared/schedule/calendar.ts";
import type { Schedule } from "../shared/schedule/types.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore } from "../shared/store/store.ts";
import { promtool } from "../test/setup/servers.ts";
import { createApp } from "./app.ts";
import { JOBS } from "./jobs.ts";

const NOW = new Date("2026-11-22T20:00:00Z");
const TOKEN = "promtool-metrics-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "nightshift-promtool-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const schedule = (name: string): Schedule => ({
  name,
  source: `schedules/${name}.yaml`,
  enabled: true,
  timezone: "Asia/Shanghai",
  mode: "full",
  enforce: false,
  targets: [{}],
  rules: [],
  calendars: [{ builtin: "cn-mainland" }],
  holidays: "asleep",
  makeupDayAs: "mon",
  exceptions: [],
  graceMinutes: 60,
  minDwellMinutes: 0,
  releaseNodes: false,
  namespaces: [],
});

async function populatedResponse(): Promise<Response> {
  const recorder = createMetricsRecorder();
  const store = createStore(memoryBackend(), { observe: recorder.storeCall });
  const kinds = [
    "sleep.scheduled",
    "sleep.hibernate",
    "sleep.succeeded",
    "wake.failed",
    "resize.cooldown",
    "resize.resize",
    "event.unmatched",
    "renew.succeeded",
    "Not A Plain Kind\n",
  ];
  for (const [i, kind] of kinds.entries()) {
    const target = i % 2 === 0 ? "prod-hw/c1" : "events/alertmanager";
    await store.ledger.append({ at: NOW, operationId: `o${i}`, target, kind, detail: {} });
  }
  for (const [i, kind] of ["sleep", "wake", "resize"].entries())
    await store.operations.create(
      { id: `a${i}`, target: "dev-ali/c2", kind, step: "start", data: {} },
      { now: NOW },
    );
  // Label values a user or a cloud chose: quotes, a backslash, a line feed, non-ASCII.
  const state: RenewalState = {
    target: 'prod-hw/c"1\\x\ny',
    declaration: "ci 证书",
    provider: "huawei",
    account: "prod-hw",
    clusterId: "c1",
    specFingerprint: "f",
    nextAttemptAt: NOW.toISOString(),
    sinks: [],
    updatedAt: NOW.toISOString(),
    certificate: {
      subject: "CN=a",
      issuer: "CN=b",
      serial: "1",
      notBefore: "2026-11-01T00:00:00Z",
      notAfter: "2026-12-01T00:00:00Z",
    },
    renewalTime: "2026-11-25T00:00:00Z",
  };
  await store.renewals.putDue(state.target, state, undefined, null, NOW);
  recorder.httpExchange({ api: "huawei.listClusters", account: "prod-hw", status: 200 });
  recorder.httpExchange({ api: "alibaba.DescribeClustersV1", account: "dev-ali", failure: "timeout" });
  const app = createApp({
    host: "node",
    log: createLogger({ write: () => {} }),
    now: () => NOW,
    inventory: async () => ({ targets: [], errors: [], listedAt: NOW.toISOString() }),
    store,
    schedules: [schedule("office"), schedule('quoted "name"')],
    calendars: new Map([["cn-mainland", builtinCalendar("cn-mainland")]]),
    metrics: {
      token: TOKEN,
      recorder,
      providers: new Map([
        ["prod-hw", "huawei"],
        ["dev-ali", "alibaba"],
      ]),
      operationKinds: JOBS.flatMap((job) => job.kinds),
    },
  });
  return app.request("/metrics", { headers: { Authorization: `Bearer ${TOKEN}` } });
}

/** The fenced block of docs/metrics.md after `<!-- marker -->`. */
function documented(marker: string): string {
  const page = readFileSync(new URL("../docs/metrics.md", import.meta.url), "utf8");
  const match = new RegExp(`<!-- ${marker} -->\\n\`\`\`yaml\\n([\\s\\S]*?)\`\`\``).exec(page);
  if (!match) throw new Error(`docs/metrics.md has no yaml block after <!-- ${marker} -->`);
  return match[1]!;
}

describe("promtool", () => {
  it("finds nothing to fault in a real answer holding every series", async () => {
    const response = await populatedResponse();
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const series of [
      "nightshift_transitions_total",
      "nightshift_store_operation_duration_seconds_bucket",
      "nightshift_certificate_ready_status",
      "nightshift_calendar_coverage_remaining_seconds",
      "nightshift_cloud_requests_total",
      "nightshift_operations{",
    ])
      expect(text).toContain(series);
    expect(text).toContain('target="prod-hw/c\\"1\\\\x\\ny"');
    expect(promtool(["check", "metrics"], text)).toEqual({ status: 0, output: "" });
  });

  it("does fault what breaks the format or its conventions (the check is real)", () => {
    const broken = promtool(
      ["check", "metrics"],
      "# HELP a_seconds A.\n# TYPE a_seconds counter\na_seconds 1\n",
    );
    expect(broken.status).not.toBe(0);
    expect(broken.output).toContain('should have "_total" suffix');
    expect(promtool(["check", "metrics"], 'x{a="unterminated} 1\n').status).not.toBe(0);
  });

  it("accepts the scrape configuration docs/metrics.md gives, its token file in place", () => {
    const tokenFile = join(dir, "nightshift-metrics-token");
    writeFileSync(tokenFile, TOKEN, { mode: 0o400 });
    const config = documented("scrape-config");
    expect(config).toContain("/etc/prometheus/nightshift-metrics-token");
    writeFileSync(
      join(dir, "prometheus.yml"),
      config.replace("/etc/prometheus/nightshift-metrics-token", tokenFile),
    );
    const checked = promtool(["check", "config", join(dir, "prometheus.yml")]);
    expect(checked.output).toContain("SUCCESS");
    expect(checked.status).toBe(0);
  });

  it("accepts the alert rules docs/metrics.md gives", () => {
    writeFileSync(join(dir, "rules.yml"), documented("alert-rules"));
    const checked = promtool(["check", "rules", join(dir, "rules.yml")]);
    expect(checked.output).toContain("SUCCESS: 5 rules found");
    expect(checked.status).toBe(0);
  });
});
