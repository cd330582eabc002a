import { describe, expect, it } from "vitest";
import { builtinCalendar } from "../../shared/schedule/calendar.ts";
import type { Schedule, Weekday } from "../../shared/schedule/types.ts";
import { weekTimeline } from "../../shared/schedule/week-timeline.ts";
import { testSchedule } from "../../test/fixtures/schedule.ts";
import { timelineFigure, timelineStrip } from "./timeline-svg.ts";

const WEEKDAYS: Weekday[] = ["mon", "tue", "wed", "thu", "fri"];
const DAILY: Weekday[] = [...WEEKDAYS, "sat", "sun"];

// plan.test.ts's team schedule: Berlin, every target, holidays asleep, grace 60 min, no dwell.
function schedule(overrides: Partial<Schedule> = {}): Schedule {
  return testSchedule({
    name: "team",
    timezone: "Europe/Berlin",
    targets: [{}],
    holidays: "asleep",
    graceMinutes: 60,
    minDwellMinutes: 0,
    ...overrides,
  });
}

/** Every `<name …>` start tag of the markup, its attributes as a record. */
function tags(markup: string, name: string): Array<Record<string, string>> {
  const found: Array<Record<string, string>> = [];
  for (const match of markup.matchAll(new RegExp(`<${name}\\b([^>]*)>`, "g"))) {
    const attributes: Record<string, string> = {};
    for (const [, key, value] of match[1]!.matchAll(/([\w:-]+)="([^"]*)"/g)) attributes[key!] = value!;
    found.push(attributes);
  }
  return found;
}

const nightly = schedule({
  rules: [
    { to: "asleep", days: DAILY, at: "22:00" },
    { to: "awake", days: DAILY, at: "07:00" },
  ],
  exceptions: [
    { from: "2026-03-27", to: "2026-03-27", state: "awake", reason: "<script>alert(1)</script> release" },
  ],
});

