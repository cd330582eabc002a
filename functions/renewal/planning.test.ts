// The tick's renewal planning on a fleet without clouds: ownership (one declaration, two, none),
// one operation per planned attempt (idempotent across re-plans), and the cost bound: a tick where
// nothing is due reads the roster and the due index, and no target's state or credential.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../shared/log/logger.ts";
import type { Inventory, Target } from "../../shared/providers/inventory.ts";
import { compileRenewal, RenewalDocument } from "../../shared/renewal/renewal-schema.ts";
import { createRenewalServices } from "../../shared/renewal/services.ts";
import { readRenewalState } from "../../shared/renewal/state.ts";
import type { StoreBackend } from "../../shared/store/backend.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore } from "../../shared/store/store.ts";
import { planRenewals } from "./planning.ts";

const T0 = new Date("2026-05-04T08:00:00Z");
const KEY = { id: "k1", key: btoa(String.fromCharCode(...new Array(32).fill(7))) };

function target(i: number, tags: Record<string, string> = { ci: "yes" }): Target {
  return {
    provider: "alibaba",
    account: "ack",
    region: "cn-hangzhou",
    id: `c${i}`,
    name: `cluster-${i}`,
    phase: "running",
    vendorPhase: "running",
    tags,
    targetId: `ack/c${i}`,
    nodePools: [],
  };
}

const renewal = (name: string, tags: Record<string, string>) =>
  compileRenewal(
    RenewalDocument.parse({
      kind: "renewal",
      name,
      targets: [{ providers: ["alibaba"], tags }],
      duration: "60m",
    }),
    `${name}.yaml`,
  );

/** A backend that counts reads, so the test can say what a tick read. */
function counting(backend: StoreBackend) {
  const reads = { get: 0, list: 0, listIndex: 0 };
  const counted: StoreBackend = {
    ...backend,
    kind: backend.kind,
    get: (...args) => {
      reads.get++;
      return backend.get(...args);
    },
    list: (...args) => {
      reads.list++;
      return backend.list(...args);
    },
    listIndex: (...args) => {
      reads.listIndex++;
      return backend.listIndex(...args);
    },
    put: (...args) => backend.put(...args),
    delete: (...args) => backend.delete(...args),
    increment: (...args) => backend.increment(...args),
    addTallies: (...args) => backend.addTallies(...args),
    listTallies: (...args) => backend.listTallies(...args),
    append: (...args) => backend.append(...args),
    query: (...args) => backend.query(...args),
    sweep: (...args) => backend.sweep(...args),
    close: () => backend.close(),
  };
  return { backend: counted, reads };
}

function setup(targets: Target[], renewals = [renewal("ci", { ci: "yes" })], vaultKeys = [KEY]) {
  const { backend, reads } = counting(memoryBackend());
  const store = createStore(backend);
  const services = createRenewalServices({
    vaultKeys,
    namedSecrets: {},
    fetch: async () => new Response(null, { status: 204 }),
    now: () => T0,
  });
  const inventory: Inventory = { targets, errors: [] };
  const logged: string[] = [];
  const log = createLogger({ level: "error", write: (line: string) => void logged.push(line) });
  const plan = (now: Date) => planRenewals({ store, renewals, services, log }, inventory, now);
  return { store, reads, plan, logged };
}

