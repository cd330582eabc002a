// Kubernetes `Status` answers: every error the simulated API server gives is one of these, with the
// `reason` and `code` a real API server gives for the same fault.

export type StatusCode = 400 | 401 | 403 | 404 | 405 | 406 | 409 | 415 | 422 | 429;

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: Array<{ reason?: string; message: string; field?: string }>;
  retryAfterSeconds?: number;
}

/** A refusal the API layer answers as a Status object. */
export class KubeError extends Error {
  readonly code: StatusCode;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  constructor(code: StatusCode, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}

export function statusBody(error: KubeError): Record<string, unknown> {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: error.message,
    reason: error.reason,
    ...(error.details ? { details: error.details } : {}),
    code: error.code,
  };
}

export function statusResponse(error: KubeError, headers: Record<string, string> = {}): Response {
  return Response.json(statusBody(error), { status: error.code, headers });
}

export const notFoundPath = () =>
  new KubeError(404, "NotFound", "the server could not find the requested resource", {});

export const methodNotAllowed = (kind?: string) =>
  new KubeError(
    405,
    "MethodNotAllowed",
    "the server does not allow this method on the requested resource",
    kind ? { kind } : {},
  );

export const badRequest = (message: string) => new KubeError(400, "BadRequest", message);

/** A resource's own name in errors: `deployments.apps "web"`. */
export const notFound = (resource: string, name: string) =>
  new KubeError(404, "NotFound", `${resource}.apps "${name}" not found`, {
    name,
    group: "apps",
    kind: resource,
  });

export const conflict = (resource: string, name: string) =>
  new KubeError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${resource}.apps "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: "apps", kind: resource },
  );

/** 422 Invalid, one cause per field: `Deployment.apps "web" is invalid: spec.replicas: …`. */
export function invalid(
  kind: string,
  group: string,
  name: string,
  causes: Array<{ field: string; reason: string; message: string }>,
): KubeError {
  const text = causes.map((c) => `${c.field}: ${c.message}`).join(", ");
  return new KubeError(422, "Invalid", `${kind}.${group} "${name}" is invalid: ${text}`, {
    name,
    group,
    kind,
    causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
  });
}
