// For the renewal contract tests: a sandbox whose clock stands still (moved by hand), providers for
// every sandbox account signing with its clock, an in-memory store, renewal declarations read
// through the real schema, and whole ticks (functions/tick.ts: renewal planning, then the jobs
// runtime) at the sandbox's time. Everything the run logs and publishes is captured, for the
// key-material scan.
import { runTick, type TickDeps, type TickReport } from "../../functions/tick.ts";
import type { Account, VaultKeySetting } from "../../shared/config/config.ts";
import type { EventPublisher, OutcomeEvent } from "../../shared/events/eventbridge.ts";
import type { NoticeFetch } from "../../shared/events/notices.ts";
import { createVault, importVaultKeys, type Vault } from "../../shared/kubeconfig/vault.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { type Inventory, listInventory } from "../../shared/providers/inventory.ts";
import type { Provider } from "../../shared/providers/port.ts";
import { compileRenewal, type Renewal, RenewalDocument } from "../../shared/renewal/renewal-schema.ts";
import { createRenewalServices, type RenewalServicesOptions } from "../../shared/renewal/services.ts";
import { type RenewalState, readRenewalState } from "../../shared/renewal/state.ts";
import type { CloudName } from "../../shared/sandbox/cloud.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore, type Store } from "../../shared/store/store.ts";
import { newSandbox, sandboxProviders, type TestSandbox } from "../setup/sandbox.ts";

/** 32 bytes, base64: test keys (never used anywhere else). */
export const KEY_1: VaultKeySetting = { id: "k1", key: btoa(String.fromCharCode(...new Array(32).fill(1))) };
export const KEY_2: VaultKeySetting = { id: "k2", key: btoa(String.fromCharCode(...new Array(32).fill(2))) };
export const WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

export interface RenewalHarness {
  sb: TestSandbox;
  /** The current store (a fresh one after `reset`). */
  readonly store: Store;
  /** A fresh, empty store: the next test starts with nothing stored and no state. */
  reset(): void;
  now(): Date;
  accounts: Account[];
  provider(accountId: string): Provider;
  /** Replaces an account's provider for the next ticks (a wrapped one that misbehaves); undefined: the real one. */
  wrap(accountId: string, provider: Provider | undefined): void;
  advance(seconds: number): Promise<void>;
  /** Sets the clock to an instant (forward only). */
  advanceTo(at: Date): Promise<void>;
  /** The renewal declarations the ticks run with (replaceable). */
  declare(...documents: unknown[]): Renewal[];
  /** Vault keys from now on (the first encrypts). */
  useKeys(keys: VaultKeySetting[]): void;
  vault(): Promise<Vault>;
  tick(): Promise<TickReport>;
  state(target: string): Promise<RenewalState | undefined>;
  inventory(): Promise<Inventory>;
  /** Every line logged and every event published so far. */
  lines: string[];
  events: OutcomeEvent[];
  /** What the webhook sinks were sent, and how the fake receiver answers (default 204). */
  deliveries: Array<{ url: string; headers: Record<string, string>; body: string }>;
  answer: { status: number };
  services(extra?: Partial<RenewalServicesOptions>): ReturnType<typeof createRenewalServices>;
  stop(): Promise<void>;
}

