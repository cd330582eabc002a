// The API's fleet on Workers, through the Worker's real `fetch` and `scheduled` exports inside
// workerd over the real local D1: a fleet of 600 Alibaba clusters, whose live listing would take
// 606 calls and as many rate bookings (1,212 subrequests, past an invocation's 1,000). A request
// lists live only within API_LISTING_ALLOWANCE and says what it could not list yet; once the cron
// has listed the fleet (a part per invocation), requests serve its copy in D1 without a cloud call,
// saying how old it is.
import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SimulatedQueue } from "../test/contract/queue-model.ts";
import { emptiedD1 } from "../test/setup/d1.workers.ts";
import { newSandbox, type TestSandbox } from "../test/setup/sandbox.ts";
import { API_LISTING_ALLOWANCE, LISTING_ALLOWANCE } from "./cron.ts";
import { createWorker } from "./worker.workers.ts";

const CLUSTERS = 600;
const TOKEN = "api-inventory-admin-token-0123456789";

interface ApiTarget {
  targetId: string;
  nodePools: unknown[];
  poolsUnknown?: string;
  poolsListedAt?: string;
}
interface TargetsAnswer {
  targets: ApiTarget[];
  errors: unknown[];
  listedAt: string | null;
}

describe("GET /api/targets on Workers with a fleet past one invocation's subrequests", () => {
  let sb: TestSandbox;
  let workerEnv: Record<string, unknown>;
  const worker = createWorker();
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    await emptiedD1();
    // The Worker signs with the real clock.
    sb = await newSandbox({ speed: 0, seed: 41, signaturesBy: "real" });
    const account = {
      name: "big-ack",
      accessKeyId: "LTAIbigfleet0001",
      secretAccessKey: "big-fleet-secret-0001",
      region: "cn-shanghai",
    };
    await sb.inspect("alibaba", "POST", "seed", {
      accounts: [account],
      clusters: Array.from({ length: CLUSTERS }, (_, i) => ({
        account: account.name,
        region: account.region,
        name: `svc-${i}`,
        nodePools: [{ name: "workers", size: 1 + (i % 3), isDefault: true }],
      })),
    });
    const prefix = "NIGHTSHIFT_ACCOUNT_BIG_";
    workerEnv = {
      ...env,
      OPERATIONS: new SimulatedQueue(() => Date.now()),
      NIGHTSHIFT_ADMIN_TOKEN: TOKEN,
      // Every call still books its slot with the account's Durable Object (one subrequest each).
      ACCOUNT_RATE_PER_SECOND: "1000",
      [`${prefix}VENDOR`]: "alibaba",
      [`${prefix}ACCESS_KEY_ID`]: account.accessKeyId,
      [`${prefix}SECRET_ACCESS_KEY`]: account.secretAccessKey,
      [`${prefix}REGION`]: account.region,
      [`${prefix}ENDPOINT`]: sb.alibaba.endpoint,
    };
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(JSON.parse(line)));
  }, 60_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    await sb?.stop();
  });

  const cloudRequests = async () =>
    ((await sb.inspect("alibaba", "GET", "requests")).requests as unknown[]).length;
  /** One request through the Worker: its answer, the cloud calls it made, its listing's subrequests. */
  const request = async (path: string, init: RequestInit = {}) => {
    const before = await cloudRequests();
    const logged = lines.length;
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`https://nightshift.test${path}`, {
        ...init,
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      }),
      workerEnv,
      ctx as never,
    );
    await waitOnExecutionContext(ctx);
    const listings = lines.slice(logged).filter((l) => l.msg === "fleet listing for the API");
    return {
      status: response.status,
      body: await response.json(),
      calls: (await cloudRequests()) - before,
      subrequests: listings.map((l) => l.subrequests as number),
    };
  };
  const cron = async () => {
    const ctx = createExecutionContext();
    const controller = createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" });
    await worker.scheduled(controller as never, workerEnv, ctx as never);
    await waitOnExecutionContext(ctx);
  };

  it("before the cron listed anything: lists live within its allowance, saying what is not listed yet", async () => {
    const started = Date.now();
    const { status, body, calls, subrequests } = await request("/api/targets");
    expect(status).toBe(200);
    const answer = body as TargetsAnswer;
    // The cluster list (6 pages) and as many node pools as the allowance leaves: far from 606 calls.
    expect(subrequests).toHaveLength(1);
    expect(subrequests[0]).toBeLessThanOrEqual(API_LISTING_ALLOWANCE);
    expect(calls).toBeLessThanOrEqual(API_LISTING_ALLOWANCE / 2);
    expect(calls).toBeGreaterThan(6);
    expect(answer.targets).toHaveLength(CLUSTERS);
    const unknown = answer.targets.filter((t) => t.poolsUnknown !== undefined);
    expect(unknown).toHaveLength(CLUSTERS - (calls - 6));
    expect(
      unknown.every((t) => t.nodePools.length === 0 && t.poolsUnknown!.startsWith("not listed yet")),
    ).toBe(true);
    expect(Date.parse(answer.listedAt!)).toBeGreaterThanOrEqual(started - 1000);
  }, 60_000);

  it("after the cron's parts: serves the copy in D1 with no cloud call and one store query, saying its age", async () => {
    let crons = 0;
    let listed = false;
    while (!listed && crons < 5) {
      await cron();
      crons++;
      const { body } = await request("/api/targets");
      listed = (body as TargetsAnswer).targets.every((t) => t.poolsUnknown === undefined);
    }
    // A part per cron: the pools left took more than one invocation's share.
    expect(listed).toBe(true);
    expect(crons).toBeGreaterThanOrEqual(Math.ceil((CLUSTERS * 2) / LISTING_ALLOWANCE) - 1);
    expect(crons).toBeGreaterThan(1);
    const { status, body, calls, subrequests } = await request("/api/targets");
    expect(status).toBe(200);
    const answer = body as TargetsAnswer;
    expect(calls).toBe(0);
    expect(subrequests).toEqual([1]);
    expect(answer.targets).toHaveLength(CLUSTERS);
    expect(answer.targets.every((t) => t.nodePools.length === 1 && t.poolsListedAt)).toBe(true);
    expect(answer.errors).toEqual([]);
    expect(Date.now() - Date.parse(answer.listedAt!)).toBeLessThan(60_000);

    // The other routes that look the fleet up read the same copy.
    const plan = await request("/api/plan");
    expect(plan).toMatchObject({ status: 200, calls: 0, subrequests: [1] });
    const snooze = await request(`/api/targets/${answer.targets[0]!.targetId}/snooze`, {
      method: "POST",
      body: JSON.stringify({ minutes: 30 }),
    });
    expect(snooze).toMatchObject({ status: 200, calls: 0, subrequests: [1] });
  }, 120_000);
});
