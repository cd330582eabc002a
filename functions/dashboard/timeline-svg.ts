// The week timeline (shared/schedule/week-timeline.ts) drawn as accessible SVG for the dashboard.
//
// - The SVG is role="img" with a <title> and a <desc> that says what it shows in words; a text
//   legend follows it, and a table with every band, day and marker in words, visually hidden, is
//   what a screen reader reads instead of the drawing.
// - Each kind of band has its own lane in a day's row, so kinds differ by place as well as colour;
//   provisional holidays, exceptions and snoozes also carry a pattern (hatching, dots), never
//   colour alone.
// - Styled with presentation attributes only: the dashboard's Content-Security-Policy allows no
//   style="…" attribute. Every text comes through hono/html's `html`, which escapes it.
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type {
  LocalReading,
  TimelineBand,
  TimelineBandKind,
  TimelineDay,
  WeekTimeline,
} from "../../shared/schedule/week-timeline.ts";

type Markup = HtmlEscapedString;
const markup = (value: HtmlEscapedString | Promise<HtmlEscapedString>) => value as Markup;

/** The class the dashboard's stylesheet hides visually (kept readable by screen readers). */
export const VISUALLY_HIDDEN = "visually-hidden";
/** Rules the page's stylesheet must hold for the timeline: the visually hidden table. */
export const TIMELINE_CSS = `.${VISUALLY_HIDDEN} { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.timeline svg { max-width: 100%; height: auto; }
.timeline .legend { display: flex; flex-wrap: wrap; gap: .3em 1.2em; list-style: none; padding: 0; margin: .3em 0 1em; font-size: .9em; }
.timeline .legend svg { vertical-align: middle; margin-right: .35em; }`;

// Geometry, in SVG user units.
const LABEL_WIDTH = 118;
const PX_PER_MINUTE = 0.5;
/** The widest day (25 h) fits. */
const PLOT_WIDTH = 1500 * PX_PER_MINUTE;
const AXIS_HEIGHT = 18;
const ROW_HEIGHT = 34;
const LANE = { plan: { y: 4, h: 8 }, actual: { y: 13, h: 8 }, other: { y: 22, h: 8 } } as const;

interface BandStyle {
  /** What the legend and the table call it. */
  name: string;
  lane: keyof typeof LANE;
  /** A solid colour, the legend's swatch. */
  fill: string;
  /** A pattern of the figure's <defs> drawn instead of the solid colour. */
  pattern?: "hatch-exception" | "dots-snooze";
}

// Colours pass 3:1 against white (non-text contrast); patterns tell the hatched kinds apart.
const BAND_STYLES: Record<TimelineBandKind, BandStyle> = {
  "planned-sleep": { name: "Planned asleep", lane: "plan", fill: "#2f4f8f" },
  "actual-sleep": { name: "Asleep (ledger)", lane: "actual", fill: "#1d6b45" },
  exception: { name: "Exception", lane: "other", fill: "#7a4b00", pattern: "hatch-exception" },
  snooze: { name: "Snoozed", lane: "other", fill: "#b04a00", pattern: "dots-snooze" },
  hold: { name: "Held awake", lane: "other", fill: "#8a3fa8" },
  pause: { name: "Paused", lane: "other", fill: "#5a6270" },
};
const DAY_FILL = { holiday: "#fbe3c0", "makeup-workday": "#d5e6fb", normal: "#f3f5f8" } as const;
const MARKER_FILL = { resize: "#0b57a4", failure: "#a4161a" } as const;
const INK = "#1b1f24";
const NOW = "#c0161b";

const round = (value: number) => Math.round(value * 100) / 100;
const x = (minute: number) => round(LABEL_WIDTH + minute * PX_PER_MINUTE);
const rowY = (day: number) => AXIS_HEIGHT + day * ROW_HEIGHT;
const WEEKDAY_NAMES = {
  mon: "Mon",
  tue: "Tue",
  wed: "Wed",
  thu: "Thu",
  fri: "Fri",
  sat: "Sat",
  sun: "Sun",
} as const;

export function formatReading(reading: LocalReading): string {
  return `${WEEKDAY_NAMES[reading.weekday]} ${reading.date} ${reading.time}`;
}

function dayLabel(day: TimelineDay): string {
  return `${WEEKDAY_NAMES[day.weekday]} ${day.date.slice(5)}`;
}

