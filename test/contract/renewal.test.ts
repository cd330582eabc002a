// Contract: certificate renewal against the sandbox clouds' CA (real X.509, minute-scale Alibaba
// kubeconfigs), on Node and inside workerd. Whole ticks (planning + the jobs runtime) at the
// sandbox's time, moved by hand: renewal at the right moment, windows, back-off, forced renewal,
// vault key rotation, sink delivery and refusal (then a retry without a new issuance), validation
// failures (wrong cluster, not later, unparsable) through a wrapped provider; logs, events, ledger
// entries and API answers scanned for key material.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { adminApi } from "../../functions/api.ts";
import { forceRenewal } from "../../functions/renewal/force.ts";
import { parseKubeconfig } from "../../shared/kubeconfig/kubeconfig.ts";
import { createLogger } from "../../shared/log/logger.ts";
import type { Provider } from "../../shared/providers/port.ts";
import { assertNoKeyMaterial } from "../../shared/renewal/key-material.ts";
import { clusterOf, KEY_1, KEY_2, type RenewalHarness, startRenewalHarness } from "./renewal-harness.ts";

const MINUTE = 60;
let h: RenewalHarness;
let web: { account: string; clusterId: string; target: string };
let other: { account: string; clusterId: string; target: string };

/** An Alibaba renewal of one cluster: 60-minute kubeconfigs renewed at 2/3 (40 min). */
function declaration(extra: Record<string, unknown> = {}) {
  return {
    kind: "renewal",
    name: "ack-ci",
    targets: [{ accounts: [web.account], providers: ["alibaba"], names: ["dev-web"] }],
    duration: "60m",
    ...extra,
  };
}

async function ledgerKinds(target: string): Promise<string[]> {
  return (await h.store.ledger.query({ target, limit: 1000 })).map((e) => e.kind);
}

async function storedSerial(target: string): Promise<string | undefined> {
  return (await (await h.vault()).describe(target, h.now()))?.meta.serial;
}

/** Ticks minute by minute until `until` (inclusive), returning the ticks' renewal decisions. */
async function tickUntil(until: Date) {
  const reports = [];
  while (h.now().getTime() < until.getTime()) {
    await h.advance(MINUTE);
    reports.push(await h.tick());
  }
  return reports;
}

beforeAll(async () => {
  h = await startRenewalHarness({ seed: 12, start: "2026-03-02T10:00:00Z" });
  web = await clusterOf(h, "alibaba", "ack-dev", "dev-web");
  const anotherCluster = (await h.provider(web.account).listClusters()).find((c) => c.id !== web.clusterId)!;
  other = {
    account: web.account,
    clusterId: anotherCluster.id,
    target: `${web.account}/${anotherCluster.id}`,
  };
});
afterAll(async () => {
  await h.stop();
});
afterEach(async () => {
  // Nothing a test captured carries key material: logs, events, ledger entries, operations, states.
  assertNoKeyMaterial({
    lines: h.lines,
    payloads: [
      h.events,
      await h.store.ledger.query({ limit: 1000 }),
      await h.store.operations.list({}, h.now()),
      await h.store.renewals.list(h.now()),
    ],
  });
});
beforeEach(async () => {
  h.reset();
  await h.sb.inspect("alibaba", "PUT", "faults", { serverError: 0 });
  h.wrap(web.account, undefined);
  h.useKeys([KEY_1]);
  h.answer.status = 204;
});

