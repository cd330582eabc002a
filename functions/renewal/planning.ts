// The renewal part of a tick (both hosts): which targets the renewal declarations own, and for the
// ones that are due, what they need: a renewal (one durable `renew` operation, idempotent id:
// declaration, planned time, target), a delivery retry of the stored credential, or nothing yet (the
// next attempt stored in the target's renewal state, for the API).
//
// Bounded cost: the tick reads ONE roster record (which targets have a state, under which
// declaration and settings) and the states DUE by now through the store's due index, at most
// `limit` of them; only for those it reads the vault's metadata (`describe`: no decryption). A
// target that is not due costs nothing.
//
// Ownership, as for schedules (shared/schedule/ownership.ts): a target is renewed under the ONE
// enabled declaration whose selectors match it. Matched by several enabled declarations, none owns
// it and nothing is renewed (their lifetimes and sinks may differ, and nightshift does not guess):
// the tick reports it, and its state (API) says which declarations conflict, until the selectors
// are made exclusive. Its stored credential stays fetchable meanwhile.

import { flushLedger, pendingEntry } from "../../shared/jobs/ledger-pending.ts";
import type { Vault } from "../../shared/kubeconfig/vault.ts";
import { VaultError } from "../../shared/kubeconfig/vault.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Inventory, Target } from "../../shared/providers/inventory.ts";
import {
  policySpecOf,
  type RenewalSpec,
  renewalSpecOf,
  sinkName,
  specFingerprint,
  storedCredentialOf,
} from "../../shared/renewal/declaration.ts";
import { decideDue, newRenewalState, renewOperationId, withPlan } from "../../shared/renewal/planning.ts";
import type { StoredCredential } from "../../shared/renewal/policy.ts";
import type { Renewal } from "../../shared/renewal/renewal-schema.ts";
import type { RenewalServices } from "../../shared/renewal/services.ts";
import { deliveryId, type SinkState, sinkStateForNewCredential } from "../../shared/renewal/sinks/sink.ts";
import {
  OPERATION_RECHECK_MS,
  type RenewalPurpose,
  type RenewalState,
  ROSTER_KEY,
  readRenewalState,
  readRoster,
  updateRenewalState,
  writeRoster,
} from "../../shared/renewal/state.ts";
import { compileOwnership } from "../../shared/schedule/ownership.ts";
import { FINISHED, type Store } from "../../shared/store/store.ts";
import type { RenewalInput } from "./operation-data.ts";

/** Due targets (and newly owned ones) one tick handles at most; the rest are the next tick's. */
export const RENEWAL_PLAN_LIMIT = 200;

export interface RenewalPlanningDeps {
  store: Store;
  renewals: readonly Renewal[];
  services?: RenewalServices;
  log: Logger;
  limit?: number;
}

export interface RenewalDecision {
  target: string;
  kind: "renew" | "deliver" | "wait" | "skip";
  declaration?: string;
  /** Why: the policy's reason (renew), the sinks (deliver), why none owns it (skip). */
  reason?: string;
  operationId?: string;
  nextAttemptAt?: string;
}

