// The OpenAPI documents of the served kinds: Swagger 2.0 at `/openapi/v2` (kubectl validates
// manifests against it and computes `apply` patches from it) and OpenAPI 3.0 per group version under
// `/openapi/v3/…`. One table of definitions feeds both; only the `$ref` prefix differs.
//
// The schemas describe exactly what the sandbox stores and checks: ObjectMeta, the label selector,
// Deployment/StatefulSet spec and status, autoscaling/v1 Scale. A pod template's `spec` and the
// update strategies are open objects (any field), as the sandbox keeps them as given without
// looking inside beyond the containers' names and images.

export type OpenApiDocument = Record<string, unknown>;
type Schema = Record<string, unknown>;

const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
const APPS = "io.k8s.api.apps.v1";
const CORE = "io.k8s.api.core.v1";
const AUTOSCALING = "io.k8s.api.autoscaling.v1";

const str = (description: string): Schema => ({ type: "string", description });
const int32 = (description: string): Schema => ({ type: "integer", format: "int32", description });
const int64 = (description: string): Schema => ({ type: "integer", format: "int64", description });
const stringMap = (description: string): Schema => ({
  type: "object",
  additionalProperties: { type: "string" },
  description,
});
/** Anything: no type and no properties (kubectl's schema reader treats it as arbitrary). */
const open = (description: string): Schema => ({ description });