describe("renewal planning in the tick", () => {
  it("creates one renew operation per owned target, the same id however often it is planned", async () => {
    const { store, plan } = setup([target(1), target(2), target(3, { ci: "no" })]);
    const first = await plan(T0);
    expect(first.created).toHaveLength(2);
    expect(first.created.every((id) => id.startsWith("renew:ci:2026-05-04T08:00:00.000Z:ack/c"))).toBe(true);
    expect(first.decisions.filter((d) => d.kind === "renew").map((d) => d.reason)).toEqual([
      "none-stored",
      "none-stored",
    ]);
    const state = (await readRenewalState(store, "ack/c1", T0))!.value;
    expect(state.operation?.id).toBe(first.created.find((id) => id.endsWith("ack/c1")));
    expect(await readRenewalState(store, "ack/c3", T0)).toBeUndefined(); // not selected

    // The operations are under way: five minutes later the tick looks again, finds them, creates none.
    const later = await plan(new Date(T0.getTime() + 5 * 60_000));
    expect(later.created).toEqual([]);
    expect(later.decisions.map((d) => d.reason)).toEqual([
      "an operation is under way",
      "an operation is under way",
    ]);
    expect((await store.operations.list({ target: "ack/c1" }, T0)).map((op) => op.kind)).toEqual(["renew"]);
  });

  it("reads no target's state or credential in a tick where nothing is due", async () => {
    const { reads, plan } = setup(Array.from({ length: 50 }, (_, i) => target(i)));
    await plan(T0);
    const before = { ...reads };
    await plan(new Date(T0.getTime() + 60_000)); // every target's next look is 5 minutes out
    expect(reads.get - before.get).toBe(1); // the roster
    expect(reads.listIndex - before.listIndex).toBe(1); // the due index
    expect(reads.list - before.list).toBe(0);
  });

  it("needs the vault keys only once a declaration owns a target, and then says they are missing", async () => {
    // A declaration that matches nothing (e.g. no account configured yet) is no error without keys.
    const idle = setup([target(1, { ci: "no" })], [renewal("ci", { ci: "yes" })], []);
    expect((await idle.plan(T0)).errors).toEqual([]);
    expect(idle.logged).toEqual([]);
    // Once it owns one, the tick reports renewal off, as an error and one log line, and creates nothing.
    const owning = setup([target(1)], [renewal("ci", { ci: "yes" })], []);
    const report = await owning.plan(T0);
    expect(report.created).toEqual([]);
    expect(report.errors).toEqual([
      { message: expect.stringMatching(/^certificate renewal is off: .*NIGHTSHIFT_VAULT_KEYS/) },
    ]);
    expect(owning.logged.map((line) => JSON.parse(line).msg)).toEqual(["tick: certificate renewal is off"]);
  });

  it("renews nothing a second declaration also matches, and says so", async () => {
    const { store, plan } = setup(
      [target(1, { ci: "yes", team: "web" })],
      [renewal("ci", { ci: "yes" }), renewal("web", { team: "web" })],
    );
    const report = await plan(T0);
    expect(report.created).toEqual([]);
    expect(report.decisions).toEqual([
      {
        target: "ack/c1",
        kind: "skip",
        reason: expect.stringMatching(/matched by ci, web; make the selectors exclusive/),
      },
    ]);
    expect(await readRenewalState(store, "ack/c1", T0)).toBeUndefined();
  });

  it("takes a target out of the due index when no declaration owns it any more, keeping why", async () => {
    const { store, plan } = setup([target(1)]);
    await plan(T0);
    const report = await planRenewals(
      {
        store,
        renewals: [renewal("ci", { ci: "yes" })],
        services: createRenewalServices({ vaultKeys: [KEY], namedSecrets: {}, fetch: fetch, now: () => T0 }),
        log: createLogger({ level: "error", write: () => {} }),
      },
      { targets: [target(1, { ci: "no" })], errors: [] },
      new Date(T0.getTime() + 60_000),
    );
    expect(report.created).toEqual([]);
    const state = (await readRenewalState(store, "ack/c1", T0))!.value;
    expect(state).toMatchObject({
      waitingFor: "owner",
      notOwned: expect.stringContaining("no enabled renewal declaration"),
    });
    expect(await store.renewals.due({ dueBy: new Date(T0.getTime() + 86_400_000) }, T0)).toEqual([]);
  });

  it("reports that renewal is off when no vault key is configured", async () => {
    const store = createStore(memoryBackend());
    const report = await planRenewals(
      {
        store,
        renewals: [renewal("ci", { ci: "yes" })],
        services: createRenewalServices({ vaultKeys: [], namedSecrets: {}, fetch, now: () => T0 }),
        log: createLogger({ level: "error", write: () => {} }),
      },
      { targets: [target(1)], errors: [] },
      T0,
    );
    expect(report.created).toEqual([]);
    expect(report.errors[0]?.message).toMatch(/NIGHTSHIFT_VAULT_KEYS/);
  });
});
