// The one reading of a time a person types (`GET /api/plan?from=`, a snooze's `until`, the CLI's
// --from/--to/--at): an ISO-8601 instant that carries its offset. When it is refused, the reason
// says how to write it instead.

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/i;
export const INSTANT_EXAMPLES = "e.g. 2026-11-22T08:00:00+08:00 or 2026-11-22T00:00:00Z";

export type InstantReading = { instant: Date } | { problem: string };

/**
 * `new Date()` alone would read "2026-11-23T20:00" in the host's own time zone, accept "12" as
 * 2001-12-01 and roll 2026-02-30 over into March.
 */
export function readInstant(text: string): InstantReading {
  const match = ISO_INSTANT.exec(text);
  if (!match) return { problem: whyNotInstant(text) };
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = match
    .slice(1)
    .map((part) => (part === undefined ? 0 : Number(part))) as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (hour === 24 && minute === 0 && second === 0) {
    // ISO 8601 once allowed 24:00 for the end of a day; its 2019 edition and RFC 3339 do not.
    return {
      problem: `must not use 24:00; write 00:00 of the next day instead (got "${text}"), ${INSTANT_EXAMPLES}`,
    };
  }
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    return {
      problem: `has a time of day or offset out of range (hours 00-23, minutes and seconds 00-59; got "${text}"), ${INSTANT_EXAMPLES}`,
    };
  }
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || date.getUTCFullYear() !== year) {
    return { problem: `names a day that does not exist (got "${text}"), ${INSTANT_EXAMPLES}` };
  }
  const instant = new Date(text);
  if (Number.isNaN(instant.getTime())) {
    return { problem: `must be an ISO-8601 time with an offset, ${INSTANT_EXAMPLES} (got "${text}")` };
  }
  return { instant };
}

/** The instant, or undefined; readInstant says why not. */
export function parseInstant(text: string): Date | undefined {
  const reading = readInstant(text);
  return "instant" in reading ? reading.instant : undefined;
}

function whyNotInstant(text: string): string {
  // In a URL query string "+" means a space: ?from=2026-12-06T10:00:00+08:00 arrives with " 08:00".
  if (ISO_INSTANT.test(text.replace(/ (\d{2}:\d{2})$/, "+$1"))) {
    return `has a space where its offset's "+" belongs (got "${text}"): in a URL query string "+" means a space, so write it as %2B (e.g. ${text.replace(/ (\d{2}:\d{2})$/, "%2B$1")}) or give the time in UTC with Z`;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/i.test(text)) {
    return `needs an offset after the time: Z for UTC or ±HH:MM, e.g. ${text}Z or ${text}+08:00 (got "${text}")`;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    return `needs a time of day and an offset, e.g. ${text}T00:00:00+08:00 (got "${text}")`;
  }
  return `must be an ISO-8601 time with an offset, ${INSTANT_EXAMPLES} (got "${text}")`;
}
