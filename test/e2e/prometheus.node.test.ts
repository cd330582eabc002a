// A real Prometheus (Debian's prometheus; `npm test` installs it) scraping the Node service every
// second with the metrics token, as a user configures it (`authorization: { credentials_file }`),
// and its query API answering with what the service did. The service is `startServer` in this
// process on the embedded sandbox clouds, with one schedule putting two Baidu clusters to sleep
// for an hour (the demo clock starts minutes before that night's sleep); once every sleep has finished,
// Prometheus must report exactly the transitions the ledger holds, no unfinished operation, the
// cloud calls and the store latency the service counted. A second job with a wrong token is
// refused (its `up` is 0), so the token really guards the route.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configuredLogger } from "../../functions/compose.ts";
import { type RunningServer, startServer } from "../../functions/server.node.ts";
import { loadConfig } from "../../shared/config/config.ts";
import type { LedgerEntry } from "../../shared/store/backend.ts";
import { type PrometheusServer, startPrometheus } from "../setup/servers.ts";

const TOKEN = "prometheus-e2e-metrics-token-0123456789";
/** Every real-time bound of the test, generous for a loaded 2-core machine. */
const DEADLINE_MS = 25_000;
const SCHEDULE = `name: baidu-nightly
timezone: Asia/Shanghai
targets:
  - providers: [baidu]
    tags: { nightshift: sleep }
sleep:
  - days: mon-sun
    at: "22:00"
wake:
  - days: mon-sun
    at: "23:00"
`;

let dir: string;
let service: RunningServer;
let prometheus: PrometheusServer;
const logLines: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nightshift-prometheus-e2e-"));
  writeFileSync(join(dir, "baidu-nightly.yaml"), SCHEDULE);
  const config = loadConfig({
    PORT: "0",
    NIGHTSHIFT_STORE: `sqlite:${join(dir, "state.db")}`,
    NIGHTSHIFT_SCHEDULES_DIR: dir,
    NIGHTSHIFT_METRICS_TOKEN: TOKEN,
    // The demo clock starts 5 cloud minutes before the sleep: at 120x that is 2.5 real seconds for
    // the first tick to see the clusters awake (a target first seen after its sleep time is left
    // alone), however loaded the machine; the one-hour night fits the demo's minute.
    NIGHTSHIFT_SANDBOX_SPEED: "120",
  });
  const log = configuredLogger(config, { write: (line) => logLines.push(line), format: "json" });
  // A tick every half second: one cloud minute.
  service = await startServer(config, log, { tickSeconds: 0.5 });
  const target = new URL(service.url).host;
  prometheus = await startPrometheus(
    (home) => `
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: nightshift
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: ${join(home, "token")}
    static_configs:
      - targets: ["${target}"]
  - job_name: wrong-token
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials: not-the-metrics-token-0123456789
    static_configs:
      - targets: ["${target}"]
`,
    { token: TOKEN },
  );
}, 30_000);

afterAll(async () => {
  await prometheus?.stop();
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query through Prometheus' HTTP API: the result vector. */
async function query(promql: string): Promise<Vector[]> {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { status: string; data?: { result: Vector[] }; error?: string };
  if (body.status !== "success") throw new Error(`query ${promql}: ${body.error}`);
  return body.data!.result;
}

/** `promql`'s result as label set (the `by` labels) -> number. */
async function values(promql: string, by: string): Promise<Record<string, number>> {
  return Object.fromEntries((await query(promql)).map((v) => [v.metric[by] ?? "", Number(v.value[1])]));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, last: () => unknown): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; last seen: ${JSON.stringify(last())}\nPrometheus: ${prometheus.output().slice(-2000)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The ledger's entries of `kind` per provider (every target here is a Baidu sandbox cluster). */
async function ledgerCount(kind: string): Promise<number> {
  let entries: LedgerEntry[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = await service.runtime.store.ledger.query({ afterSeq, limit: 1000 });
    entries = entries.concat(page.filter((e) => e.kind === kind));
    if (page.length < 1000) return entries.length;
    afterSeq = page.at(-1)!.seq;
  }
}

describe("a real Prometheus scraping GET /metrics", () => {
  it("reports the sleeps the service carried out, its cloud calls and store latency", {
    timeout: 60_000,
  }, async () => {
    // Every sleep of the night has finished: at least one succeeded, none is left unfinished.
    let progress: unknown;
    const slept = await until(
      "the Baidu clusters' sleeps to finish",
      async () => {
        const active = await service.runtime.store.operations.list(
          { status: ["pending", "running", "waiting"] },
          service.runtime.cloudNow(),
        );
        const succeeded = await ledgerCount("sleep.succeeded");
        progress = {
          succeeded,
          active: active.map((op) => `${op.kind} ${op.status} ${op.step} ${op.target}`),
        };
        return succeeded > 0 && active.every((op) => op.kind !== "sleep") ? succeeded : undefined;
      },
      () => progress,
    );
    // The two clusters the schedule selects (web-staging, data-dev) went to sleep.
    expect(slept).toBe(2);
    const failed = await ledgerCount("sleep.failed");

    // Prometheus scraped after that, with the token, and its query API says the same numbers.
    let seen: unknown;
    await until(
      "Prometheus to report the sleeps",
      async () => {
        const transitions = await values(
          'sum by (provider) (nightshift_transitions_total{job="nightshift",kind="sleep"})',
          "provider",
        );
        const failures = await values(
          'sum by (provider) (nightshift_failures_total{job="nightshift",kind="sleep"})',
          "provider",
        );
        seen = { transitions, failures };
        return transitions.baidu === slept && failures.baidu === failed ? true : undefined;
      },
      () => seen,
    );
    expect(
      await values('sum by (kind) (nightshift_operations{job="nightshift",provider="baidu"})', "kind"),
    ).toMatchObject({
      sleep: 0,
    });
    expect(await values('up{job="nightshift"}', "job")).toEqual({ nightshift: 1 });
    expect(await values('nightshift_build_info{job="nightshift"}', "store")).toEqual({ sqlite: 1 });
    const cloud = await values(
      'sum by (provider) (nightshift_cloud_requests_total{job="nightshift"})',
      "provider",
    );
    expect(cloud.baidu).toBeGreaterThan(0);
    const storeCalls = await values(
      'sum by (operation) (nightshift_store_operation_duration_seconds_count{job="nightshift"})',
      "operation",
    );
    expect(storeCalls.put).toBeGreaterThan(0);
    expect(storeCalls.append).toBeGreaterThan(0);
    // The calendar series are there for a schedule with a builtin calendar only: this one has none.
    expect(await query("nightshift_calendar_coverage_remaining_seconds")).toEqual([]);
    // The wrong token's job is refused by the service: Prometheus shows it down, with no series.
    const refused = await until(
      "Prometheus to scrape the wrong-token job",
      async () => {
        const up = await values('up{job="wrong-token"}', "job");
        return "wrong-token" in up ? up : undefined;
      },
      () => prometheus.output().slice(-500),
    );
    expect(refused).toEqual({ "wrong-token": 0 });
    expect(await query('nightshift_build_info{job="wrong-token"}')).toEqual([]);
  });
});