function dayKindText(day: TimelineDay): string {
  const kind =
    day.kind === "holiday"
      ? day.provisional
        ? "provisional holiday"
        : "holiday"
      : day.kind === "makeup-workday"
        ? "make-up working day"
        : "";
  const length = day.minutes === 1440 ? "" : `${day.minutes / 60}-hour day (daylight saving change)`;
  return [kind && `${kind}${day.name ? `: ${day.name}` : ""}`, length].filter(Boolean).join("; ");
}

function bandWhat(band: TimelineBand): string {
  const style = BAND_STYLES[band.kind];
  const state = band.state ? ` (held ${band.state})` : "";
  return `${style.name}${state}`;
}

function bandWhen(band: TimelineBand): { from: string; to: string } {
  return {
    from: `${band.continuesBefore ? "before " : ""}${formatReading(band.startLocal)}`,
    to: band.ongoing
      ? `ongoing (now ${formatReading(band.endLocal)})`
      : `${formatReading(band.endLocal)}${band.continuesAfter ? " and after" : ""}`,
  };
}

const patterns = (id: string) => html`<defs>
<pattern id="${id}-hatch-provisional" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="${DAY_FILL.holiday}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#8a5a00" stroke-width="2"/></pattern>
<pattern id="${id}-hatch-exception" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="5" height="5" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="5" stroke="#7a4b00" stroke-width="2.5"/></pattern>
<pattern id="${id}-dots-snooze" width="4" height="4" patternUnits="userSpaceOnUse"><rect width="4" height="4" fill="#ffffff"/><circle cx="2" cy="2" r="1.3" fill="#b04a00"/></pattern>
</defs>`;

function dayRow(id: string, day: TimelineDay, index: number): Markup {
  const y = rowY(index);
  const width = round(day.minutes * PX_PER_MINUTE);
  const fill =
    day.kind === "holiday" && day.provisional ? `url(#${id}-hatch-provisional)` : DAY_FILL[day.kind];
  const stroke = day.provisional ? html` stroke="#8a5a00" stroke-dasharray="4 2"` : "";
  const note = dayKindText(day);
  return markup(html`<g data-day="${day.date}" data-kind="${day.kind}"${day.provisional ? html` data-provisional="true"` : ""}>
<text x="4" y="${y + 14}" font-size="11" fill="${INK}">${dayLabel(day)}</text>${
    day.kind !== "normal"
      ? html`<text x="4" y="${y + 27}" font-size="9" fill="${INK}">${day.kind === "holiday" ? (day.provisional ? "holiday?" : "holiday") : "make-up day"}</text>`
      : ""
  }
<rect class="day" x="${LABEL_WIDTH}" y="${y + 2}" width="${width}" height="${ROW_HEIGHT - 4}" fill="${fill}"${stroke}><title>${day.date}${note ? `: ${note}` : ""}</title></rect>
${day.ticks.map((tick) => html`<line x1="${x(tick.minute)}" y1="${y + 2}" x2="${x(tick.minute)}" y2="${y + ROW_HEIGHT - 2}" stroke="#c9ced6" stroke-width="1"/>`)}
</g>`);
}

function bandRects(id: string, band: TimelineBand): Markup {
  const style = BAND_STYLES[band.kind];
  const fill = style.pattern ? `url(#${id}-${style.pattern})` : style.fill;
  const lane = LANE[style.lane];
  const when = bandWhen(band);
  return markup(
    html`${band.segments.map(
      (segment) =>
        html`<rect data-kind="${band.kind}" x="${x(segment.startMinute)}" y="${rowY(segment.day) + lane.y}" width="${round((segment.endMinute - segment.startMinute) * PX_PER_MINUTE)}" height="${lane.h}" fill="${fill}" stroke="${INK}" stroke-width="0.5"><title>${bandWhat(band)}: ${when.from} to ${when.to}${band.note ? ` (${band.note})` : ""}</title></rect>`,
    )}`,
  );
}

function axis(timeline: WeekTimeline): Markup {
  const ticks = timeline.days[0]?.ticks ?? [];
  return markup(
    html`<g data-axis="hours">${ticks.map(
      (tick) =>
        html`<text x="${x(tick.minute)}" y="12" font-size="10" text-anchor="middle" fill="${INK}">${tick.label}</text>`,
    )}</g>`,
  );
}

