// The composition root, on both runtimes: one provider per account over the host's fetch and cloud
// clock, and the tick and the app wired to the same store, schedules, calendars, clocks and
// inventory cache.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../shared/config/config.ts";
import { createLogger } from "../shared/log/logger.ts";
import { SHARED_INVENTORY_KEY } from "../shared/providers/inventory.ts";
import { loadCompiledSchedules } from "../shared/schedule/compiled.ts";
import { loadScheduleSources } from "../shared/schedule/load.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore } from "../shared/store/store.ts";
import { compose, type HostAdapters } from "./compose.ts";
import { COMPILED_SCHEDULES } from "./schedules.bundle.ts";

const ADMIN_TOKEN = "admin-token-0123456789abcdef";
const ENV = {
  NIGHTSHIFT_ADMIN_TOKEN: ADMIN_TOKEN,
  NIGHTSHIFT_LINK_SECRET: "link-secret-0123456789abcdef0123456789",
  NIGHTSHIFT_ACCOUNT_HW_VENDOR: "huawei",
  NIGHTSHIFT_ACCOUNT_HW_ACCESS_KEY_ID: "HWAKID",
  NIGHTSHIFT_ACCOUNT_HW_SECRET_ACCESS_KEY: "hw-secret-0123456789",
  NIGHTSHIFT_ACCOUNT_HW_REGION: "cn-north-4",
  NIGHTSHIFT_ACCOUNT_HW_PROJECT_ID: "0123456789abcdef0123456789abcdef",
  NIGHTSHIFT_ACCOUNT_HW_ENDPOINT: "https://hw.cloud.test",
  NIGHTSHIFT_ACCOUNT_ALI_VENDOR: "alibaba",
  NIGHTSHIFT_ACCOUNT_ALI_ACCESS_KEY_ID: "ALIAKID",
  NIGHTSHIFT_ACCOUNT_ALI_SECRET_ACCESS_KEY: "ali-secret-0123456789",
  NIGHTSHIFT_ACCOUNT_ALI_REGION: "cn-hangzhou",
  NIGHTSHIFT_ACCOUNT_ALI_ENDPOINT: "https://ali.cloud.test",
};
const CLOUD_NOW = new Date("2026-11-23T14:00:00Z");
const REAL_NOW = new Date("2026-05-01T09:30:00Z");

function wiring(env: Record<string, string> = ENV, adapters: Partial<HostAdapters> = {}) {
  const config = loadConfig(env);
  const loaded = loadCompiledSchedules(COMPILED_SCHEDULES);
  const requests: Request[] = [];
  const host: HostAdapters = {
    host: "node",
    log: createLogger({ write: () => {} }),
    store: createStore(memoryBackend()),
    // Every cloud refuses (403, not retried): the listing fails, and each request is recorded.
    fetch: async (url, init) => {
      requests.push(new Request(url, init));
      return new Response("denied", { status: 403 });
    },
    cloudNow: () => CLOUD_NOW,
    realNow: () => REAL_NOW,
    schedules: loaded.schedules,
    calendars: loaded.calendars,
    holder: "test:1",
    inventory: { sharedThroughStore: true, refreshInBackground: false },
    tickFollowsClocks: true,
    ...adapters,
  };
  return { config, host, requests, composed: compose(config, host) };
}

