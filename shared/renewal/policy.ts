// Whether a target's credential must be renewed, and when the next attempt is: a chain of small
// named checks in cert-manager's style (internal/controller/certificates/policies), each returning
// "renew because …" (a reason code and a message) or nothing; the first that answers decides.
// Then the window and the back-off say whether that renewal may run now or when it will.
//
// Everything here is plain data in, plain data out: the stored credential is described by its
// certificate's metadata (CertificateFacts), never by the kubeconfig itself, so no key material can
// reach a reason, a plan or a record built from them.
import type { CertificateFacts } from "../kubeconfig/kubeconfig.ts";
import { backoffUntil, type FailureHistory } from "./backoff.ts";
import { type RenewalTime, type RenewalTiming, renewalTime } from "./renewal-time.ts";
import { formatSpan, type RenewalWindow } from "./window.ts";

/** What is known of a stored client certificate: metadata only, no key material (read by shared/kubeconfig). */
export type { CertificateFacts };

/** The credential held for a target, as the job read it from the store. */
export type StoredCredential =
  | { kind: "none" }
  /** Stored, but it does not parse; `problem` says why, without quoting the content. */
  | { kind: "unparsable"; problem: string }
  | {
      kind: "certificate";
      facts: CertificateFacts;
      /** The validity asked for when it was issued, ms (a vendor may grant less). */
      requestedDurationMs?: number;
    };

/** What the declaration asks for, in the policy's terms. */
export interface RenewalPolicySpec extends RenewalTiming {
  /** Validity to ask the cloud for, ms; absent where the vendor takes none (Baidu). */
  durationMs?: number;
  window?: RenewalWindow;
}

/** A renewal asked for by a person (API or CLI): runs even inside a back-off or a closed window. */
export interface ForcedRenewal {
  requestedAt: Date;
  requestedBy?: string;
}

export interface PolicyInput {
  now: Date;
  stored: StoredCredential;
  spec: RenewalPolicySpec;
  /** The cluster's current CA subject, when the job knows it (e.g. from a fresh kubeconfig). */
  currentIssuer?: string;
  forced?: ForcedRenewal;
}

export type RenewReasonCode =
  | "forced"
  | "none-stored"
  | "unparsable"
  | "expired"
  | "issuer-changed"
  | "duration-changed"
  | "expiring"
  | "past-percentage";

export interface RenewReason {
  code: RenewReasonCode;
  /** The named check that answered. */
  check: string;
  message: string;
}

export interface PolicyCheck {
  name: string;
  check(input: PolicyInput): RenewReason | undefined;
}

const reason = (check: string, code: RenewReasonCode, message: string): RenewReason => ({
  code,
  check,
  message,
});
const iso = (date: Date) => date.toISOString();

function storedFacts(input: PolicyInput): CertificateFacts | undefined {
  return input.stored.kind === "certificate" ? input.stored.facts : undefined;
}

/** The renewal time of the stored certificate under the declaration's timing, if one is stored. */
export function storedRenewalTime(input: Pick<PolicyInput, "stored" | "spec">): RenewalTime | undefined {
  if (input.stored.kind !== "certificate") return undefined;
  return renewalTime(input.stored.facts.notBefore, input.stored.facts.notAfter, input.spec);
}

export const forced: PolicyCheck = {
  name: "Forced",
  check: (input) =>
    input.forced === undefined
      ? undefined
      : reason(
          "Forced",
          "forced",
          `Renewing as forced${input.forced.requestedBy ? ` by ${input.forced.requestedBy}` : ""} at ${iso(input.forced.requestedAt)}`,
        ),
};

export const noneStored: PolicyCheck = {
  name: "NoneStored",
  check: (input) =>
    input.stored.kind === "none"
      ? reason("NoneStored", "none-stored", "Issuing a credential as none is stored for this target")
      : undefined,
};

export const storedUnparsable: PolicyCheck = {
  name: "StoredUnparsable",
  check: (input) =>
    input.stored.kind === "unparsable"
      ? reason(
          "StoredUnparsable",
          "unparsable",
          `Issuing a credential as the stored one does not parse: ${input.stored.problem}`,
        )
      : undefined,
};

