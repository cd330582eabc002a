// sendNotice over a real socket with the platform fetch, to a node:http receiver that verifies each
// delivery with our verifyWebhook and with the reference implementation (npm `standardwebhooks`).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyWebhook } from "../signer/webhooks.ts";
import { type NoticeDelivery, sendNotice } from "./notices.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const reference = new Webhook(SECRET);

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  ours: boolean;
  theirs: boolean;
}

type Answer = (response: ServerResponse, request: IncomingMessage) => void;

let server: ReturnType<typeof createServer>;
let base: string;
let received: Received[];
let answers: Answer[];

beforeEach(async () => {
  received = [];
  answers = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")]),
      );
      const ours = (await verifyWebhook({ headers, body }, { secrets: [SECRET], now: new Date() })).ok;
      let theirs = true;
      try {
        reference.verify(body, headers);
      } catch {
        theirs = false;
      }
      received.push({ path: request.url ?? "", headers, body, ours, theirs });
      const answer = answers.shift() ?? ((r) => r.writeHead(204).end());
      answer(response, request);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const delivery = (overrides: Partial<NoticeDelivery> = {}): NoticeDelivery => ({
  url: `${base}/notices`,
  secrets: SECRET,
  id: "weeknights:asleep:2026-03-02T20:00",
  body: { type: "nightshift.notice.sleep", target: "baidu:prod:bj:cce-1" },
  now: () => new Date(),
  fetch: (url, init) => fetch(url, init),
  sleep: async () => {},
  random: () => 0,
  ...overrides,
});

describe("sendNotice over HTTP", () => {
  it("delivers after a 503, both attempts verified by ours and the reference verifier, same webhook-id", async () => {
    answers.push((r) => r.writeHead(503).end("busy"));
    expect(await sendNotice(delivery())).toEqual({ delivered: true, status: 204, attempts: 2 });
    expect(received).toHaveLength(2);
    for (const r of received) {
      expect(r).toMatchObject({ path: "/notices", ours: true, theirs: true });
      expect(r.headers["webhook-id"]).toBe("weeknights:asleep:2026-03-02T20:00");
      expect(JSON.parse(r.body)).toEqual({ type: "nightshift.notice.sleep", target: "baidu:prod:bj:cce-1" });
    }
  });

  it("does not follow a redirect", async () => {
    answers.push((r) => r.writeHead(307, { location: `${base}/elsewhere` }).end());
    expect(await sendNotice(delivery())).toMatchObject({ delivered: false, status: 307, retryable: false });
    expect(received.map((r) => r.path)).toEqual(["/notices"]);
  });

  it("abandons an attempt that gets no answer within the timeout and retries it", async () => {
    answers.push(() => {}); // never answers
    const outcome = await sendNotice(delivery({ timeoutMs: 200 }));
    expect(outcome).toEqual({ delivered: true, status: 204, attempts: 2 });
    expect(received).toHaveLength(2);
  });
});
