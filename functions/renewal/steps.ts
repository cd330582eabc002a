// The renewal job's steps: decide → issue → deliver → record (a delivery retry: deliver → record).
//   decide   the policy chain (shared/renewal/policy.ts) on the stored credential's metadata: the
//            reason is recorded; nothing due any more (renewed meanwhile) ends the operation skipped
//   issue    ONE call to the provider's issueKubeconfig (the declared lifetime in the vendor's unit),
//            then validated (parses, right cluster, later notAfter, key matches) and stored in the
//            vault. One step, because between them the credential exists only in memory: a step's
//            data is stored unencrypted, so the plaintext never crosses a step boundary.
//   deliver  the stored credential (decrypted) to each sink due: each sink's state is recorded; a
//            failed delivery is retried by a later operation from the vault, never re-issued
//   record   the target's renewal state: the new certificate's metadata, the next planned attempt,
//            the sinks; the outcome event (metadata only)
// A failed issuance or validation ends the operation failed and backs the target off (1 h
// doubling to 32 h, shared/renewal/backoff.ts) with its next attempt in the state.
import type {
  StepResult as JobStepResult,
  OutcomeDetail,
  OutcomeEvent,
  StepEnv,
} from "../../shared/jobs/job-kind.ts";
import { TransientError } from "../../shared/jobs/job-kind.ts";
import { operationEntry } from "../../shared/jobs/step-results.ts";
import { validateIssuedCredential } from "../../shared/kubeconfig/validate.ts";
import type { Vault } from "../../shared/kubeconfig/vault.ts";
import { VaultError } from "../../shared/kubeconfig/vault.ts";
import { ProviderError } from "../../shared/providers/port.ts";
import { recordFailure } from "../../shared/renewal/backoff.ts";
import {
  credentialMeta,
  policySpecOf,
  readCredentialMeta,
  requestedDurationMs,
  sinkName,
  storedCredentialOf,
} from "../../shared/renewal/declaration.ts";
import { findKeyMaterial } from "../../shared/renewal/key-material.ts";
import { failureHistory, planFor, withPlan } from "../../shared/renewal/planning.ts";
import type { StoredCredential } from "../../shared/renewal/policy.ts";
import {
  type CertificateMetadata,
  certificateMetadata,
  deliveryRecord,
  failedRecord,
  issuedRecord,
  plannedRecord,
  WITHHELD,
} from "../../shared/renewal/records.ts";
import { providerValidity, type RenewalSink } from "../../shared/renewal/renewal-schema.ts";
import type { RenewalServices } from "../../shared/renewal/services.ts";
import {
  attemptDelivery,
  type DeliveryResult,
  deliveryId,
  type SinkState,
  sinkRetryDue,
  sinkStateAfter,
  sinkStateForNewCredential,
} from "../../shared/renewal/sinks/sink.ts";
import { type RenewalState, readRenewalState, updateRenewalState } from "../../shared/renewal/state.ts";
import type { LedgerEntryInput } from "../../shared/store/backend.ts";
import { type Operation, StoreConflictError } from "../../shared/store/store.ts";
import { type RenewalInput, type RenewalProgress, readInput, readProgress } from "./operation-data.ts";

/** A renew operation may retry store conflicts this long after its creation. */
export const DEADLINE_MS = 30 * 60_000;

export const STEP_NAMES = ["decide", "issue", "deliver", "record"] as const;
export type StepName = (typeof STEP_NAMES)[number];
export const isStepName = (step: string): step is StepName =>
  (STEP_NAMES as readonly string[]).includes(step);

export type RenewalEvent = OutcomeEvent<
  OutcomeDetail & {
    kind: "renew";
    provider: string;
    account: string;
    clusterId: string;
    declaration: string;
    requested: "renew" | "deliver";
    before?: CertificateMetadata;
    after?: {
      certificate?: CertificateMetadata;
      sinks: Array<{ sink: string; status: string; message?: string }>;
    };
  }
> & { detailType: "nightshift.renew" };

export type StepResult = JobStepResult<RenewalEvent>;

export interface RenewalContext {
  op: Operation;
  input: RenewalInput;
  progress: RenewalProgress;
  env: StepEnv;
  services: RenewalServices;
  now: Date;
}

const clean = (text: string) => (findKeyMaterial(text).length > 0 ? WITHHELD : text);

function entry(
  ctx: Pick<RenewalContext, "op" | "now">,
  kind: string,
  detail: Record<string, unknown>,
): LedgerEntryInput {
  return operationEntry(ctx, `renew.${kind}`, { ...detail });
}