export const expired: PolicyCheck = {
  name: "Expired",
  check: (input) => {
    const facts = storedFacts(input);
    // X.509 validity includes notAfter itself: expired only after it (as cert-manager's check).
    return facts !== undefined && input.now.getTime() > facts.notAfter.getTime()
      ? reason("Expired", "expired", `Renewing as the credential expired at ${iso(facts.notAfter)}`)
      : undefined;
  },
};

export const issuerChanged: PolicyCheck = {
  name: "IssuerChanged",
  check: (input) => {
    const facts = storedFacts(input);
    if (facts === undefined || input.currentIssuer === undefined) return undefined;
    return normalizeName(facts.issuer) !== normalizeName(input.currentIssuer)
      ? reason(
          "IssuerChanged",
          "issuer-changed",
          `Renewing as the stored credential was issued by "${facts.issuer}" and the cluster's CA is now "${input.currentIssuer}"`,
        )
      : undefined;
  },
};

export const durationChanged: PolicyCheck = {
  name: "DurationChanged",
  check: (input) => {
    if (input.stored.kind !== "certificate") return undefined;
    const asked = input.stored.requestedDurationMs;
    const wanted = input.spec.durationMs;
    // Compared with what was asked, not with the certificate's lifetime: a vendor that grants less
    // than asked would otherwise be asked again forever.
    if (asked === undefined || wanted === undefined || asked === wanted) return undefined;
    return reason(
      "DurationChanged",
      "duration-changed",
      `Renewing as the declaration now asks for a validity of ${formatSpan(wanted)} and the stored credential was issued for ${formatSpan(asked)}`,
    );
  },
};

function renewalDue(rule: "renew-before" | "other") {
  return (input: PolicyInput): RenewReason | undefined => {
    const due = storedRenewalTime(input);
    if (due === undefined || input.now.getTime() < due.at.getTime()) return undefined;
    if ((due.rule === "renew-before") !== (rule === "renew-before")) return undefined;
    const facts = (input.stored as { facts: CertificateFacts }).facts;
    return rule === "renew-before"
      ? reason(
          "Expiring",
          "expiring",
          `Renewing as the credential expires at ${iso(facts.notAfter)}, within renewBefore (${formatSpan(due.renewBeforeMs)}); renewal was scheduled at ${iso(due.at)}`,
        )
      : reason(
          "PastLifetimePercentage",
          "past-percentage",
          `Renewing as ${due.rule === "default" ? "2/3" : `${100 - (input.spec.renewBeforePercentage ?? 0)}%`} of the credential's lifetime has passed; renewal was scheduled at ${iso(due.at)}`,
        );
  };
}

/** now ≥ renewal time, where the renewal time comes from the declaration's `renewBefore`. */
export const expiring: PolicyCheck = { name: "Expiring", check: renewalDue("renew-before") };
/** now ≥ renewal time, where it comes from the percentage (or the default 2/3 of the lifetime). */
export const pastLifetimePercentage: PolicyCheck = {
  name: "PastLifetimePercentage",
  check: renewalDue("other"),
};

/** The checks in order: the first that answers gives the reason. */
export const RENEWAL_CHECKS: readonly PolicyCheck[] = [
  forced,
  noneStored,
  storedUnparsable,
  expired,
  issuerChanged,
  durationChanged,
  expiring,
  pastLifetimePercentage,
];

/** Runs the chain; undefined: nothing asks for a renewal now. */
export function evaluatePolicy(input: PolicyInput, checks: readonly PolicyCheck[] = RENEWAL_CHECKS) {
  for (const policy of checks) {
    const answer = policy.check(input);
    if (answer !== undefined) return answer;
  }
  return undefined;
}

// Reasons that find no usable credential (or a person asking): waiting for the window protects no
// working credential, so they renew at once. The others replace a credential that still works and
// wait for the window, unless it would open only after that credential expired.
const IGNORE_WINDOW: ReadonlySet<RenewReasonCode> = new Set([
  "forced",
  "none-stored",
  "unparsable",
  "expired",
]);

/** Share of the renewal period (renewBefore) before expiry from which the window no longer defers. */
export const WINDOW_YIELDS_AT_SHARE = 0.25;

export type WaitingFor = "renewal-time" | "window" | "backoff";
export type Override = "backoff" | "window";

