// A simulated year of certificate renewal: a fleet across the four clouds, each asking for
// durations within its vendor's documented range, a share of the clusters with a renewal window,
// and a model issuer that fails a share of attempts. Virtual time jumps from one due attempt to
// the next (attempts start on the minute, as the tick runs), applying the renewal policy, the
// window and the back-off (shared/renewal/) exactly as the job will. Measured: moments a stored
// credential was expired (goal 0), renewals per cluster, and how long after its planned time
// (the replaced credential's renewal time) each renewal happened.
//
// The issuer is injected (`Issuer`): a model of the vendors' kubeconfig APIs (1,000 clusters in
// seconds), or the renewal job itself against the sandbox clouds (renewal-sandbox.ts).
import { backoffUntil, type FailureHistory, recordFailure } from "../../shared/renewal/backoff.ts";
import { type CertificateFacts, planRenewal, type StoredCredential } from "../../shared/renewal/policy.ts";
import { renewalTime } from "../../shared/renewal/renewal-time.ts";
import {
  checkWindowSatisfiable,
  compileWindow,
  type RenewalWindow,
  type RenewalWindowSpec,
} from "../../shared/renewal/window.ts";
import { KUBECONFIG_MAX_MINUTES, KUBECONFIG_MIN_MINUTES } from "../../shared/sandbox/alibaba/kubeconfig.ts";
import { KUBECONFIG_VALIDITY_DAYS } from "../../shared/sandbox/baidu/kubeconfig.ts";
import { MAX_DURATION_DAYS } from "../../shared/sandbox/huawei/kubeconfig.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type Vendor = "huawei" | "autopilot" | "alibaba" | "baidu";
export const VENDORS: readonly Vendor[] = ["huawei", "autopilot", "alibaba", "baidu"];

interface VendorProfile {
  /** Validities the fleet's declarations ask for (ms), all within the vendor's documented range. */
  durations: readonly (number | undefined)[];
  /** What the vendor grants for a request (the model issuer's rule). */
  grants(requestedMs: number | undefined): number;
}

// docs/vendors/: Alibaba TemporaryDurationMinutes 15-4320 (3 days); Huawei and Autopilot
// clustercert `duration` 1-1827 days; Baidu's kubeconfig API takes no duration (the sandbox's
// certificates last KUBECONFIG_VALIDITY_DAYS).
export const VENDOR_PROFILES: Record<Vendor, VendorProfile> = {
  alibaba: {
    durations: [KUBECONFIG_MAX_MINUTES * MINUTE, 1440 * MINUTE],
    grants: (ms) =>
      Math.min(
        Math.max(ms ?? KUBECONFIG_MAX_MINUTES * MINUTE, KUBECONFIG_MIN_MINUTES * MINUTE),
        KUBECONFIG_MAX_MINUTES * MINUTE,
      ),
  },
  huawei: {
    durations: [1 * DAY, 7 * DAY, 30 * DAY, 365 * DAY],
    grants: (ms) => Math.min(Math.max(ms ?? DAY, DAY), MAX_DURATION_DAYS * DAY),
  },
  autopilot: {
    durations: [1 * DAY, 30 * DAY],
    grants: (ms) => Math.min(Math.max(ms ?? DAY, DAY), MAX_DURATION_DAYS * DAY),
  },
  baidu: { durations: [undefined], grants: () => KUBECONFIG_VALIDITY_DAYS * DAY },
};

// Windows teams declare: nights in Berlin (matching minutes), evenings in Shanghai (a firing with
// a duration), an hour every six hours in New York.
export const MODEL_WINDOWS: readonly RenewalWindowSpec[] = [
  { cron: "* 22-23,0-5 * * *", timezone: "Europe/Berlin" },
  { cron: "0 20 * * *", timezone: "Asia/Shanghai", durationMinutes: 600 },
  { cron: "0 */6 * * *", timezone: "America/New_York", durationMinutes: 60 },
];

export interface SimCluster {
  id: string;
  vendor: Vendor;
  durationMs?: number;
  window?: RenewalWindow;
}

export interface IssueRequest {
  cluster: SimCluster;
  now: Date;
}
export type IssueOutcome =
  | { ok: true; facts: CertificateFacts; requestedDurationMs?: number }
  | { ok: false; message: string };
/** Issues one credential for a cluster: the model below, or the renewal job on the sandbox (renewal-sandbox.ts). */
export type Issuer = (request: IssueRequest) => Promise<IssueOutcome>;

