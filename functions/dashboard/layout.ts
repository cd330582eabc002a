// The page frame every dashboard page shares: skip link, header with navigation and sign-out, main
// landmark, a confirmation or error banner, and the one inline stylesheet. No script at all: the
// pages work with JavaScript off, and the Content-Security-Policy allows none (styles only by the
// stylesheet's hash). Markup is built with hono/html's `html` template, which escapes every
// interpolated value (or, for the parts repeated a thousand times, `syncHtml`, same contract);
// nothing untrusted is ever concatenated into markup.
//
// SVG drawn into a page (the week timeline) must style itself with presentation attributes (fill,
// stroke), not `style="…"` attributes: the policy allows no inline style attributes.
import type { Context, MiddlewareHandler } from "hono";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { base64 } from "../../shared/signer/encoding.ts";
import { shaBytes } from "../../shared/signer/sha.ts";
import type { Session } from "./session.ts";
import { TIMELINE_CSS } from "./timeline-svg.ts";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #4a5360; --line: #c9ced6; --accent: #0b57a4;
  --ok: #146c2e; --bad: #a4161a; --warn: #7a4b00; --bg: #ffffff; --band: #f3f5f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible {
  outline: 3px solid #1a73e8; outline-offset: 2px; }
.skip { position: absolute; left: -10000px; top: 0; background: var(--ink); color: #fff; padding: .5em 1em; }
.skip:focus { left: 0; z-index: 10; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 1em 2em; padding: .6em 1.2em; background: var(--band); border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; margin: 0; font-size: 1.1em; }
header nav ul { display: flex; gap: 1.2em; list-style: none; margin: 0; padding: 0; }
header nav a[aria-current="page"] { font-weight: 700; color: var(--ink); }
header form { margin-left: auto; }
main { padding: 1em 1.2em 3em; max-width: 1400px; }
h1 { font-size: 1.5em; margin: .3em 0 .6em; }
h2 { font-size: 1.2em; margin: 1.4em 0 .5em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
caption { text-align: left; color: var(--muted); padding: .3em 0; }
th, td { text-align: left; vertical-align: top; padding: .35em .55em; border-bottom: 1px solid var(--line); }
thead th { background: var(--band); }
tbody th { font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted, td small { color: var(--muted); }
td small { font-size: inherit; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); }
.notice { border: 1px solid var(--ok); background: #eef7f0; padding: .6em .9em; margin: .6em 0 1em; }
.error { border: 1px solid var(--bad); background: #fbeeee; padding: .6em .9em; margin: .6em 0 1em; }
form.filters { display: flex; flex-wrap: wrap; gap: .6em 1.2em; align-items: end; margin: .4em 0 1em; }
form.filters label, form.action label { display: block; font-size: .9em; color: var(--muted); }
form.action { display: flex; flex-wrap: wrap; gap: .6em; align-items: end; margin: .3em 0 1em; }
input, select, button { font: inherit; padding: .3em .5em; border: 1px solid #6b7480; border-radius: 3px; background: #fff; color: var(--ink); }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25em 1.2em; margin: .5em 0 1em; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .92em; overflow-wrap: anywhere; }
ul.plain { list-style: none; padding: 0; margin: 0; }
nav.pages { display: flex; gap: 1.2em; margin: .5em 0; }
${TIMELINE_CSS}
`;

/** The Content-Security-Policy of every page: nothing but our own stylesheet, forms to ourselves. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${base64(shaBytes("SHA-256", STYLE))}'`,
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** Security headers for every dashboard response (pages, redirects, refusals). */
export function pageHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.res.headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    c.res.headers.set("X-Frame-Options", "DENY");
    c.res.headers.set("Referrer-Policy", "same-origin");
    // Pages show live state and carry CSRF tokens: never cached, never stored.
    c.res.headers.set("Cache-Control", "no-store");
  };
}

export type Section = "fleet" | "activity" | "target" | "login";

export interface PageOptions {
  title: string;
  section: Section;
  /** Signed in: the navigation and the sign-out form (which needs the CSRF token). */
  session?: Session;
  /** A confirmation to show above the content (Post/Redirect/Get). */
  notice?: Html;
  /** A refusal or failure to show above the content. */
  error?: Html;
  status?: ContentfulStatusCode;
}

const NAV: Array<{ section: Section; href: string; label: string }> = [
  { section: "fleet", href: "/", label: "Fleet" },
  { section: "activity", href: "/operations", label: "Operations and events" },
];

export function page(c: Context, options: PageOptions, content: Html): Response | Promise<Response> {
  const { title, section, session } = options;
  const body = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · nightshift</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header>
<p class="brand">nightshift</p>
${
  session
    ? html`<nav aria-label="Main">
<ul>${NAV.map(
        (item) =>
          html`<li><a href="${item.href}"${item.section === section ? html` aria-current="page"` : ""}>${item.label}</a></li>`,
      )}</ul>
</nav>
<form method="post" action="/logout">
<input type="hidden" name="csrf" value="${session.csrfToken}">
<button type="submit" class="secondary">Sign out</button>
</form>`
    : ""
}
</header>
<main id="main" tabindex="-1">
${options.notice ? html`<div class="notice" role="status">${options.notice}</div>` : ""}
${options.error ? html`<div class="error" role="alert">${options.error}</div>` : ""}
${content}
</main>
</body>
</html>`;
  return c.html(body, options.status ?? 200);
}

/**
 * Markup built by `syncHtml`: escaped already. hono/html's `html` takes it as it is (it is an object
 * with `isEscaped`), so a fast part drops into any page.
 */
export class SyncHtml {
  readonly isEscaped = true;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
const SPECIAL = /[&<>"']/;
const SPECIALS = /[&<>"']/g;
const escapeText = (text: string) => (SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c]!) : text);

function syncHtmlOf(value: unknown): string {
  if (value instanceof SyncHtml) return value.text;
  if (typeof value === "string") return escapeText(value);
  if (typeof value === "number") return String(value);
  if (value === undefined || value === null || typeof value === "boolean") return "";
  if (Array.isArray(value)) return value.map(syncHtmlOf).join("");
  // hono/html's own escaped strings (html``, raw()), already markup.
  if (typeof value === "object" && (value as { isEscaped?: unknown }).isEscaped === true)
    return String(value);
  return escapeText(String(value));
}

/**
 * The same contract as hono/html's `html` (every interpolated value escaped unless it is markup
 * already; arrays joined; nothing, false and true render nothing), but synchronous and one string:
 * for the parts a page repeats a thousand times (the fleet's rows), where `html` per cell costs
 * an object and its bookkeeping each. Never takes a promise.
 */
export function syncHtml(strings: TemplateStringsArray, ...values: unknown[]): SyncHtml {
  let text = strings[0]!;
  for (let i = 0; i < values.length; i++) text += syncHtmlOf(values[i]) + strings[i + 1]!;
  return new SyncHtml(text);
}

const NO_TIME = raw(`<span class="muted">—</span>`);
/** utcTime's answers by ISO string: a page shows the same times over and over, and so do its views. */
const utcTimes = new Map<string, HtmlEscapedString>();
const UTC_TIMES_KEPT = 10_000;

/** An ISO time as `2026-11-22 20:00 UTC` inside a <time> element. */
export function utcTime(iso: string | undefined | null): Html {
  if (!iso) return NO_TIME;
  const known = utcTimes.get(iso);
  if (known) return known;
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return html`${iso}`;
  const full = at.toISOString();
  // Only digits and ISO punctuation: nothing to escape.
  const shown = raw(`<time datetime="${full}">${full.slice(0, 10)} ${full.slice(11, 16)} UTC</time>`);
  if (utcTimes.size >= UTC_TIMES_KEPT) utcTimes.clear();
  utcTimes.set(iso, shown);
  return shown;
}

/** How far ahead (or ago) a time is, e.g. "in 3 d 4 h", "2 h ago". */
export function relative(iso: string | undefined, now: Date): string {
  if (!iso) return "";
  const ms = Date.parse(iso) - now.getTime();
  if (Number.isNaN(ms)) return "";
  const abs = Math.abs(ms);
  const minutes = Math.round(abs / 60_000);
  const text =
    minutes < 60
      ? `${minutes} min`
      : minutes < 48 * 60
        ? `${Math.floor(minutes / 60)} h ${minutes % 60} min`
        : `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} h`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** A path with its query, for links that keep the current filters (values percent-encoded). */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== "") params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** A target's page, its id percent-encoded segment by segment (ids are `account/clusterId`). */
export function targetHref(targetId: string): string {
  return `/targets/${targetId.split("/").map(encodeURIComponent).join("/")}`;
}

/** Links to other pages of a list, in a navigation landmark; nothing when there are none. */
export function pager(label: string, links: ReadonlyArray<{ href: string; text: string } | undefined>): Html {
  const present = links.filter((link) => link !== undefined);
  if (present.length === 0) return html``;
  return html`<nav class="pages" aria-label="${label}">${present.map((link) => html`<a href="${link.href}">${link.text}</a>`)}</nav>`;
}
