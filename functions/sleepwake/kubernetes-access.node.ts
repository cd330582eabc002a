// The Node host's access to Autopilot clusters' Kubernetes APIs for the workloads mode: one
// mutual-TLS client per target, authenticated with a kubeconfig the step machine has issued. The
// kubeconfig (secret material) lives only in this process's memory, never in the store or a
// log; a new one is issued when the held one is about to expire, or after the API server refused it.
import {
  createKubernetesClient,
  type KubernetesClient,
  type KubernetesClientOptions,
} from "../../shared/providers/kubernetes.node.ts";
import type { KubernetesAccess } from "./step-context.ts";

/** A held kubeconfig is replaced this long before its certificate expires. */
export const RENEW_BEFORE_MS = 60 * 60 * 1000;

export interface NodeKubernetesAccess extends KubernetesAccess {
  /** Closes every held client's connections. */
  close(): Promise<void>;
}

export function createKubernetesAccess(
  options: { client?: KubernetesClientOptions; renewBeforeMs?: number } = {},
): NodeKubernetesAccess {
  const renewBefore = options.renewBeforeMs ?? RENEW_BEFORE_MS;
  const held = new Map<string, { client: KubernetesClient; notAfter: number }>();

  const drop = async (target: string) => {
    const current = held.get(target);
    held.delete(target);
    await current?.client.close();
  };

  return {
    async client(target, issue, now) {
      const current = held.get(target);
      if (current && current.notAfter - now.getTime() > renewBefore) return current.client;
      await drop(target);
      const kubeconfig = await issue();
      const client = createKubernetesClient(kubeconfig, options.client);
      held.set(target, { client, notAfter: kubeconfig.notAfter.getTime() });
      return client;
    },
    forget: drop,
    async close() {
      await Promise.all([...held.keys()].map(drop));
    },
  };
}