function withProgress(ctx: Pick<RenewalContext, "op">, progress: RenewalProgress): Record<string, unknown> {
  const { failures } = (ctx.op.data.progress ?? {}) as { failures?: number };
  return { ...ctx.op.data, progress: { ...progress, ...(failures !== undefined ? { failures } : {}) } };
}

function event(
  ctx: Pick<RenewalContext, "op" | "input" | "progress">,
  outcome: OutcomeDetail["outcome"],
  fields: {
    taken: string[];
    reason?: string;
    error?: { kind: string; message: string };
    after?: RenewalEvent["detail"]["after"];
  },
): RenewalEvent {
  const { input, op, progress } = ctx;
  return {
    detailType: "nightshift.renew",
    detail: {
      kind: "renew",
      operationId: op.id,
      target: op.target,
      provider: input.provider,
      account: input.account,
      clusterId: input.clusterId,
      declaration: input.declaration,
      requested: input.purpose,
      outcome,
      taken: fields.taken,
      ...(progress.before ? { before: progress.before } : {}),
      ...(fields.after ? { after: fields.after } : {}),
      ...(fields.reason ? { reason: fields.reason } : {}),
      ...(fields.error ? { error: fields.error } : {}),
    },
  };
}

/** The vault, or the failure that it is not configured. */
async function vaultOf(ctx: RenewalContext): Promise<Vault> {
  return ctx.services.vault(ctx.env.store);
}

/** Clears the operation from the target's state if it is this one. */
function withoutOperation(state: RenewalState, op: Operation): RenewalState {
  if (state.operation?.id !== op.id) return state;
  const { operation: _, ...rest } = state;
  return rest;
}

/** The forced request this operation carries is served: a later one (asked meanwhile) stays. */
function withoutServedForce(state: RenewalState, input: RenewalInput): RenewalState {
  if (!state.forced || !input.forced || state.forced.requestedAt > input.forced.requestedAt) return state;
  const { forced: _, ...rest } = state;
  return rest;
}

// ---------------------------------------------------------------------------------------------

async function decide(ctx: RenewalContext): Promise<StepResult> {
  const vault = await vaultOf(ctx);
  const state = await readRenewalState(ctx.env.store, ctx.op.target, ctx.now);
  const described = await vault.describe(ctx.op.target, ctx.now);
  const stored = storedCredentialOf(described);
  const spec = policySpecOf(ctx.input.spec, ctx.input.provider);
  const forced = ctx.input.forced ?? state?.value.forced;
  const plan = planFor(
    { ...(state?.value.failures ? { failures: state.value.failures } : {}), ...(forced ? { forced } : {}) },
    stored,
    spec,
    ctx.now,
  );
  const before = stored.kind === "certificate" ? certificateMetadata(stored.facts) : undefined;
  const meta = described ? readCredentialMeta(described.meta) : undefined;
  const progress: RenewalProgress = {
    ...ctx.progress,
    ...(before ? { before } : {}),
    ...(meta ? { previousServers: meta.servers } : {}),
  };
  const planned = plannedRecord(
    ctx.op.target,
    plan,
    stored.kind === "certificate" ? stored.facts : undefined,
    ctx.now,
  );
  if (plan.action === "wait") {
    // Renewed meanwhile (by another operation, a forced renewal), or the back-off began since planning.
    await updateRenewalState(ctx.env.store, ctx.op.target, ctx.now, (current) =>
      current ? withPlan(withoutOperation(current, ctx.op), plan, stored, ctx.now) : undefined,
    );
    const reason = `not due: the next attempt is ${plan.nextAttemptAt.toISOString()}${plan.waitingFor ? ` (waiting for ${plan.waitingFor})` : ""}`;
    const done = { ...ctx, progress };
    return {
      status: "succeeded",
      step: "done",
      data: withProgress(ctx, progress),
      ledger: [entry(ctx, "skipped", { ...planned, reason })],
      event: event(done, "skipped", { taken: [], reason }),
    };
  }
  progress.reason = {
    code: plan.reason!.code,
    message: plan.reason!.message,
    overrides: [...plan.overrides],
  };
  return {
    status: "running",
    step: "issue",
    data: withProgress(ctx, progress),
    ledger: [entry(ctx, "decided", { ...planned })],
  };
}

