// The renewal year's issuer as the product runs it: the renewal job (functions/renewal/) against
// the sandbox clouds, in virtual time. Each issuance is one `renew` operation on an in-memory store,
// advanced by the jobs runtime through every step (decide, issue through the provider with the
// declared lifetime in the vendor's unit, validate, store in the vault, record); the certificate
// the simulation keeps is the one the vault then describes. The simulation decides WHEN (the same
// policy the tick applies, shared/renewal/policy.ts), so each operation is a forced one: the job
// does everything after the decision. Cloud answers fail at `failureRate` through the sandbox's
// own fault injection (its vendor error bodies), reaching the job unretried.

import { renewalJob } from "../../functions/renewal/job.ts";
import { createRenewOperation } from "../../functions/renewal/planning.ts";
import { createHttpClient } from "../../shared/http/client.ts";
import { runDueOperations } from "../../shared/jobs/runtime.ts";
import { createLogger } from "../../shared/log/logger.ts";
import type { Provider } from "../../shared/providers/port.ts";
import { createProvider } from "../../shared/providers/registry.ts";
import { storedCredentialOf } from "../../shared/renewal/declaration.ts";
import { DEFAULT_RENEW_BEFORE } from "../../shared/renewal/renewal-schema.ts";
import { createRenewalServices } from "../../shared/renewal/services.ts";
import { sandboxAccounts } from "../../shared/sandbox/accounts.ts";
import { startSandbox } from "../../shared/sandbox/server.node.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore, FINISHED } from "../../shared/store/store.ts";
import { type Issuer, VENDORS, type Vendor } from "./renewal-year.ts";

export interface SandboxIssuer {
  issuer: Issuer;
  /** Credentials it can keep apart: the sandbox's running clusters, the same number per vendor (the simulation assigns vendors round-robin), times credentialsPerCluster. */
  clusters: number;
  stop(): Promise<void>;
}

const KEY = { id: "bench", key: btoa(String.fromCharCode(...new Array(32).fill(3))) };

/**
 * `credentialsPerCluster`: how many credentials each real cluster holds (each its own target in
 * the store, e.g. one per CI system), so the fleet simulated is larger than the sandbox's.
 */
export async function sandboxIssuer(options: {
  start: Date;
  failureRate: number;
  seed?: number;
  credentialsPerCluster?: number;
}): Promise<SandboxIssuer> {
  const copies = options.credentialsPerCluster ?? 1;
  const running = await startSandbox({ speed: 0, start: options.start, seed: options.seed ?? 12 });
  const clock = running.sandbox.clock;
  const accounts = sandboxAccounts(running.description);
  const http = createHttpClient({
    fetch: (input, init) => globalThis.fetch(input, init),
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    sleep: async () => {},
  });
  const providers = new Map<string, Provider>(
    accounts.map((a) => [
      a.id,
      createProvider(a, { http, now: () => clock.now(), nonce: () => crypto.randomUUID() }),
    ]),
  );
  // The fleet: each vendor's running clusters (a stopped one cannot issue), as many per vendor as
  // the smallest has.
  const byVendor = new Map<Vendor, Array<{ account: string; clusterId: string }>>();
  for (const [account, provider] of providers) {
    for (const cluster of await provider.listClusters()) {
      if (cluster.phase !== "running") continue;
      const list = byVendor.get(provider.kind) ?? [];
      list.push({ account, clusterId: cluster.id });
      byVendor.set(provider.kind, list);
    }
  }
  const perVendor = Math.min(...VENDORS.map((v) => byVendor.get(v)?.length ?? 0));
  for (const context of Object.values(running.sandbox.contexts))
    context.faults.set({ serverError: options.failureRate });

  const store = createStore(memoryBackend());
  const renewal = createRenewalServices({
    vaultKeys: [KEY],
    namedSecrets: {},
    fetch: async () => new Response(null, { status: 204 }),
    now: () => clock.now(),
  });
  const log = createLogger({ level: "error", write: () => {} });
  const vault = await renewal.vault(store);
  let counter = 0;

  const issuer: Issuer = async ({ cluster, now }) => {
    const index = Number(cluster.id.slice(cluster.id.lastIndexOf("-") + 1));
    const slot = Math.floor(index / VENDORS.length);
    const real = byVendor.get(cluster.vendor)![slot % perVendor]!;
    const ahead = now.getTime() - clock.now().getTime();
    if (ahead > 0) clock.advance(ahead);
    const copy = Math.floor(slot / perVendor) % copies;
    const target = `${real.account}/${real.clusterId}${copy > 0 ? `#${copy}` : ""}`;
    const id = `renew:bench:${++counter}:${target}`;
    await createRenewOperation(
      store,
      id,
      target,
      {
        account: real.account,
        provider: cluster.vendor,
        clusterId: real.clusterId,
        declaration: "bench",
        purpose: "renew",
        plannedAt: now.toISOString(),
        spec: {
          ...(cluster.durationMs !== undefined ? { durationMinutes: cluster.durationMs / 60_000 } : {}),
          renewBefore: DEFAULT_RENEW_BEFORE,
          ...(cluster.window ? { window: cluster.window.spec } : {}),
          sinks: [{ type: "store" }],
        },
        forced: { requestedAt: now.toISOString(), requestedBy: "bench" },
      },
      now,
      {},
    );
    for (let round = 0; round < 5; round++) {
      const op = (await store.operations.get(id, now))!;
      if (FINISHED.includes(op.status)) {
        if (op.status !== "succeeded") return { ok: false, message: op.error?.message ?? op.status };
        const stored = storedCredentialOf(await vault.describe(target, now));
        if (stored.kind !== "certificate") return { ok: false, message: "nothing stored" };
        return {
          ok: true,
          facts: stored.facts,
          ...(stored.requestedDurationMs !== undefined
            ? { requestedDurationMs: stored.requestedDurationMs }
            : {}),
        };
      }
      await runDueOperations({
        store,
        jobs: [renewalJob],
        providers: (account) => providers.get(account),
        renewal,
        selected: [op],
        now,
        log,
        holder: "bench",
      });
    }
    return { ok: false, message: `operation ${id} did not finish` };
  };
  return { issuer, clusters: perVendor * VENDORS.length * copies, stop: () => running.stop() };
}