function definitions(ref: (name: string) => Schema): Record<string, Schema> {
  const gvk = (group: string, version: string, kind: string) => ({
    "x-kubernetes-group-version-kind": [{ group, version, kind }],
  });
  const workload = (kind: "Deployment" | "StatefulSet") => ({
    description: `${kind} of the sandbox's simulated Autopilot cluster.`,
    type: "object",
    properties: {
      apiVersion: str("APIVersion: apps/v1"),
      kind: str(`Kind: ${kind}`),
      metadata: ref(`${META}.ObjectMeta`),
      spec: ref(`${APPS}.${kind}Spec`),
      status: ref(`${APPS}.${kind}Status`),
    },
    ...gvk("apps", "v1", kind),
  });
  const list = (kind: "Deployment" | "StatefulSet") => ({
    description: `A list of ${kind}s.`,
    type: "object",
    required: ["items"],
    properties: {
      apiVersion: str("APIVersion: apps/v1"),
      kind: str(`Kind: ${kind}List`),
      metadata: ref(`${META}.ListMeta`),
      items: { type: "array", items: ref(`${APPS}.${kind}`) },
    },
    ...gvk("apps", "v1", `${kind}List`),
  });
  const specCommon = {
    replicas: int32("Desired number of pods. Defaults to 1."),
    selector: ref(`${META}.LabelSelector`),
    template: ref(`${CORE}.PodTemplateSpec`),
    minReadySeconds: int32("Seconds a new pod must be ready to count as available."),
    revisionHistoryLimit: int32("Old revisions kept."),
  };
  const statusCommon = {
    observedGeneration: int64("The generation the controller last acted on."),
    replicas: int32("Pods that exist."),
    readyReplicas: int32("Pods ready."),
    availableReplicas: int32("Pods available."),
    updatedReplicas: int32("Pods of the current template."),
    conditions: { type: "array", items: open("A condition of the workload.") },
  };
  return {
    [`${META}.Time`]: { type: "string", format: "date-time", description: "RFC 3339 time." },
    [`${META}.ObjectMeta`]: {
      description: "Standard object's metadata.",
      type: "object",
      properties: {
        name: str("Name, unique within the namespace."),
        generateName: str("Prefix for a generated name."),
        namespace: str("Namespace of the object."),
        uid: str("Unique id, set by the server."),
        resourceVersion: str("The object's version, for optimistic concurrency."),
        generation: int64("Generation of the desired state."),
        creationTimestamp: ref(`${META}.Time`),
        deletionTimestamp: ref(`${META}.Time`),
        deletionGracePeriodSeconds: int64("Seconds allowed to terminate gracefully."),
        labels: stringMap("Labels: selectable key/value pairs."),
        annotations: stringMap("Annotations: unselectable key/value pairs."),
        ownerReferences: { type: "array", items: open("An owner of the object.") },
        finalizers: { type: "array", items: { type: "string" } },
        managedFields: { type: "array", items: open("A field manager's entry.") },
        selfLink: str("Deprecated."),
      },
    },
    [`${META}.ListMeta`]: {
      description: "Standard list metadata.",
      type: "object",
      properties: {
        resourceVersion: str("The list's version."),
        continue: str("Token for the next page of a limited list."),
        remainingItemCount: int64("Items after this page."),
        selfLink: str("Deprecated."),
      },
    },
    [`${META}.LabelSelectorRequirement`]: {
      description: "A set-based label requirement.",
      type: "object",
      required: ["key", "operator"],
      properties: {
        key: str("The label key."),
        operator: str("In, NotIn, Exists or DoesNotExist."),
        values: { type: "array", items: { type: "string" } },
      },
    },
    [`${META}.LabelSelector`]: {
      description: "A label query over a set of resources.",
      type: "object",
      properties: {
        matchLabels: stringMap("Equality-based requirements."),
        matchExpressions: { type: "array", items: ref(`${META}.LabelSelectorRequirement`) },
      },
    },
    [`${CORE}.PodTemplateSpec`]: {
      description: "The pods a workload creates.",
      type: "object",
      properties: {
        metadata: ref(`${META}.ObjectMeta`),
        spec: ref(`${CORE}.PodSpec`),
      },
    },
    [`${CORE}.PodSpec`]: open("The pods' specification (containers, volumes, …)."),
    [`${APPS}.Deployment`]: workload("Deployment"),
    [`${APPS}.DeploymentList`]: list("Deployment"),
    [`${APPS}.DeploymentSpec`]: {
      description: "The desired state of a Deployment.",
      type: "object",
      required: ["selector", "template"],
      properties: {
        ...specCommon,
        strategy: open("How pods are replaced."),
        paused: { type: "boolean", description: "Whether the Deployment is paused." },
        progressDeadlineSeconds: int32("Seconds before a rollout is reported stuck."),
      },
    },
    [`${APPS}.DeploymentStatus`]: {
      description: "The observed state of a Deployment.",
      type: "object",
      properties: { ...statusCommon, unavailableReplicas: int32("Pods not available.") },
    },
    [`${APPS}.StatefulSet`]: workload("StatefulSet"),
    [`${APPS}.StatefulSetList`]: list("StatefulSet"),
    [`${APPS}.StatefulSetSpec`]: {
      description: "The desired state of a StatefulSet.",
      type: "object",
      required: ["selector", "template"],
      properties: {
        ...specCommon,
        serviceName: str("The governing service."),
        podManagementPolicy: str("OrderedReady or Parallel."),
        updateStrategy: open("How pods are replaced."),
        volumeClaimTemplates: { type: "array", items: open("A claim every pod gets.") },
        persistentVolumeClaimRetentionPolicy: open("What happens to the claims."),
        ordinals: open("The pods' ordinals."),
      },
    },
    [`${APPS}.StatefulSetStatus`]: {
      description: "The observed state of a StatefulSet.",
      type: "object",
      properties: {
        ...statusCommon,
        currentReplicas: int32("Pods of the current revision."),
        currentRevision: str("The current revision."),
        updateRevision: str("The update revision."),
        collisionCount: int32("Hash collisions."),
      },
    },
    [`${AUTOSCALING}.Scale`]: {
      description: "The scale subresource of a workload.",
      type: "object",
      properties: {
        apiVersion: str("APIVersion: autoscaling/v1"),
        kind: str("Kind: Scale"),
        metadata: ref(`${META}.ObjectMeta`),
        spec: ref(`${AUTOSCALING}.ScaleSpec`),
        status: ref(`${AUTOSCALING}.ScaleStatus`),
      },
      ...gvk("autoscaling", "v1", "Scale"),
    },
    [`${AUTOSCALING}.ScaleSpec`]: {
      description: "The desired scale.",
      type: "object",
      properties: { replicas: int32("Desired number of pods.") },
    },
    [`${AUTOSCALING}.ScaleStatus`]: {
      description: "The observed scale.",
      type: "object",
      required: ["replicas"],
      properties: {
        replicas: int32("Pods that exist."),
        selector: str("The pods' label selector, as a string."),
      },
    },
  };
}

const PATCH_MEDIA = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
];