function describe(timeline: WeekTimeline): string {
  const first = timeline.days[0]!;
  const last = timeline.days[timeline.days.length - 1]!;
  const count = (kind: TimelineBandKind) => timeline.bands.filter((b) => b.kind === kind).length;
  const special = timeline.days.filter((d) => d.kind !== "normal").length;
  const dst = timeline.days
    .filter((d) => d.minutes !== 1440)
    .map((d) => `${d.date} has ${d.minutes / 60} hours`);
  const parts = [
    `${first.date} to ${last.date} in ${timeline.timezone}${timeline.schedule ? `, schedule ${timeline.schedule}` : ", no schedule owns this target"}`,
    `${count("planned-sleep")} planned sleep windows, ${count("actual-sleep")} actual sleeps`,
    `${special} holiday or make-up days`,
    `${count("exception")} exceptions, ${count("snooze")} snoozes, ${count("hold")} holds, ${count("pause")} pauses`,
    `${timeline.markers.length} resize or failure markers`,
    ...dst,
  ];
  if (timeline.now) parts.push(`now is ${formatReading(timeline.now.local)}`);
  return `${parts.join("; ")}. The table after the drawing lists each of them.`;
}

function swatch(fill: string, dashed = false): Markup {
  return markup(
    html`<svg width="22" height="12" aria-hidden="true" focusable="false"><rect x="0.5" y="0.5" width="21" height="11" fill="${fill}" stroke="${INK}" stroke-width="0.5"${dashed ? html` stroke-dasharray="3 2"` : ""}/></svg>`,
  );
}

/** Swatches of the patterned kinds use the figure's own patterns (an inline SVG may use another's). */
function legend(id: string): Markup {
  const items: Array<[string, Markup]> = [
    ...Object.values(BAND_STYLES).map((style): [string, Markup] => [
      `${style.name} (${style.lane === "plan" ? "top" : style.lane === "actual" ? "middle" : "bottom"} lane${style.pattern ? `, ${style.pattern.startsWith("hatch") ? "hatched" : "dotted"}` : ""})`,
      swatch(style.pattern ? `url(#${id}-${style.pattern})` : style.fill),
    ]),
    ["Holiday", swatch(DAY_FILL.holiday)],
    ["Provisional holiday (hatched, dashed outline)", swatch(`url(#${id}-hatch-provisional)`, true)],
    ["Make-up working day", swatch(DAY_FILL["makeup-workday"])],
    ["Resize (triangle)", swatch(MARKER_FILL.resize)],
    ["Failure (triangle)", swatch(MARKER_FILL.failure)],
    ["Now (red line)", swatch(NOW)],
  ];
  return markup(html`<ul class="legend">${items.map(([text, mark]) => html`<li>${mark}${text}</li>`)}</ul>`);
}

function table(timeline: WeekTimeline, caption: string): Markup {
  const rows: Array<{ at: number; cells: [string, string, string, string] }> = [];
  for (const day of timeline.days) {
    const text = dayKindText(day);
    if (text)
      rows.push({
        at: day.start.getTime(),
        cells: ["Day", `${WEEKDAY_NAMES[day.weekday]} ${day.date}`, "", text],
      });
  }
  for (const band of timeline.bands) {
    const when = bandWhen(band);
    rows.push({ at: band.start.getTime(), cells: [bandWhat(band), when.from, when.to, band.note ?? ""] });
  }
  for (const marker of timeline.markers) {
    rows.push({
      at: marker.at.getTime(),
      cells: [marker.kind === "resize" ? "Resize" : "Failure", formatReading(marker.local), "", marker.label],
    });
  }
  if (timeline.now)
    rows.push({ at: timeline.now.at.getTime(), cells: ["Now", formatReading(timeline.now.local), "", ""] });
  rows.sort((a, b) => a.at - b.at);
  return markup(html`<table class="${VISUALLY_HIDDEN}"><caption>${caption} (as a table)</caption>
<thead><tr><th scope="col">What</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Details</th></tr></thead>
<tbody>${rows.map(({ cells: [what, from, to, details] }) => html`<tr><th scope="row">${what}</th><td>${from}</td><td>${to}</td><td>${details}</td></tr>`)}</tbody></table>`);
}

export interface TimelineSvgOptions {
  /** Unique within the page: the ids of the title and description derive from it. */
  id: string;
  /** What the figure is, e.g. "Week of 2026-03-23 for acc/c1". */
  title: string;
}

