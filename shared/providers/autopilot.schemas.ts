// What the CCE Autopilot client reads from the cloud, validated with zod: clusters, jobs and both
// Huawei error-body shapes (the clustercert kubeconfig is read by shared/kubeconfig). Unknown
// fields are tolerated; a missing or malformed required field becomes ProviderError
// "malformed-response" naming the API and the field path.
import * as z from "zod";
import { ProviderError, type ProviderErrorKind } from "./port.ts";

export const ClusterSchema = z.object({
  metadata: z.object({
    uid: z.string().min(1),
    name: z.string().min(1),
    alias: z.string().optional(),
  }),
  spec: z
    .object({
      version: z.string().optional(),
      clusterTags: z.array(z.object({ key: z.string(), value: z.string().optional() })).optional(),
    })
    .optional(),
  status: z.object({
    phase: z.string().min(1),
    jobID: z.string().optional(),
    reason: z.string().optional(),
    message: z.string().optional(),
  }),
});
export type ClusterBody = z.infer<typeof ClusterSchema>;

export const ClusterListSchema = z.object({ items: z.array(ClusterSchema) });

export const JobSchema = z.object({
  metadata: z.object({ uid: z.string().min(1) }),
  spec: z.object({ type: z.string().optional(), clusterUID: z.string().optional() }).optional(),
  status: z.object({ phase: z.string().min(1), reason: z.string().optional() }),
});

/** Both documented shapes (digest §1.4) and the Kubernetes Status fields real CCE answers add. */
export const ErrorBodySchema = z.object({
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  error_code: z.string().optional(),
  error_msg: z.string().optional(),
  message: z.string().optional(),
});

function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `${out ? "." : ""}${String(part)}`;
  return out || "(body)";
}

/** `items[2].status.phase: expected string, received undefined` for the first few issues. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issuePath(issue.path)}: ${issue.message}`)
    .join("; ");
}

/** Parses JSON text against a schema, or throws the ProviderError the port promises. */
export function parseBody<T>(
  schema: z.ZodType<T>,
  text: string,
  api: string,
  kind: ProviderErrorKind = "malformed-response",
): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProviderError({
      kind,
      provider: "autopilot",
      api,
      message: `${kind === "malformed-response" ? "the response" : "the input"} is not JSON`,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ProviderError({
      kind,
      provider: "autopilot",
      api,
      message: `${kind === "malformed-response" ? "malformed response" : "invalid input"}: ${describeIssues(parsed.error)}`,
    });
  }
  return parsed.data;
}
