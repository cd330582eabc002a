// The embedded default as a newcomer meets it: `nightshift start` with no cloud account runs the
// sandbox clouds in-process, and the example schedules put the sandbox fleet to sleep and wake it.
// Watched only from outside, through the admin API, on the real process.
//
// The example schedules follow the real calendar (weeknights, weekends, exceptions), so waiting for
// the sped-up clock alone would take anything from seconds to minutes depending on the weekday the
// test runs. Instead the test moves the sandbox's clock (its inspection API, the same clock the
// service reads) to just before the target's next transition, as announced by GET /api/targets,
// and lets the service's own ticker find and carry out each transition.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

const CLI = new URL("../../functions/cli.node.ts", import.meta.url).pathname;
const TOKEN = "e2e-admin-token-0123456789abcdef";
/** Every real-time bound of the night, generous for a loaded 2-core CI machine. */
const NIGHT_BUDGET_MS = 85_000;
const POLL_MS = 500;

interface Pool {
  id: string;
  desired: number;
  ready: number;
}
interface ApiTarget {
  targetId: string;
  provider: string;
  name: string;
  phase: string;
  nodePools: Pool[];
  schedules: string[];
  state: { lastTransition?: { to: string; at: string; slot?: string; operationId?: string } } | null;
  next: { to: "asleep" | "awake"; at: string; schedule: string } | null;
}
interface ApiOperation {
  id: string;
  target: string;
  kind: string;
  status: string;
  step: string;
  error?: { kind: string; message: string };
}

interface Service {
  child: ChildProcess;
  url: string;
  /** The Huawei sandbox cloud's endpoint; its /_sandbox/clock is the whole sandbox's clock. */
  huaweiSandbox: string;
  logs: Array<Record<string, unknown>>;
}

async function startService(): Promise<Service> {
  const child = spawn(process.execPath, [CLI, "start"], {
    env: {
      PATH: process.env.PATH ?? "",
      PORT: "0",
      NIGHTSHIFT_STORE: "memory",
      NIGHTSHIFT_ADMIN_TOKEN: TOKEN,
      // A tick every real second spans 20 cloud minutes: an operation (one step per tick) takes
      // seconds, and a sleep is found well inside its 60-minute grace even on a slow machine.
      NIGHTSHIFT_SANDBOX_SPEED: "1200",
      NIGHTSHIFT_TICK_SECONDS: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const ready = new Promise<{ url: string; huaweiSandbox: string }>((resolve, reject) => {
    let huaweiSandbox: string | undefined;
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      logs.push(record);
      if (record.sandbox) huaweiSandbox = (record.sandbox as Record<string, string>).huawei;
      if (record.msg === "nightshift started") {
        if (huaweiSandbox) resolve({ url: record.url as string, huaweiSandbox });
        else reject(new Error("the service started without announcing its embedded sandbox"));
      }
    });
    child.once("exit", (code) => reject(new Error(`the service exited early (${code}): ${stderr}`)));
  });
  return { child, logs, ...(await ready) };
}

async function api<T>(service: Service, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${service.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
  });
  expect(response.status, `${init.method ?? "GET"} ${path}`).toBe(200);
  return (await response.json()) as T;
}

/**
 * Polls `probe` every POLL_MS until it returns a value, or fails naming what it waited for and
 * what it saw last (`probe` may set `seen.last`).
 */