export interface RenewalPlanningReport {
  created: string[];
  decisions: RenewalDecision[];
  errors: Array<{ target?: string; message: string }>;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The owner of each target of the fleet, and the targets none owns because several declarations match. */
export function renewalOwnership(renewals: readonly Renewal[], targets: readonly Target[]) {
  const ownershipOf = compileOwnership(renewals);
  const owned = new Map<string, { renewal: Renewal; target: Target }>();
  const conflicts = new Map<string, string>();
  for (const target of targets) {
    const ownership = ownershipOf(target);
    if (ownership.status === "owned") owned.set(target.targetId, { renewal: ownership.schedule, target });
    else if (ownership.status === "several-schedules")
      conflicts.set(target.targetId, `renewal declarations ${ownership.message}`);
  }
  return { owned, conflicts };
}

export async function planRenewals(
  deps: RenewalPlanningDeps,
  inventory: Inventory,
  now: Date,
  dryRun = false,
): Promise<RenewalPlanningReport> {
  const report: RenewalPlanningReport = { created: [], decisions: [], errors: [] };
  // No declarations: no reads at all.
  if (deps.renewals.length === 0) return report;
  const { owned, conflicts } = renewalOwnership(deps.renewals, inventory.targets);
  for (const [target, reason] of conflicts) report.decisions.push({ target, kind: "skip", reason });
  if (dryRun) return report;
  const limit = deps.limit ?? RENEWAL_PLAN_LIMIT;
  // Accounts whose listing failed this time: their targets are not disowned for being absent.
  const unlisted = new Set(inventory.errors.filter((e) => e.clusterId === undefined).map((e) => e.account));
  await updateRoster(deps, owned, conflicts, unlisted, now, limit, report);

  const due = (await deps.store.renewals.due({ dueBy: now, limit: limit + 1 }, now)).filter(
    (record) => record.key !== ROSTER_KEY,
  );
  // The vault is needed only for a due target: a declaration that owns nothing (yet) is no error.
  if (due.length === 0) return report;
  if (!deps.services) {
    report.errors.push({ message: "renewal declarations are loaded but this host has no renewal services" });
    deps.log.error("tick: certificate renewal has no services on this host", {});
    return report;
  }
  let vault: Vault;
  try {
    vault = await deps.services.vault(deps.store);
  } catch (error) {
    if (!(error instanceof VaultError)) throw error;
    report.errors.push({ message: `certificate renewal is off: ${error.message}` });
    deps.log.error("tick: certificate renewal is off", { error: error.message });
    return report;
  }
  for (const record of due.slice(0, limit)) {
    try {
      await planDue(deps, vault, record.key, owned, now, report);
    } catch (error) {
      // One target's trouble never stops the others.
      report.errors.push({ target: record.key, message: messageOf(error) });
      deps.log.error("tick: planning a renewal failed", { target: record.key, error: messageOf(error) });
    }
  }
  return report;
}

/**
 * Newly owned targets (or changed declarations) get a state due now; targets no declaration owns any
 * more are taken out of the due index. At most `limit` state writes; the rest next tick.
 */
async function updateRoster(
  deps: RenewalPlanningDeps,
  owned: Map<string, { renewal: Renewal; target: Target }>,
  conflicts: Map<string, string>,
  unlisted: Set<string>,
  now: Date,
  limit: number,
  report: RenewalPlanningReport,
): Promise<void> {
  const { roster, version } = await readRoster(deps.store, now);
  let writes = 0;
  let changed = false;
  for (const [targetId, { renewal, target }] of owned) {
    if (writes >= limit) break;
    const fingerprint = specFingerprint(renewalSpecOf(renewal));
    const entry = `${renewal.name}@${fingerprint}`;
    if (roster.entries[targetId] === entry) continue;
    writes++;
    await updateRenewalState(deps.store, targetId, now, (current) => {
      const base =
        current ??
        newRenewalState({
          target: targetId,
          declaration: renewal.name,
          provider: target.provider,
          account: target.account,
          clusterId: target.id,
          specFingerprint: fingerprint,
          now,
        });
      const { notOwned: _, waitingFor: __, ...rest } = base;
      // A new owner or new settings: planned again at once (its back-off, if any, still holds).
      return {
        ...rest,
        declaration: renewal.name,
        specFingerprint: fingerprint,
        nextAttemptAt: now.toISOString(),
      };
    });
    roster.entries[targetId] = entry;
    changed = true;
  }
  for (const targetId of Object.keys(roster.entries)) {
    if (owned.has(targetId) || writes >= limit) continue;
    const account = targetId.split("/")[0] ?? "";
    if (unlisted.has(account) && !conflicts.has(targetId)) continue;
    writes++;
    const why =
      conflicts.get(targetId) ??
      "no enabled renewal declaration matches it (or its cluster is gone); its stored credential is kept";
    await updateRenewalState(deps.store, targetId, now, (current) =>
      current ? { ...current, waitingFor: "owner", notOwned: why } : undefined,
    );
    deps.log.warn("renewal: a target is no longer renewed", { target: targetId, reason: why });
    delete roster.entries[targetId];
    changed = true;
  }
  if (changed && !(await writeRoster(deps.store, roster, version, now)))
    report.errors.push({ message: "the renewal roster changed concurrently; the next tick catches up" });
}

async function planDue(
  deps: RenewalPlanningDeps,
  vault: Vault,
  targetId: string,
  owned: Map<string, { renewal: Renewal; target: Target }>,
  now: Date,
  report: RenewalPlanningReport,
): Promise<void> {
  const read = await readRenewalState(deps.store, targetId, now);
  if (!read) return;
  let state = read.value;
  const owner = owned.get(targetId);
  if (!owner || owner.renewal.name !== state.declaration) {
    // The roster catches up with ownership (within its write limit): look again shortly.
    const later = new Date(now.getTime() + OPERATION_RECHECK_MS).toISOString();
    await updateRenewalState(
      deps.store,
      targetId,
      now,
      (current) => current && { ...current, nextAttemptAt: later },
    );
    return;
  }
  if (state.operation) {
    const op = await deps.store.operations.get(state.operation.id, now);
    if (op && !FINISHED.includes(op.status)) {
      await updateRenewalState(deps.store, targetId, now, (current) => current && { ...current });
      report.decisions.push({
        target: targetId,
        kind: "wait",
        declaration: state.declaration,
        reason: "an operation is under way",
        operationId: op.id,
      });
      return;
    }
    // Ended without settling the state (the runtime failed it, or it is gone): a failed attempt.
    const ended = state.operation;
    const failure =
      op?.status === "failed" ? (op.error ?? { kind: "failed", message: "the operation failed" }) : undefined;
    state =
      (await updateRenewalState(deps.store, targetId, now, (current) => {
        if (current?.operation?.id !== ended.id) return current;
        const { operation: _, ...rest } = current;
        if (!failure || ended.purpose !== "renew") return rest;
        const attempts = (current.failures?.failedAttempts ?? 0) + 1;
        return {
          ...rest,
          failures: {
            failedAttempts: attempts,
            lastFailureAt: op?.updatedAt ?? now.toISOString(),
            ...(current.failures?.requestedDurationMs !== undefined
              ? { requestedDurationMs: current.failures.requestedDurationMs }
              : {}),
            lastError: failure,
          },
        };
      })) ?? state;
  }

  const spec = renewalSpecOf(owner.renewal);
  const stored = storedCredentialOf(await vault.describe(targetId, now));
  state = await withSinksFor(state, spec, stored, now);
  const decision = decideDue(state, stored, policySpecOf(spec, state.provider), now);
  if (decision.kind === "wait") {
    const next = withPlan(state, decision.plan, stored, now);
    await updateRenewalState(deps.store, targetId, now, (current) =>
      current && !current.operation
        ? withPlan({ ...current, sinks: next.sinks }, decision.plan, stored, now)
        : current,
    );
    report.decisions.push({
      target: targetId,
      kind: "wait",
      declaration: state.declaration,
      nextAttemptAt: next.nextAttemptAt,
      ...(next.waitingFor ? { reason: `waiting for ${next.waitingFor}` } : {}),
    });
    return;
  }

  const purpose: RenewalPurpose = decision.kind;
  const serial = stored.kind === "certificate" ? stored.facts.serial : undefined;
  // The planned time names the attempt: the same on every re-plan of it, so the id is too.
  // A forced request has its own ids (a renewal planned at the same instant may have run already).
  const plannedAt =
    purpose === "renew"
      ? (state.forced?.requestedAt ?? state.nextAttemptAt)
      : earliestRetry(state.sinks, decision.kind === "deliver" ? decision.sinks : []);
  const operationId = renewOperationId(
    purpose,
    state.declaration,
    state.forced && purpose === "renew" ? `forced-${plannedAt}` : plannedAt,
    targetId,
    serial,
  );
  const input: RenewalInput = {
    account: state.account,
    provider: state.provider,
    clusterId: state.clusterId,
    declaration: state.declaration,
    purpose,
    plannedAt,
    spec,
    ...(decision.kind === "deliver" ? { sinks: decision.sinks } : {}),
    ...(state.forced ? { forced: state.forced } : {}),
  };
  const created = await createRenewOperation(deps.store, operationId, targetId, input, now, {
    ...(decision.kind === "renew" && decision.plan.reason
      ? {
          reason: decision.plan.reason.code,
          message: decision.plan.reason.message,
          overrides: decision.plan.overrides,
        }
      : {}),
    ...(decision.kind === "deliver" ? { sinks: decision.sinks } : {}),
  });
  await updateRenewalState(deps.store, targetId, now, (current) => {
    if (!current) return undefined;
    const planned =
      decision.kind === "renew"
        ? withPlan({ ...current, sinks: state.sinks }, decision.plan, stored, now)
        : { ...current, sinks: state.sinks };
    return { ...planned, operation: { id: operationId, purpose, createdAt: now.toISOString() } };
  });
  if (created) report.created.push(operationId);
  report.decisions.push({
    target: targetId,
    kind: purpose,
    declaration: state.declaration,
    operationId,
    ...(decision.kind === "renew" && decision.plan.reason ? { reason: decision.plan.reason.code } : {}),
    ...(decision.kind === "deliver" ? { reason: `retry ${decision.sinks.join(", ")}` } : {}),
  });
}

function earliestRetry(sinks: readonly SinkState[], names: readonly string[]): string {
  const times = sinks.filter((s) => names.includes(s.sink) && s.nextRetryAt).map((s) => s.nextRetryAt!);
  return times.sort()[0] ?? new Date(0).toISOString();
}

/**
 * Every declared sink has a state: one the declaration added since the stored credential was
 * delivered gets it as a new delivery (due now); one it no longer names is dropped.
 */
async function withSinksFor(
  state: RenewalState,
  spec: RenewalSpec,
  stored: StoredCredential,
  now: Date,
): Promise<RenewalState> {
  const sinks = await Promise.all(
    spec.sinks.map(async (sink, index): Promise<SinkState | undefined> => {
      const name = sinkName(sink, index);
      const existing = state.sinks.find((s) => s.sink === name);
      if (existing || stored.kind !== "certificate") return existing;
      const serial = stored.facts.serial;
      const fresh = sinkStateForNewCredential(
        name,
        { id: await deliveryId(state.target, serial, name), serial },
        undefined,
        now,
      );
      // The store already holds it.
      return sink.type === "store"
        ? {
            ...fresh,
            status: "delivered",
            nextRetryAt: undefined,
            lastDelivery: { at: now.toISOString(), deliveryId: fresh.deliveryId, serial },
          }
        : fresh;
    }),
  );
  return { ...state, sinks: sinks.filter((s): s is SinkState => s !== undefined).map(withoutUndefined) };
}

function withoutUndefined(sink: SinkState): SinkState {
  return Object.fromEntries(Object.entries(sink).filter(([, v]) => v !== undefined)) as unknown as SinkState;
}

/**
 * Creates the operation (idempotent by id) with its `renew.scheduled` ledger entry in the creating
 * write (appended at once, or by whoever next takes the operation). True when created here.
 */
export async function createRenewOperation(
  store: Store,
  id: string,
  target: string,
  input: RenewalInput,
  now: Date,
  detail: Record<string, unknown>,
): Promise<boolean> {
  const entry = pendingEntry(`${id}:${now.getTime()}:scheduled`, {
    at: now,
    operationId: id,
    target,
    kind: `renew.${input.purpose === "renew" ? "scheduled" : "redelivery-scheduled"}`,
    detail: { declaration: input.declaration, plannedAt: input.plannedAt, ...detail },
  });
  const result = await store.operations.create(
    { id, target, kind: "renew", step: "start", data: { ...input }, ledgerPending: [entry] },
    { now },
  );
  await flushLedger(store, result.operation, now);
  return result.created;
}
