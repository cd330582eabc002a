// `BENCH_ONLY=dashboard npm run bench`: the dashboard's server time with a big fleet. 1,000 targets
// over 10 accounts and 10 schedules, a store holding what a month of nights leaves (target states,
// 20 finished operations and 40 ledger entries per target, some operations in flight, a renewal
// state each), on the memory store and on SQLite. Timed: `GET /` (the fleet) and `GET /targets/{id}`
// through `app.request` (server time, no socket), signed in as a browser is.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../functions/app.ts";
import { createLogger } from "../../shared/log/logger.ts";
import type { Inventory, Target } from "../../shared/providers/inventory.ts";
import { newRenewalState } from "../../shared/renewal/planning.ts";
import type { Renewal } from "../../shared/renewal/renewal-schema.ts";
import { updateRenewalState } from "../../shared/renewal/state.ts";
import type { Rates } from "../../shared/savings/rates-schema.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { sqliteBackend } from "../../shared/store/sqlite.node.ts";
import { createStore, type Store } from "../../shared/store/store.ts";
import { testSchedule } from "../fixtures/schedule.ts";

const NOW = new Date("2026-11-22T12:00:00Z");
const DAY = 86_400_000;
const TOKEN = "bench-dashboard-token-0123456789abcdef";

export interface DashboardFigures {
  store: string;
  targets: number;
  operations: number;
  ledger: number;
  fleet: { p50: number; p99: number; bytes: number };
  target: { p50: number; p99: number; bytes: number };
}

function fleet(count: number): Inventory {
  const targets: Target[] = Array.from({ length: count }, (_, i) => ({
    targetId: `acc${i % 10}/cluster-${i}`,
    provider: (["huawei", "alibaba", "baidu", "autopilot"] as const)[i % 4]!,
    account: `acc${i % 10}`,
    region: "cn-north-4",
    id: `cluster-${i}`,
    name: `team-${i % 37}-cluster-${i}`,
    phase: i % 3 === 0 ? "hibernated" : "running",
    vendorPhase: "Available",
    tags: { team: `team-${i % 37}` },
    nodePools: [{ id: "p1", name: "pool", desired: 3, ready: 3, phase: "stable", vendorPhase: "Active" }],
  }));
  return { targets, errors: [], listedAt: NOW.toISOString() };
}

const schedules = Array.from({ length: 10 }, (_, i) =>
  testSchedule({
    name: `office-${i}`,
    timezone: i % 2 === 0 ? "Asia/Shanghai" : "Europe/Berlin",
    targets: [{ accounts: [`acc${i}`] }],
    rules: [
      { to: "awake", days: ["mon", "tue", "wed", "thu", "fri"], at: "08:00" },
      { to: "asleep", days: ["mon", "tue", "wed", "thu", "fri"], at: "20:00" },
    ],
  }),
);

/** Every target priced, so the fleet's savings are computed (then kept 10 minutes: timeline-section.ts). */
const rates: Rates = {
  kind: "rates",
  name: "all",
  source: "schedules/rates.yaml",
  currency: "CNY",
  teamTag: "team",
  targets: [{ accounts: Array.from({ length: 10 }, (_, i) => `acc${i}`) }],
  cluster: 0.5,
  pools: [{ match: { name: "*" }, rate: { perNode: 0.9 } }],
};

const renewal: Renewal = {
  kind: "renewal",
  name: "all",
  source: "schedules/renewal.yaml",
  enabled: true,
  targets: [{ accounts: Array.from({ length: 10 }, (_, i) => `acc${i}`) }],
  durationMinutes: 30 * 24 * 60,
  renewBefore: { percentage: 100 / 3 },
  sinks: [{ type: "store" }],
};

