// What a renew operation's data holds (JSON): its input, written by whoever created it (the tick's
// renewal planning, a forced renewal), and the steps' progress. Metadata only: the credential
// itself is in the vault, never here.
import * as z from "zod";
import { PROVIDER_KINDS } from "../../shared/providers/port.ts";
import type { RenewalSpec } from "../../shared/renewal/declaration.ts";
import type { RenewReasonCode } from "../../shared/renewal/policy.ts";
import type { CertificateMetadata } from "../../shared/renewal/records.ts";
import type { SinkState } from "../../shared/renewal/sinks/sink.ts";
import type { RenewalPurpose } from "../../shared/renewal/state.ts";

const Sink = z.discriminatedUnion("type", [
  z.object({ type: z.literal("webhook"), url: z.string(), secretRef: z.string() }),
  z.object({ type: z.literal("file"), path: z.string() }),
  z.object({ type: z.literal("store") }),
]);

const Input = z.object({
  account: z.string().min(1),
  provider: z.enum(PROVIDER_KINDS),
  clusterId: z.string().min(1),
  declaration: z.string().min(1),
  purpose: z.enum(["renew", "deliver"]),
  plannedAt: z.string(),
  spec: z.object({
    durationMinutes: z.number().int().positive().optional(),
    renewBefore: z.union([z.object({ minutes: z.number() }), z.object({ percentage: z.number() })]),
    window: z.object({ cron: z.string(), timezone: z.string(), durationMinutes: z.number() }).optional(),
    sinks: z.array(Sink).min(1),
  }),
  /** Deliver: the sinks whose retry was due when planned. */
  sinks: z.array(z.string()).optional(),
  forced: z.object({ requestedAt: z.string(), requestedBy: z.string().optional() }).optional(),
});

export interface RenewalInput {
  account: string;
  provider: (typeof PROVIDER_KINDS)[number];
  clusterId: string;
  declaration: string;
  purpose: RenewalPurpose;
  plannedAt: string;
  spec: RenewalSpec;
  sinks?: string[];
  forced?: { requestedAt: string; requestedBy?: string };
}

export interface RenewalProgress {
  /** Why this renewal runs (decide). */
  reason?: { code: RenewReasonCode; message: string; overrides: string[] };
  /** The credential it replaces, and the servers it named (validation of the next one). */
  before?: CertificateMetadata;
  previousServers?: string[];
  /** The credential issued and stored (issue). */
  issued?: CertificateMetadata;
  /** Each sink's state after this operation's deliveries. */
  sinks?: SinkState[];
  /** The deliveries this operation attempted, in order (metadata only). */
  attempts?: Array<{ sink: string; ok: boolean; message?: string }>;
}

export function readInput(
  data: Record<string, unknown>,
): { ok: true; input: RenewalInput } | { ok: false; message: string } {
  const parsed = Input.safeParse(data);
  if (parsed.success) return { ok: true, input: parsed.data as RenewalInput };
  const issue = parsed.error.issues[0]!;
  return { ok: false, message: `operation data ${issue.path.join(".") || "(root)"}: ${issue.message}` };
}

export function readProgress(data: Record<string, unknown>): RenewalProgress {
  const progress = data.progress;
  return typeof progress === "object" && progress !== null ? (progress as RenewalProgress) : {};
}
