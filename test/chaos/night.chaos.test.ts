// Chaos: whole scheduled nights on every provider and every sleep mode it supports, through
// issue 15's fault mix (20 % 5xx, 10 % 429 with Retry-After, 5 % timeouts, 2 % connection
// resets) on every cloud, and an event bus that refuses calls and entries. The cron tick
// (`runTick`, as both hosts run it) drives the night over an in-memory store on the sandbox's
// simulated clock. Every target must converge (its sleep and its wake succeed), every pool and
// workload come back exactly as it was, and every outcome event be accepted by the bus exactly
// once with nothing left in the outbox.
//
// The sandbox clock starts four hours before the real time: the Autopilot clusters' Kubernetes API
// checks the client certificates it issues (at simulated time) against the real clock, so the
// night must not run ahead of it.
import { expect } from "vitest";
import { createKubernetesAccess } from "../../functions/sleepwake/kubernetes-access.node.ts";
import type { TickReport } from "../../functions/tick.ts";
import { eventIdOf } from "../../shared/jobs/outbox.ts";
import type { Schedule, SleepMode, Weekday } from "../../shared/schedule/types.ts";
import { SLEEP_MODES } from "../../shared/schedule/types.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore, FINISHED, type Operation } from "../../shared/store/store.ts";
import {
  NIGHT_SUBJECTS,
  nightShape,
  type ResolvedCluster,
  startScheduledNight,
  workloadNamespaces,
} from "../contract/night-harness.ts";
import { testSchedule } from "../fixtures/schedule.ts";
import { flakyBus } from "./bus.ts";
import { CHAOS_CLIENT_TIMEOUT_MS, CHAOS_FAULTS, chaosIt, cloudCalls, printFigures } from "./chaos.ts";

const TICK_SECONDS = 300;
const NIGHT_HOURS = 3;
const MAX_TICKS = 200;

const WEEKDAY: Weekday[] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
/** A rule at this instant, in UTC. */
const ruleAt = (to: "asleep" | "awake", at: Date) => ({
  to,
  days: [WEEKDAY[at.getUTCDay()]!],
  at: at.toISOString().slice(11, 16),
});

chaosIt("whole nights on every provider and mode, through faults", async (scenario) => {
  // Every mode of SLEEP_MODES has a subject.
  expect(new Set(NIGHT_SUBJECTS.map((s) => s.mode))).toEqual(new Set<SleepMode>(SLEEP_MODES));
  const tenMinutes = 600_000;
  const start = new Date(Math.floor((Date.now() - (NIGHT_HOURS + 1) * 3600_000) / tenMinutes) * tenMinutes);
  const sleepAt = new Date(start.getTime() + 2 * tenMinutes);
  const wakeAt = new Date(sleepAt.getTime() + NIGHT_HOURS * 3600_000);
  const night = await startScheduledNight({
    seed: scenario.seed,
    start: start.toISOString(),
    httpAttempts: 10,
    stepHttpAttempts: 3,
    timeoutMs: CHAOS_CLIENT_TIMEOUT_MS,
  });
  const kube = createKubernetesAccess({
    client: { http: { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, sleep: async () => {} } },
  });
  try {
    const clusters = new Map<string, ResolvedCluster>();
    const before = new Map<string, unknown>();
    const schedules: Schedule[] = [];
    for (const subject of NIGHT_SUBJECTS) {
      const cluster = await night.resolve(subject);
      clusters.set(subject.schedule, cluster);
      before.set(subject.schedule, await nightShape(night.sb, cluster));
      const namespaces = await workloadNamespaces(night.sb, cluster);
      schedules.push(
        testSchedule({
          name: subject.schedule,
          timezone: "UTC",
          mode: subject.mode,
          targets: [{ accounts: [cluster.account], clusterIds: [cluster.clusterId] }],
          rules: [ruleAt("asleep", sleepAt), ruleAt("awake", wakeAt)],
          releaseNodes: subject.releaseNodes ?? false,
          namespaces,
        }),
      );
    }
    const store = createStore(memoryBackend());
    const bus = flakyBus(scenario.random);
    const deps = night.tickDeps(store, schedules, { events: bus.publisher, kube });
    await night.faults(CHAOS_FAULTS);

    const reports: TickReport[] = [];
    let operations: Operation[] = [];
    const done = async () => {
      operations = await store.operations.list({}, night.now());
      const pending = await store.operations.outboxDue({ dueBy: new Date(8.64e15), limit: 1 }, night.now());
      return (
        operations.length === 2 * NIGHT_SUBJECTS.length &&
        operations.every((op) => FINISHED.includes(op.status)) &&
        pending.length === 0
      );
    };
    for (let i = 0; i < MAX_TICKS; i++) {
      reports.push(await night.tick(deps));
      if (night.now() >= wakeAt && (await done())) break;
      await night.advance(TICK_SECONDS);
    }
    await night.faults({ serverError: 0, throttle: 0, timeout: 0, reset: 0 });
    const { calls, faults } = await cloudCalls(night.sb);

    // Every target converged: one sleep and one wake each, both succeeded, the sleep before the wake.
    expect(
      operations
        .map((op) => [op.id, op.status, op.error?.message])
        .filter(([, status]) => status !== "succeeded"),
    ).toEqual([]);
    expect(operations).toHaveLength(2 * NIGHT_SUBJECTS.length);
    for (const subject of NIGHT_SUBJECTS) {
      const cluster = clusters.get(subject.schedule)!;
      const mine = operations.filter((op) => op.target === cluster.targetId);
      expect(
        mine.map((op) => op.kind),
        subject.schedule,
      ).toEqual(["sleep", "wake"]);
      expect(Date.parse(mine[0]!.updatedAt), subject.schedule).toBeLessThan(wakeAt.getTime());
      // Restored exactly: every pool's size, nodes and autoscaler; every workload's replicas.
      expect(await nightShape(night.sb, cluster), subject.schedule).toEqual(before.get(subject.schedule));
      if (subject.cloud === "huawei") {
        expect((await cluster.provider.getCluster(cluster.clusterId)).vendorPhase, subject.schedule).toBe(
          "Available",
        );
      }
    }
    // Every outcome event published, each exactly once, nothing left in the outbox.
    expect(operations.map((op) => [op.id, op.outbox?.state])).toEqual(
      operations.map((op) => [op.id, "published"]),
    );
    const expected = await Promise.all(operations.map((op) => eventIdOf(op.id, op.outbox!.event.detailType)));
    expect(bus.duplicates()).toEqual([]);
    expect(bus.accepted.map((e) => e.eventId).sort()).toEqual([...expected].sort());
    // The faults did reach the product.
    expect(Object.keys(faults).sort()).toEqual(["reset", "server-error", "throttle", "timeout"]);

    await printFigures({
      scenario: "night",
      targets: NIGHT_SUBJECTS.length,
      cloudCalls: calls,
      faults,
      retries:
        operations.reduce((sum, op) => sum + op.attempts, 0) +
        operations.reduce((sum, op) => sum + (op.outbox?.attempts ?? 1) - 1, 0),
      ms: performance.now() - scenario.startedAt,
      extra: {
        ticks: reports.length,
        "simulated h": ((night.now().getTime() - start.getTime()) / 3600_000).toFixed(1),
        events: bus.accepted.length,
        "bus refusals": bus.refusedCalls + bus.refusedEntries,
      },
    });
  } finally {
    await kube.close();
    await night.stop();
  }
});
