// Deployments and StatefulSets as the API server shows them, and how a desired object (a PUT body,
// or the object after a PATCH) becomes a change of the stored record, refused where the API server
// refuses it: a stale resourceVersion (409), another name or namespace (400), a field of the wrong
// type (400, as Go's JSON decoder says it), invalid values and immutable fields (422).
import { kubeTime } from "../format.ts";
import { currentReplicas, type WorkloadChange, type WorkloadKind, type WorkloadRecord } from "../state.ts";
import { badRequest, conflict, invalid, KubeError } from "./status.ts";

export const RESOURCES: Record<string, WorkloadKind> = {
  deployments: "Deployment",
  statefulsets: "StatefulSet",
};
export const RESOURCE_OF: Record<WorkloadKind, string> = {
  Deployment: "deployments",
  StatefulSet: "statefulsets",
};

const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";
const MAX_INT32 = 2 ** 31 - 1;

/** The spec (without replicas) of a seeded workload: one container, the app label. */
export function defaultWorkloadSpec(kind: WorkloadKind, name: string): Record<string, unknown> {
  const labels = { app: name };
  const template = {
    metadata: { labels },
    spec: {
      containers: [
        {
          name,
          image: `swr.cn-north-4.myhuaweicloud.com/nightshift/${name}:1.0`,
          resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "250m", memory: "512Mi" } },
        },
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
    },
  };
  if (kind === "Deployment") {
    return {
      selector: { matchLabels: labels },
      template,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    };
  }
  return {
    selector: { matchLabels: labels },
    template,
    serviceName: name,
    podManagementPolicy: "OrderedReady",
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
    revisionHistoryLimit: 10,
  };
}

function metadataOf(w: WorkloadRecord): Record<string, unknown> {
  const annotations =
    w.kind === "Deployment"
      ? { ...w.annotations, [REVISION_ANNOTATION]: String(w.generation) }
      : { ...w.annotations };
  return {
    name: w.name,
    namespace: w.namespace,
    uid: w.uid,
    resourceVersion: String(w.resourceVersion),
    generation: w.generation,
    creationTimestamp: kubeTime(w.createdAt),
    ...(Object.keys(w.labels).length > 0 ? { labels: { ...w.labels } } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

/** Like the API server, zero counts are left out of status (`omitempty`), except a StatefulSet's replicas. */
function withoutZeros(values: Record<string, number>, keep: string[] = []): Record<string, number> {
  return Object.fromEntries(
    Object.entries(values).filter(([key, value]) => value !== 0 || keep.includes(key)),
  );
}

/** The object as GET answers it (without kind/apiVersion, as list items carry it). */
export function renderWorkload(w: WorkloadRecord, now: number): Record<string, unknown> {
  const running = currentReplicas(w, now);
  const spec = structuredClone(w.spec);
  const counts =
    w.kind === "Deployment"
      ? withoutZeros({
          replicas: running,
          updatedReplicas: running,
          readyReplicas: running,
          availableReplicas: running,
        })
      : withoutZeros(
          {
            replicas: running,
            readyReplicas: running,
            currentReplicas: running,
            updatedReplicas: running,
            availableReplicas: running,
          },
          ["replicas"],
        );
  return {
    metadata: metadataOf(w),
    spec: { replicas: w.replicas, ...spec },
    status: { observedGeneration: w.generation, ...counts },
  };
}

export function renderObject(w: WorkloadRecord, now: number): Record<string, unknown> {
  return { kind: w.kind, apiVersion: "apps/v1", ...renderWorkload(w, now) };
}

/** `app=web`: the label selector as `status.selector` (and `kubectl get -o wide`) shows it. */
export function selectorString(w: WorkloadRecord): string {
  const matchLabels = ((w.spec.selector as { matchLabels?: Record<string, string> } | undefined)
    ?.matchLabels ?? {}) as Record<string, string>;
  return Object.keys(matchLabels)
    .sort()
    .map((key) => `${key}=${matchLabels[key]}`)
    .join(",");
}

export function renderScale(w: WorkloadRecord, now: number): Record<string, unknown> {
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: w.name,
      namespace: w.namespace,
      uid: w.uid,
      resourceVersion: String(w.resourceVersion),
      creationTimestamp: kubeTime(w.createdAt),
    },
    spec: { replicas: w.replicas },
    status: { replicas: currentReplicas(w, now), selector: selectorString(w) },
  };
}

// ---------------------------------------------------------------------------------------------
// Desired objects

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function goType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return "object";
  return typeof value === "string" ? "string" : typeof value === "number" ? "number" : "bool";
}

const unmarshal = (value: unknown, field: string, type: string, struct: string) =>
  badRequest(
    `json: cannot unmarshal ${goType(value)} into Go struct field ${struct}.${field} of type ${type}`,
  );

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw unmarshal(value, field, "map[string]string", "ObjectMeta");
  for (const item of Object.values(value)) {
    if (typeof item !== "string") throw unmarshal(item, field, "string", "ObjectMeta");
  }
  return value as Record<string, string>;
}

/** spec.replicas as the API server reads it: absent or null defaults to 1; an int32 >= 0. */
export function readReplicas(
  value: unknown,
  owner: { kind: string; group: string; name: string; struct: string },
): number {
  if (value === undefined || value === null) return 1;
  if (typeof value !== "number" || !Number.isInteger(value) || Math.abs(value) > MAX_INT32) {
    throw unmarshal(value, "spec.replicas", "int32", owner.struct);
  }
  if (value < 0) {
    throw invalid(owner.kind, owner.group, owner.name, [
      {
        field: "spec.replicas",
        reason: "FieldValueInvalid",
        message: `Invalid value: ${value}: must be greater than or equal to 0`,
      },
    ]);
  }
  return value;
}

