// A renewal declaration (renewal-schema.ts) in the terms the policy, the job and the vault use: the
// policy's spec, the sinks by name, what an operation carries of it, and the credential's metadata
// as the vault keeps it beside the ciphertext (so the tick decides without decrypting anything).
import type { CertificateFacts } from "../kubeconfig/kubeconfig.ts";
import type { ProviderKind } from "../providers/port.ts";
import type { RenewalPolicySpec, StoredCredential } from "./policy.ts";
import type { Renewal, RenewalSink } from "./renewal-schema.ts";
import { compileWindow, type RenewalWindow } from "./window.ts";

/** What a renew operation carries of its declaration (JSON). */
export interface RenewalSpec {
  durationMinutes?: number;
  renewBefore: Renewal["renewBefore"];
  window?: Renewal["window"];
  sinks: RenewalSink[];
}

export function renewalSpecOf(
  renewal: Pick<Renewal, "durationMinutes" | "renewBefore" | "window" | "sinks">,
): RenewalSpec {
  return {
    ...(renewal.durationMinutes !== undefined ? { durationMinutes: renewal.durationMinutes } : {}),
    renewBefore: renewal.renewBefore,
    ...(renewal.window ? { window: renewal.window } : {}),
    sinks: renewal.sinks.map((sink) => ({ ...sink })),
  };
}

/** Changes whenever a setting that the plan or the deliveries depend on changes. */
export function specFingerprint(spec: RenewalSpec): string {
  const { durationMinutes, renewBefore, window, sinks } = spec;
  return JSON.stringify([durationMinutes ?? null, renewBefore, window ?? null, sinks]);
}

// Windows are compiled once per spec (a compiled window memoises its openings).
const windows = new Map<string, RenewalWindow>();
function windowOf(spec: NonNullable<RenewalSpec["window"]>): RenewalWindow {
  const key = JSON.stringify(spec);
  let window = windows.get(key);
  if (!window) {
    window = compileWindow(spec);
    if (windows.size > 1000) windows.clear();
    windows.set(key, window);
  }
  return window;
}

/** The validity asked for, ms, for a provider: none where the cloud takes none (Baidu). */
export function requestedDurationMs(spec: RenewalSpec, provider: ProviderKind): number | undefined {
  return provider === "baidu" || spec.durationMinutes === undefined
    ? undefined
    : spec.durationMinutes * 60_000;
}

/** The policy's view of a declaration for one provider. */
export function policySpecOf(spec: RenewalSpec, provider: ProviderKind): RenewalPolicySpec {
  const durationMs = requestedDurationMs(spec, provider);
  return {
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...("minutes" in spec.renewBefore
      ? { renewBeforeMs: spec.renewBefore.minutes * 60_000 }
      : { renewBeforePercentage: spec.renewBefore.percentage }),
    ...(spec.window ? { window: windowOf(spec.window) } : {}),
  };
}

/** Each sink's name, unique per declaration: "store", or its type and position, e.g. "webhook-2". */
export function sinkName(sink: RenewalSink, index: number): string {
  return sink.type === "store" ? "store" : `${sink.type}-${index + 1}`;
}

// ---------------------------------------------------------------------------------------------
// The vault's metadata (strings) beside each stored credential.

export interface CredentialMeta {
  facts: CertificateFacts;
  /** The validity asked for when it was issued, ms. */
  requestedDurationMs?: number;
  /** The API servers the kubeconfig names (the next credential must name one of them: Huawei). */
  servers: string[];
  declaration?: string;
}

export function credentialMeta(meta: CredentialMeta): Record<string, string> {
  const { facts } = meta;
  return {
    subject: facts.subject,
    issuer: facts.issuer,
    serial: facts.serial,
    notBefore: facts.notBefore.toISOString(),
    notAfter: facts.notAfter.toISOString(),
    servers: meta.servers.join(" "),
    ...(meta.requestedDurationMs !== undefined
      ? { requestedDurationMs: String(meta.requestedDurationMs) }
      : {}),
    ...(meta.declaration ? { declaration: meta.declaration } : {}),
  };
}

/** The vault's metadata read back; undefined when it is not what credentialMeta wrote. */
export function readCredentialMeta(meta: Record<string, string>): CredentialMeta | undefined {
  const notBefore = new Date(meta.notBefore ?? "");
  const notAfter = new Date(meta.notAfter ?? "");
  if (
    typeof meta.subject !== "string" ||
    typeof meta.issuer !== "string" ||
    typeof meta.serial !== "string" ||
    Number.isNaN(notBefore.getTime()) ||
    Number.isNaN(notAfter.getTime())
  )
    return undefined;
  const requested = meta.requestedDurationMs === undefined ? undefined : Number(meta.requestedDurationMs);
  return {
    facts: { subject: meta.subject, issuer: meta.issuer, serial: meta.serial, notBefore, notAfter },
    ...(requested !== undefined && Number.isFinite(requested) ? { requestedDurationMs: requested } : {}),
    servers: (meta.servers ?? "").split(" ").filter((s) => s !== ""),
    ...(meta.declaration ? { declaration: meta.declaration } : {}),
  };
}

/** The policy's view of what the vault describes (no decryption). */
export function storedCredentialOf(
  described: { meta: Record<string, string> } | undefined,
): StoredCredential {
  if (!described) return { kind: "none" };
  const meta = readCredentialMeta(described.meta);
  if (!meta)
    return {
      kind: "unparsable",
      problem:
        "the stored credential's metadata (subject, issuer, serial, notBefore, notAfter) is missing or unreadable",
    };
  return {
    kind: "certificate",
    facts: meta.facts,
    ...(meta.requestedDurationMs !== undefined ? { requestedDurationMs: meta.requestedDurationMs } : {}),
  };
}