async function until<T>(
  what: string,
  deadline: number,
  probe: (seen: { last?: unknown }) => Promise<T | undefined>,
): Promise<T> {
  const seen: { last?: unknown } = {};
  for (;;) {
    const value = await probe(seen);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(seen.last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const poolSizes = (target: ApiTarget) =>
  Object.fromEntries(target.nodePools.map((pool) => [pool.id, pool.desired]));

describe("the embedded night (nightshift start, no cloud account)", () => {
  it("puts a Huawei cluster to sleep and wakes it with its pools at their former sizes", {
    timeout: 120_000,
  }, async () => {
    const service = await startService();
    const deadline = Date.now() + NIGHT_BUDGET_MS;
    try {
      const findTarget = async () => {
        const { targets } = await api<{ targets: ApiTarget[] }>(service, "/api/targets");
        return targets.find((t) => t.provider === "huawei" && t.schedules.includes("qa-weeknights"));
      };
      const target = async () => {
        const found = await findTarget();
        expect(found, "the sandbox fleet has a Huawei cluster on the qa-weeknights example").toBeDefined();
        return found!;
      };
      const cloudNow = async () => {
        const response = await fetch(`${service.huaweiSandbox}/_sandbox/clock`);
        return Date.parse(((await response.json()) as { now: string }).now);
      };
      const moveClockTo = async (instant: number) => {
        const seconds = Math.floor((instant - (await cloudNow())) / 1000);
        if (seconds <= 0) return;
        const response = await fetch(`${service.huaweiSandbox}/_sandbox/clock`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ advanceSeconds: seconds }),
        });
        expect(response.status).toBe(200);
      };

      // First sight: the first tick only records the baseline for the target.
      // Until then the target may not be listed at all (the first inventory is still under way).
      await until("the first tick to record the target", deadline, async (seen) => {
        const t = await findTarget();
        seen.last = t ?? "no Huawei target on qa-weeknights listed yet";
        return t?.state?.lastTransition ? t : undefined;
      });

      let poolsBeforeSleep: Record<string, number> | undefined;
      const finished: ApiOperation[] = [];
      let woke: ApiTarget | undefined;
      while (!woke) {
        let before = await target();
        const next = before.next;
        if (next?.to === "asleep") {
          // The listing is cached for minutes of cloud time and the demo may have slept and woken
          // this cluster at start: the sizes to restore are those it shows running with pools up.
          before = await until("the target to show running with its pools up", deadline, async (seen) => {
            const t = await target();
            seen.last = { phase: t.phase, pools: poolSizes(t) };
            return t.phase === "running" && t.nodePools.some((pool) => pool.desired > 0) ? t : undefined;
          });
        }
        expect(next, `${before.targetId} has a next transition`).not.toBeNull();
        // A minute of cloud time before it: the next tick after the transition carries it out.
        await moveClockTo(Date.parse(next!.at) - 60_000);
        const handled = await until(
          `the ${next!.to} at ${next!.at} to be handled`,
          deadline,
          async (seen) => {
            const t = await target();
            seen.last = t.state;
            return t.state?.lastTransition?.at === next!.at ? t : undefined;
          },
        );
        const operationId = handled.state!.lastTransition!.operationId;
        // Skipped (e.g. a sleep found later than its grace on a stalled machine): try the next one.
        if (!operationId) continue;
        const operation = await until(`operation ${operationId} to finish`, deadline, async (seen) => {
          const { operations } = await api<{ operations: ApiOperation[] }>(
            service,
            `/api/operations?target=${encodeURIComponent(before.targetId)}`,
          );
          const found = operations.find((o) => o.id === operationId);
          seen.last = found;
          return found && ["succeeded", "failed", "cancelled"].includes(found.status) ? found : undefined;
        });
        expect(operation, JSON.stringify(operation)).toMatchObject({
          status: "succeeded",
          kind: next!.to === "asleep" ? "sleep" : "wake",
        });
        finished.push(operation);

        // GET /api/targets lists the fleet through a short cache (minutes of cloud time): poll until
        // it shows the outcome the operation reported.
        if (next!.to === "asleep") {
          // Full mode: the pools were scaled to zero, then the cluster hibernated.
          await until("the target to show hibernated with empty pools", deadline, async (seen) => {
            const t = await target();
            seen.last = { phase: t.phase, pools: poolSizes(t) };
            return t.phase === "hibernated" && t.nodePools.every((pool) => pool.desired === 0)
              ? t
              : undefined;
          });
          poolsBeforeSleep = poolSizes(before);
        } else if (poolsBeforeSleep) {
          const expected = JSON.stringify(poolsBeforeSleep);
          woke = await until(`the target to run with its pools at ${expected}`, deadline, async (seen) => {
            const t = await target();
            seen.last = { phase: t.phase, pools: poolSizes(t) };
            return t.phase === "running" && JSON.stringify(poolSizes(t)) === expected ? t : undefined;
          });
        }
      }

      expect(poolSizes(woke)).toEqual(poolsBeforeSleep);
      expect(Object.values(poolsBeforeSleep!).some((size) => size > 0)).toBe(true);
      expect(finished.filter((o) => o.kind === "sleep").length).toBeGreaterThanOrEqual(1);
      expect(finished.at(-1)!.kind).toBe("wake");
      // The status filter lists the finished night: the sleep and the wake of this target.
      const { operations } = await api<{ operations: ApiOperation[] }>(
        service,
        "/api/operations?status=succeeded&limit=1000",
      );
      const ids = new Set(operations.map((o) => o.id));
      for (const operation of finished) expect(ids.has(operation.id), operation.id).toBe(true);
    } finally {
      service.child.kill("SIGTERM");
    }
    const [code] = (await once(service.child, "exit")) as [number | null];
    expect(code).toBe(0);
    expect(service.logs.at(-1)).toMatchObject({ msg: "nightshift stopped" });
  });
});
