import { describe, expect, it } from "vitest";
import { alertEventId, parseAlertmanager } from "./alertmanager.ts";

// Bodies as a sender might write them: loose JSON the tests break on purpose.
type Json = ReturnType<typeof JSON.parse>;

// As Alertmanager 0.25 posts it for a group of two alerts (webhook payload version 4).
const payload = () => ({
  receiver: "nightshift",
  status: "firing",
  alerts: [
    {
      status: "firing",
      labels: { alertname: "QueueBacklogHigh", cluster: "qa-1", pool: "workers", severity: "page" },
      annotations: { summary: "backlog above 1000 for 5m" },
      startsAt: "2026-11-22T20:00:00.123456789Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus:9090/graph?g0.expr=backlog",
      fingerprint: "a3f2c1d4e5b6a7c8",
    },
    {
      status: "resolved",
      labels: { alertname: "QueueBacklogHigh", cluster: "qa-2" },
      annotations: {},
      startsAt: "2026-11-22T19:00:00+08:00",
      endsAt: "2026-11-22T19:30:00+08:00",
      generatorURL: "",
      fingerprint: "0011223344556677",
    },
  ],
  groupLabels: { alertname: "QueueBacklogHigh" },
  commonLabels: { alertname: "QueueBacklogHigh", team: "platform", pool: "default" },
  commonAnnotations: { runbook: "https://runbooks.example/backlog" },
  externalURL: "http://alertmanager-0:9093",
  version: "4",
  groupKey: '{}:{alertname="QueueBacklogHigh"}',
  truncatedAlerts: 0,
});

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("parseAlertmanager", () => {
  it("makes one event per alert, the alert's labels over the common ones", async () => {
    const parsed = await parseAlertmanager(payload());
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.events).toEqual([
      {
        source: "alertmanager",
        id: await sha256Hex(
          JSON.stringify([
            '{}:{alertname="QueueBacklogHigh"}',
            "a3f2c1d4e5b6a7c8",
            "2026-11-22T20:00:00.123Z",
            "firing",
          ]),
        ),
        type: "QueueBacklogHigh",
        status: "firing",
        labels: {
          alertname: "QueueBacklogHigh",
          cluster: "qa-1",
          pool: "workers",
          severity: "page",
          team: "platform",
        },
        data: { summary: "backlog above 1000 for 5m", runbook: "https://runbooks.example/backlog" },
        occurredAt: "2026-11-22T20:00:00.123Z",
        origin: {
          receiver: "nightshift",
          groupKey: '{}:{alertname="QueueBacklogHigh"}',
          fingerprint: "a3f2c1d4e5b6a7c8",
          externalURL: "http://alertmanager-0:9093",
          generatorURL: "http://prometheus:9090/graph?g0.expr=backlog",
        },
      },
      {
        source: "alertmanager",
        id: await sha256Hex(
          JSON.stringify([
            '{}:{alertname="QueueBacklogHigh"}',
            "0011223344556677",
            "2026-11-22T11:00:00.000Z",
            "resolved",
          ]),
        ),
        type: "QueueBacklogHigh",
        status: "resolved",
        labels: { alertname: "QueueBacklogHigh", cluster: "qa-2", team: "platform", pool: "default" },
        data: { runbook: "https://runbooks.example/backlog" },
        // A resolved alert happened when it ended.
        occurredAt: "2026-11-22T11:30:00.000Z",
        origin: {
          receiver: "nightshift",
          groupKey: '{}:{alertname="QueueBacklogHigh"}',
          fingerprint: "0011223344556677",
          externalURL: "http://alertmanager-0:9093",
        },
      },
    ]);
  });

  it("gives an HA pair's two notifications of one alert one id, and its resolution another", async () => {
    const fromZero = await parseAlertmanager(payload());
    const twin: Json = payload();
    twin.externalURL = "http://alertmanager-1:9093";
    twin.receiver = "nightshift-backup";
    twin.alerts[0]!.startsAt = "2026-11-23T04:00:00.123+08:00"; // the same instant, written differently
    const fromOne = await parseAlertmanager(twin);
    if (!fromZero.ok || !fromOne.ok) throw new Error("expected both to parse");
    expect(fromOne.events[0]!.id).toBe(fromZero.events[0]!.id);

    const alert = {
      fingerprint: "a3f2c1d4e5b6a7c8",
      startsAt: "2026-11-22T20:00:00Z",
      status: "firing" as const,
    };
    const firing = await alertEventId("g", { ...alert, status: "firing" });
    expect(await alertEventId("g", { ...alert, status: "resolved" })).not.toBe(firing);
    expect(await alertEventId("g", { ...alert, startsAt: "2026-11-22T21:00:00Z" })).not.toBe(firing);
    expect(await alertEventId("g", { ...alert, fingerprint: "ffff" })).not.toBe(firing);
    expect(await alertEventId("other-group", alert)).not.toBe(firing);
  });

  it("reads a payload without truncatedAlerts (older Alertmanagers) and notes truncation when there was some", async () => {
    const { truncatedAlerts: _, ...older } = payload();
    expect((await parseAlertmanager(older)).ok).toBe(true);
    const truncated = await parseAlertmanager({ ...payload(), truncatedAlerts: 12 });
    if (!truncated.ok) throw new Error(truncated.message);
    expect(truncated.events[0]!.origin.truncatedAlerts).toBe("12");
  });

  it("refuses a malformed payload naming the field and what is expected", async () => {
    const refusal = async (change: (body: Json) => void) => {
      const body: Json = payload();
      change(body);
      const parsed = await parseAlertmanager(body);
      if (parsed.ok) throw new Error("expected a refusal");
      return { field: parsed.field, message: parsed.message };
    };
    expect(await refusal((b) => delete b.alerts[0].fingerprint)).toEqual({
      field: "alerts[0].fingerprint",
      message: "alerts[0].fingerprint: is required (string)",
    });
    expect(await refusal((b) => (b.version = "3"))).toEqual({
      field: "version",
      message: 'version: must be "4": nightshift reads Alertmanager\'s webhook payload version 4',
    });
    expect(await refusal((b) => (b.alerts[1].startsAt = "yesterday"))).toEqual({
      field: "alerts[1].startsAt",
      message: "alerts[1].startsAt: must be an RFC 3339 time, e.g. 2026-11-22T20:00:00Z",
    });
    expect(await refusal((b) => (b.alerts[0].status = "pending"))).toEqual({
      field: "alerts[0].status",
      message: 'alerts[0].status: must be "firing" or "resolved", got string "pending"',
    });
    expect(await refusal((b) => (b.alerts[0].labels.cluster = 7))).toEqual({
      field: "alerts[0].labels.cluster",
      message: "alerts[0].labels.cluster: must be a string, got number 7",
    });
    expect(await refusal((b) => (b.alerts = []))).toEqual({
      field: "alerts",
      message: "alerts: must hold at least one alert",
    });
    expect(await refusal((b) => delete b.groupKey)).toMatchObject({ field: "groupKey" });
    expect(await refusal((b) => (b.truncatedAlerts = -1))).toMatchObject({ field: "truncatedAlerts" });
    const notObject = await parseAlertmanager([payload()]);
    expect(notObject).toMatchObject({
      ok: false,
      field: "body",
      message: "body: must be an object, got an array",
    });
  });

  it("lists every problem, not only the first", async () => {
    const body: Json = payload();
    delete body.receiver;
    body.alerts[1].fingerprint = "";
    const parsed = await parseAlertmanager(body);
    if (parsed.ok) throw new Error("expected a refusal");
    expect(parsed.issues).toEqual([
      "receiver: is required (string)",
      "alerts[1].fingerprint: must not be empty (Alertmanager's hash of the alert's labels)",
    ]);
  });
});