describe("timelineFigure", () => {
  const timeline = weekTimeline({
    schedule: nightly,
    start: "2026-03-23",
    now: new Date("2026-03-29T12:00:00Z"),
    ledger: [
      {
        at: new Date("2026-03-24T09:00:00Z"),
        kind: "resize.applied",
        operationId: "r1",
        detail: { action: "resize workers 2→4" },
      },
      {
        at: new Date("2026-03-25T20:00:00Z"),
        kind: "sleep.failed",
        operationId: "s1",
        detail: { error: { message: "quota" } },
      },
    ],
  });
  const svg = String(timelineFigure(timeline, { id: "t acc/c1", title: "Week of 2026-03-23 for acc/c1" }));

  it("is an image named by its title and described in words", () => {
    const [root] = tags(svg, "svg");
    expect(root).toMatchObject({ role: "img", "aria-labelledby": "t-acc-c1-title t-acc-c1-desc" });
    expect(svg).toContain('<title id="t-acc-c1-title">Week of 2026-03-23 for acc/c1</title>');
    const desc = /<desc id="t-acc-c1-desc">([^<]*)<\/desc>/.exec(svg)![1]!;
    expect(desc).toContain("2026-03-23 to 2026-03-29 in Europe/Berlin, schedule team");
    expect(desc).toContain("8 planned sleep windows");
    expect(desc).toContain("2026-03-29 has 23 hours");
    expect(desc).toContain("now is Sun 2026-03-29 14:00");
  });

  it("draws one row per day, as long as the day, and each band segment where it falls", () => {
    const days = tags(svg, "rect").filter((r) => r.class === "day");
    expect(days.map((d) => d.width)).toEqual(["720", "720", "720", "720", "720", "720", "690"]);
    expect(days.map((d) => d.y)).toEqual(["20", "54", "88", "122", "156", "190", "224"]);
    const planned = tags(svg, "rect").filter((r) => r["data-kind"] === "planned-sleep");
    const segments = timeline.bands.filter((b) => b.kind === "planned-sleep").flatMap((b) => b.segments);
    expect(planned).toHaveLength(segments.length);
    // Sunday 22:00 CEST: 21 elapsed hours into the 23-hour day, to its end.
    expect(planned.at(-1)).toMatchObject({ x: "748", y: "226", width: "60", height: "8" });
    // Friday's exception keeps it awake: no planned sleep from Thursday 24:00 to Friday 24:00.
    const exception = tags(svg, "rect").filter((r) => r["data-kind"] === "exception");
    expect(exception).toEqual([
      expect.objectContaining({ x: "118", y: "176", width: "720", fill: "url(#t-acc-c1-hatch-exception)" }),
    ]);
  });

  it("marks resizes, failures and now", () => {
    const markers = tags(svg, "path").filter((p) => p["data-marker"] !== undefined);
    expect(markers.map((m) => m["data-marker"])).toEqual(["resize", "failure"]);
    // Tuesday 10:00 CET is minute 600 of row 1: x = 118 + 300.
    expect(markers[0]!.d).toBe("M418 64 L413 54 L423 54 Z");
    const [now] = tags(svg, "line").filter((l) => l["data-now"] !== undefined);
    expect(now).toMatchObject({ x1: "508", y1: "222", y2: "256" });
  });

  it("escapes what it is given and lists everything in a visually hidden table", () => {
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;alert(1)&lt;/script&gt; release");
    const table = /<table class="visually-hidden">([\s\S]*)<\/table>/.exec(svg)![1]!;
    const rows = [...table.matchAll(/<tr><th scope="row">([^<]*)<\/th>/g)].map((m) => m[1]);
    // 8 planned sleeps (Friday's exception cuts Thursday night in two), 1 exception, 1 resize,
    // 1 failure, now, and the 23-hour day.
    expect(rows).toHaveLength(13);
    expect(rows.filter((r) => r === "Planned asleep")).toHaveLength(8);
    expect(rows).toContain("Exception (held awake)");
    expect(table).toContain("23-hour day (daylight saving change)");
    expect(svg).toContain('<ul class="legend">');
    expect(tags(svg, "li")).toHaveLength(12);
  });

  it("hatches a provisional holiday and outlines it dashed, not colour alone", () => {
    const office = schedule({
      timezone: "Asia/Shanghai",
      rules: [
        { to: "asleep", days: WEEKDAYS, at: "21:00" },
        { to: "awake", days: WEEKDAYS, at: "08:30" },
      ],
      calendars: [{ builtin: "cn-mainland" }],
    });
    const week = weekTimeline({
      schedule: office,
      calendars: [builtinCalendar("cn-mainland")],
      start: "2026-12-28",
      now: new Date("2026-12-28T00:00:00Z"),
    });
    const figure = String(timelineFigure(week, { id: "cn", title: "New Year" }));
    const groups = tags(figure, "g").filter((g) => g["data-day"] !== undefined);
    expect(groups.filter((g) => g["data-provisional"] === "true").map((g) => g["data-day"])).toEqual([
      "2027-01-01",
    ]);
    const day = tags(figure, "rect").filter((r) => r.class === "day")[4]!;
    expect(day).toMatchObject({ fill: "url(#cn-hatch-provisional)", "stroke-dasharray": "4 2" });
    expect(figure).toContain('<pattern id="cn-hatch-provisional"');
    expect(figure).toContain("provisional holiday: New Year");
  });
});

describe("timelineStrip", () => {
  it("draws the week's planned sleep in one small row, named in words", () => {
    const timeline = weekTimeline({
      schedule: nightly,
      start: "2026-03-23",
      now: new Date("2026-03-29T12:00:00Z"),
    });
    const strip = String(timelineStrip(timeline));
    const [root] = tags(strip, "svg");
    // 9 h a night Mon-Fri minus the exception's Thursday-night/Friday-morning part, 8 h into Sunday (DST) + 2 h.
    const asleep = timeline.bands
      .filter((b) => b.kind === "planned-sleep")
      .reduce((h, b) => h + (b.end.getTime() - b.start.getTime()) / 3600_000, 0);
    expect(root).toMatchObject({
      role: "img",
      "aria-label": `Planned asleep ${asleep} of 167 hours this week (Europe/Berlin)`,
    });
    const rects = tags(strip, "rect").filter((r) => r["data-kind"] === "planned-sleep");
    const segments = timeline.bands.filter((b) => b.kind === "planned-sleep").flatMap((b) => b.segments);
    expect(rects).toHaveLength(segments.length);
    const width = rects.reduce((sum, r) => sum + Number(r.width), 0);
    expect(width).toBeCloseTo((asleep / 167) * 168, 1);
    expect(tags(strip, "line").filter((l) => l["data-now"] !== undefined)).toHaveLength(1);
  });
});
