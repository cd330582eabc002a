import { describe, expect, it } from "vitest";
import { countingBackend } from "../../test/contract/store/counting-backend.ts";
import type { RenewalState } from "../renewal/state.ts";
import { builtinCalendar } from "../schedule/calendar.ts";
import type { Schedule } from "../schedule/types.ts";
import { memoryBackend } from "../store/memory.ts";
import { createStore, type Operation } from "../store/store.ts";
import { buildMetrics, collectMetrics, type MetricsContext, type MetricsSnapshot } from "./collect.ts";
import type { MetricFamily, ScalarFamily } from "./exposition.ts";
import { talliedCounts } from "./recorder.ts";

const NOW = new Date("2026-11-22T20:00:00Z");
const DAY = 86_400_000;

const office: Schedule = {
  name: "office",
  source: "schedules/office.yaml",
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
};

const CONTEXT: MetricsContext = {
  host: "node",
  version: "1.2.3",
  store: "memory",
  providers: new Map([
    ["prod-hw", "huawei"],
    ["dev-ali", "alibaba"],
  ]),
  operationKinds: ["sleep", "wake", "resize", "event-wake", "event-sleep", "renew"],
  schedules: [office],
  calendars: new Map([["cn-mainland", builtinCalendar("cn-mainland")]]),
};

function renewal(
  target: string,
  certificate?: { notBefore: Date; notAfter: Date },
  failures = 0,
): RenewalState {
  return {
    target,
    declaration: "ci-credentials",
    provider: "huawei",
    account: target.split("/")[0]!,
    clusterId: target.split("/")[1]!,
    specFingerprint: "f",
    nextAttemptAt: NOW.toISOString(),
    sinks: [],
    updatedAt: NOW.toISOString(),
    ...(certificate
      ? {
          certificate: {
            subject: "CN=nightshift",
            issuer: "CN=ca",
            serial: "01",
            notBefore: certificate.notBefore.toISOString(),
            notAfter: certificate.notAfter.toISOString(),
          },
          renewalTime: new Date(certificate.notAfter.getTime() - 10 * DAY).toISOString(),
        }
      : {}),
    ...(failures > 0 ? { failures: { failedAttempts: failures, lastFailureAt: NOW.toISOString() } } : {}),
  };
}

const op = (target: string, kind: string, status: Operation["status"]): Operation => ({
  id: `${kind}@${target}`,
  target,
  kind,
  status,
  step: "start",
  data: {},
  attempts: 0,
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  version: 1,
});

const SNAPSHOT: MetricsSnapshot = {
  ledger: {
    seq: 9,
    counts: {
      "huawei\u001fsleep.succeeded": 4,
      "huawei\u001fevent-wake.succeeded": 1,
      "huawei\u001fwake.failed": 2,
      "alibaba\u001fresize.cooldown": 3,
      "alibaba\u001fresize.resize": 1,
      "alibaba\u001fresize.succeeded": 1,
      "none\u001fevent.unmatched": 5,
    },
  },
  active: [
    op("prod-hw/a", "sleep", "waiting"),
    op("prod-hw/b", "sleep", "waiting"),
    op("dev-ali/c", "resize", "pending"),
    op("gone/d", "wake", "running"),
  ],
  renewals: [
    renewal("prod-hw/valid", {
      notBefore: new Date(NOW.getTime() - DAY),
      notAfter: new Date(NOW.getTime() + 30 * DAY),
    }),
    renewal(
      "prod-hw/expired",
      { notBefore: new Date(NOW.getTime() - 60 * DAY), notAfter: new Date(NOW.getTime() - DAY) },
      3,
    ),
    renewal("prod-hw/none"),
  ],
  tallies: talliedCounts([]),
};

const family = (families: MetricFamily[], name: string) => {
  const found = families.find((f) => f.name === name);
  if (!found || found.type === "histogram") throw new Error(`no scalar family ${name}`);
  return found as ScalarFamily;
};
/** The samples of a family whose labels include `match`, as `label=value,...` -> value. */
const values = (families: MetricFamily[], name: string, match: Record<string, string> = {}) =>
  Object.fromEntries(
    family(families, name)
      .samples.filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v))
      .map((s) => [
        Object.entries(s.labels)
          .filter(([k]) => !(k in match))
          .sort()
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
        s.value,
      ]),
  );

