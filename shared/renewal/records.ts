// What renewal writes to logs, events and the ledger: metadata only (subject, issuer, serial,
// notBefore, notAfter, sink), built field by field from plain values so that handing a builder a
// larger object cannot carry a kubeconfig along. Free text (a reason, a provider's error message)
// is checked with findKeyMaterial and withheld if it looks like key material.
import { findKeyMaterial } from "./key-material.ts";
import type { CertificateFacts, Override, RenewalPlan, RenewReasonCode } from "./policy.ts";
import type { DeliveryResult, SinkState } from "./sinks/sink.ts";

export type RenewalRecordEvent =
  | "renewal.planned"
  | "renewal.issued"
  | "renewal.failed"
  | "delivery.succeeded"
  | "delivery.failed";

export interface CertificateMetadata {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
}

export interface RenewalRecord {
  event: RenewalRecordEvent;
  target: string;
  at: string;
  reason?: RenewReasonCode;
  message?: string;
  certificate?: CertificateMetadata;
  sink?: string;
  overrides?: Override[];
  nextAttemptAt?: string;
  failedAttempts?: number;
}

export const WITHHELD = "[withheld: the text looked like key material]";

/** The five metadata fields of a certificate, and nothing else. */
export function certificateMetadata(facts: CertificateFacts): CertificateMetadata {
  return {
    subject: clean(String(facts.subject)),
    issuer: clean(String(facts.issuer)),
    serial: clean(String(facts.serial)),
    notBefore: facts.notBefore.toISOString(),
    notAfter: facts.notAfter.toISOString(),
  };
}

function clean(text: string): string {
  return findKeyMaterial(text).length > 0 ? WITHHELD : text;
}

/** The decision of one evaluation: renew now (why, what it overrides) or wait (until when). */
export function plannedRecord(
  target: string,
  plan: RenewalPlan,
  stored: CertificateFacts | undefined,
  now: Date,
): RenewalRecord {
  const record: RenewalRecord = {
    event: "renewal.planned",
    target,
    at: now.toISOString(),
    nextAttemptAt: plan.nextAttemptAt.toISOString(),
  };
  if (plan.reason) {
    record.reason = plan.reason.code;
    record.message = clean(plan.reason.message);
  }
  if (plan.overrides.length > 0) record.overrides = [...plan.overrides];
  if (stored) record.certificate = certificateMetadata(stored);
  return record;
}

export function issuedRecord(
  target: string,
  issued: CertificateFacts,
  reason: RenewReasonCode,
  now: Date,
): RenewalRecord {
  return {
    event: "renewal.issued",
    target,
    at: now.toISOString(),
    reason,
    certificate: certificateMetadata(issued),
  };
}

export function failedRecord(
  target: string,
  failure: { message: string; failedAttempts: number; nextAttemptAt: Date },
  now: Date,
): RenewalRecord {
  return {
    event: "renewal.failed",
    target,
    at: now.toISOString(),
    message: clean(failure.message),
    failedAttempts: failure.failedAttempts,
    nextAttemptAt: failure.nextAttemptAt.toISOString(),
  };
}

export function deliveryRecord(
  target: string,
  certificate: CertificateFacts,
  result: DeliveryResult,
  state: SinkState,
  now: Date,
): RenewalRecord {
  const record: RenewalRecord = {
    event: result.ok ? "delivery.succeeded" : "delivery.failed",
    target,
    at: now.toISOString(),
    sink: state.sink,
    certificate: certificateMetadata(certificate),
    message: clean(result.ok ? result.detail : result.message),
  };
  if (state.nextRetryAt) record.nextAttemptAt = state.nextRetryAt;
  return record;
}