export async function startRenewalHarness(options: {
  seed: number;
  start?: string;
  fileSink?: RenewalServicesOptions["fileSink"];
  /** The webhook sinks' transport; default: a fake receiver answering `answer.status`. */
  fetch?: NoticeFetch;
  /** Where outcome events go; default: a bus that accepts everything (recorded in `events`). */
  publisher?: EventPublisher;
  /** Attempts per cloud call (default 1: every injected fault reaches the job). */
  httpAttempts?: number;
  /** Per-attempt timeout of every cloud call (default the client's): short when the clouds hold requests. */
  timeoutMs?: number;
}): Promise<RenewalHarness> {
  const sb = await newSandbox({
    speed: 0,
    seed: options.seed,
    ...(options.start ? { start: options.start } : {}),
  });
  let simNow = new Date((await sb.inspect("alibaba", "GET", "clock")).now);
  // One attempt per call: every injected fault reaches the job.
  const { accounts, providers: real } = sandboxProviders(sb, {
    now: () => simNow,
    attempts: options.httpAttempts ?? 1,
    maxDelayMs: 1,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  const wrapped = new Map<string, Provider>();
  let store = createStore(memoryBackend());
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => lines.push(line), now: () => simNow });
  const events: OutcomeEvent[] = [];
  const publisher: EventPublisher = {
    async publish(batch) {
      events.push(...batch);
      return { sent: batch.length, failed: [] };
    },
  };
  const deliveries: RenewalHarness["deliveries"] = [];
  const answer = { status: 204 };
  const fake: NoticeFetch = async (url, init) => {
    deliveries.push({
      url: String(url),
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: String(init?.body ?? ""),
    });
    return new Response(null, { status: answer.status });
  };
  let keys: VaultKeySetting[] = [KEY_1];
  let renewals: Renewal[] = [];
  const services = (extra: Partial<RenewalServicesOptions> = {}) =>
    createRenewalServices({
      vaultKeys: keys,
      namedSecrets: { RENEWAL_HOOK_SECRET: [WEBHOOK_SECRET] },
      fetch: options.fetch ?? fake,
      now: () => simNow,
      webhookAttempts: 1,
      sleep: async () => {},
      ...(options.fileSink ? { fileSink: options.fileSink } : {}),
      ...extra,
    });
  const providerFor = (account: string) => wrapped.get(account) ?? real.get(account);
  // The fleet as listed once (as the service keeps it for minutes): faults injected for the
  // issuance then do not also hide the clusters from the tick.
  let listed: Promise<Inventory> | undefined;
  const inventory = () => {
    listed ??= listInventory([...real.values()]);
    return listed;
  };

  const harness: RenewalHarness = {
    sb,
    get store() {
      return store;
    },
    reset() {
      store = createStore(memoryBackend());
    },
    now: () => simNow,
    accounts,
    provider: (accountId) => {
      const found = real.get(accountId);
      if (!found) throw new Error(`no provider for ${accountId}`);
      return found;
    },
    wrap(accountId, provider) {
      if (provider) wrapped.set(accountId, provider);
      else wrapped.delete(accountId);
    },
    async advance(seconds) {
      simNow = new Date((await sb.inspect("alibaba", "POST", "clock", { advanceSeconds: seconds })).now);
    },
    async advanceTo(at) {
      const seconds = Math.ceil((at.getTime() - simNow.getTime()) / 1000);
      if (seconds > 0) await harness.advance(seconds);
    },
    declare(...documents) {
      renewals = documents.map((document, i) =>
        compileRenewal(RenewalDocument.parse(document), `test-${i}.yaml`),
      );
      return renewals;
    },
    useKeys(next) {
      keys = next;
    },
    async vault() {
      return createVault(store.secrets, await importVaultKeys(keys));
    },
    async tick() {
      const deps: TickDeps = {
        store,
        log,
        schedules: [],
        calendars: new Map(),
        inventory,
        providerFor,
        holder: "renewal-test",
        renewals,
        renewal: services(),
        events: options.publisher ?? publisher,
        clock: () => simNow,
      };
      return runTick({ now: simNow, trigger: "cli", deps });
    },
    state: async (target) => (await readRenewalState(store, target, simNow))?.value,
    inventory,
    lines,
    events,
    deliveries,
    answer,
    services,
    stop: () => sb.stop(),
  };
  return harness;
}

/** The sandbox account on `cloud` named `name` (e.g. "ack-dev"), and its cluster named `cluster`. */
export async function clusterOf(
  harness: RenewalHarness,
  cloud: CloudName,
  name: string,
  cluster: string,
): Promise<{ account: string; clusterId: string; target: string }> {
  const account = harness.accounts.find((a) => a.vendor === cloud && a.id === `sandbox-${cloud}-${name}`);
  if (!account) throw new Error(`no sandbox ${cloud} account ${name}`);
  const found = (await harness.provider(account.id).listClusters()).find((c) => c.name === cluster);
  if (!found) throw new Error(`no ${cloud} cluster ${cluster}`);
  return { account: account.id, clusterId: found.id, target: `${account.id}/${found.id}` };
}