export interface RenewalPlan {
  /** "renew": issue now; "wait": the next attempt is `nextAttemptAt`. */
  action: "renew" | "wait";
  /** Why a renewal is wanted (now or once the wait is over); undefined: not yet due. */
  reason?: RenewReason;
  /** When the next attempt is (now when renewing). */
  nextAttemptAt: Date;
  waitingFor?: WaitingFor;
  /** What this renewal goes past, to be recorded: a back-off or a closed window. */
  overrides: Override[];
  /** The stored certificate's renewal time (metrics); undefined when none is stored. */
  renewalTime?: Date;
  /** Seconds until the stored certificate expires (negative: expired); metrics. */
  secondsUntilExpiry?: number;
  backoffUntil?: Date;
}

export interface PlanInput extends PolicyInput {
  failures?: FailureHistory;
}

/**
 * Decides now and plans the next attempt: next attempt = the first window opening at or after the
 * later of the renewal time and the end of the back-off (a renewal is never attempted before its
 * reason holds, inside a back-off, or outside the window), except that
 * - a forced renewal runs now, past a back-off and a closed window (both recorded as overrides);
 * - no credential, an unparsable or an expired one renew without waiting for the window;
 * - a window that would open only in the last quarter of the renewal period (the last 6 h of a
 *   3-day credential renewed at 2/3) is passed (recorded), so retries fit before expiry.
 */
export function planRenewal(input: PlanInput): RenewalPlan {
  const now = input.now;
  const facts = storedFacts(input);
  const due = storedRenewalTime(input);
  const metrics = {
    renewalTime: due?.at,
    secondsUntilExpiry:
      facts === undefined ? undefined : Math.floor((facts.notAfter.getTime() - now.getTime()) / 1000),
  };
  const blockedUntil = backoffUntil(input.failures, now, input.spec.durationMs, facts?.notAfter);
  const why = evaluatePolicy(input);
  const window = input.spec.window;

  if (why?.code === "forced") {
    const overrides: Override[] = [];
    if (blockedUntil !== undefined) overrides.push("backoff");
    if (window !== undefined && !window.isOpen(now)) overrides.push("window");
    return {
      action: "renew",
      reason: why,
      nextAttemptAt: now,
      overrides,
      ...metrics,
      backoffUntil: blockedUntil,
    };
  }

  // The earliest instant the renewal's reason and the back-off allow.
  const earliestMs = Math.max(
    why !== undefined ? now.getTime() : (due?.at.getTime() ?? now.getTime()),
    blockedUntil?.getTime() ?? -Infinity,
  );
  let nextMs = earliestMs;
  let waitingFor: WaitingFor | undefined =
    earliestMs <= now.getTime()
      ? undefined
      : blockedUntil !== undefined && blockedUntil.getTime() === earliestMs
        ? "backoff"
        : "renewal-time";
  const overrides: Override[] = [];
  const windowApplies = window !== undefined && (why === undefined || !IGNORE_WINDOW.has(why.code));
  if (windowApplies) {
    const opening = window.nextOpening(new Date(earliestMs));
    // The window yields when it would open later than a quarter of the renewal period before
    // expiry: failed attempts inside the window must leave time for attempts outside it.
    const latestSafeMs =
      facts === undefined || due === undefined
        ? Infinity
        : facts.notAfter.getTime() - Math.floor(due.renewBeforeMs * WINDOW_YIELDS_AT_SHARE);
    if (opening === null || opening.getTime() > latestSafeMs) {
      overrides.push("window");
    } else if (opening.getTime() > earliestMs) {
      nextMs = opening.getTime();
      waitingFor = "window";
    }
  }
  const base = { reason: why, overrides, ...metrics, backoffUntil: blockedUntil };
  if (why !== undefined && nextMs <= now.getTime()) {
    return { action: "renew", nextAttemptAt: now, ...base };
  }
  return { action: "wait", nextAttemptAt: new Date(nextMs), waitingFor, ...base };
}

// DNs as the X.509 library prints them may differ in spacing after commas; nothing else is folded.
function normalizeName(name: string): string {
  return name
    .split(/\s*,\s*/)
    .map((part) => part.trim())
    .join(",");
}
