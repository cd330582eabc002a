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
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import * as z from "zod";
import { VaultError } from "../../shared/kubeconfig/vault.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Inventory } from "../../shared/providers/inventory.ts";
import type { Renewal } from "../../shared/renewal/renewal-schema.ts";
import type { RenewalServices } from "../../shared/renewal/services.ts";
import { type RenewalState, readRenewalState } from "../../shared/renewal/state.ts";
import type { Store } from "../../shared/store/store.ts";
import { TargetParams } from "../api-schemas.ts";
import { errorResponse } from "../errors.ts";
import { renewalsOverview } from "../fleet-view.ts";
import { idempotencyKeyOf } from "../idempotency.ts";
import { ADMIN_ERRORS, apiRouter, errorResponses, jsonResponse, WRITE_ERRORS } from "../openapi.ts";
import {
  KubeconfigHeaders,
  RenewalsResponse,
  RenewalView,
  RenewResponse,
  RotationResponse,
} from "./api-schemas.ts";
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

const RENEWAL_ROUTES = {
  renewals: createRoute({
    method: "get",
    path: "/renewals",
    operationId: "listRenewals",
    tags: ["renewal"],
    summary: "Every target's renewal state, and the targets several declarations match",
    responses: {
      200: jsonResponse(RenewalsResponse, "The renewal states and the conflicts"),
      ...errorResponses(ADMIN_ERRORS),
    },
  }),
  renewal: createRoute({
    method: "get",
    path: "/targets/{id{.+}}/renewal",
    operationId: "getRenewal",
    tags: ["renewal"],
    summary: "One target's renewal state",
    request: { params: TargetParams },
    responses: {
      200: jsonResponse(RenewalView, "The target's renewal state"),
      ...errorResponses(ADMIN_ERRORS, { 404: ["no_renewal"] }),
    },
  }),
  kubeconfig: createRoute({
    method: "get",
    path: "/targets/{id{.+}}/kubeconfig",
    operationId: "getKubeconfig",
    tags: ["renewal"],
    summary: "The stored kubeconfig, decrypted; every read is a ledger entry (`kubeconfig.read`)",
    request: { params: TargetParams },
    responses: {
      200: {
        description: "The kubeconfig as YAML (`Cache-Control: no-store`)",
        headers: KubeconfigHeaders,
        content: {
          "application/yaml": { schema: z.string().openapi({ example: "apiVersion: v1\nkind: Config\n…" }) },
        },
      },
      ...errorResponses(ADMIN_ERRORS, {
        404: ["no_kubeconfig"],
        500: ["vault_unknown_key", "vault_undecryptable"],
        503: ["renewal_disabled", "vault_no_keys"],
      }),
    },
  }),
  renew: createRoute({
    method: "post",
    path: "/targets/{id{.+}}/renew",
    operationId: "renewTarget",
    tags: ["renewal"],
    summary: "Force a renewal now (also inside a back-off or a closed window)",
    description:
      "Creates the renew operation at once; while one is already renewing the target, that one is the answer (`created: false`). Honours `Idempotency-Key`. No body.",
    request: { params: TargetParams },
    responses: {
      202: jsonResponse(RenewResponse, "The renewal operation to watch (`GET /api/operations`)"),
      ...errorResponses(ADMIN_ERRORS, WRITE_ERRORS, {
        404: ["unknown_target"],
        409: ["not_renewed"],
        503: ["renewal_disabled"],
      }),
    },
  }),
  rotate: createRoute({
    method: "post",
    path: "/vault/rotate",
    operationId: "rotateVault",
    tags: ["renewal"],
    summary: "Move every stored credential to the first vault key",
    description: "Lands in the ledger as `vault.rotated`. Honours `Idempotency-Key`. No body.",
    responses: {
      200: jsonResponse(RotationResponse, "How many records moved, were already current, and which failed"),
      ...errorResponses(ADMIN_ERRORS, WRITE_ERRORS, { 503: ["renewal_disabled", "vault_no_keys"] }),
    },
  }),
};

type Snake<S extends string> = S extends `${infer A}-${infer B}` ? `${A}_${Snake<B>}` : S;
const vaultCode = <C extends string>(code: C) => `vault_${code.replaceAll("-", "_")}` as `vault_${Snake<C>}`;

export function renewalRoutes(deps: RenewalApiDeps): OpenAPIHono {
  const routes = apiRouter();

  routes.openapi(RENEWAL_ROUTES.renewals, async (c) => {
    const now = deps.now();
    return c.json(await renewalsOverview(deps.store, await deps.inventory(), deps.renewals, now), 200);
  });

  routes.openapi(RENEWAL_ROUTES.renewal, async (c) => {
    const { id } = c.req.valid("param");
    const now = deps.now();
    const state = await readRenewalState(deps.store, id, now);
    if (!state)
      return errorResponse(
        c,
        404,
        "no_renewal",
        `target "${id}" has no renewal state: no renewal declaration has owned it yet`,
      );
    return c.json(renewalView(state.value, now), 200);
  });

  routes.openapi(RENEWAL_ROUTES.kubeconfig, async (c) => {
    const { id } = c.req.valid("param");
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
      if (error.code === "no-keys") return errorResponse(c, 503, vaultCode(error.code), error.message);
      if (error.code === "conflict") throw error; // a read never writes under contention
      return errorResponse(c, 500, vaultCode(error.code), error.message);
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

  routes.openapi(RENEWAL_ROUTES.renew, async (c) => {
    const { id } = c.req.valid("param");
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

  routes.openapi(RENEWAL_ROUTES.rotate, async (c) => {
    const now = deps.now();
    if (!deps.services)
      return errorResponse(c, 503, "renewal_disabled", "certificate renewal is not configured on this host");
    let vault: Awaited<ReturnType<RenewalServices["vault"]>>;
    try {
      vault = await deps.services.vault(deps.store);
    } catch (error) {
      // Opening the vault fails only for want of a key; rotate itself reports each record's failure.
      if (!(error instanceof VaultError && error.code === "no-keys")) throw error;
      return errorResponse(c, 503, vaultCode(error.code), error.message);
    }
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
    return c.json({ keyId: vault.primaryKeyId, ...rotation }, 200);
  });

  return routes;
}
