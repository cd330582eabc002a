import { html } from "hono/html";
import { describe, expect, it } from "vitest";
import { SyncHtml, syncHtml, utcTime } from "./layout.ts";

describe("syncHtml (the fast template of the fleet's rows)", () => {
  it("escapes every interpolated text, as hono/html does", () => {
    const hostile = `<script>alert("x")</script> & 'y'`;
    expect(syncHtml`<td title="${hostile}">${hostile}</td>`.text).toBe(
      `<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</td>`,
    );
    expect(syncHtml`${hostile}`.text).toBe(html`${hostile}`.toString());
  });

  it("keeps markup (its own, and hono/html's) as it is, joins arrays, and renders nothing for nothing", () => {
    const inner = syncHtml`<b>${"a<b"}</b>`;
    expect(syncHtml`${inner}${html`<i>${"&"}</i>`}${utcTime("2026-11-22T12:00:00.000Z")}`.text).toBe(
      '<b>a&lt;b</b><i>&amp;</i><time datetime="2026-11-22T12:00:00.000Z">2026-11-22 12:00 UTC</time>',
    );
    expect(syncHtml`${["<", syncHtml`<br>`, 3]}|${undefined}${null}${false}${true}|${0}`.text).toBe(
      "&lt;<br>3||0",
    );
  });

  it("drops into hono/html templates unescaped, being markup already", async () => {
    const row = syncHtml`<tr><td>${"<x>"}</td></tr>`;
    expect(row).toBeInstanceOf(SyncHtml);
    expect((await html`<tbody>${[row, row]}</tbody>`).toString()).toBe(
      "<tbody><tr><td>&lt;x&gt;</td></tr><tr><td>&lt;x&gt;</td></tr></tbody>",
    );
  });
});

describe("utcTime", () => {
  it("shows a time to the minute in UTC, the same for the same instant however written", () => {
    const shown = '<time datetime="2026-11-22T12:00:00.000Z">2026-11-22 12:00 UTC</time>';
    expect(utcTime("2026-11-22T12:00:00.000Z").toString()).toBe(shown);
    expect(utcTime("2026-11-22T20:00:00+08:00").toString()).toBe(shown);
    expect(utcTime(undefined).toString()).toBe('<span class="muted">—</span>');
    expect(utcTime("<not a time>").toString()).toBe("&lt;not a time&gt;");
  });
});
