import { describe, expect, it } from "vitest";
import { parseSignedEvent } from "./signed.ts";

const delivery = { id: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", sentAt: new Date("2026-11-22T20:00:05Z") };

describe("parseSignedEvent", () => {
  it("makes one event keyed by webhook-id, timed by the body's timestamp or else the delivery's", () => {
    const body = { type: "nodepool.resize", data: { cluster: "qa-1", pool: "workers", size: 5 } };
    expect(parseSignedEvent(body, delivery)).toEqual({
      ok: true,
      events: [
        {
          source: "events",
          id: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
          type: "nodepool.resize",
          labels: {},
          data: { cluster: "qa-1", pool: "workers", size: 5 },
          occurredAt: "2026-11-22T20:00:05.000Z",
          origin: { sentAt: "2026-11-22T20:00:05.000Z" },
        },
      ],
    });
    const timed = parseSignedEvent({ ...body, timestamp: "2026-11-23T03:59:00+08:00" }, delivery);
    expect(timed.ok && timed.events[0]!.occurredAt).toBe("2026-11-22T19:59:00.000Z");
  });

  it("refuses a malformed body or delivery id, naming the field", () => {
    const refusal = (body: unknown, id = delivery.id) => {
      const parsed = parseSignedEvent(body, { ...delivery, id });
      return parsed.ok ? undefined : parsed.message;
    };
    expect(refusal({ data: {} })).toBe("type: is required (string)");
    expect(refusal({ type: "", data: {} })).toBe('type: must name the event, e.g. "nodepool.resize"');
    expect(refusal({ type: "x", data: [1] })).toBe(
      'data: must be a JSON object with the event\'s fields, e.g. {"pool": "workers", "size": 5}',
    );
    expect(refusal({ type: "x", data: {}, timestamp: 1700000000 })).toBe(
      "timestamp: must be a string, got number 1700000000",
    );
    expect(refusal("nodepool.resize")).toBe('body: must be an object, got string "nodepool.resize"');
    expect(refusal({ type: "x", data: {} }, "two words")).toMatch(/^webhook-id: must be 1 to 256 printable/);
    expect(refusal({ type: "x", data: {} }, "x".repeat(257))).toMatch(/^webhook-id:/);
  });
});