/** Checks that an object sent for `w` names it, at its current version when it names one. */
export function checkIdentity(
  w: WorkloadRecord,
  object: Record<string, unknown>,
  expect: { kind: string; apiVersion: string },
): void {
  const resource = RESOURCE_OF[w.kind];
  if (object.kind !== undefined && object.kind !== expect.kind) {
    throw badRequest(`the object's kind "${String(object.kind)}" is not ${expect.kind}`);
  }
  if (object.apiVersion !== undefined && object.apiVersion !== expect.apiVersion) {
    throw badRequest(`the object's apiVersion "${String(object.apiVersion)}" is not ${expect.apiVersion}`);
  }
  const metadata = object.metadata;
  if (metadata !== undefined && !isObject(metadata)) {
    throw unmarshal(metadata, "metadata", "v1.ObjectMeta", expect.kind);
  }
  const meta = metadata ?? {};
  if (meta.name !== undefined && meta.name !== w.name) {
    throw badRequest(
      `the name of the object (${String(meta.name)}) does not match the name on the URL (${w.name})`,
    );
  }
  if (meta.namespace !== undefined && meta.namespace !== w.namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  if (meta.uid !== undefined && meta.uid !== w.uid) {
    throw new KubeError(
      409,
      "Conflict",
      `Operation cannot be fulfilled on ${resource}.apps "${w.name}": Precondition failed: UID in precondition: ${String(meta.uid)}, UID in object meta: ${w.uid}`,
      { name: w.name, group: "apps", kind: resource },
    );
  }
  if (
    meta.resourceVersion !== undefined &&
    meta.resourceVersion !== "" &&
    meta.resourceVersion !== String(w.resourceVersion)
  ) {
    throw conflict(resource, w.name);
  }
}

/** StatefulSet spec fields an update may change (the API server forbids the others). */
const STATEFULSET_MUTABLE = [
  "replicas",
  "ordinals",
  "template",
  "updateStrategy",
  "persistentVolumeClaimRetentionPolicy",
  "minReadySeconds",
];

/** The change a desired Deployment or StatefulSet asks of `w`; status in it is ignored, as it is by the API. */
export function desiredChange(w: WorkloadRecord, object: unknown): WorkloadChange {
  if (!isObject(object)) throw badRequest("the body is not a JSON object");
  checkIdentity(w, object, { kind: w.kind, apiVersion: "apps/v1" });
  const meta = (object.metadata ?? {}) as Record<string, unknown>;
  const labels = stringMap(meta.labels, "metadata.labels");
  const { [REVISION_ANNOTATION]: _revision, ...annotations } = stringMap(
    meta.annotations,
    "metadata.annotations",
  );
  const spec = object.spec;
  if (!isObject(spec)) throw unmarshal(spec ?? null, "spec", `v1.${w.kind}Spec`, w.kind);
  const owner = { kind: w.kind, group: "apps", name: w.name, struct: w.kind };
  const replicas = readReplicas(spec.replicas, owner);
  const { replicas: _replicas, ...rest } = spec;

  const causes: Array<{ field: string; reason: string; message: string }> = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(rest.selector, w.spec.selector)) {
    causes.push({
      field: "spec.selector",
      reason: "FieldValueInvalid",
      message: `Invalid value: ${JSON.stringify(rest.selector ?? null)}: field is immutable`,
    });
  }
  const template = isObject(rest.template) ? rest.template : undefined;
  const templateLabels = (isObject(template?.metadata) ? template.metadata.labels : undefined) ?? {};
  const matchLabels =
    ((rest.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels as
      | Record<string, string>
      | undefined) ?? {};
  if (!template) {
    causes.push({ field: "spec.template", reason: "FieldValueRequired", message: "Required value" });
  } else if (
    !isObject(templateLabels) ||
    !Object.entries(matchLabels).every(([key, value]) => templateLabels[key] === value)
  ) {
    causes.push({
      field: "spec.template.metadata.labels",
      reason: "FieldValueInvalid",
      message: `Invalid value: ${JSON.stringify(templateLabels)}: \`selector\` does not match template \`labels\``,
    });
  } else {
    const containers = isObject(template.spec) ? template.spec.containers : undefined;
    if (!Array.isArray(containers) || containers.length === 0) {
      causes.push({
        field: "spec.template.spec.containers",
        reason: "FieldValueRequired",
        message: "Required value",
      });
    } else {
      containers.forEach((container, i) => {
        for (const field of ["name", "image"]) {
          if (!isObject(container) || typeof container[field] !== "string" || container[field] === "") {
            causes.push({
              field: `spec.template.spec.containers[${i}].${field}`,
              reason: "FieldValueRequired",
              message: "Required value",
            });
          }
        }
      });
    }
  }
  if (w.kind === "StatefulSet") {
    const changed = new Set([...Object.keys(rest), ...Object.keys(w.spec)]);
    const forbidden = [...changed].filter(
      (key) => !STATEFULSET_MUTABLE.includes(key) && !same(rest[key], w.spec[key]) && key !== "selector",
    );
    if (forbidden.length > 0) {
      causes.push({
        field: "spec",
        reason: "FieldValueForbidden",
        message: `Forbidden: updates to statefulset spec for fields other than ${STATEFULSET_MUTABLE.map((f) => `'${f}'`).join(", ")} are forbidden`,
      });
    }
  }
  if (causes.length > 0) throw invalid(w.kind, "apps", w.name, causes);
  return { replicas, labels, annotations, spec: rest };
}