/** The vendors' kubeconfig APIs as a model: grants per VENDOR_PROFILES, fails `failureRate` of calls. */
export function modelIssuer(options: { failureRate: number; random: () => number }): Issuer {
  let serial = 0;
  return async ({ cluster, now }) => {
    if (options.random() < options.failureRate) return { ok: false, message: "the cloud answered 503" };
    const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const lifetime = VENDOR_PROFILES[cluster.vendor].grants(cluster.durationMs);
    serial++;
    return {
      ok: true,
      requestedDurationMs: cluster.durationMs,
      facts: {
        subject: `CN=nightshift-${cluster.id}`,
        issuer: `CN=${cluster.vendor} cluster CA`,
        serial: serial.toString(16),
        notBefore,
        notAfter: new Date(notBefore.getTime() + lifetime),
      },
    };
  };
}

/** Deterministic PRNG (mulberry32), so a year is the same from run to run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface YearOptions {
  clusters: number;
  /** Share of issuance attempts that fail (model issuer). */
  failureRate: number;
  days?: number;
  /** Share of clusters with a renewal window. */
  windowShare?: number;
  seed?: number;
  start?: Date;
  /** The issuer; default the model issuer with `failureRate`. */
  issuer?: Issuer;
}

export interface VendorFigures {
  clusters: number;
  renewals: number;
  renewalsPerCluster: number;
}

export interface YearResult {
  clusters: number;
  days: number;
  byVendor: Record<Vendor, VendorFigures>;
  attempts: number;
  failedAttempts: number;
  renewals: number;
  renewalsPerCluster: number;
  /** Stretches during which a stored credential was expired (goal 0), and their total minutes. */
  expiredEpisodes: number;
  expiredMinutes: number;
  /** How long after the planned time (the replaced credential's renewal time) renewals happened. */
  delayMs: { p50: number; p99: number; max: number };
  /** The same, for clusters without a window (failures and back-off only). */
  delayWithoutWindowMs: { p50: number; p99: number; max: number };
  withWindow: number;
  /** Clusters whose window the validator refuses for their lifetime (they run without one here). */
  windowsRefused: number;
  /** Renewals that passed a closed window because it would open only after expiry. */
  windowOverrides: number;
  /** Longest back-off a cluster waited, ms. */
  longestBackoffMs: number;
}

// A binary heap of (time, cluster index): the next due attempt in O(log n).
class DueQueue {
  private items: Array<[number, number]> = [];
  get size() {
    return this.items.length;
  }
  push(at: number, index: number) {
    const items = this.items;
    items.push([at, index]);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]![0] <= items[i]![0]) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }
  pop(): [number, number] | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && items[l]![0] < items[m]![0]) m = l;
        if (r < items.length && items[r]![0] < items[m]![0]) m = r;
        if (m === i) break;
        [items[m], items[i]] = [items[i]!, items[m]!];
        i = m;
      }
    }
    return top;
  }
}

