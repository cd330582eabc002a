// Where a renewed credential goes: a sink delivers one credential and says how it went, in words
// free of key material. A failed delivery is retried later on its own, from the stored credential,
// without issuing a new one: the job keeps one SinkState per sink (plain JSON data) and asks
// `sinkRetryDue` at each tick.
import { sha256Hex } from "../../signer/digest.ts";
import type { CertificateFacts } from "../policy.ts";

/** One credential to deliver. `kubeconfig` is secret material: it goes to the sink and nowhere else. */
export interface CredentialDelivery {
  /** Stable across retries of this credential to this sink (Standard Webhooks `webhook-id`). */
  id: string;
  target: string;
  certificate: CertificateFacts;
  kubeconfig: string;
}

export type DeliveryFailureReason =
  | "refused" // the receiver answered, not with success (HTTP 4xx/5xx, a redirect)
  | "unreachable" // no answer: network error, timeout
  | "rejected-path" // the file sink's path is outside its directory or a symlink
  | "write-failed" // the file could not be written
  | "unavailable"; // the sink cannot deliver on this host or lacks its configuration (a secret)

export type DeliveryResult =
  | { ok: true; detail: string }
  | {
      ok: false;
      reason: DeliveryFailureReason;
      /** What went wrong, for a person: never any part of the credential. */
      message: string;
      /** A later attempt may succeed without anyone changing anything. */
      retryable: boolean;
      status?: number;
    };

export interface CredentialSink {
  /** The declaration's name for this sink, unique per target. */
  readonly name: string;
  readonly kind: "webhook" | "file";
  /** Where it delivers, safe to show: the URL without query, or the file path. */
  readonly destination: string;
  /** Never throws: every failure is a result. */
  deliver(delivery: CredentialDelivery): Promise<DeliveryResult>;
}

export class SinkConfigError extends Error {
  override name = "SinkConfigError";
  /** The sink's configuration field at fault, e.g. "url". */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/**
 * The delivery id of one credential to one sink: the same on every retry (receivers dedupe on it),
 * different for the next credential. A digest, so it is short whatever the target id looks like.
 */
export async function deliveryId(target: string, serial: string, sink: string): Promise<string> {
  return `msg_${(await sha256Hex(`nightshift-renewal\u0000${target}\u0000${serial}\u0000${sink}`)).slice(0, 32)}`;
}

/** What the job stores per sink: the delivery in progress, the last success and the last failure. */
export interface SinkState {
  sink: string;
  /** The credential this sink should have: its delivery id and certificate serial. */
  deliveryId: string;
  serial: string;
  /** "pending": not tried yet; "delivered": done; "failing": tried and failed, retry at nextRetryAt. */
  status: "pending" | "delivered" | "failing";
  /** Attempts made for this credential. */
  attempts: number;
  lastAttemptAt?: string;
  lastDelivery?: { at: string; deliveryId: string; serial: string };
  lastFailure?: { at: string; reason: DeliveryFailureReason; message: string; status?: number };
  /** When the next attempt is due (pending or failing); absent once delivered. */
  nextRetryAt?: string;
}

const MINUTE_MS = 60_000;
export const SINK_RETRY_INITIAL_MS = MINUTE_MS;
export const SINK_RETRY_MAX_MS = 60 * MINUTE_MS;

/** Wait after the n-th failed attempt: 1 min doubling to 1 h; at once 1 h for a failure a person must fix. */
export function sinkRetryDelayMs(attempts: number, retryable: boolean): number {
  if (!retryable) return SINK_RETRY_MAX_MS;
  const exponent = Math.max(0, Math.min(attempts - 1, 6));
  return Math.min(SINK_RETRY_MAX_MS, SINK_RETRY_INITIAL_MS * 2 ** exponent);
}

/** A new credential to deliver: due at once; the sink's history (last delivery, last failure) stays. */
export function sinkStateForNewCredential(
  sink: string,
  delivery: { id: string; serial: string },
  previous: SinkState | undefined,
  now: Date,
): SinkState {
  const state: SinkState = {
    sink,
    deliveryId: delivery.id,
    serial: delivery.serial,
    status: "pending",
    attempts: 0,
    nextRetryAt: now.toISOString(),
  };
  if (previous?.lastDelivery) state.lastDelivery = previous.lastDelivery;
  if (previous?.lastFailure) state.lastFailure = previous.lastFailure;
  return state;
}

/** The state after one attempt with `result` at `now`. */
export function sinkStateAfter(state: SinkState, result: DeliveryResult, now: Date): SinkState {
  const at = now.toISOString();
  const attempts = state.attempts + 1;
  const { nextRetryAt: _, ...rest } = state;
  if (result.ok) {
    return {
      ...rest,
      status: "delivered",
      attempts,
      lastAttemptAt: at,
      lastDelivery: { at, deliveryId: state.deliveryId, serial: state.serial },
    };
  }
  const lastFailure: SinkState["lastFailure"] = { at, reason: result.reason, message: result.message };
  if (result.status !== undefined) lastFailure.status = result.status;
  return {
    ...rest,
    status: "failing",
    attempts,
    lastAttemptAt: at,
    lastFailure,
    nextRetryAt: new Date(now.getTime() + sinkRetryDelayMs(attempts, result.retryable)).toISOString(),
  };
}

/** Whether this sink has a delivery due at `now`. */
export function sinkRetryDue(state: SinkState, now: Date): boolean {
  return (
    state.status !== "delivered" &&
    state.nextRetryAt !== undefined &&
    Date.parse(state.nextRetryAt) <= now.getTime()
  );
}

/** One attempt: delivers and returns the result with the sink's next state. */
export async function attemptDelivery(
  sink: CredentialSink,
  delivery: CredentialDelivery,
  state: SinkState,
  now: Date,
): Promise<{ result: DeliveryResult; state: SinkState }> {
  let result: DeliveryResult;
  try {
    result = await sink.deliver(delivery);
  } catch (error) {
    // A sink should not throw; if one does, keep only the error's kind, never its message (which
    // could quote what was being written).
    result = {
      ok: false,
      reason: sink.kind === "file" ? "write-failed" : "unreachable",
      message: `the ${sink.kind} sink failed unexpectedly (${error instanceof Error ? error.name : typeof error})`,
      retryable: true,
    };
  }
  return { result, state: sinkStateAfter(state, result, now) };
}
