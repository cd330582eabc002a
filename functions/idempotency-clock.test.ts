// Idempotency-Keys are remembered for 24 REAL hours, even where the clouds' clock runs faster (the
// embedded demo's sandbox at 600x): the app gets both clocks and keys go by the real one.
import { expect, it } from "vitest";
import { createLogger } from "../shared/log/logger.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore } from "../shared/store/store.ts";
import { createApp } from "./app.ts";

const TOKEN = "t0ken-0123456789abcdef0123456789";
const HOUR = 3_600_000;

it("replays a key after 25 cloud hours that were only 150 real seconds", async () => {
  let cloud = Date.parse("2026-03-16T14:00:00Z");
  let real = Date.parse("2026-03-15T07:00:00Z");
  const app = createApp({
    host: "node",
    log: createLogger({ write: () => {} }),
    now: () => new Date(cloud),
    realNow: () => new Date(real),
    inventory: async () => ({
      targets: [
        {
          targetId: "qa/c1",
          provider: "huawei",
          account: "qa",
          region: "cn-north-4",
          id: "c1",
          name: "qa",
          phase: "running",
          vendorPhase: "Available",
          tags: {},
          nodePools: [],
        },
      ],
      errors: [],
    }),
    store: createStore(memoryBackend()),
    schedules: [],
    calendars: new Map(),
    adminToken: TOKEN,
  });
  const snooze = (minutes: number) =>
    app.request("/api/targets/qa%2Fc1/snooze", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        "Content-Type": "application/json",
        "Idempotency-Key": "snooze-qa-c1-1",
      },
      body: JSON.stringify({ minutes }),
    });
  const first = await snooze(60);
  expect(first.status).toBe(200);
  cloud += 25 * HOUR;
  real += 150_000;
  // Still remembered: the same key with another body is refused rather than run anew.
  const reused = await snooze(90);
  expect(reused.status).toBe(422);
  const again = await snooze(60);
  expect(again.headers.get("Idempotent-Replayed")).toBe("true");
  expect(await again.text()).toBe(await first.text());
});