describe("renewal on the sandbox CA", () => {
  it("issues at once when nothing is stored, then renews at 2/3 of the lifetime, not a minute before", async () => {
    h.declare(declaration());
    const first = await h.tick();
    expect(first.renewals?.find((d) => d.target === web.target)).toMatchObject({
      kind: "renew",
      reason: "none-stored",
    });
    expect(first.renewals?.some((d) => d.target === other.target)).toBe(false); // not selected
    const state = (await h.state(web.target))!;
    expect(state.operation).toBeUndefined();
    expect(state.certificate).toBeDefined();
    const notBefore = Date.parse(state.certificate!.notBefore);
    const notAfter = Date.parse(state.certificate!.notAfter);
    expect(notAfter - notBefore).toBe(60 * 60_000); // the sandbox issued exactly what was asked (minutes)
    expect(state.renewalTime).toBe(new Date(notBefore + 40 * 60_000).toISOString());
    expect(state.nextAttemptAt).toBe(state.renewalTime);
    expect(state.waitingFor).toBe("renewal-time");
    expect(state.sinks).toEqual([expect.objectContaining({ sink: "store", status: "delivered" })]);
    const serial = await storedSerial(web.target);
    expect(serial).toBe(state.certificate!.serial);

    // A minute before the renewal time: nothing (the tick reads no state that is not due).
    await h.advanceTo(new Date(notBefore + 39 * 60_000));
    const before = await h.tick();
    expect(before.renewals ?? []).toEqual([]);
    expect(await storedSerial(web.target)).toBe(serial);

    await h.advanceTo(new Date(notBefore + 40 * 60_000));
    const due = await h.tick();
    expect(due.renewals?.find((d) => d.target === web.target)).toMatchObject({
      kind: "renew",
      reason: "past-percentage",
    });
    const renewed = (await h.state(web.target))!;
    expect(renewed.certificate!.serial).not.toBe(serial);
    expect(Date.parse(renewed.certificate!.notAfter)).toBeGreaterThan(notAfter);
    expect(renewed.lastRenewal).toMatchObject({
      reason: "past-percentage",
      serial: renewed.certificate!.serial,
    });
    const kinds = await ledgerKinds(web.target);
    expect(kinds.filter((k) => k === "renew.issued")).toHaveLength(2);
    expect(kinds).toContain("renew.scheduled");
    expect(kinds).toContain("renew.decided");
    const event = h.events.findLast((e) => e.detailType === "nightshift.renew")!;
    expect(event.detail).toMatchObject({ target: web.target, outcome: "succeeded" });
    expect((event.detail.after as { certificate: { serial: string } }).certificate.serial).toBe(
      renewed.certificate!.serial,
    );
  });

  it("waits for the window to open, then renews in it", async () => {
    // Open from minute 45 to 49 of every hour (and other quarters): 10:40 is closed, 10:45 open.
    h.declare(
      declaration({
        name: "ack-ci-window",
        window: { cron: "*/15 * * * *", timezone: "UTC", durationMinutes: 5 },
      }),
    );
    await h.tick();
    const state = (await h.state(web.target))!;
    const renewalTime = new Date(state.renewalTime!);
    await h.advanceTo(renewalTime);
    await h.tick();
    const waiting = (await h.state(web.target))!;
    const opening = new Date(Math.ceil(renewalTime.getTime() / (15 * 60_000)) * 15 * 60_000);
    if (opening.getTime() === renewalTime.getTime()) {
      // The renewal time fell on an opening: renewed at once.
      expect(waiting.certificate!.serial).not.toBe(state.certificate!.serial);
      return;
    }
    expect(waiting).toMatchObject({ waitingFor: "window", nextAttemptAt: opening.toISOString() });
    expect(waiting.certificate!.serial).toBe(state.certificate!.serial);
    await tickUntil(opening);
    expect((await h.state(web.target))!.certificate!.serial).not.toBe(state.certificate!.serial);
  });

  it("backs off 1 h, then 2 h, on failed issuance; the next attempt is in the state; success clears it", async () => {
    h.declare(declaration({ name: "ack-ci-3d", duration: "3d" }));
    await h.tick();
    const state = (await h.state(web.target))!;
    expect(Date.parse(state.certificate!.notAfter) - Date.parse(state.certificate!.notBefore)).toBe(
      3 * 86_400_000,
    );
    await h.advanceTo(new Date(state.renewalTime!));
    await h.sb.inspect("alibaba", "PUT", "faults", { serverError: 1 });
    await h.tick();
    const failed = (await h.state(web.target))!;
    expect(failed.failures).toMatchObject({ failedAttempts: 1, lastError: { kind: "issue-server" } });
    expect(failed.nextAttemptAt).toBe(new Date(h.now().getTime() + 3_600_000).toISOString());
    expect(failed.backoffUntil).toBe(failed.nextAttemptAt);
    expect(failed.waitingFor).toBe("backoff");
    expect(failed.certificate!.serial).toBe(state.certificate!.serial); // nothing stored

    await h.advance(30 * MINUTE);
    await h.tick(); // inside the back-off: no attempt
    expect((await h.state(web.target))!.failures!.failedAttempts).toBe(1);
    await h.advanceTo(new Date(failed.nextAttemptAt));
    await h.tick();
    const twice = (await h.state(web.target))!;
    expect(twice.failures!.failedAttempts).toBe(2);
    expect(twice.nextAttemptAt).toBe(new Date(h.now().getTime() + 2 * 3_600_000).toISOString());

    await h.sb.inspect("alibaba", "PUT", "faults", { serverError: 0 });
    await h.advanceTo(new Date(twice.nextAttemptAt));
    await h.tick();
    const recovered = (await h.state(web.target))!;
    expect(recovered.failures).toBeUndefined();
    expect(recovered.certificate!.serial).not.toBe(state.certificate!.serial);
    const kinds = await ledgerKinds(web.target);
    expect(kinds.filter((k) => k === "renew.failed").length).toBeGreaterThanOrEqual(2);
  });

  it("forces a renewal inside a back-off, recording the override", async () => {
    h.declare(declaration({ name: "ack-ci-3d", duration: "3d" }));
    await h.tick();
    const state = (await h.state(web.target))!;
    await h.advanceTo(new Date(state.renewalTime!));
    await h.sb.inspect("alibaba", "PUT", "faults", { serverError: 1 });
    await h.tick();
    expect((await h.state(web.target))!.waitingFor).toBe("backoff");
    await h.sb.inspect("alibaba", "PUT", "faults", { serverError: 0 });
    const target = (await h.inventory()).targets.find((t) => t.targetId === web.target)!;
    const forced = await forceRenewal(
      { store: h.store, renewals: h.declare(declaration({ name: "ack-ci-3d", duration: "3d" })) },
      target,
      h.now(),
      { requestedBy: "test" },
    );
    expect(forced).toMatchObject({ ok: true, created: true });
    await h.tick();
    const renewed = (await h.state(web.target))!;
    expect(renewed.lastRenewal).toMatchObject({ reason: "forced" });
    expect(renewed.failures).toBeUndefined();
    expect(renewed.forced).toBeUndefined();
    const decided = (
      await h.store.ledger.query({ operationId: forced.ok ? forced.operationId : "", limit: 100 })
    ).find((e) => e.kind === "renew.decided")!;
    expect(decided.detail).toMatchObject({ reason: "forced", overrides: ["backoff"] });
  });

  it("rotates the vault key: the stored credential moves to the new key and renewals go on", async () => {
    h.declare(declaration());
    await h.tick();
    const serial = await storedSerial(web.target);
    h.useKeys([KEY_2, KEY_1]);
    const vault = await h.vault();
    expect((await vault.describe(web.target, h.now()))!.keyId).toBe("k1");
    const rotation = await vault.rotate(h.now());
    expect(rotation.moved).toBeGreaterThanOrEqual(1);
    expect(rotation.failed).toEqual([]);
    expect((await vault.describe(web.target, h.now()))!.keyId).toBe("k2");
    h.useKeys([KEY_2]); // the old key is gone
    const entry = await (await h.vault()).get(web.target, h.now());
    expect(parseKubeconfig(entry!.plaintext).certificate.serial).toBe(serial);
    const state = (await h.state(web.target))!;
    await h.advanceTo(new Date(state.nextAttemptAt));
    await h.tick();
    const after = await (await h.vault()).describe(web.target, h.now());
    expect(after!.meta.serial).not.toBe(serial);
    expect(after!.keyId).toBe("k2");
    // And back, for the tests after this one.
    h.useKeys([KEY_1, KEY_2]);
    expect((await (await h.vault()).rotate(h.now())).failed).toEqual([]);
  });

  it("delivers to a webhook sink; a refusal is retried later from the vault, without a new issuance", async () => {
    h.declare(
      declaration({
        name: "ack-ci-hook",
        sinks: [
          { type: "store" },
          {
            type: "webhook",
            url: "https://ci.example.com/hooks/kubeconfig",
            secretRef: "RENEWAL_HOOK_SECRET",
          },
        ],
      }),
    );
    h.answer.status = 500;
    const sent = h.deliveries.length;
    await h.tick(); // issued, stored, and delivered
    const state = (await h.state(web.target))!;
    const hook = state.sinks.find((s) => s.sink === "webhook-2")!;
    expect(hook).toMatchObject({
      status: "failing",
      serial: state.certificate!.serial,
      lastFailure: { reason: "refused", status: 500 },
    });
    expect(state.sinks.find((s) => s.sink === "store")).toMatchObject({ status: "delivered" });
    expect(h.deliveries.length).toBe(sent + 1);
    const body = JSON.parse(h.deliveries.at(-1)!.body);
    expect(body.data.certificate.serial).toBe(state.certificate!.serial);
    expect(h.deliveries.at(-1)!.headers["webhook-signature"]).toMatch(/^v1,/);
    const issued = (await ledgerKinds(web.target)).filter((k) => k === "renew.issued").length;

    h.answer.status = 204;
    await tickUntil(new Date(hook.nextRetryAt!));
    const after = (await h.state(web.target))!;
    expect(after.sinks.find((s) => s.sink === "webhook-2")).toMatchObject({
      status: "delivered",
      lastDelivery: { serial: state.certificate!.serial, deliveryId: hook.deliveryId },
      lastFailure: { status: 500 },
    });
    expect(after.certificate!.serial).toBe(state.certificate!.serial);
    expect((await ledgerKinds(web.target)).filter((k) => k === "renew.issued").length).toBe(issued);
    const resent = JSON.parse(h.deliveries.at(-1)!.body);
    expect(resent.data.kubeconfig).toBe((await (await h.vault()).get(web.target, h.now()))!.plaintext);
    expect(h.deliveries.at(-1)!.headers["webhook-id"]).toBe(hook.deliveryId); // receivers dedupe on it
  });
});