function percentiles(values: number[]) {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

export async function benchRenewalYear(options: YearOptions): Promise<YearResult> {
  if (!Number.isInteger(options.clusters) || options.clusters < 1)
    throw new Error("clusters must be a whole number ≥ 1");
  if (!(options.failureRate >= 0 && options.failureRate < 1))
    throw new Error("failureRate must be in [0, 1)");
  const days = options.days ?? 365;
  const random = seeded(options.seed ?? 12);
  const issuer =
    options.issuer ??
    modelIssuer({ failureRate: options.failureRate, random: seeded((options.seed ?? 12) + 1) });
  const start = (options.start ?? new Date("2026-01-01T00:00:00Z")).getTime();
  const end = start + days * DAY;
  const windows = MODEL_WINDOWS.map((spec) => compileWindow(spec));
  const windowShare = options.windowShare ?? 0.4;

  interface State {
    cluster: SimCluster;
    stored: StoredCredential & { kind: "certificate" };
    failures?: FailureHistory;
    renewals: number;
  }
  const states: State[] = [];
  let windowsRefused = 0;
  const satisfiable = new Map<string, boolean>();
  for (let i = 0; i < options.clusters; i++) {
    const vendor = VENDORS[i % VENDORS.length]!;
    const profile = VENDOR_PROFILES[vendor];
    const durationMs = profile.durations[Math.floor(random() * profile.durations.length)];
    const lifetime = profile.grants(durationMs);
    const cluster: SimCluster = { id: `${vendor}-${i}`, vendor, durationMs };
    if (random() < windowShare) {
      const w = Math.floor(random() * windows.length);
      // The declaration's validation: the window must open within the slack before expiry.
      const key = `${w}:${lifetime}`;
      let ok = satisfiable.get(key);
      if (ok === undefined) {
        const slackMs = renewalTime(new Date(0), new Date(lifetime), {}).renewBeforeMs;
        ok = checkWindowSatisfiable(windows[w]!, { from: new Date(start), slackMs }).ok;
        satisfiable.set(key, ok);
      }
      if (ok) cluster.window = windows[w];
      else windowsRefused++;
    }
    // A credential issued some time in its first 60 % before the year starts: renewals spread out.
    const notBefore = Math.floor((start - random() * 0.6 * lifetime) / 1000) * 1000;
    const facts: CertificateFacts = {
      subject: `CN=nightshift-${cluster.id}`,
      issuer: `CN=${vendor} cluster CA`,
      serial: `0${i.toString(16)}`,
      notBefore: new Date(notBefore),
      notAfter: new Date(notBefore + lifetime),
    };
    states.push({
      cluster,
      stored: { kind: "certificate", facts, requestedDurationMs: durationMs },
      renewals: 0,
    });
  }

  const queue = new DueQueue();
  for (let index = 0; index < states.length; index++) queue.push(start, index);
  const delays: number[] = [];
  const delaysWithoutWindow: number[] = [];
  let attempts = 0;
  let failedAttempts = 0;
  let expiredEpisodes = 0;
  let expiredMs = 0;
  let windowOverrides = 0;
  let longestBackoffMs = 0;

  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    const [dueMs, index] = next;
    // The tick runs every minute: an attempt starts on the first minute at or after it is due.
    const tickMs = Math.ceil(dueMs / MINUTE) * MINUTE;
    if (tickMs >= end) continue;
    const state = states[index]!;
    const now = new Date(tickMs);
    const spec = { durationMs: state.cluster.durationMs, window: state.cluster.window };
    const plan = planRenewal({ now, stored: state.stored, spec, failures: state.failures });
    if (plan.action === "wait") {
      queue.push(Math.max(plan.nextAttemptAt.getTime(), tickMs + MINUTE), index);
      continue;
    }
    attempts++;
    const old = state.stored.facts;
    const outcome = await issuer({ cluster: state.cluster, now });
    if (!outcome.ok) {
      failedAttempts++;
      state.failures = recordFailure(state.failures, now, spec.durationMs);
      const until = backoffUntil(state.failures, now, spec.durationMs, old.notAfter);
      if (until) longestBackoffMs = Math.max(longestBackoffMs, until.getTime() - tickMs);
      queue.push(tickMs + MINUTE, index); // re-planned next minute: the plan applies the back-off
      continue;
    }
    if (plan.overrides.includes("window")) windowOverrides++;
    if (tickMs > old.notAfter.getTime()) {
      expiredEpisodes++;
      expiredMs += tickMs - old.notAfter.getTime();
    }
    if (
      plan.reason?.code === "past-percentage" ||
      plan.reason?.code === "expiring" ||
      plan.reason?.code === "expired"
    ) {
      const delay = tickMs - renewalTime(old.notBefore, old.notAfter, {}).at.getTime();
      delays.push(delay);
      if (state.cluster.window === undefined) delaysWithoutWindow.push(delay);
    }
    state.stored = {
      kind: "certificate",
      facts: outcome.facts,
      requestedDurationMs: outcome.requestedDurationMs,
    };
    state.failures = undefined;
    state.renewals++;
    queue.push(tickMs + MINUTE, index);
  }
  for (const state of states) {
    if (end > state.stored.facts.notAfter.getTime()) {
      expiredEpisodes++;
      expiredMs += end - state.stored.facts.notAfter.getTime();
    }
  }

  const byVendor = {} as Record<Vendor, VendorFigures>;
  for (const vendor of VENDORS) {
    const mine = states.filter((s) => s.cluster.vendor === vendor);
    const renewals = mine.reduce((sum, s) => sum + s.renewals, 0);
    byVendor[vendor] = {
      clusters: mine.length,
      renewals,
      renewalsPerCluster: mine.length ? renewals / mine.length : 0,
    };
  }
  const renewals = states.reduce((sum, s) => sum + s.renewals, 0);
  return {
    clusters: options.clusters,
    days,
    byVendor,
    attempts,
    failedAttempts,
    renewals,
    renewalsPerCluster: renewals / options.clusters,
    expiredEpisodes,
    expiredMinutes: Math.round(expiredMs / MINUTE),
    delayMs: percentiles(delays),
    delayWithoutWindowMs: percentiles(delaysWithoutWindow),
    withWindow: states.filter((s) => s.cluster.window !== undefined).length,
    windowsRefused,
    windowOverrides,
    longestBackoffMs,
  };
}