/** A figure: the drawing, its legend, and the table a screen reader reads. */
export function timelineFigure(timeline: WeekTimeline, options: TimelineSvgOptions): Markup {
  const id = options.id.replace(/[^A-Za-z0-9_-]/g, "-");
  const height = AXIS_HEIGHT + timeline.days.length * ROW_HEIGHT + 4;
  const width = LABEL_WIDTH + PLOT_WIDTH + 8;
  const now = timeline.now;
  return markup(html`<figure class="timeline">
<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="${id}-title ${id}-desc" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif">
<title id="${id}-title">${options.title}</title>
<desc id="${id}-desc">${describe(timeline)}</desc>
${patterns(id)}
${axis(timeline)}
${timeline.days.map((day, index) => dayRow(id, day, index))}
${timeline.bands.map((band) => bandRects(id, band))}
${timeline.markers.map((marker) => {
  const cx = x(marker.minute);
  const y = rowY(marker.day) + 2;
  return html`<path data-marker="${marker.kind}" d="M${cx} ${y + 10} L${round(cx - 5)} ${y} L${round(cx + 5)} ${y} Z" fill="${MARKER_FILL[marker.kind]}" stroke="#ffffff" stroke-width="0.75"><title>${marker.kind === "resize" ? "Resize" : "Failure"} ${formatReading(marker.local)}: ${marker.label}</title></path>`;
})}
${
  now
    ? html`<line data-now="${now.at.toISOString()}" x1="${x(now.minute)}" y1="${rowY(now.day)}" x2="${x(now.minute)}" y2="${rowY(now.day) + ROW_HEIGHT}" stroke="${NOW}" stroke-width="2"><title>Now: ${formatReading(now.local)}</title></line>`
    : ""
}
</svg>
<figcaption>${legend(id)}</figcaption>
${table(timeline, options.title)}
</figure>`);
}

// ---- the fleet's compact strip: one row for the whole week, planned sleep only -------------------

const STRIP_WIDTH = 168;
const STRIP_HEIGHT = 14;

/**
 * A small strip of a schedule's week for the fleet table: each day an equal 24th of the width per
 * hour of that day (a 23-hour day is narrower), planned sleep dark. The same for every target of a
 * schedule, so the fleet page draws it once per schedule. Its accessible name says it in words.
 */
export function timelineStrip(timeline: WeekTimeline): Markup {
  const total = timeline.days.reduce((sum, day) => sum + day.minutes, 0);
  const scale = STRIP_WIDTH / total;
  const offsets: number[] = [];
  let offset = 0;
  for (const day of timeline.days) {
    offsets.push(offset);
    offset += day.minutes;
  }
  const planned = timeline.bands.filter((band) => band.kind === "planned-sleep");
  const asleepMinutes = planned.reduce(
    (sum, band) => sum + (band.end.getTime() - band.start.getTime()) / 60_000,
    0,
  );
  const label = `Planned asleep ${round(asleepMinutes / 60)} of ${round(total / 60)} hours this week (${timeline.timezone})`;
  const now = timeline.now;
  return markup(
    html`<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${label}" viewBox="0 0 ${STRIP_WIDTH} ${STRIP_HEIGHT}" width="${STRIP_WIDTH}" height="${STRIP_HEIGHT}"><title>${label}</title><rect width="${STRIP_WIDTH}" height="${STRIP_HEIGHT}" fill="${DAY_FILL.normal}"/>${timeline.days.map(
      (day, index) =>
        day.kind === "normal"
          ? ""
          : html`<rect data-day="${day.date}" x="${round(offsets[index]! * scale)}" y="0" width="${round(day.minutes * scale)}" height="${STRIP_HEIGHT}" fill="${DAY_FILL[day.kind]}"${day.provisional ? html` stroke="#8a5a00" stroke-dasharray="3 2"` : ""}/>`,
    )}${planned.flatMap((band) =>
      band.segments.map(
        (segment) =>
          html`<rect data-kind="planned-sleep" x="${round((offsets[segment.day]! + segment.startMinute) * scale)}" y="3" width="${round((segment.endMinute - segment.startMinute) * scale)}" height="${STRIP_HEIGHT - 6}" fill="${BAND_STYLES["planned-sleep"].fill}"/>`,
      ),
    )}${timeline.days.slice(1).map((_, index) => html`<line x1="${round(offsets[index + 1]! * scale)}" y1="0" x2="${round(offsets[index + 1]! * scale)}" y2="${STRIP_HEIGHT}" stroke="#ffffff" stroke-width="1"/>`)}${
      now
        ? html`<line data-now="${now.at.toISOString()}" x1="${round((offsets[now.day]! + now.minute) * scale)}" y1="0" x2="${round((offsets[now.day]! + now.minute) * scale)}" y2="${STRIP_HEIGHT}" stroke="${NOW}" stroke-width="1.5"/>`
        : ""
    }</svg>`,
  );
}