async function issue(ctx: RenewalContext): Promise<StepResult> {
  const { input, env, now } = ctx;
  const vault = await vaultOf(ctx);
  const validity = providerValidity(input.provider, input.spec.durationMinutes ?? 0);
  let text: string;
  try {
    text = (await env.provider.issueKubeconfig(input.clusterId, validity)).text;
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return failRenewal(ctx, { kind: `issue-${error.kind}`, message: error.message });
  }
  const before = ctx.progress.before;
  const validation = await validateIssuedCredential(text, {
    provider: input.provider,
    clusterId: input.clusterId,
    ...(before
      ? { previous: { notAfter: new Date(before.notAfter), servers: ctx.progress.previousServers ?? [] } }
      : {}),
    now,
  });
  if (!validation.ok) {
    const message = validation.problems.map((p) => `${p.check}: ${p.message}`).join("; ");
    return failRenewal(ctx, {
      kind: "invalid-credential",
      message: `the cloud's new kubeconfig was refused (nothing stored): ${message}`,
    });
  }
  const facts = validation.kubeconfig.certificate;
  const durationMs = requestedDurationMs(input.spec, input.provider);
  await vault.put(
    ctx.op.target,
    text,
    credentialMeta({
      facts,
      ...(durationMs !== undefined ? { requestedDurationMs: durationMs } : {}),
      servers: validation.kubeconfig.servers,
      declaration: input.declaration,
    }),
    now,
  );
  // Every sink gets the new credential: the store has it now; the others are due at once.
  const previous = (await readRenewalState(env.store, ctx.op.target, now))?.value.sinks ?? [];
  const sinks = await Promise.all(
    input.spec.sinks.map(async (sink, index) => {
      const name = sinkName(sink, index);
      const id = await deliveryId(ctx.op.target, facts.serial, name);
      const state = sinkStateForNewCredential(
        name,
        { id, serial: facts.serial },
        previous.find((s) => s.sink === name),
        now,
      );
      return sink.type === "store"
        ? sinkStateAfter(state, { ok: true, detail: `stored under vault key ${vault.primaryKeyId}` }, now)
        : state;
    }),
  );
  const progress: RenewalProgress = { ...ctx.progress, issued: certificateMetadata(facts), sinks };
  return {
    status: "running",
    step: "deliver",
    data: withProgress(ctx, progress),
    ledger: [
      entry(ctx, "issued", {
        ...issuedRecord(ctx.op.target, facts, ctx.progress.reason?.code ?? "forced", now),
        clusterEvidence: clean(validation.clusterEvidence),
        vaultKey: vault.primaryKeyId,
      }),
    ],
  };
}

async function deliver(ctx: RenewalContext): Promise<StepResult> {
  const { input, env, now } = ctx;
  const vault = await vaultOf(ctx);
  const stored = await vault.get(ctx.op.target, now);
  const meta = stored ? readCredentialMeta(stored.meta) : undefined;
  if (!stored || !meta) {
    return failRenewal(ctx, {
      kind: "nothing-stored",
      message: "there is no readable stored credential to deliver; the next renewal issues one",
    });
  }
  const state = (await readRenewalState(env.store, ctx.op.target, now))?.value;
  // A renewal delivers what it issued to every sink; a retry, to the sinks still due.
  const sinks: SinkState[] = ctx.progress.sinks ?? state?.sinks ?? [];
  const byName = new Map(input.spec.sinks.map((sink, index) => [sinkName(sink, index), sink] as const));
  const ledger: LedgerEntryInput[] = [];
  const after: SinkState[] = [];
  const attempts: NonNullable<RenewalProgress["attempts"]> = [];
  for (const sinkState of sinks) {
    const spec = byName.get(sinkState.sink);
    const due =
      spec !== undefined &&
      spec.type !== "store" &&
      sinkState.serial === meta.facts.serial &&
      sinkState.status !== "delivered" &&
      (input.purpose === "renew" ? true : sinkRetryDue(sinkState, now));
    if (!due) {
      after.push(sinkState);
      continue;
    }
    const attempt = await deliverTo(ctx, spec as Exclude<RenewalSink, { type: "store" }>, sinkState, {
      id: sinkState.deliveryId,
      target: ctx.op.target,
      certificate: meta.facts,
      kubeconfig: stored.plaintext,
    });
    after.push(attempt.state);
    attempts.push(
      attempt.result.ok
        ? { sink: sinkState.sink, ok: true }
        : { sink: sinkState.sink, ok: false, message: clean(attempt.result.message) },
    );
    ledger.push(
      entry(ctx, attempt.result.ok ? "delivered" : "delivery-failed", {
        ...deliveryRecord(ctx.op.target, meta.facts, attempt.result, attempt.state, now),
      }),
    );
  }
  const progress: RenewalProgress = {
    ...ctx.progress,
    sinks: after,
    attempts,
    ...(ctx.progress.issued ? {} : { before: certificateMetadata(meta.facts) }),
  };
  return { status: "running", step: "record", data: withProgress(ctx, progress), ledger };
}

