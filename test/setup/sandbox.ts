// For tests: a fresh, isolated sandbox from the factory the global setup runs. Works on Node and
// inside workerd alike (plain fetch over loopback).
import { inject } from "vitest";
import type { Account } from "../../shared/config/config.ts";
import { createHttpClient, type Fetch } from "../../shared/http/client.ts";
import type { Provider } from "../../shared/providers/port.ts";
import { createProvider } from "../../shared/providers/registry.ts";
import { sandboxAccounts } from "../../shared/sandbox/accounts.ts";

export interface SandboxAccountInfo {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  projectId?: string;
  organizationId?: string;
}

export interface TestSandbox {
  id: string;
  huawei: { endpoint: string; inspection: string; accounts: SandboxAccountInfo[]; [key: string]: unknown };
  autopilot: { endpoint: string; inspection: string; accounts: SandboxAccountInfo[]; [key: string]: unknown };
  alibaba: { endpoint: string; inspection: string; accounts: SandboxAccountInfo[]; [key: string]: unknown };
  baidu: { endpoint: string; inspection: string; accounts: SandboxAccountInfo[]; [key: string]: unknown };
  /** Calls the inspection API of one cloud: GET state/requests/clock, POST reset/seed/clock, PUT faults/throttle. */
  inspect(
    cloud: "huawei" | "autopilot" | "alibaba" | "baidu",
    method: string,
    path: string,
    body?: unknown,
  ): Promise<any>;
  stop(): Promise<void>;
}

export async function newSandbox(
  options: {
    speed?: number;
    seed?: number;
    start?: string;
    ratePerSecond?: number;
    signaturesBy?: "sandbox" | "real";
  } = {},
): Promise<TestSandbox> {
  const factory = inject("sandboxFactory");
  const response = await fetch(`${factory}/sandboxes`, { method: "POST", body: JSON.stringify(options) });
  if (response.status !== 201)
    throw new Error(`sandbox factory: ${response.status} ${await response.text()}`);
  const description = (await response.json()) as SandboxClouds;
  return sandboxOf(description, async () => {
    await fetch(`${factory}/sandboxes/${description.id}`, { method: "DELETE" });
  });
}

/** What a sandbox says of itself: each cloud's endpoint, inspection API and accounts. */
export type SandboxClouds = Omit<TestSandbox, "inspect" | "stop">;

/**
 * A sandbox from its description (the factory's, or `nightshift sandbox`'s first line), with its
 * inspection API at hand; `stop` ends it.
 */
export function sandboxOf(description: SandboxClouds, stop: () => Promise<void>): TestSandbox {
  return {
    ...description,
    async inspect(cloud, method, path, body) {
      const r = await fetch(`${description[cloud].inspection}/${path}`, {
        method,
        ...(body !== undefined
          ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
          : {}),
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`sandbox ${cloud} ${method} ${path}: ${r.status} ${text}`);
      return JSON.parse(text);
    },
    stop,
  };
}

/** An account as the variables a user sets for it (NIGHTSHIFT_ACCOUNT_<NAME>_<FIELD>). */
export function accountVariables(account: Account): Record<string, string> {
  const name = account.id.toUpperCase().replace(/-/g, "_");
  const variables: Record<string, string> = {};
  for (const [field, value] of Object.entries(account)) {
    if (field === "id" || value === undefined) continue;
    const suffix = field.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();
    variables[`NIGHTSHIFT_ACCOUNT_${name}_${suffix}`] = String(value);
  }
  return variables;
}

/**
 * The sandbox's accounts and a provider for each, signing and timing on `now` (a harness's simulated
 * clock). Retries inside one call are instant (Retry-After included): the harness's clock is the
 * sandbox's; `attempts: 1` lets every injected fault reach the job.
 */
export function sandboxProviders(
  sb: TestSandbox,
  options: { now: () => Date; attempts: number; maxDelayMs: number; timeoutMs?: number; fetch?: Fetch },
): { accounts: Account[]; providers: Map<string, Provider> } {
  const accounts = sandboxAccounts({
    huawei: sb.huawei,
    autopilot: sb.autopilot,
    alibaba: sb.alibaba,
    baidu: sb.baidu,
  });
  const http = createHttpClient({
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    retry: { attempts: options.attempts, baseDelayMs: 1, maxDelayMs: options.maxDelayMs },
    sleep: async () => {},
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  const providers = new Map(
    accounts.map((a) => [
      a.id,
      createProvider(a, { http, now: options.now, nonce: () => crypto.randomUUID() }),
    ]),
  );
  return { accounts, providers };
}
