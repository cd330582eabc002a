// The pre-action notice end to end in-process: due notices are signed and sent once per slot,
// their links hold the sleep, and the engine then defers it.
import { describe, expect, it } from "vitest";
import { createLogger } from "../shared/log/logger.ts";
import { decideTick } from "../shared/schedule/engine.ts";
import type { Schedule } from "../shared/schedule/types.ts";
import { verifyWebhook } from "../shared/signer/webhooks.ts";
import { memoryBackend } from "../shared/store/memory.ts";
import { createStore } from "../shared/store/store.ts";
import { testSchedule } from "../test/fixtures/schedule.ts";
import { testTarget } from "../test/fixtures/target.ts";
import { createApp } from "./app.ts";
import { sendDueNotices } from "./notices.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const LINK_SECRET = "link-secret-0123456789abcdef0123456789";
const schedule = testSchedule({
  name: "qa",
  targets: [{ tags: { env: "qa" } }],
  rules: [
    { to: "asleep", days: ["mon", "tue", "wed", "thu", "fri"], at: "20:00" },
    { to: "awake", days: ["mon", "tue", "wed", "thu", "fri"], at: "08:00" },
  ],
  graceMinutes: 60,
  minDwellMinutes: 30,
  notice: { minutesBefore: 15, webhookUrl: "https://hooks.example.com/nightshift" },
});
const target = testTarget();
const at = (time: string) => new Date(`2026-11-23T${time}:00+08:00`);

describe("pre-action notices", () => {
  it("sends one signed notice per slot inside the notice window, with links that hold the sleep", async () => {
    const store = createStore(memoryBackend());
    const received: Array<{ headers: Headers; body: string }> = [];
    const deps = {
      store,
      log: createLogger({ write: () => {} }),
      schedules: [schedule],
      calendars: new Map(),
      targets: [target],
      settings: { secrets: [SECRET], linkSecret: LINK_SECRET, publicUrl: "https://nightshift.example.com" },
      fetch: async (_url: string, init: RequestInit) => {
        received.push({ headers: new Headers(init.headers), body: String(init.body) });
        return new Response(null, { status: 204 });
      },
      sleep: async () => {},
      random: () => 0.5,
    };
    expect(await sendDueNotices(deps, at("19:44"))).toEqual({ sent: 0, failed: 0 }); // 16 min ahead: not yet
    expect(await sendDueNotices(deps, at("19:45"))).toEqual({ sent: 1, failed: 0 });
    expect(await sendDueNotices(deps, at("19:50"))).toEqual({ sent: 0, failed: 0 }); // once per slot
    expect(received).toHaveLength(1);

    const delivery = received[0]!;
    expect(
      (
        await verifyWebhook(
          { headers: delivery.headers, body: delivery.body },
          { secrets: [SECRET], now: at("19:45") },
        )
      ).ok,
    ).toBe(true);
    const notice = JSON.parse(delivery.body);
    expect(notice).toMatchObject({
      type: "nightshift.notice",
      target: "hw/c1",
      at: at("20:00").toISOString(),
      local: "2026-11-23 20:00 Asia/Shanghai",
    });

    const app = createApp({
      host: "node",
      log: createLogger({ write: () => {} }),
      now: () => at("19:52"),
      inventory: async () => ({ targets: [target], errors: [] }),
      store,
      schedules: [schedule],
      calendars: new Map(),
      linkSecret: LINK_SECRET,
    });
    await store.targets.put(
      "hw/c1",
      {
        lastTransition: {
          to: "awake",
          at: at("08:00").toISOString(),
          slot: "qa:awake:2026-11-23T08:00",
          by: "schedule",
        },
      },
      null,
      at("08:00"),
    );
    const snooze = await app.request(new URL(notice.links.snooze).pathname);
    expect(snooze.status).toBe(200);
    expect(await snooze.json()).toMatchObject({
      target: "hw/c1",
      action: "snooze",
      snoozeUntil: at("21:00").toISOString(),
    });
    // Opening it again changes nothing; a forged token is refused.
    expect((await app.request(new URL(notice.links.snooze).pathname)).status).toBe(200);
    expect((await app.request(`${new URL(notice.links.snooze).pathname}x`)).status).toBe(403);

    const state = (await store.targets.get("hw/c1", at("20:00")))!.value;
    const [decision] = decideTick({
      now: at("20:01"),
      schedules: [schedule],
      calendars: new Map(),
      targets: [target],
      states: new Map([["hw/c1", state]]),
    });
    expect(decision).toMatchObject({ kind: "defer", reason: "snoozed", until: at("21:00") });
  });

  it("sends none for a target two enabled schedules match, as the tick skips it; a disabled one claims nothing", async () => {
    const other: Schedule = { ...schedule, name: "other", targets: [{ accounts: ["hw"] }] };
    const sent: string[] = [];
    const notify = (schedules: Schedule[]) =>
      sendDueNotices(
        {
          store: createStore(memoryBackend()),
          log: createLogger({ write: () => {} }),
          schedules,
          calendars: new Map(),
          targets: [target],
          settings: { secrets: [SECRET] },
          fetch: async (_url: string, init: RequestInit) => {
            sent.push(JSON.parse(String(init.body)).schedule);
            return new Response(null, { status: 204 });
          },
          sleep: async () => {},
          random: () => 0.5,
        },
        at("19:50"),
      );
    expect(await notify([schedule, other])).toEqual({ sent: 0, failed: 0 });
    const [decision] = decideTick({
      now: at("20:00"),
      schedules: [schedule, other],
      calendars: new Map(),
      targets: [target],
      states: new Map(),
    });
    expect(decision).toMatchObject({ kind: "skip", reason: "several-schedules" });
    expect(await notify([schedule, { ...other, enabled: false }])).toEqual({ sent: 1, failed: 0 });
    expect(sent).toEqual(["qa"]);
  });

  it("sends nothing, and says so, when the notice secrets are not configured", async () => {
    const lines: string[] = [];
    const result = await sendDueNotices(
      {
        store: createStore(memoryBackend()),
        log: createLogger({ write: (line) => lines.push(line) }),
        schedules: [schedule],
        calendars: new Map(),
        targets: [target],
        fetch: async () => new Response(null, { status: 204 }),
        sleep: async () => {},
        random: () => 0.5,
      },
      at("19:50"),
    );
    expect(result).toEqual({ sent: 0, failed: 0 });
    expect(lines.join("\n")).toContain("NIGHTSHIFT_NOTICE_SECRETS");
  });
});