/** The served operations of apps/v1, as Swagger 2.0 path items. */
function appsPaths(ref: (name: string) => Schema, body: (schema: Schema) => Record<string, unknown>) {
  const paths: Record<string, unknown> = {};
  const namespace = { name: "namespace", in: "path", required: true, type: "string" };
  const name = { name: "name", in: "path", required: true, type: "string" };
  for (const [resource, kind] of [
    ["deployments", "Deployment"],
    ["statefulsets", "StatefulSet"],
  ] as const) {
    const gvk: { group: string; version: string; kind: string } = { group: "apps", version: "v1", kind };
    const scaleGvk = { group: "autoscaling", version: "v1", kind: "Scale" };
    const op = (
      action: string,
      operationId: string,
      schema: Schema,
      extra: Record<string, unknown> = {},
      g = gvk,
    ) => ({
      operationId,
      consumes: action === "patch" ? PATCH_MEDIA : ["application/json"],
      produces: ["application/json"],
      tags: ["apps_v1"],
      responses: { "200": { description: "OK", schema } },
      "x-kubernetes-action": action,
      "x-kubernetes-group-version-kind": g,
      ...extra,
    });
    const base = `/apis/apps/v1/namespaces/{namespace}/${resource}`;
    paths[`/apis/apps/v1/${resource}`] = {
      get: op("list", `listApps${kind}ForAllNamespaces`, ref(`${APPS}.${kind}List`)),
    };
    paths[base] = {
      get: op("list", `listAppsV1Namespaced${kind}`, ref(`${APPS}.${kind}List`)),
      parameters: [namespace],
    };
    paths[`${base}/{name}`] = {
      get: op("get", `readAppsV1Namespaced${kind}`, ref(`${APPS}.${kind}`)),
      put: op("put", `replaceAppsV1Namespaced${kind}`, ref(`${APPS}.${kind}`), body(ref(`${APPS}.${kind}`))),
      patch: op("patch", `patchAppsV1Namespaced${kind}`, ref(`${APPS}.${kind}`), body({ type: "object" })),
      parameters: [name, namespace],
    };
    const scale = ref(`${AUTOSCALING}.Scale`);
    paths[`${base}/{name}/scale`] = {
      get: op("get", `readAppsV1Namespaced${kind}Scale`, scale, {}, scaleGvk),
      put: op("put", `replaceAppsV1Namespaced${kind}Scale`, scale, body(scale), scaleGvk),
      patch: op("patch", `patchAppsV1Namespaced${kind}Scale`, scale, body({ type: "object" }), scaleGvk),
      parameters: [name, namespace],
    };
  }
  return paths;
}

export function openApiV2(version: string): OpenApiDocument {
  const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
  const body = (schema: Schema) => ({ parameters: [{ name: "body", in: "body", required: true, schema }] });
  return {
    swagger: "2.0",
    info: { title: "Kubernetes", version },
    paths: {
      "/version/": {
        get: {
          operationId: "getCodeVersion",
          produces: ["application/json"],
          responses: { "200": { description: "OK" } },
        },
      },
      ...appsPaths(ref, body),
    },
    definitions: definitions(ref),
  };
}

/** The OpenAPI 3.0 document of one group version: "apps/v1", or "v1" (the core group: no paths). */
export function openApiV3(groupVersion: string): OpenApiDocument {
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const v2Paths = groupVersion === "apps/v1" ? appsPaths(ref, (schema) => ({ body: schema })) : {};
  // Swagger 2 operations → OpenAPI 3: the body and the response schema move into `content`.
  const paths: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(v2Paths) as Array<[string, Record<string, unknown>]>) {
    const out: Record<string, unknown> = {};
    for (const [method, value] of Object.entries(item)) {
      if (method === "parameters") {
        out.parameters = (value as Array<Record<string, unknown>>).map(({ type, ...p }) => ({
          ...p,
          schema: { type },
        }));
        continue;
      }
      const {
        consumes,
        produces: _produces,
        responses,
        body,
        ...operation
      } = value as Record<string, unknown>;
      const schema = (responses as { "200": { schema: Schema } })["200"].schema;
      out[method] = {
        ...operation,
        responses: { "200": { description: "OK", content: { "application/json": { schema } } } },
        ...(body
          ? {
              requestBody: {
                required: true,
                content: Object.fromEntries((consumes as string[]).map((type) => [type, { schema: body }])),
              },
            }
          : {}),
      };
    }
    paths[path] = out;
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: "unversioned" },
    paths,
    components: { schemas: definitions(ref) },
  };
}
