// Connection-level faults, the same for every provider: a reset connection surfaces as a
// "network" ProviderError after the retries an idempotent call is allowed, and the client
// recovers as soon as the cloud does. Runs on Node and inside workerd.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpClient } from "../../shared/http/client.ts";
import { type Provider, ProviderError } from "../../shared/providers/port.ts";
import { createProvider } from "../../shared/providers/registry.ts";
import { sandboxAccounts } from "../../shared/sandbox/accounts.ts";
import type { CloudName } from "../../shared/sandbox/cloud.ts";
import { newSandbox, type TestSandbox } from "../setup/sandbox.ts";

let sb: TestSandbox;
const clouds: CloudName[] = ["huawei", "autopilot", "alibaba", "baidu"];

beforeAll(async () => {
  sb = await newSandbox({ speed: 0, seed: 5 });
});
afterAll(async () => {
  await sb.stop();
});

async function providerFor(cloud: CloudName): Promise<Provider> {
  const { now } = await sb.inspect(cloud, "GET", "clock");
  const account = sandboxAccounts({ [cloud]: sb[cloud] } as never).find((a) => a.vendor === cloud)!;
  const http = createHttpClient({
    fetch: (input, init) => fetch(input, init),
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
  return createProvider(account, { http, now: () => new Date(now), nonce: () => crypto.randomUUID() });
}

describe.each(clouds)("%s client through connection faults", (cloud) => {
  it("reports a reset connection as a network error after its retries, then recovers", async () => {
    const provider = await providerFor(cloud);
    const before = (await sb.inspect(cloud, "GET", "requests")).requests.length;
    await sb.inspect(cloud, "PUT", "faults", { reset: 1 });
    const error = await provider.listClusters().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("network");
    expect((error as ProviderError).message).not.toMatch(/\n\s+at /); // no stack trace
    const attempts = (await sb.inspect(cloud, "GET", "requests")).requests.length - before;
    expect(attempts).toBe(3); // listClusters is a GET: retried up to the attempt budget

    await sb.inspect(cloud, "PUT", "faults", { reset: 0 });
    expect((await provider.listClusters()).length).toBeGreaterThan(0);
  });
});
