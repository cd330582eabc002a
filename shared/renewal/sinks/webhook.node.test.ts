// The webhook sink over a real socket, to a node:http receiver that verifies every delivery with
// the reference implementation (npm `standardwebhooks`).
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertNoKeyMaterial } from "../key-material.ts";
import { deliveryRecord } from "../records.ts";
import { sampleCredential } from "../testing.ts";
import {
  attemptDelivery,
  type CredentialDelivery,
  deliveryId,
  sinkRetryDue,
  sinkStateForNewCredential,
} from "./sink.ts";
import { RENEWAL_EVENT_TYPE, webhookSink } from "./webhook.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const reference = new Webhook(SECRET);

interface Received {
  headers: Record<string, string>;
  body: string;
  verified: boolean;
}
let received: Received[] = [];
let answers: Array<(r: ServerResponse, body: string) => void> = [];
let server: ReturnType<typeof createServer>;
let url: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
      let verified = true;
      try {
        reference.verify(body, headers);
      } catch {
        verified = false;
      }
      received.push({ headers, body, verified });
      (answers.shift() ?? ((r) => r.writeHead(204).end()))(response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/kubeconfig`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
  answers = [];
});

const now = new Date();
const credential = await sampleCredential({ now, lifetimeMs: 3 * 86_400_000 });
const target = "alibaba:acct:cn-hangzhou:c0123";
const delivery: CredentialDelivery = {
  id: await deliveryId(target, credential.facts.serial, "ci"),
  target,
  certificate: credential.facts,
  kubeconfig: credential.kubeconfig,
};
const sink = () =>
  webhookSink({
    name: "ci",
    url,
    secrets: SECRET,
    fetch: (u, init) => fetch(u, init),
    now: () => new Date(),
    attempts: 1,
  });

describe("webhook sink", () => {
  it("delivers the kubeconfig in a signed body the reference verifier accepts", async () => {
    const result = await sink().deliver(delivery);
    expect(result).toMatchObject({ ok: true });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      verified: true,
      headers: { "webhook-id": delivery.id, "content-type": "application/json" },
    });
    const body = JSON.parse(received[0]!.body);
    expect(body).toEqual({
      type: RENEWAL_EVENT_TYPE,
      timestamp: credential.facts.notBefore.toISOString(),
      data: {
        target,
        certificate: {
          subject: credential.facts.subject,
          issuer: credential.facts.issuer,
          serial: credential.facts.serial,
          notBefore: credential.facts.notBefore.toISOString(),
          notAfter: credential.facts.notAfter.toISOString(),
        },
        kubeconfig: credential.kubeconfig,
      },
    });
  });

  it("records a refusal, retries later on its own with the same id and body, then records the delivery", async () => {
    // The receiver refuses and echoes what it got: the failure must not carry it along.
    answers.push((r, body) => r.writeHead(503).end(body));
    let state = sinkStateForNewCredential(
      "ci",
      { id: delivery.id, serial: credential.facts.serial },
      undefined,
      now,
    );
    const first = await attemptDelivery(sink(), delivery, state, now);
    state = first.state;
    expect(first.result).toMatchObject({ ok: false, reason: "refused", status: 503, retryable: true });
    expect(state).toMatchObject({
      status: "failing",
      attempts: 1,
      lastFailure: { reason: "refused", status: 503 },
    });
    assertNoKeyMaterial({
      payloads: [first.result, state, deliveryRecord(target, credential.facts, first.result, state, now)],
    });
    expect(sinkRetryDue(state, now)).toBe(false);
    const later = new Date(now.getTime() + 60_000);
    expect(sinkRetryDue(state, later)).toBe(true);

    const second = await attemptDelivery(sink(), delivery, state, later);
    expect(second.state).toMatchObject({
      status: "delivered",
      attempts: 2,
      lastDelivery: { deliveryId: delivery.id },
    });
    expect(received.map((r) => r.headers["webhook-id"])).toEqual([delivery.id, delivery.id]);
    expect(received[1]!.body).toBe(received[0]!.body);
    expect(received.every((r) => r.verified)).toBe(true);
  });

  it("records a 4xx as a refusal a person must fix", async () => {
    answers.push((r) => r.writeHead(401).end("no"));
    expect(await sink().deliver(delivery)).toMatchObject({
      ok: false,
      reason: "refused",
      status: 401,
      retryable: false,
    });
  });

  it("does not follow a redirect (the body is a credential)", async () => {
    answers.push((r) => r.writeHead(307, { location: "https://elsewhere.example/" }).end());
    const result = await sink().deliver(delivery);
    expect(result).toMatchObject({ ok: false, status: 307 });
    expect(received).toHaveLength(1);
  });

  it("reports an unreachable receiver", async () => {
    const closed = webhookSink({
      name: "ci",
      url: "http://127.0.0.1:9/x",
      secrets: SECRET,
      fetch: (u, init) => fetch(u, init),
      now: () => new Date(),
      attempts: 1,
    });
    expect(await closed.deliver(delivery)).toMatchObject({
      ok: false,
      reason: "unreachable",
      retryable: true,
    });
  });

  it("refuses plain http except to localhost, and URLs with credentials", () => {
    const make = (u: string) => () =>
      webhookSink({ name: "ci", url: u, secrets: SECRET, fetch, now: () => now });
    expect(make("http://ci.example.com/hook")).toThrow(/must be https/);
    expect(make("https://user:pw@ci.example.com/hook")).toThrow(/user name or password/);
    expect(make("ftp://ci.example.com/hook")).toThrow(/must be https/);
    expect(make("not a url")).toThrow(/absolute https URL/);
    expect(make("https://ci.example.com/hook")).not.toThrow();
    expect(make("http://localhost:8080/hook")).not.toThrow();
    expect(make("http://[::1]:8080/hook")).not.toThrow();
    expect(() =>
      webhookSink({ name: "ci", url: "https://ci.example.com", secrets: "whsec_!!", fetch, now: () => now }),
    ).toThrow(/whsec_/);
  });
});
