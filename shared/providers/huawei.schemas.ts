// What the Huawei CCE client reads from the cloud's answers, validated with zod. Unknown fields
// are tolerated (z.object strips them); the client keeps the raw JSON where it must send a
// resource back whole (the node-pool PUT). Quirks handled here:
// - Go `omitempty`: zero counters and a disabled autoscaler come back as missing fields;
// - Go nil slices: `items`, `clusterTags`, `conditions` may be `null`;
// - Go `time.Time.String()` timestamps (`2018-08-02 03:48:58.968214406 +0000 UTC`), read leniently;
// - `jobID` on clusters and nodes, `jobId` on node pools.
import * as z from "zod";

// ---------------------------------------------------------------------------------------------
// Timestamps

const TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?(?:\s+([A-Za-z][A-Za-z0-9+-]{0,5}))?(?:\s+m=[+-]?\d+(?:\.\d+)?)?$/;

/**
 * A CCE timestamp as an instant, or undefined when it cannot be read. Accepts Go's
 * `time.Time.String()` (`2018-08-02 03:48:58.968214406 +0000 UTC`, with or without the fraction,
 * with any numeric offset, even with a trailing monotonic-clock reading `m=+0.000000001`), RFC 3339
 * (`2018-08-02T03:48:58Z`, `...+08:00`) and a bare `2018-08-02 03:48:58` (read as UTC). A zone
 * abbreviation without a numeric offset other than UTC/GMT/Z is ambiguous and is refused.
 * Sub-millisecond digits are truncated.
 */
export function parseHuaweiTime(text: string): Date | undefined {
  const m = TIME.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = m[7] ? Number(m[7].padEnd(3, "0").slice(0, 3)) : 0;
  const offset = m[8];
  const zone = m[9];
  let offsetMinutes = 0;
  if (offset && offset !== "Z") {
    const digits = offset.slice(1).replace(":", "");
    offsetMinutes =
      (offset[0] === "-" ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
  } else if (!offset && zone && !["UTC", "GMT", "Z"].includes(zone.toUpperCase())) {
    return undefined;
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59), millis));
  if (local.getUTCDate() !== day) return undefined; // 2024-02-30 and the like
  return new Date(local.getTime() - offsetMinutes * 60_000);
}

/** An optional timestamp: unreadable text is tolerated as "unknown", never a failure. */
const timestamp = z
  .string()
  .nullish()
  .transform((value) => (value ? parseHuaweiTime(value) : undefined));

// ---------------------------------------------------------------------------------------------
// Clusters

const resourceTag = z.object({ key: z.string(), value: z.string().nullish() });

export const clusterSchema = z.object({
  metadata: z.object({
    uid: z.string().min(1),
    name: z.string().min(1),
    creationTimestamp: timestamp,
    updateTimestamp: timestamp,
  }),
  spec: z.object({
    version: z.string().nullish(),
    flavor: z.string().nullish(),
    clusterTags: z.array(resourceTag).nullish(),
  }),
  status: z.object({
    phase: z.string(),
    jobID: z.string().nullish(),
    reason: z.string().nullish(),
    message: z.string().nullish(),
    endpoints: z.array(z.object({ url: z.string(), type: z.string().nullish() })).nullish(),
  }),
});
export type ClusterResponse = z.output<typeof clusterSchema>;

export const clusterListSchema = z.object({ items: z.array(clusterSchema).nullish() });

// ---------------------------------------------------------------------------------------------
// Node pools and nodes

const count = z.number().int().min(0);

/** Every field may be left out (omitempty): a missing one is 0 / false. */
export const autoscalingSchema = z.object({
  enable: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
  minNodeCount: count.nullish().transform((v) => v ?? 0),
  maxNodeCount: count.nullish().transform((v) => v ?? 0),
  scaleDownCooldownTime: count.nullish().transform((v) => v ?? 0),
  priority: z
    .number()
    .int()
    .nullish()
    .transform((v) => v ?? 0),
});

