// What nightshift remembers per target about its credential's renewal, beside the encrypted
// credential itself (the vault): the declaration that owns it, the next attempt and why, the
// back-off, the operation in flight, and each sink's last delivery and failure. Metadata only: no
// field ever holds key material. The API shows it as it is; the tick finds what is due through the
// store's due index (scored by `dueAt`), so a tick never reads every target's state.
//
// Writers: the tick (planning), the renewal job (its outcome), a forced renewal (API, CLI). Each
// writes by compare-and-set through `updateRenewalState`, re-reading on a lost race, so none
// overwrites another's change.
import type { ProviderKind } from "../providers/port.ts";
import { type Store, StoreConflictError, type Versioned } from "../store/store.ts";
import type { RenewReasonCode, WaitingFor } from "./policy.ts";
import type { CertificateMetadata } from "./records.ts";
import type { SinkState } from "./sinks/sink.ts";

/** Why the next attempt is when it is, beyond the policy's reasons. */
export type RenewalWaitingFor =
  | WaitingFor
  /** An operation is renewing or delivering now. */
  | "operation"
  /** No enabled declaration owns the target (any more): nothing is planned. */
  | "owner";

export interface RenewalFailures {
  failedAttempts: number;
  lastFailureAt: string;
  requestedDurationMs?: number;
  /** What went wrong the last time, metadata only. */
  lastError?: { kind: string; message: string };
}

export interface RenewalState {
  target: string;
  /** The declaration that owns it (or last owned it). */
  declaration: string;
  provider: ProviderKind;
  account: string;
  clusterId: string;
  /** The declaration's settings this state was planned under (a change re-plans at once). */
  specFingerprint: string;
  /** When the next renewal attempt is planned (not counting sink retries). */
  nextAttemptAt: string;
  waitingFor?: RenewalWaitingFor;
  /** Why a renewal is wanted (now or at nextAttemptAt), as the last plan said. */
  lastReason?: { code: RenewReasonCode; message: string; at: string };
  /** Why no declaration owns it (waitingFor "owner"). */
  notOwned?: string;
  /** The stored certificate's metadata and its renewal time (metrics: seconds until expiry). */
  certificate?: CertificateMetadata;
  renewalTime?: string;
  secondsUntilExpiry?: number;
  backoffUntil?: string;
  failures?: RenewalFailures;
  /** A person asked for a renewal (API, CLI): it runs past a back-off and a closed window. */
  forced?: { requestedAt: string; requestedBy?: string };
  /** The operation renewing or delivering now. */
  operation?: { id: string; purpose: RenewalPurpose; createdAt: string };
  lastRenewal?: { at: string; operationId: string; serial: string; reason?: RenewReasonCode };
  /** One per declared sink (the store sink included): its last delivery and failure. */
  sinks: SinkState[];
  updatedAt: string;
}

/** "renew": issue a new credential (and deliver it); "deliver": retry failed deliveries of the stored one. */
export type RenewalPurpose = "renew" | "deliver";

/** While an operation is in flight, the tick looks again this long after (it may have died). */
export const OPERATION_RECHECK_MS = 5 * 60_000;

/**
 * When the tick must look at the target next: the next attempt, or a sink's retry if earlier;
 * while an operation runs, a recheck; undefined when nothing is planned (no owner).
 */
export function dueAt(state: RenewalState, now: Date): Date | undefined {
  if (state.waitingFor === "owner") return undefined;
  if (state.operation) return new Date(now.getTime() + OPERATION_RECHECK_MS);
  let at = Date.parse(state.nextAttemptAt);
  for (const sink of state.sinks) {
    if (sink.status === "delivered" || sink.nextRetryAt === undefined) continue;
    at = Math.min(at, Date.parse(sink.nextRetryAt));
  }
  return new Date(Number.isNaN(at) ? now.getTime() : at);
}

/** The stored state, or undefined; a record that is not a renewal state counts as none. */
export async function readRenewalState(
  store: Store,
  target: string,
  now: Date,
): Promise<Versioned<RenewalState> | undefined> {
  const record = await store.renewals.get(target, now);
  if (!record || !isRenewalState(record.value)) return undefined;
  return { value: record.value, version: record.version };
}

function isRenewalState(value: unknown): value is RenewalState {
  const v = value as Partial<RenewalState> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.target === "string" &&
    typeof v.declaration === "string" &&
    typeof v.nextAttemptAt === "string" &&
    Array.isArray(v.sinks)
  );
}

const MAX_ATTEMPTS = 8;

/**
 * Changes a target's state by compare-and-set: `change` gets the current state (undefined: none)
 * and returns the next one, or undefined to write nothing. Re-reads and re-applies on a lost race.
 * Returns what was written (or the unchanged state).
 */
export async function updateRenewalState(
  store: Store,
  target: string,
  now: Date,
  change: (current: RenewalState | undefined) => RenewalState | undefined,
): Promise<RenewalState | undefined> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await readRenewalState(store, target, now);
    const next = change(current?.value);
    if (next === undefined) return current?.value;
    const written = { ...next, updatedAt: now.toISOString() };
    const version = await store.renewals.putDue(
      target,
      written,
      dueAt(written, now),
      current?.version ?? null,
      now,
    );
    if (version !== undefined) return written;
  }
  throw new StoreConflictError(`renewal state of "${target}"`);
}

/** The renewal state of every target that has one (the API's listing; not for the tick). */
export async function listRenewalStates(store: Store, now: Date): Promise<RenewalState[]> {
  return (await store.renewals.list(now))
    .map((record) => record.value)
    .filter((value): value is RenewalState => isRenewalState(value));
}

// ---------------------------------------------------------------------------------------------
// The roster: which targets the tick has already given a state, and under which declaration and
// settings. One record, read once a tick, so the tick learns of new targets (and changed
// declarations) without reading every state.

export const ROSTER_KEY = "\u0000roster";

export interface RenewalRoster {
  /** target id → `<declaration>@<spec fingerprint>`. */
  entries: Record<string, string>;
}

export async function readRoster(
  store: Store,
  now: Date,
): Promise<{ roster: RenewalRoster; version: number | null }> {
  const record = await store.renewals.get(ROSTER_KEY, now);
  const value = record?.value as Partial<RenewalRoster> | undefined;
  if (!record || typeof value?.entries !== "object" || value.entries === null)
    return { roster: { entries: {} }, version: record?.version ?? null };
  return { roster: { entries: { ...value.entries } }, version: record.version };
}

/** Writes the roster over the version read; false on a lost race (the next tick does it again). */
export async function writeRoster(
  store: Store,
  roster: RenewalRoster,
  version: number | null,
  now: Date,
): Promise<boolean> {
  return (await store.renewals.putDue(ROSTER_KEY, roster, undefined, version, now)) !== undefined;
}