describe("compose", () => {
  it("wires one provider per configured account, found by the tick under the account's id", () => {
    const { composed } = wiring();
    expect([...composed.providers.keys()].sort()).toEqual(["ali", "hw"]);
    expect(composed.providers.get("hw")?.kind).toBe("huawei");
    expect(composed.providers.get("ali")?.kind).toBe("alibaba");
    expect(composed.tickDeps.providerFor("hw")).toBe(composed.providers.get("hw"));
    expect(composed.tickDeps.providerFor("ali")).toBe(composed.providers.get("ali"));
    expect(composed.tickDeps.providerFor("nobody")).toBeUndefined();
  });

  it("takes the host's own accounts when it brings them (the embedded sandbox)", () => {
    const config = loadConfig(ENV);
    const { composed } = wiring(ENV, { accounts: [{ ...config.accounts[0]!, id: "sandbox-hw" }] });
    expect([...composed.providers.keys()]).toEqual(["sandbox-hw"]);
  });

  it("gives the tick and the app the same store, schedules, calendars, clocks and host settings", () => {
    const { config, host, composed } = wiring();
    const { tickDeps, appDeps } = composed;
    expect(tickDeps.store).toBe(host.store);
    expect(appDeps.store).toBe(host.store);
    expect(tickDeps.schedules).toBe(host.schedules);
    expect(appDeps.schedules).toBe(host.schedules);
    expect(tickDeps.calendars).toBe(host.calendars);
    expect(appDeps.calendars).toBe(host.calendars);
    expect(tickDeps.clock).toBe(host.cloudNow);
    expect(tickDeps.realClock).toBe(host.realNow);
    expect(appDeps.now).toBe(host.cloudNow);
    expect(appDeps.realNow).toBe(host.realNow);
    expect(tickDeps.log).toBe(host.log);
    expect(appDeps.log).toBe(host.log);
    expect(tickDeps.holder).toBe("test:1");
    expect(appDeps.host).toBe("node");
    expect(appDeps.adminToken).toBe(ADMIN_TOKEN);
    expect(appDeps.linkSecret).toBe(config.notices.linkSecret);
    expect(tickDeps.notices?.settings).toBe(config.notices);
    expect(tickDeps.kube).toBeUndefined();
    expect(tickDeps.events).toBeUndefined();
  });

  it("keeps the tick at its trigger's time when the host asks (Workers)", () => {
    const { composed } = wiring(ENV, { tickFollowsClocks: false });
    expect(composed.tickDeps.clock).toBeUndefined();
    expect(composed.tickDeps.realClock).toBeUndefined();
    expect(composed.appDeps.now()).toEqual(CLOUD_NOW);
  });

  it("lists the fleet through the host's fetch, signed on the cloud clock, once for the tick and the app", async () => {
    const { composed, requests, host } = wiring();
    const listed = await composed.tickDeps.inventory(CLOUD_NOW);
    expect(listed.errors.map((e) => e.account).sort()).toEqual(["ali", "hw"]);
    const hosts = requests.map((r) => new URL(r.url).host);
    expect(new Set(hosts)).toEqual(new Set(["hw.cloud.test", "ali.cloud.test"]));
    const huawei = requests.find((r) => r.url.startsWith("https://hw.cloud.test"))!;
    expect(huawei.headers.get("X-Sdk-Date")).toBe("20261123T140000Z");
    const made = requests.length;
    // The app answers from the same cache: no cloud is asked again.
    expect(await composed.appDeps.inventory()).toBe(listed);
    expect(requests.length).toBe(made);
    // Shared through the host's store for the other replicas.
    expect(await host.store.shared.get(SHARED_INVENTORY_KEY, CLOUD_NOW)).toBeDefined();
  });

  it("keeps the listing to itself when the host does not share it (Workers)", async () => {
    const { composed, host } = wiring(ENV, {
      inventory: { sharedThroughStore: false, refreshInBackground: false },
    });
    await composed.tickDeps.inventory(CLOUD_NOW);
    expect(await host.store.shared.get(SHARED_INVENTORY_KEY, CLOUD_NOW)).toBeUndefined();
  });

  it("sends notices through the host's fetch", async () => {
    const { composed, requests } = wiring();
    await composed.tickDeps.notices!.fetch("https://hooks.example.test/notice", {
      method: "POST",
      body: "{}",
    });
    expect(requests.map((r) => r.url)).toEqual(["https://hooks.example.test/notice"]);
  });

  it("publishes outcome events to EventBridge only when it is configured", () => {
    const { composed } = wiring({
      ...ENV,
      NIGHTSHIFT_EVENTBRIDGE_REGION: "eu-central-1",
      NIGHTSHIFT_EVENTBRIDGE_ACCESS_KEY_ID: "AKIAEXAMPLE",
      NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY: "eventbridge-secret-0123456789",
    });
    expect(composed.events).toBeDefined();
    expect(composed.tickDeps.events).toBe(composed.events);
  });

  it("serves the app on the host's store and cloud clock, behind the configured admin token", async () => {
    const { composed } = wiring();
    const health = await composed.app.request("/healthz");
    expect(await health.json()).toMatchObject({
      host: "node",
      store: "memory",
      time: CLOUD_NOW.toISOString(),
    });
    expect((await composed.app.request("/api/operations")).status).toBe(401);
    const authorized = await composed.app.request("/api/operations", {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(authorized.status).toBe(200);
  });

  it("gives the app the configured webhook credentials and the resize function's accept, on the host's cloud clock", async () => {
    const token = "compose-alertmanager-token-0123456789";
    const payload = JSON.stringify({
      receiver: "nightshift",
      status: "firing",
      alerts: [
        {
          status: "firing",
          labels: { alertname: "QueueBacklogHigh" },
          annotations: {},
          startsAt: "2026-11-23T13:55:00Z",
          endsAt: "0001-01-01T00:00:00Z",
          generatorURL: "",
          fingerprint: "a3f2c1d4e5b6a7c8",
        },
      ],
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: "http://alertmanager:9093",
      version: "4",
      groupKey: "{}:{}",
      truncatedAlerts: 0,
    });
    const post = (app: ReturnType<typeof wiring>["composed"]["app"]) =>
      app.request("/webhooks/alertmanager", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: payload,
      });
    const { composed, host } = wiring({ ...ENV, NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS: token });
    expect((await post(composed.app)).status).toBe(202);
    // Recorded on the cloud clock (no rule matches: the ledger says so), then a duplicate.
    const [unmatched] = await host.store.ledger.query({});
    expect(unmatched).toMatchObject({ kind: "event.unmatched", at: CLOUD_NOW });
    expect((await post(composed.app)).status).toBe(200);
  });
});

describe("compose: accept, for the webhook routes", () => {
  const rules = (() => {
    const loaded = loadScheduleSources({
      dir: "schedules",
      schedules: [
        {
          name: "r.yaml",
          text: "kind: resize\nname: grow\nmatch: { type: Backlog }\ntarget: { account: hw }\naction: { add: 1 }\n",
        },
      ],
      calendarFile: () => undefined,
    });
    if ("errors" in loaded) throw new Error(JSON.stringify(loaded.errors));
    return loaded.rules;
  })();
  const event = {
    source: "alertmanager" as const,
    id: "e-1",
    type: "Backlog",
    status: "firing" as const,
    labels: { cluster: "c1", pool: "batch" },
    data: {},
    occurredAt: CLOUD_NOW.toISOString(),
    origin: {},
  };

  it("is the same function in the composition and the app's dependencies", () => {
    const { composed } = wiring(ENV, { rules });
    expect(composed.appDeps.accept).toBe(composed.accept);
  });

  it("on Workers, sends what it created to the operations queue before it returns", async () => {
    const sent: unknown[] = [];
    const { composed, host } = wiring(ENV, {
      host: "workers",
      rules,
      operationQueue: {
        async sendBatch(messages) {
          sent.push(...messages);
        },
      },
    });
    const [answer] = await composed.accept([event], CLOUD_NOW);
    expect(answer).toMatchObject({ status: "accepted", operations: [expect.any(String)] });
    expect(sent).toEqual([
      { body: { operationId: answer!.operations[0], target: "hw/c1" }, delaySeconds: 0 },
    ]);
    expect(await host.store.operations.get(answer!.operations[0]!, CLOUD_NOW)).toMatchObject({
      kind: "resize",
    });
  });

  it("on Node, starts the operation in this process at once (its first step reads the cloud)", async () => {
    const { composed, requests, host } = wiring(ENV, { rules });
    const [answer] = await composed.accept([event], CLOUD_NOW);
    const id = answer!.operations[0]!;
    // The run is not awaited by accept; it reaches the cloud right after (here refused: 403).
    for (let i = 0; i < 100 && requests.length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(requests.length).toBeGreaterThan(0);
    expect(new URL(requests[0]!.url).host).toBe("hw.cloud.test");
    for (let i = 0; i < 100; i++) {
      if ((await host.store.operations.get(id, CLOUD_NOW))?.status === "failed") break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await host.store.operations.get(id, CLOUD_NOW))?.status).toBe("failed");
  });
});
