// The renewal routes of the admin API (mounted by functions/api.ts, behind its admin token and its
// Idempotency-Key middleware):
//   GET  /api/renewals                  every target's renewal state: certificate metadata, renewal
//                                       time, seconds until expiry, next attempt, back-off, last
//                                       reason, each sink's last delivery and failure; and the targets
//                                       several declarations match (none renews them)
//   GET  /api/targets/{id}/renewal      one target's
//   GET  /api/targets/{id}/kubeconfig   the stored kubeconfig, decrypted (every read is a ledger entry)
//   POST /api/targets/{id}/renew        a forced renewal (also inside a back-off or a closed window)
//   POST /api/vault/rotate              moves every stored credential to the first vault key
import { Hono } from "hono";
import { VaultError } from "../../shared/kubeconfig/vault.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Inventory } from "../../shared/providers/inventory.ts";
import type { Renewal } from "../../shared/renewal/renewal-schema.ts";
import type { RenewalServices } from "../../shared/renewal/services.ts";
import { type RenewalState, readRenewalState } from "../../shared/renewal/state.ts";
import type { Store } from "../../shared/store/store.ts";
import { errorResponse } from "../errors.ts";
import { renewalsOverview } from "../fleet-view.ts";
import { idempotencyKeyOf } from "../idempotency.ts";
import { forceRenewal } from "./force.ts";

export interface RenewalApiDeps {
  store: Store;
  inventory: () => Promise<Inventory>;
  renewals: readonly Renewal[];
  services?: RenewalServices;
  /** The clouds' time (what certificates and plans are judged by). */
  now: () => Date;
  log: Logger;
}

/** A state as the API shows it: seconds until expiry as of now, not as of the last plan. */
export function renewalView(state: RenewalState, now: Date) {
  const { specFingerprint: _, ...view } = state;
  return {
    ...view,
    ...(state.certificate
      ? { secondsUntilExpiry: Math.floor((Date.parse(state.certificate.notAfter) - now.getTime()) / 1000) }
      : {}),
  };
}

const unknownTarget = (id: string) =>
  `no target "${id}"; GET /api/targets lists them (ids are account/clusterId)`;

export function renewalRoutes(deps: RenewalApiDeps): Hono {
  const routes = new Hono();

  routes.get("/renewals", async (c) => {
    const now = deps.now();
    return c.json(await renewalsOverview(deps.store, await deps.inventory(), deps.renewals, now));
  });

  routes.get("/targets/:id{.+}/renewal", async (c) => {
    const id = c.req.param("id");
    const now = deps.now();
    const state = await readRenewalState(deps.store, id, now);
    if (!state)
      return errorResponse(
        c,
        404,
        "no_renewal",
        `target "${id}" has no renewal state: no renewal declaration has owned it yet`,
      );
    return c.json(renewalView(state.value, now));
  });

  routes.get("/targets/:id{.+}/kubeconfig", async (c) => {
    const id = c.req.param("id");
    const now = deps.now();
    if (!deps.services)
      return errorResponse(c, 503, "renewal_disabled", "certificate renewal is not configured on this host");
    let entry: Awaited<ReturnType<Awaited<ReturnType<RenewalServices["vault"]>>["get"]>>;
    let keyId: string;
    try {
      const vault = await deps.services.vault(deps.store);
      entry = await vault.get(id, now);
      keyId = vault.primaryKeyId;
    } catch (error) {
      if (!(error instanceof VaultError)) throw error;
      deps.log.error("kubeconfig read failed", { target: id, code: error.code, error: error.message });
      const status = error.code === "no-keys" ? 503 : 500;
      return errorResponse(c, status, `vault_${error.code.replaceAll("-", "_")}`, error.message);
    }
    if (!entry) return errorResponse(c, 404, "no_kubeconfig", `no kubeconfig is stored for target "${id}"`);
    // Recorded before it is handed out: a read the ledger lacks never happens.
    await deps.store.ledger.append({
      at: now,
      operationId: `kubeconfig-read@${id}@${now.toISOString()}`,
      target: id,
      kind: "kubeconfig.read",
      detail: {
        serial: entry.meta.serial ?? null,
        notAfter: entry.meta.notAfter ?? null,
        keyId: entry.keyId ?? keyId,
        via: "GET /api/targets/{id}/kubeconfig",
      },
    });
    return c.body(entry.plaintext, 200, {
      "content-type": "application/yaml; charset=utf-8",
      "cache-control": "no-store",
      "x-nightshift-serial": entry.meta.serial ?? "",
      "x-nightshift-not-after": entry.meta.notAfter ?? "",
    });
  });

  routes.post("/targets/:id{.+}/renew", async (c) => {
    const id = c.req.param("id");
    const now = deps.now();
    if (!deps.services)
      return errorResponse(c, 503, "renewal_disabled", "certificate renewal is not configured on this host");
    const target = (await deps.inventory()).targets.find((t) => t.targetId === id);
    if (!target) return errorResponse(c, 404, "unknown_target", unknownTarget(id));
    const requestKey = idempotencyKeyOf(c);
    const outcome = await forceRenewal(deps, target, now, {
      requestedBy: "admin API",
      ...(requestKey !== undefined ? { requestKey } : {}),
    });
    if (!outcome.ok) return errorResponse(c, 409, outcome.code, outcome.message);
    return c.json(
      {
        target: id,
        operationId: outcome.operationId,
        declaration: outcome.declaration,
        requestedAt: outcome.requestedAt,
        // false: a renewal of this target was already under way; it is the one to watch.
        created: outcome.created,
      },
      202,
    );
  });

  routes.post("/vault/rotate", async (c) => {
    const now = deps.now();
    if (!deps.services)
      return errorResponse(c, 503, "renewal_disabled", "certificate renewal is not configured on this host");
    try {
      const vault = await deps.services.vault(deps.store);
      const rotation = await vault.rotate(now);
      await deps.store.ledger.append({
        at: now,
        operationId: `vault-rotate@${now.toISOString()}`,
        target: "vault",
        kind: "vault.rotated",
        detail: {
          keyId: vault.primaryKeyId,
          moved: rotation.moved,
          current: rotation.current,
          failed: rotation.failed,
        },
      });
      return c.json({ keyId: vault.primaryKeyId, ...rotation });
    } catch (error) {
      if (!(error instanceof VaultError)) throw error;
      return errorResponse(c, 503, `vault_${error.code.replaceAll("-", "_")}`, error.message);
    }
  });

  return routes;
}