describe("buildMetrics", () => {
  const families = buildMetrics(SNAPSHOT, CONTEXT, NOW);

  it("counts transitions (sleeps and wakes that succeeded) and failures by provider and kind, zeros included", () => {
    expect(values(families, "nightshift_transitions_total", { provider: "huawei" })).toEqual({
      "kind=sleep": 4,
      "kind=wake": 0,
      "kind=event-wake": 1,
      "kind=event-sleep": 0,
    });
    expect(values(families, "nightshift_transitions_total", { provider: "alibaba", kind: "sleep" })).toEqual({
      "": 0,
    });
    expect(values(families, "nightshift_failures_total", { kind: "wake" })).toEqual({
      "provider=alibaba": 0,
      "provider=huawei": 2,
    });
  });

  it("counts resize decisions by outcome, and every ledger entry by kind", () => {
    expect(values(families, "nightshift_resize_decisions_total")).toEqual({
      "outcome=cooldown,provider=alibaba": 3,
      "outcome=resize,provider=alibaba": 1,
    });
    expect(values(families, "nightshift_ledger_entries_total", { provider: "none" })).toEqual({
      "kind=event.unmatched": 5,
    });
  });

  it("gives unfinished operations by provider, kind and state", () => {
    expect(values(families, "nightshift_operations", { provider: "huawei", kind: "sleep" })).toEqual({
      "state=pending": 0,
      "state=running": 0,
      "state=waiting": 2,
    });
    expect(
      values(families, "nightshift_operations", { provider: "alibaba", kind: "resize", state: "pending" }),
    ).toEqual({
      "": 1,
    });
    // An operation of an account no longer configured still shows, as provider "none".
    expect(values(families, "nightshift_operations", { provider: "none" })).toEqual({
      "kind=wake,state=running": 1,
    });
  });

  it("gives the certificates in cert-manager's shapes: expiry, renewal time, ready condition", () => {
    const labels = { declaration: "ci-credentials", provider: "huawei" };
    expect(values(families, "nightshift_certificate_expiration_timestamp_seconds", labels)).toEqual({
      "account=prod-hw,target=prod-hw/valid": (NOW.getTime() + 30 * DAY) / 1000,
      "account=prod-hw,target=prod-hw/expired": (NOW.getTime() - DAY) / 1000,
      "account=prod-hw,target=prod-hw/none": 0,
    });
    expect(
      values(families, "nightshift_certificate_renewal_timestamp_seconds", { target: "prod-hw/valid" }),
    ).toMatchObject({
      "account=prod-hw,declaration=ci-credentials,provider=huawei": (NOW.getTime() + 20 * DAY) / 1000,
    });
    const ready = (target: string) =>
      values(families, "nightshift_certificate_ready_status", { ...labels, account: "prod-hw", target });
    expect(ready("prod-hw/valid")).toEqual({
      "condition=False": 0,
      "condition=True": 1,
      "condition=Unknown": 0,
    });
    expect(ready("prod-hw/expired")).toEqual({
      "condition=False": 1,
      "condition=True": 0,
      "condition=Unknown": 0,
    });
    expect(ready("prod-hw/none")).toEqual({
      "condition=False": 0,
      "condition=True": 0,
      "condition=Unknown": 1,
    });
    expect(
      values(families, "nightshift_certificate_renewal_failed_attempts", { target: "prod-hw/expired" }),
    ).toMatchObject({
      "account=prod-hw,declaration=ci-credentials,provider=huawei": 3,
    });
  });

  it("gives each schedule's builtin calendar's end and the seconds left until it", () => {
    const end = new Date("2027-01-01T00:00:00+08:00").getTime();
    expect(values(families, "nightshift_calendar_coverage_end_timestamp_seconds")).toEqual({
      "calendar=cn-mainland,schedule=office": end / 1000,
    });
    expect(values(families, "nightshift_calendar_coverage_remaining_seconds")).toEqual({
      "calendar=cn-mainland,schedule=office": (end - NOW.getTime()) / 1000,
    });
    const later = buildMetrics(SNAPSHOT, CONTEXT, new Date("2027-02-01T00:00:00Z"));
    expect(values(later, "nightshift_calendar_coverage_remaining_seconds")).toEqual({
      "calendar=cn-mainland,schedule=office": 0,
    });
  });

  it("says which version, host and store answer", () => {
    expect(values(families, "nightshift_build_info")).toEqual({ "host=node,store=memory,version=1.2.3": 1 });
  });
});

describe("collectMetrics", () => {
  it("reads each collection once: the ledger counts, the active index, the renewals, the tallies", async () => {
    const { backend, counts, reset } = countingBackend(memoryBackend());
    const store = createStore(backend);
    await store.ledger.append({
      at: NOW,
      operationId: "o",
      target: "prod-hw/a",
      kind: "sleep.succeeded",
      detail: {},
    });
    await store.operations.create(
      { id: "o2", target: "prod-hw/b", kind: "wake", step: "start", data: {} },
      { now: NOW },
    );
    reset();
    const first = await collectMetrics(store, CONTEXT, NOW);
    // The ledger counts' record and the entries since it, the active index, the renewals, the tallies; and the new counts written.
    expect(counts).toEqual({ reads: 5, rows: 2, writes: 1 });
    expect(values(first, "nightshift_transitions_total", { provider: "huawei", kind: "sleep" })).toEqual({
      "": 1,
    });
    expect(
      values(first, "nightshift_operations", { provider: "huawei", kind: "wake", state: "pending" }),
    ).toEqual({ "": 1 });
    reset();
    await collectMetrics(store, CONTEXT, NOW);
    expect(counts).toEqual({ reads: 5, rows: 2, writes: 0 });
  });
});
