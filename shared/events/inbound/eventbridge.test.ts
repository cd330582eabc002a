import { describe, expect, it } from "vitest";
import { parseEventBridgeEvent } from "./eventbridge.ts";

// Bodies as a sender might write them: loose JSON the tests break on purpose.
type Json = ReturnType<typeof JSON.parse>;

// What an API destination posts: the event itself (the rule target has no input transformer).
const envelope = () => ({
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "Nightly E2E Started",
  source: "com.example.ci",
  account: "111122223333",
  time: "2026-11-22T17:55:00Z",
  region: "eu-central-1",
  resources: ["arn:aws:codebuild:eu-central-1:111122223333:build/e2e:42"],
  detail: { cluster: "qa-1", holdUntil: "2026-11-23T02:00:00+08:00" },
});

describe("parseEventBridgeEvent", () => {
  it("makes one event keyed by the envelope's id, typed by detail-type", () => {
    expect(parseEventBridgeEvent(envelope())).toEqual({
      ok: true,
      events: [
        {
          source: "eventbridge",
          id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
          type: "Nightly E2E Started",
          labels: {},
          data: { cluster: "qa-1", holdUntil: "2026-11-23T02:00:00+08:00" },
          occurredAt: "2026-11-22T17:55:00.000Z",
          origin: {
            source: "com.example.ci",
            account: "111122223333",
            region: "eu-central-1",
            resources: "arn:aws:codebuild:eu-central-1:111122223333:build/e2e:42",
          },
        },
      ],
    });
  });

  it("refuses anything but the envelope, naming the field", () => {
    const refusal = (change: (body: Json) => void) => {
      const body: Json = envelope();
      change(body);
      const parsed = parseEventBridgeEvent(body);
      return parsed.ok ? undefined : parsed.message;
    };
    expect(refusal((b) => delete b["detail-type"])).toBe("detail-type: is required (string)");
    expect(refusal((b) => (b.id = ""))).toBe("id: must not be empty (the event's id)");
    expect(refusal((b) => (b.time = "22/11/2026"))).toBe(
      "time: must be an RFC 3339 time, e.g. 2026-11-22T20:00:00Z",
    );
    expect(refusal((b) => (b.resources = "arn:x"))).toBe('resources: must be an array, got string "arn:x"');
    expect(refusal((b) => (b.detail = "transformed"))).toBe(
      "detail: must be a JSON object; send the event itself (an API destination target without an input transformer)",
    );
    // An input transformer that sends only the detail: every envelope field is missing.
    const onlyDetail = parseEventBridgeEvent({ cluster: "qa-1" });
    expect(onlyDetail.ok ? [] : onlyDetail.issues).toHaveLength(9);
  });
});
