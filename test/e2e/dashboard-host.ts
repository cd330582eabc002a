// The Node host as the dashboard's browser tests and the demo screenshot run it: `nightshift start`
// in its own process with no cloud account (the embedded sandbox clouds), an admin token, and an
// SQLite store in a temp dir the test can read afterwards. And the sandbox's clusters as the four
// clouds' inspection APIs list them, the truth the fleet page is held to.
import { join } from "node:path";
import { getJson, isRecord, type Proc, parseJson, startProcess } from "./processes.ts";

export const CLOUDS = ["huawei", "autopilot", "alibaba", "baidu"] as const;
export type Cloud = (typeof CLOUDS)[number];

export interface DashboardHost {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Each sandbox cloud's endpoint (its inspection API is under /_sandbox). */
  sandbox: Record<Cloud, string>;
  /** The SQLite file the service keeps its store in. */
  storePath: string;
  proc: Proc;
}

/**
 * Starts `nightshift start` on a free port and resolves once it has announced its URL.
 * `speed`: the sandbox clock's simulated seconds per real second (0: frozen, the fleet holds still).
 */
export async function startDashboardHost(options: {
  token: string;
  dir: string;
  speed?: number;
  deadline: number;
  env?: Record<string, string>;
}): Promise<DashboardHost> {
  const storePath = join(options.dir, "state.db");
  const proc = startProcess(["start"], {
    PORT: "0",
    NIGHTSHIFT_ADMIN_TOKEN: options.token,
    NIGHTSHIFT_STORE: `sqlite:${storePath}`,
    ...(options.speed !== undefined ? { NIGHTSHIFT_SANDBOX_SPEED: String(options.speed) } : {}),
    ...options.env,
  });
  const sandboxLine = await proc.waitForLine(
    (line) => parseJson(line)?.sandbox !== undefined,
    "the embedded sandbox's announcement",
    options.deadline,
  );
  const started = await proc.waitForLine(
    isRecord("nightshift started"),
    "nightshift started",
    options.deadline,
  );
  return {
    url: parseJson(started)!.url as string,
    sandbox: parseJson(sandboxLine)!.sandbox as Record<Cloud, string>,
    storePath,
    proc,
  };
}

export interface SandboxCluster {
  provider: Cloud;
  /** The id nightshift's target id ends with (account/<id>). */
  id: string;
  name: string;
}

/** The fields of each cloud's inspection state this reads (four shapes, one per vendor). */
interface InspectedClusters {
  huawei: Array<{ uid: string; name: string }>;
  autopilot: Array<{ cluster: { metadata: { uid: string; name: string } } }>;
  alibaba: Array<{ cluster_id: string; name: string }>;
  baidu: Array<{ clusterID: string; clusterName: string }>;
}

/** Each cloud's clusters as its own inspection API lists them. */
export async function sandboxClusters(sandbox: Record<Cloud, string>): Promise<SandboxCluster[]> {
  const read = async <C extends Cloud>(cloud: C) =>
    (await getJson<{ state: { clusters: InspectedClusters[C] } }>(`${sandbox[cloud]}/_sandbox/state`)).state
      .clusters;
  const [huawei, autopilot, alibaba, baidu] = await Promise.all([
    read("huawei"),
    read("autopilot"),
    read("alibaba"),
    read("baidu"),
  ]);
  return [
    ...huawei.map((c) => ({ provider: "huawei" as const, id: c.uid, name: c.name })),
    ...autopilot.map(({ cluster }) => ({
      provider: "autopilot" as const,
      id: cluster.metadata.uid,
      name: cluster.metadata.name,
    })),
    ...alibaba.map((c) => ({ provider: "alibaba" as const, id: c.cluster_id, name: c.name })),
    ...baidu.map((c) => ({ provider: "baidu" as const, id: c.clusterID, name: c.clusterName })),
  ];
}