describe("validation failures: nothing is stored, the target backs off", () => {
  async function failWith(issue: Provider["issueKubeconfig"]) {
    h.declare(declaration({ name: "ack-ci-validate" }));
    await h.tick();
    const state = (await h.state(web.target))!;
    const real = h.provider(web.account);
    h.wrap(web.account, Object.assign(Object.create(real) as Provider, { issueKubeconfig: issue }));
    await h.advanceTo(new Date(state.nextAttemptAt));
    await h.tick();
    h.wrap(web.account, undefined);
    const failed = (await h.state(web.target))!;
    expect(failed.certificate!.serial).toBe(state.certificate!.serial);
    expect(await storedSerial(web.target)).toBe(state.certificate!.serial);
    expect(failed.failures?.lastError?.kind).toBe("invalid-credential");
    // Back off: the next attempt is later, never now.
    expect(Date.parse(failed.nextAttemptAt)).toBeGreaterThan(h.now().getTime());
    return failed.failures!.lastError!.message;
  }

  it("refuses a kubeconfig for another cluster", async () => {
    const message = await failWith((_id, validity) =>
      h.provider(web.account).issueKubeconfig(other.clusterId, validity),
    );
    expect(message).toContain("right-cluster");
  });

  it("refuses a kubeconfig that does not end later than the stored one", async () => {
    const message = await failWith(async () => {
      const stored = (await (await h.vault()).get(web.target, h.now()))!;
      return { text: stored.plaintext, notBefore: new Date(0), notAfter: new Date(0), server: "" };
    });
    expect(message).toContain("later-than-previous");
  });

  it("refuses an unparsable answer", async () => {
    const message = await failWith(async () => ({
      text: "kind: Config\nclusters: [",
      notBefore: new Date(0),
      notAfter: new Date(0),
      server: "",
    }));
    expect(message).toContain("parses");
  });
});