async function deliverTo(
  ctx: RenewalContext,
  spec: Exclude<RenewalSink, { type: "store" }>,
  state: SinkState,
  delivery: Parameters<typeof attemptDelivery>[1],
): Promise<{ result: DeliveryResult; state: SinkState }> {
  const sink = ctx.services.sink(spec, state.sink);
  if ("unavailable" in sink) {
    const result: DeliveryResult = {
      ok: false,
      reason: "unavailable",
      message: sink.unavailable,
      retryable: false,
    };
    return { result, state: sinkStateAfter(state, result, ctx.now) };
  }
  return attemptDelivery(sink, delivery, state, ctx.now);
}

async function record(ctx: RenewalContext): Promise<StepResult> {
  const { input, env, now, op } = ctx;
  const vault = await vaultOf(ctx);
  const stored = storedCredentialOf(await vault.describe(op.target, now));
  const spec = policySpecOf(input.spec, input.provider);
  const sinks = ctx.progress.sinks ?? [];
  const renewed = input.purpose === "renew" && ctx.progress.issued !== undefined;
  await updateRenewalState(env.store, op.target, now, (current) => {
    if (!current) return undefined;
    let next = withoutOperation(current, op);
    if (renewed) {
      const { failures: _, ...rest } = withoutServedForce(next, input);
      next = {
        ...rest,
        lastRenewal: {
          at: now.toISOString(),
          operationId: op.id,
          serial: ctx.progress.issued!.serial,
          ...(ctx.progress.reason ? { reason: ctx.progress.reason.code } : {}),
        },
      };
    }
    // The sinks as this operation left them; any the declaration no longer names are dropped.
    const names = input.spec.sinks.map(sinkName);
    next = {
      ...next,
      sinks: names.flatMap((name) => {
        const mine = sinks.find((s) => s.sink === name);
        const theirs = next.sinks.find((s) => s.sink === name);
        return mine ? [mine] : theirs ? [theirs] : [];
      }),
    };
    return withPlan(next, planFor(next, stored, spec, now), stored, now);
  });
  const attempts = ctx.progress.attempts ?? [];
  const delivered = attempts.filter((a) => a.ok).map((a) => a.sink);
  const stillFailing = attempts.filter((a) => !a.ok);
  const taken = [
    ...(renewed ? [`issued serial ${ctx.progress.issued!.serial}`] : []),
    ...delivered.map((sink) => `delivered to ${sink}`),
  ];
  const after: RenewalEvent["detail"]["after"] = {
    ...(ctx.progress.issued ? { certificate: ctx.progress.issued } : {}),
    sinks: sinks.map((s) => ({
      sink: s.sink,
      status: s.status,
      ...(s.status === "failing" && s.lastFailure ? { message: clean(s.lastFailure.message) } : {}),
    })),
  };
  const ok = stillFailing.length === 0;
  const error = ok
    ? undefined
    : {
        kind: "delivery-failed",
        message: `delivery failed to ${stillFailing.map((s) => s.sink).join(", ")}; retried without issuing a new credential`,
      };
  return {
    status: input.purpose === "deliver" && !ok ? "failed" : "succeeded",
    step: "done",
    data: withProgress(ctx, ctx.progress),
    ledger: [
      entry(ctx, input.purpose === "renew" ? "succeeded" : ok ? "redelivered" : "redelivery-failed", {
        ...(ctx.progress.issued ? { certificate: ctx.progress.issued } : {}),
        delivered,
        failing: stillFailing.map((s) => s.sink),
      }),
    ],
    event: event(ctx, input.purpose === "deliver" && !ok ? "failed" : "succeeded", {
      taken,
      after,
      ...(error ? { error } : {}),
    }),
  };
}

/**
 * A failed renewal: the target backs off (its failures and next attempt in its state), the
 * operation ends failed with its ledger entry and event. Nothing was stored.
 */
