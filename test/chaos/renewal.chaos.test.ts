// Chaos: certificate renewal over a simulated span of three days, through issue 15's fault mix on
// every cloud and an event bus that refuses calls and entries. Whole ticks (renewal planning, then
// the jobs runtime, then the outbox: functions/tick.ts) on the minute, as the service runs them,
// against every vendor's kubeconfig API: Alibaba ACK (2 h and 1 h certificates:
// 36 and 72 lifetimes), Apsara Stack (3 h), Huawei CCE and CCE Autopilot (1 day: three lifetimes),
// Baidu CCE (its fixed year). Before and after every tick, every stored credential must be valid;
// at the end every renewal's outcome event must
// have been accepted exactly once, and nothing be left in the outbox.
import { expect } from "vitest";
import { DEFAULT_RETRY } from "../../shared/http/client.ts";
import { eventIdOf } from "../../shared/jobs/outbox.ts";
import type { CloudName } from "../../shared/sandbox/cloud.ts";
import { clusterOf, startRenewalHarness } from "../contract/renewal-harness.ts";
import { flakyBus } from "./bus.ts";
import {
  CHAOS_CLIENT_TIMEOUT_MS,
  CHAOS_FAULTS,
  chaosIt,
  cloudCalls,
  printFigures,
  setFaults,
} from "./chaos.ts";

const MINUTE_MS = 60_000;
const SPAN_HOURS = 72;

const CREDENTIALS: Array<{ cloud: CloudName; accountName: string; cluster: string; duration?: string }> = [
  { cloud: "alibaba", accountName: "ack-dev", cluster: "dev-web", duration: "2h" },
  { cloud: "alibaba", accountName: "ack-dev", cluster: "qa-api", duration: "60m" },
  { cloud: "alibaba", accountName: "apsara-ops", cluster: "ops-tools", duration: "3h" },
  { cloud: "huawei", accountName: "platform-dev-cn-north-4", cluster: "dev-core", duration: "24h" },
  { cloud: "autopilot", accountName: "dev-cn-north-4", cluster: "ap-dev-web", duration: "24h" },
  { cloud: "baidu", accountName: "acme-gz", cluster: "data-dev" },
];