export const nodePoolSchema = z.object({
  metadata: z.object({
    uid: z.string().min(1),
    name: z.string().min(1),
    creationTimestamp: timestamp,
    updateTimestamp: timestamp,
  }),
  spec: z.object({
    /** The target size; the default pool has none. */
    initialNodeCount: count.nullish(),
    autoscaling: autoscalingSchema.nullish(),
    nodeTemplate: z.object({ billingMode: z.number().int().nullish() }).nullish(),
  }),
  status: z
    .object({
      currentNode: count.nullish().transform((v) => v ?? 0),
      creatingNode: count.nullish().transform((v) => v ?? 0),
      deletingNode: count.nullish().transform((v) => v ?? 0),
      phase: z
        .string()
        .nullish()
        .transform((v) => v ?? ""),
      jobId: z.string().nullish(),
      conditions: z
        .array(
          z.object({
            type: z.string(),
            status: z.string(),
            reason: z.string().nullish(),
            message: z.string().nullish(),
          }),
        )
        .nullish(),
    })
    .nullish(),
});
export type NodePoolResponse = z.output<typeof nodePoolSchema>;

export const nodePoolListSchema = z.object({ items: z.array(nodePoolSchema).nullish() });

/** A node-pool DELETE answer must name its job, spelled `jobId`. */
export const deletedNodePoolSchema = nodePoolSchema.extend({
  status: z.object({ phase: z.string().nullish(), jobId: z.string().min(1) }),
});

export const nodeSchema = z.object({
  metadata: z.object({
    uid: z.string().min(1),
    name: z.string().min(1),
    annotations: z.record(z.string(), z.string()).nullish(),
    creationTimestamp: timestamp,
  }),
  status: z.object({
    phase: z.string(),
    jobID: z.string().nullish(),
    privateIP: z.string().nullish(),
  }),
});

export const nodeListSchema = z.object({ items: z.array(nodeSchema).nullish() });

/** A node DELETE answer must name its job, spelled `jobID`. */
export const deletedNodeSchema = nodeSchema.extend({
  status: z.object({ phase: z.string().nullish(), jobID: z.string().min(1) }),
});

// ---------------------------------------------------------------------------------------------
// Jobs

export interface JobResponse {
  metadata: { uid: string; creationTimestamp?: Date | undefined; updateTimestamp?: Date | undefined };
  spec: {
    type: string;
    clusterUID?: string | null | undefined;
    resourceID?: string | null | undefined;
    resourceName?: string | null | undefined;
    subJobs?: JobResponse[] | null | undefined;
  };
  status: { phase: string; reason?: string | null | undefined };
}

export const jobSchema: z.ZodType<JobResponse> = z.object({
  metadata: z.object({ uid: z.string().min(1), creationTimestamp: timestamp, updateTimestamp: timestamp }),
  spec: z.object({
    type: z.string(),
    clusterUID: z.string().nullish(),
    resourceID: z.string().nullish(),
    resourceName: z.string().nullish(),
    get subJobs() {
      return z.array(jobSchema).nullish();
    },
  }),
  status: z.object({ phase: z.string(), reason: z.string().nullish() }),
});

// ---------------------------------------------------------------------------------------------
// Errors: CCE's `errorCode`/`errorMessage`, APIG's `error_code`/`error_msg`, or both, and maybe a
// Kubernetes Status `message`. Read loosely: an error answer is never "malformed".

export interface VendorError {
  code?: string;
  message?: string;
  detail?: string;
  requestId?: string;
}

const text = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value : undefined);

export function readVendorError(body: string): VendorError {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return {};
  }
  if (json === null || typeof json !== "object") return {};
  const record = json as Record<string, unknown>;
  const out: VendorError = {};
  const code = text(record.errorCode) ?? text(record.error_code);
  const message = text(record.errorMessage) ?? text(record.error_msg) ?? text(record.message);
  const detail = text(record.message);
  const requestId = text(record.request_id);
  if (code !== undefined) out.code = code;
  if (message !== undefined) out.message = message;
  if (detail !== undefined && detail !== message) out.detail = detail;
  if (requestId !== undefined) out.requestId = requestId;
  return out;
}
