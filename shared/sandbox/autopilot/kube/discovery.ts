// What a client learns about the API server before it asks for objects: `/version`, the legacy
// discovery documents (`/api`, `/api/v1`, `/apis`, `/apis/apps`, `/apis/apps/v1`; kubectl and
// client-node fall back to these when the answer is not the aggregated kind) and the OpenAPI
// documents (`/openapi/v2`, `/openapi/v3` and its group documents) for exactly the served kinds.
//
// The served verbs are get, list, patch and update (and get/patch/update on `scale`): there is no
// create or delete (the fleet is seeded), and no watch — a watch is answered 405 MethodNotAllowed,
// as an API server answers it on a resource without the watch verb, and discovery says so.
import type { ClusterRecord } from "../state.ts";
import { type OpenApiDocument, openApiV2, openApiV3 } from "./openapi.ts";

export const WORKLOAD_VERBS = ["get", "list", "patch", "update"];
export const SCALE_VERBS = ["get", "patch", "update"];

export function versionInfo(cluster: ClusterRecord): Record<string, string> {
  const minor = cluster.version.replace(/^v1\./, "");
  return {
    major: "1",
    minor,
    gitVersion: `${cluster.version}.0`,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: new Date(cluster.createdAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
    goVersion: "go1.22.5",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function apiVersions(serverAddress: string) {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

/** The core group: nothing of it is served (no pods, no namespaces), which a client can see here. */
export const CORE_RESOURCES = { kind: "APIResourceList", groupVersion: "v1", resources: [] };

const APPS_GROUP = {
  name: "apps",
  versions: [{ groupVersion: "apps/v1", version: "v1" }],
  preferredVersion: { groupVersion: "apps/v1", version: "v1" },
};

export const API_GROUP_LIST = { kind: "APIGroupList", apiVersion: "v1", groups: [APPS_GROUP] };
export const APPS_API_GROUP = { kind: "APIGroup", apiVersion: "v1", ...APPS_GROUP };

function workloadResource(name: string, singularName: string, kind: string, shortName: string) {
  return [
    {
      name,
      singularName,
      namespaced: true,
      kind,
      verbs: WORKLOAD_VERBS,
      shortNames: [shortName],
      categories: ["all"],
    },
    {
      name: `${name}/scale`,
      singularName: "",
      namespaced: true,
      group: "autoscaling",
      version: "v1",
      kind: "Scale",
      verbs: SCALE_VERBS,
    },
  ];
}

export const APPS_V1_RESOURCES = {
  kind: "APIResourceList",
  apiVersion: "v1",
  groupVersion: "apps/v1",
  resources: [
    ...workloadResource("deployments", "deployment", "Deployment", "deploy"),
    ...workloadResource("statefulsets", "statefulset", "StatefulSet", "sts"),
  ],
};

const v3Documents: Record<string, () => OpenApiDocument> = {
  "apis/apps/v1": () => openApiV3("apps/v1"),
  "api/v1": () => openApiV3("v1"),
};

/** The hash a v3 discovery entry carries; clients only compare it, so a digest of the text will do. */
async function hashOf(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
}

export async function openApiV3Discovery(): Promise<{
  paths: Record<string, { serverRelativeURL: string }>;
}> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [path, build] of Object.entries(v3Documents)) {
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${await hashOf(JSON.stringify(build()))}` };
  }
  return { paths };
}

/** The v3 document of one group version (`apis/apps/v1`), or undefined when none is served. */
export function openApiV3Document(path: string): OpenApiDocument | undefined {
  return v3Documents[path]?.();
}

export { openApiV2 };