describe("the admin API", () => {
  const token = "admin-token-for-the-renewal-tests";
  const app = () =>
    adminApi({
      adminToken: token,
      inventory: h.inventory,
      store: h.store,
      schedules: [],
      calendars: new Map(),
      now: h.now,
      log: createLogger({ level: "debug", write: (line) => h.lines.push(line) }),
      renewals: h.declare(declaration({ name: "ack-ci-api" })),
      renewal: h.services(),
    });
  const call = (path: string, init: RequestInit = {}) =>
    app().request(path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });

  it("serves the stored kubeconfig (each read a ledger entry), the state, and forced renewals with Idempotency-Key", async () => {
    h.declare(declaration({ name: "ack-ci-api" }));
    await h.tick();
    const id = encodeURIComponent(web.target);
    const reads = async () => (await ledgerKinds(web.target)).filter((k) => k === "kubeconfig.read").length;
    const before = await reads();
    const kubeconfig = await call(`/targets/${id}/kubeconfig`);
    expect(kubeconfig.status).toBe(200);
    const text = await kubeconfig.text();
    expect(parseKubeconfig(text).certificate.serial).toBe(await storedSerial(web.target));
    expect(kubeconfig.headers.get("cache-control")).toBe("no-store");
    await call(`/targets/${id}/kubeconfig`);
    expect(await reads()).toBe(before + 2);

    const state = await (await call(`/targets/${id}/renewal`)).json();
    expect(state).toMatchObject({
      target: web.target,
      declaration: "ack-ci-api",
      waitingFor: "renewal-time",
    });
    expect(state.secondsUntilExpiry).toBeGreaterThan(0);
    const listed = await (await call("/renewals")).json();
    expect(listed.renewals.map((r: { target: string }) => r.target)).toContain(web.target);
    assertNoKeyMaterial({ payloads: [state, listed] });

    const force = () =>
      call(`/targets/${id}/renew`, { method: "POST", headers: { "idempotency-key": "force-1" } });
    const first = await force();
    expect(first.status).toBe(202);
    const body = await first.json();
    const again = await force();
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await again.json()).operationId).toBe(body.operationId);
    expect(
      (await h.store.operations.list({ target: web.target }, h.now())).filter(
        (op) => op.id === body.operationId,
      ),
    ).toHaveLength(1);
    expect(await ledgerKinds(web.target)).toContain("renew.forced");

    const rotated = await (await call("/vault/rotate", { method: "POST" })).json();
    expect(rotated).toMatchObject({ keyId: "k1", failed: [] });
    expect(rotated.moved + rotated.current).toBeGreaterThanOrEqual(1);
    expect(await ledgerKinds("vault")).toEqual(["vault.rotated"]);

    const unknown = await call(`/targets/${encodeURIComponent(other.target)}/renew`, { method: "POST" });
    expect(unknown.status).toBe(409);
    expect((await unknown.json()).error.code).toBe("not_renewed");
  });
});
