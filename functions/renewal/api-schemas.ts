// The response schemas of the renewal routes (functions/renewal/api.ts); their handlers are
// type-checked against them.
// @hono/zod-openapi gives zod's schemas `.openapi()` (its import extends zod), used below.
import "@hono/zod-openapi";
import * as z from "zod";
import { PROVIDER_KINDS } from "../../shared/providers/port.ts";

const TIME = { type: "string", format: "date-time" } as const;
const REASONS = [
  "forced",
  "none-stored",
  "unparsable",
  "expired",
  "issuer-changed",
  "duration-changed",
  "expiring",
  "past-percentage",
] as const;

const SinkState = z.object({
  sink: z.string(),
  deliveryId: z.string(),
  serial: z.string(),
  status: z.enum(["pending", "delivered", "failing"]),
  attempts: z.number().int(),
  lastAttemptAt: z.string().optional(),
  lastDelivery: z.object({ at: z.string(), deliveryId: z.string(), serial: z.string() }).optional(),
  lastFailure: z
    .object({
      at: z.string(),
      reason: z.enum(["refused", "unreachable", "rejected-path", "write-failed", "unavailable"]),
      message: z.string(),
      status: z.number().int().optional(),
    })
    .optional(),
  nextRetryAt: z.string().optional(),
});

export const RenewalView = z
  .object({
    target: z.string(),
    declaration: z.string().describe("The renewal declaration that owns (or last owned) the target"),
    provider: z.enum(PROVIDER_KINDS),
    account: z.string(),
    clusterId: z.string(),
    nextAttemptAt: z.string().openapi(TIME),
    waitingFor: z.enum(["renewal-time", "window", "backoff", "operation", "owner"]).optional(),
    lastReason: z.object({ code: z.enum(REASONS), message: z.string(), at: z.string() }).optional(),
    notOwned: z.string().optional(),
    certificate: z
      .object({
        subject: z.string(),
        issuer: z.string(),
        serial: z.string(),
        notBefore: z.string(),
        notAfter: z.string(),
      })
      .optional(),
    renewalTime: z.string().optional().openapi(TIME),
    secondsUntilExpiry: z.number().int().optional().describe("As of this answer"),
    backoffUntil: z.string().optional(),
    failures: z
      .object({
        failedAttempts: z.number().int(),
        lastFailureAt: z.string(),
        requestedDurationMs: z.number().optional(),
        lastError: z.object({ kind: z.string(), message: z.string() }).optional(),
      })
      .optional(),
    forced: z.object({ requestedAt: z.string(), requestedBy: z.string().optional() }).optional(),
    operation: z
      .object({ id: z.string(), purpose: z.enum(["renew", "deliver"]), createdAt: z.string() })
      .optional(),
    lastRenewal: z
      .object({
        at: z.string(),
        operationId: z.string(),
        serial: z.string(),
        reason: z.enum(REASONS).optional(),
      })
      .optional(),
    sinks: z.array(SinkState).describe("Each declared sink's last delivery and failure"),
    updatedAt: z.string().openapi(TIME),
  })
  .openapi("RenewalState", {
    description: "A target's certificate renewal: metadata only, never key material",
  });

export const RenewalsResponse = z
  .object({
    renewals: z.array(RenewalView),
    conflicts: z
      .array(z.object({ target: z.string(), message: z.string() }))
      .describe("Targets several enabled declarations match: none renews them"),
  })
  .openapi("Renewals");

export const RenewResponse = z
  .object({
    target: z.string(),
    operationId: z.string(),
    declaration: z.string(),
    requestedAt: z.string().openapi(TIME),
    created: z.boolean().describe("false: a renewal was already under way; it is the one to watch"),
  })
  .openapi("RenewalStarted");

export const RotationResponse = z
  .object({
    keyId: z.string().describe("The key every record is now meant to be under"),
    moved: z.number().int(),
    current: z.number().int(),
    failed: z.array(z.object({ targetId: z.string(), reason: z.string() })),
  })
  .openapi("VaultRotation");

export const KubeconfigHeaders = {
  "x-nightshift-serial": { description: "The client certificate's serial", schema: { type: "string" } },
  "x-nightshift-not-after": {
    description: "When the client certificate expires",
    schema: { type: "string" },
  },
} as const;