async function seed(store: Store, inventory: Inventory): Promise<{ operations: number; ledger: number }> {
  let operations = 0;
  let ledger = 0;
  const work = inventory.targets.map(async (target, t) => {
    await store.targets.put(
      target.targetId,
      {
        lastTransition: {
          to: "awake",
          at: new Date(NOW.getTime() - 4 * 3600_000).toISOString(),
          by: "schedule",
        },
        ...(t % 50 === 0 ? { snoozeUntil: new Date(NOW.getTime() + 3600_000).toISOString() } : {}),
      },
      null,
      NOW,
    );
    for (let n = 0; n < 20; n++) {
      const at = new Date(NOW.getTime() - (20 - n) * DAY + t);
      await store.operations.create(
        {
          id: `${n % 2 === 0 ? "sleep" : "wake"}:${n}:${target.targetId}`,
          target: target.targetId,
          kind: n % 2 === 0 ? "sleep" : "wake",
          step: "done",
          data: { pools: { p1: { desired: 3 } } },
          status: n === 19 && t % 25 === 0 ? "failed" : "succeeded",
        },
        { now: at },
      );
      operations++;
      for (const kind of ["started", "succeeded"]) {
        await store.ledger.append({
          at,
          operationId: `${n}:${target.targetId}`,
          target: target.targetId,
          kind: `${n % 2 === 0 ? "sleep" : "wake"}.${kind}`,
          detail: { pools: 1 },
        });
        ledger++;
      }
    }
    if (t % 20 === 0) {
      await store.operations.create(
        {
          id: `live:${target.targetId}`,
          target: target.targetId,
          kind: "sleep",
          step: "await",
          data: {},
          status: "waiting",
        },
        { now: NOW },
      );
      operations++;
    }
    await updateRenewalState(store, target.targetId, NOW, () => ({
      ...newRenewalState({
        target: target.targetId,
        declaration: "all",
        provider: target.provider,
        account: target.account,
        clusterId: target.id,
        specFingerprint: "bench",
        now: NOW,
      }),
      certificate: {
        subject: "CN=nightshift",
        issuer: "CN=sandbox",
        serial: `${t}`,
        notBefore: new Date(NOW.getTime() - 10 * DAY).toISOString(),
        notAfter: new Date(NOW.getTime() + (20 - (t % 25)) * DAY).toISOString(),
      },
    }));
  });
  await Promise.all(work);
  return { operations, ledger };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function time(request: () => Response | Promise<Response>, rounds: number) {
  let bytes = 0;
  for (let i = 0; i < 3; i++) await (await request()).text(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    const response = await request();
    const text = await response.text();
    samples.push(performance.now() - start);
    if (response.status !== 200) throw new Error(`dashboard answered ${response.status}`);
    bytes = text.length;
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), bytes };
}

export async function benchDashboard(targets = 1000, rounds = 40): Promise<DashboardFigures[]> {
  const inventory = fleet(targets);
  const dir = mkdtempSync(join(tmpdir(), "nightshift-dashboard-bench-"));
  const figures: DashboardFigures[] = [];
  try {
    for (const [name, open] of [
      ["memory", async () => createStore(memoryBackend())],
      ["sqlite", async () => createStore(await sqliteBackend(join(dir, "bench.db")))],
    ] as const) {
      const store = await open();
      const seeded = await seed(store, inventory);
      const app = createApp({
        host: "node",
        log: createLogger({ write: () => {} }),
        now: () => NOW,
        adminToken: TOKEN,
        inventory: async () => inventory,
        store,
        schedules,
        calendars: new Map(),
        renewals: [renewal],
        rates: [rates],
      });
      const login = await app.request("/login", {
        method: "POST",
        headers: { origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" },
        body: `token=${TOKEN}`,
      });
      const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
      const get = (path: string) => () => app.request(path, { headers: { cookie } });
      figures.push({
        store: name,
        targets,
        ...seeded,
        fleet: await time(get("/"), rounds),
        target: await time(get(`/targets/acc5/cluster-${targets - 5}`), rounds),
      });
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