export async function failRenewal(
  ctx: Pick<RenewalContext, "op" | "input" | "progress" | "env" | "now" | "services">,
  error: { kind: string; message: string },
): Promise<StepResult> {
  const { op, input, env, now } = ctx;
  const message = clean(error.message);
  const durationMs = requestedDurationMs(input.spec, input.provider);
  let stored: StoredCredential = { kind: "none" };
  try {
    stored = storedCredentialOf(await (await ctx.services.vault(env.store)).describe(op.target, now));
  } catch (vaultError) {
    if (!(vaultError instanceof VaultError)) throw vaultError;
  }
  const written = await updateRenewalState(env.store, op.target, now, (current) => {
    if (!current) return undefined;
    const history = recordFailure(failureHistory(current), now, durationMs);
    const next: RenewalState = {
      ...withoutServedForce(withoutOperation(current, op), input),
      failures: {
        failedAttempts: history.failedAttempts,
        lastFailureAt: history.lastFailureAt.toISOString(),
        ...(history.requestedDurationMs !== undefined
          ? { requestedDurationMs: history.requestedDurationMs }
          : {}),
        lastError: { kind: error.kind, message },
      },
    };
    return withPlan(next, planFor(next, stored, policySpecOf(input.spec, input.provider), now), stored, now);
  });
  const nextAttemptAt = new Date(written?.nextAttemptAt ?? now.toISOString());
  return {
    status: "failed",
    step: "done",
    data: withProgress(ctx, ctx.progress),
    error: { kind: error.kind, message },
    ledger: [
      entry(ctx, "failed", {
        ...failedRecord(
          op.target,
          { message, failedAttempts: written?.failures?.failedAttempts ?? 1, nextAttemptAt },
          now,
        ),
        kind: error.kind,
      }),
    ],
    event: event(ctx, "failed", { taken: [], error: { kind: error.kind, message } }),
  };
}

/** A step's body, with the failures that are the renewal's (not the runtime's) recorded as such. */
function guarded(run: (ctx: RenewalContext) => Promise<StepResult>) {
  return {
    async run(ctx: RenewalContext): Promise<StepResult> {
      try {
        return await run(ctx);
      } catch (error) {
        // Lost races are the runtime's to retry; everything else is this renewal's failure.
        if (error instanceof StoreConflictError || error instanceof TransientError) throw error;
        if (error instanceof VaultError)
          return failRenewal(ctx, { kind: `vault-${error.code}`, message: error.message });
        if (error instanceof ProviderError)
          return failRenewal(ctx, { kind: `cloud-${error.kind}`, message: error.message });
        throw error;
      }
    },
  };
}

export const STEPS: Readonly<Record<StepName, { run(ctx: RenewalContext): Promise<StepResult> }>> = {
  decide: guarded(decide),
  issue: guarded(issue),
  deliver: guarded(deliver),
  record: guarded(record),
};

/** An operation whose data cannot be read ends at once, naming the field. */
export function invalidOperation(op: Operation, now: Date, message: string): StepResult {
  return {
    status: "failed",
    step: "done",
    data: op.data,
    error: { kind: "invalid", message },
    ledger: [{ at: now, operationId: op.id, target: op.target, kind: "renew.invalid", detail: { message } }],
    event: {
      detailType: "nightshift.renew",
      detail: {
        kind: "renew",
        operationId: op.id,
        target: op.target,
        provider: String(op.data.provider ?? ""),
        account: String(op.data.account ?? ""),
        clusterId: String(op.data.clusterId ?? ""),
        declaration: String(op.data.declaration ?? ""),
        requested: op.data.purpose === "deliver" ? "deliver" : "renew",
        outcome: "failed",
        taken: [],
        error: { kind: "invalid", message },
      },
    },
  };
}

export function prepare(
  op: Operation,
  env: StepEnv,
): { step: string; ctx: RenewalContext } | { end: StepResult } {
  const read = readInput(op.data);
  if (!read.ok) return { end: invalidOperation(op, env.now, read.message) };
  if (!env.renewal)
    return {
      end: invalidOperation(
        op,
        env.now,
        "certificate renewal is not configured on this host (no credential vault)",
      ),
    };
  const step = op.step === "start" ? (read.input.purpose === "deliver" ? "deliver" : "decide") : op.step;
  return {
    step,
    ctx: { op, input: read.input, progress: readProgress(op.data), env, services: env.renewal, now: env.now },
  };
}

/** The end of an operation the runtime fails (a permanent error, the deadline): the tick backs the target off. */
export function failOperation(
  op: Operation,
  now: Date,
  error: { kind: string; message: string },
): StepResult {
  const read = readInput(op.data);
  if (!read.ok) return invalidOperation(op, now, `${error.message}; and ${read.message}`);
  const message = clean(error.message);
  const ctx = { op, input: read.input, progress: readProgress(op.data) };
  return {
    status: "failed",
    step: "done",
    data: op.data,
    error: { kind: error.kind, message },
    ledger: [entry({ op, now }, "failed", { message, kind: error.kind })],
    event: event(ctx, "failed", { taken: [], error: { kind: error.kind, message } }),
  };
}
