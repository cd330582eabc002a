// A forced renewal (`POST /api/targets/{id}/renew`, `nightshift renew <target>`): runs now, past a
// back-off and a closed window (the policy's Forced check; both recorded as overrides). It creates
// the renew operation at once (id: declaration, the request's time, target) and marks the target's
// state, so the tick does not plan another; the runtime advances it like any other. While an
// operation is already renewing the target, that one is the answer.
import type { Target } from "../../shared/providers/inventory.ts";
import { renewalSpecOf, specFingerprint } from "../../shared/renewal/declaration.ts";
import { newRenewalState, renewOperationId } from "../../shared/renewal/planning.ts";
import type { Renewal } from "../../shared/renewal/renewal-schema.ts";
import { readRenewalState, updateRenewalState } from "../../shared/renewal/state.ts";
import { FINISHED, type Store } from "../../shared/store/store.ts";
import type { RenewalInput } from "./operation-data.ts";
import { createRenewOperation, renewalOwnership } from "./planning.ts";

export type ForceOutcome =
  | { ok: true; operationId: string; created: boolean; declaration: string; requestedAt: string }
  | { ok: false; code: "not_renewed"; message: string };

export async function forceRenewal(
  deps: { store: Store; renewals: readonly Renewal[] },
  target: Target,
  now: Date,
  request: { requestedBy: string; requestKey?: string },
): Promise<ForceOutcome> {
  const { owned, conflicts } = renewalOwnership(deps.renewals, [target]);
  const owner = owned.get(target.targetId);
  if (!owner)
    return {
      ok: false,
      code: "not_renewed",
      message:
        conflicts.get(target.targetId) ??
        `no enabled renewal declaration (kind: renewal in schedules/) matches target ${target.targetId}; add one whose targets select it`,
    };
  const { renewal } = owner;
  const current = await readRenewalState(deps.store, target.targetId, now);
  const running = current?.value.operation;
  if (running) {
    const op = await deps.store.operations.get(running.id, now);
    if (op && !FINISHED.includes(op.status) && running.purpose === "renew")
      return {
        ok: true,
        operationId: op.id,
        created: false,
        declaration: renewal.name,
        requestedAt: current.value.forced?.requestedAt ?? op.createdAt,
      };
  }
  const requestedAt = now.toISOString();
  const spec = renewalSpecOf(renewal);
  const operationId = renewOperationId("renew", renewal.name, `forced-${requestedAt}`, target.targetId);
  const forced = { requestedAt, requestedBy: request.requestedBy };
  const input: RenewalInput = {
    account: target.account,
    provider: target.provider,
    clusterId: target.id,
    declaration: renewal.name,
    purpose: "renew",
    plannedAt: requestedAt,
    spec,
    forced,
  };
  const created = await createRenewOperation(deps.store, operationId, target.targetId, input, now, {
    reason: "forced",
    requestedBy: request.requestedBy,
  });
  await updateRenewalState(deps.store, target.targetId, now, (state) => ({
    ...(state ??
      newRenewalState({
        target: target.targetId,
        declaration: renewal.name,
        provider: target.provider,
        account: target.account,
        clusterId: target.id,
        specFingerprint: specFingerprint(spec),
        now,
      })),
    forced,
    operation: { id: operationId, purpose: "renew", createdAt: requestedAt },
  }));
  await deps.store.ledger.append({
    at: now,
    operationId,
    target: target.targetId,
    kind: "renew.forced",
    detail: { declaration: renewal.name, requestedBy: request.requestedBy },
    key: `renew.forced:${target.targetId}:${request.requestKey !== undefined ? `request:${request.requestKey}` : operationId}`,
  });
  return { ok: true, operationId, created, declaration: renewal.name, requestedAt };
}