chaosIt("renewal cycles over three days, through faults", async (scenario) => {
  const bus = flakyBus(scenario.random);
  const h = await startRenewalHarness({
    seed: scenario.seed,
    start: "2026-03-02T00:00:00Z",
    publisher: bus.publisher,
    timeoutMs: CHAOS_CLIENT_TIMEOUT_MS,
    // The HTTP client's own attempts, as the service configures it (DEFAULT_RETRY).
    httpAttempts: DEFAULT_RETRY.attempts,
  });
  try {
    const targets = await Promise.all(
      CREDENTIALS.map(async (c) => ({
        ...c,
        ...(await retrying(() => clusterOf(h, c.cloud, c.accountName, c.cluster))),
      })),
    );
    h.declare(
      ...targets.map((t, i) => ({
        kind: "renewal",
        name: `chaos-${i}-${t.cloud}`,
        targets: [{ accounts: [t.account], providers: [t.cloud], names: [t.cluster] }],
        ...(t.duration ? { duration: t.duration } : {}),
      })),
    );
    // Virtual time jumps from one tick to the next moment something is due (a renewal attempt, an
    // operation's next step, an outbox retry), on the minute as the ticker runs, at least an hour
    // apart: the ticks in between would find nothing to do. The credentials are checked at each.
    const nextStep = async (): Promise<Date> => {
      const now = h.now().getTime();
      const times = [now + 3600_000];
      for (const t of targets) {
        const at = (await h.state(t.target))?.nextAttemptAt;
        if (at) times.push(Date.parse(at));
      }
      const active = await h.store.operations.list({ status: ["pending", "running", "waiting"] }, h.now());
      for (const op of active) times.push(op.nextAttemptAt ? Date.parse(op.nextAttemptAt) : now);
      const outbox = await h.store.operations.outboxDue(
        { dueBy: new Date(now + 3600_000), limit: 100 },
        h.now(),
      );
      for (const op of outbox) times.push(Date.parse(op.outbox!.nextAttemptAt ?? op.outbox!.recordedAt));
      return new Date(Math.max(now + MINUTE_MS, Math.ceil(Math.min(...times) / MINUTE_MS) * MINUTE_MS));
    };
    // The first credentials are issued on quiet clouds (a first issuance that fails backs off an
    // hour with nothing to lose); the span then renews them through the faults.
    const issued = async () =>
      (await Promise.all(targets.map((t) => h.state(t.target)))).every((s) => s?.certificate);
    for (let i = 0; i < 30 && !(await issued()); i++) {
      await h.tick();
      if (!(await issued())) await h.advanceTo(await nextStep());
    }
    for (const t of targets) {
      const state = await h.state(t.target);
      expect(state?.certificate, `${t.cloud} ${t.cluster}: ${JSON.stringify(state)}`).toBeDefined();
    }
    await setFaults(h.sb, CHAOS_FAULTS);

    const start = h.now().getTime();
    const end = start + SPAN_HOURS * 3600_000;
    const serials = new Map<string, Set<string>>(targets.map((t) => [t.target, new Set()]));
    let steps = 0;
    let minMarginMinutes = Number.POSITIVE_INFINITY;
    /** Every stored credential valid at this instant (X.509: notAfter included). */
    const checkValid = async (when: string) => {
      const now = h.now().getTime();
      for (const t of targets) {
        const certificate = (await h.state(t.target))?.certificate;
        if (!certificate) throw new Error(`${t.cloud} ${t.cluster} lost its credential ${when}`);
        serials.get(t.target)!.add(certificate.serial);
        const margin = Date.parse(certificate.notAfter) - now;
        minMarginMinutes = Math.min(minMarginMinutes, margin / 60_000);
        expect(
          margin,
          `${t.cloud} ${t.cluster}: the stored credential (serial ${certificate.serial}) ended at ${certificate.notAfter}, ${when} at ${new Date(now).toISOString()}`,
        ).toBeGreaterThanOrEqual(0);
      }
    };
    while (h.now().getTime() < end) {
      await checkValid("before the tick");
      await h.tick();
      steps++;
      await checkValid("after the tick");
      await h.advanceTo(await nextStep());
    }
    // Drain the outbox on a quiet cloud and bus: what failed is sent again on later ticks.
    await setFaults(h.sb, "none");
    const { calls, faults } = await cloudCalls(h.sb);
    const pending = () => h.store.operations.outboxDue({ dueBy: new Date(8.64e15), limit: 1 }, h.now());
    for (let i = 0; i < 100 && (await pending()).length > 0; i++) {
      await h.advanceTo(await nextStep());
      await h.tick();
    }

    const renewals = (await h.store.operations.list({}, h.now())).filter((op) => op.kind === "renew");
    // Several lifetimes each (one issuance for Baidu's year-long kubeconfig).
    const expectedAtLeast = (duration?: string) =>
      duration === undefined ? 1 : Math.floor((SPAN_HOURS * 60) / minutesOf(duration));
    for (const t of targets) {
      expect(serials.get(t.target)!.size, `${t.cloud} ${t.cluster} certificates`).toBeGreaterThanOrEqual(
        expectedAtLeast(t.duration),
      );
    }
    expect(await pending()).toEqual([]);
    const finished = renewals.filter((op) => op.outbox);
    expect(finished.length).toBeGreaterThanOrEqual(
      targets.reduce((n, t) => n + expectedAtLeast(t.duration), 0),
    );
    expect(
      finished.map((op) => [op.id, op.outbox!.state]).filter(([, state]) => state !== "published"),
    ).toEqual([]);
    const expected = await Promise.all(finished.map((op) => eventIdOf(op.id, op.outbox!.event.detailType)));
    expect(bus.duplicates()).toEqual([]);
    expect(bus.accepted.map((e) => e.eventId).sort()).toEqual([...expected].sort());
    expect(Object.keys(faults).sort()).toEqual(["reset", "server-error", "throttle", "timeout"]);

    await printFigures({
      scenario: "renewal",
      targets: targets.length,
      cloudCalls: calls,
      faults,
      // A failed renewal is tried again by a later one; a failed step within one, by the runtime.
      retries:
        renewals.filter((op) => op.status === "failed").length +
        renewals.reduce((sum, op) => sum + op.attempts, 0) +
        renewals.reduce((sum, op) => sum + Math.max(0, (op.outbox?.attempts ?? 1) - 1), 0),
      ms: performance.now() - scenario.startedAt,
      extra: {
        "simulated h": SPAN_HOURS,
        steps,
        renewals: renewals.length,
        failed: renewals.filter((op) => op.status === "failed").length,
        certificates: [...serials.values()].reduce((n, s) => n + s.size, 0),
        "least margin min": Math.round(minMarginMinutes),
        events: bus.accepted.length,
      },
    });
  } finally {
    await h.stop();
  }
});

function minutesOf(duration: string): number {
  const match = /^(\d+)([mh])$/.exec(duration);
  if (!match) throw new Error(`duration ${duration}: expected <n>m or <n>h`);
  return Number(match[1]) * (match[2] === "h" ? 60 : 1);
}

/** The test's own setup reads, made sure of (the harness's providers make one attempt per call). */
async function retrying<T>(read: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await read();
    } catch (error) {
      if (i >= attempts) throw error;
    }
  }
}
