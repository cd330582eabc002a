// Which clock judges a signature's age: the simulated one by default, real time when asked
// (for a client such as a Worker that can only sign with the real clock).
import { afterEach, describe, expect, it } from "vitest";
import { createHttpClient } from "../http/client.ts";
import { ProviderError } from "../providers/port.ts";
import { createProvider } from "../providers/registry.ts";
import { sandboxAccounts } from "./accounts.ts";
import { type RunningSandbox, startSandbox } from "./server.node.ts";

const SIMULATED_START = new Date("2026-03-02T12:00:00Z");
let running: RunningSandbox | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function listWithRealClock(signaturesBy?: "sandbox" | "real") {
  running = await startSandbox({
    speed: 0,
    start: SIMULATED_START,
    ...(signaturesBy ? { signaturesBy } : {}),
  });
  const account = sandboxAccounts(running.description).find((a) => a.vendor === "huawei")!;
  const provider = createProvider(account, {
    http: createHttpClient({ fetch: (input, init) => fetch(input, init), retry: { attempts: 1 } }),
    now: () => new Date(),
    nonce: () => crypto.randomUUID(),
  });
  return provider.listClusters();
}

describe("signaturesBy", () => {
  it("refuses a request signed with the real clock while the simulated clock is elsewhere (default)", async () => {
    const refused = await listWithRealClock().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProviderError);
    expect((refused as ProviderError).kind).toBe("auth");
  });

  it('accepts it with signaturesBy: "real", the rest still on the simulated clock', async () => {
    expect((await listWithRealClock("real")).length).toBeGreaterThan(0);
    expect(running!.sandbox.clock.now()).toEqual(SIMULATED_START);
  });
});
