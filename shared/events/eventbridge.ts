// Outcome events to AWS EventBridge: one event per action (success or failure), `Source:
// "nightshift"`, sent with PutEvents in batches of at most 10 entries and 256 KB.
//
// When something is sent again (at most MAX_RETRIES times, full-jitter backoff between rounds):
//
//   per-entry ErrorCode in RETRYABLE_ERROR_CODES   only that entry, matched by its index in Entries
//   other per-entry ErrorCode (InvalidArgument,     never: sending it again gives the same answer
//     MalformedDetail, AccessDenied...)
//   whole call: throttled, 5xx, no response         every entry of that call
//   whole call: other 4xx (bad signature, no bus)   never
//
// Each round re-batches the entries still to send, so the retries of several batches share calls.
// A call that failed without an answer may have been accepted: EventBridge delivers at least once
// anyway, and the outbox (shared/jobs/outbox.ts) sends again on later ticks whatever is still
// unconfirmed, so consumers dedupe on `detail.eventId`: one per outcome, the same on every attempt
// (PutEvents gives every attempt an id of its own).
//
// The client (eventBridgeClient) is one signed PutEvents request per call, no retries of its own,
// so these retries (with the injected sleep and random) are the only ones. It speaks the awsJson1_1
// protocol directly with our SigV4 signer instead of the AWS SDK, whose client stack was a fifth of
// the Worker bundle.
import type { EventBridgeConfig } from "../config/config.ts";
import { backoffDelay, type Fetch } from "../http/client.ts";
import type { Logger } from "../log/logger.ts";
import { signAwsV4 } from "../signer/aws-sigv4.ts";

export const EVENT_SOURCE = "nightshift";
/** PutEvents takes at most 10 entries per call. */
export const MAX_ENTRIES_PER_CALL = 10;
/** One entry, and all entries of one call together, as EventBridge counts them (see entrySize). */
export const MAX_ENTRY_BYTES = 256 * 1024;
export const MAX_RETRIES = 3;
export const EVENTBRIDGE_RETRY = { baseDelayMs: 200, maxDelayMs: 5_000 };

/**
 * Error codes that mean "not now" rather than "never": throttling and EventBridge's own failures.
 * Used both for per-entry ErrorCode and for the name of an error thrown by a whole call.
 */
export const RETRYABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "InternalFailure",
  "InternalException",
  "InternalError",
  "InternalServerError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
]);

export type OutcomeKind = "succeeded" | "failed" | "skipped" | "conflict";

export interface OutcomeDetail {
  /** One per outcome, the same on every attempt to publish it: what consumers dedupe on. */
  eventId?: string;
  /** The target's id, e.g. "huawei:prod-hw:cn-north-4:<cluster id>". */
  target: string;
  /** What the schedule or rule asked for, e.g. "sleep". */
  requested: string;
  /** What was actually done, e.g. "sleep", "none" (skipped) or "scale-nodes". */
  taken: string;
  /** Metadata only (pool sizes, phases), JSON-serializable; never key material. */
  before?: unknown;
  after?: unknown;
  operationId: string;
  outcome: OutcomeKind;
  error?: { code: string; message: string };
}

export interface OutcomeEvent {
  /** e.g. "nightshift.sleep", "nightshift.wake", "nightshift.resize", "nightshift.renew". */
  detailType: string;
  time: Date;
  detail: OutcomeDetail;
}

export interface FailedEvent {
  event: OutcomeEvent;
  errorCode: string;
  errorMessage: string;
}

export interface PublishResult {
  sent: number;
  failed: FailedEvent[];
}

export interface EventPublisher {
  publish(events: readonly OutcomeEvent[]): Promise<PublishResult>;
}

/** One PutEvents entry, as the API names its fields. */
export interface PutEventsRequestEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Time?: Date;
  EventBusName?: string;
  Resources?: string[];
}

/** One entry's answer: an EventId, or why it was refused. */
export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface PutEventsOutput {
  FailedEntryCount?: number;
  /** In the order of the request's entries. */
  Entries?: PutEventsResultEntry[];
}

/** A whole PutEvents call that failed: the error type EventBridge answered, or no answer at all. */
export class PutEventsCallError extends Error {
  readonly code: string;
  /** The HTTP status; undefined when no answer came (refused, reset, timeout). */
  readonly status: number | undefined;
  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = "PutEventsCallError";
    this.code = code;
    this.status = status;
  }
}

/** The one call the publisher makes; eventBridgeClient builds one, a test may pass a fake. */
export interface PutEventsSender {
  /** Resolves with the per-entry answers; rejects with a PutEventsCallError when the call failed. */
  putEvents(entries: readonly PutEventsRequestEntry[]): Promise<PutEventsOutput>;
}

export interface EventBridgePublisherOptions {
  client: PutEventsSender;
  /** Omitted: the account's default bus. */
  eventBusName?: string;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  log?: Logger;
}

/** An entry's size as EventBridge counts it: Time 14 bytes, then UTF-8 bytes of the strings. */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined) => (s === undefined ? 0 : new TextEncoder().encode(s).length);
  let size = entry.Time ? 14 : 0;
  size += bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
  for (const resource of entry.Resources ?? []) size += bytes(resource);
  return size;
}

interface Pending {
  index: number;
  entry: PutEventsRequestEntry;
  size: number;
}

interface Failure {
  code: string;
  message: string;
  retryable: boolean;
}

export function createEventBridgePublisher(options: EventBridgePublisherOptions): EventPublisher {
  const { client, eventBusName, sleep, random, log } = options;

  return {
    async publish(events) {
      const failures = new Map<number, Failure>();
      let sent = 0;
      let pending: Pending[] = [];
      events.forEach((event, index) => {
        const built = toEntry(event, eventBusName);
        if ("code" in built) failures.set(index, built);
        else pending.push({ index, entry: built, size: entrySize(built) });
      });

      for (let round = 0; pending.length > 0; round++) {
        const again: Pending[] = [];
        for (const batch of batches(pending)) {
          const outcomes = await putBatch(client, batch);
          batch.forEach((item, i) => {
            const failure = outcomes[i];
            if (!failure) {
              sent++;
              failures.delete(item.index);
              return;
            }
            failures.set(item.index, failure);
            if (failure.retryable) again.push(item);
          });
        }
        if (again.length === 0 || round === MAX_RETRIES) break;
        const delayMs = backoffDelay(EVENTBRIDGE_RETRY, round, random);
        log?.warn("eventbridge: retrying failed entries", {
          entries: again.length,
          retry: round + 1,
          delayMs: Math.round(delayMs),
          codes: [...new Set(again.map((p) => failures.get(p.index)?.code))],
        });
        await sleep(delayMs);
        pending = again;
      }

      const failed = [...failures.entries()]
        .sort(([a], [b]) => a - b)
        .map(([index, f]) => ({ event: events[index]!, errorCode: f.code, errorMessage: f.message }));
      if (failed.length > 0) {
        log?.error("eventbridge: events not delivered", {
          failed: failed.length,
          sent,
          codes: [...new Set(failed.map((f) => f.errorCode))],
        });
      }
      return { sent, failed };
    },
  };
}

function toEntry(event: OutcomeEvent, eventBusName: string | undefined): PutEventsRequestEntry | Failure {
  if (!event.detailType) {
    return { code: "InvalidEvent", message: "detailType must not be empty", retryable: false };
  }
  if (!(event.time instanceof Date) || Number.isNaN(event.time.getTime())) {
    return { code: "InvalidEvent", message: "time must be a valid Date", retryable: false };
  }
  let detail: string;
  try {
    detail = JSON.stringify(event.detail);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { code: "InvalidEvent", message: `detail is not JSON-serializable: ${why}`, retryable: false };
  }
  const entry: PutEventsRequestEntry = {
    Source: EVENT_SOURCE,
    DetailType: event.detailType,
    Detail: detail,
    Time: event.time,
  };
  if (eventBusName) entry.EventBusName = eventBusName;
  const size = entrySize(entry);
  if (size > MAX_ENTRY_BYTES) {
    return {
      code: "EntryTooLarge",
      message:
        `the event is ${size} bytes; EventBridge accepts at most ${MAX_ENTRY_BYTES} (256 KB) per entry: ` +
        "keep before/after to metadata and shorten error messages",
      retryable: false,
    };
  }
  return entry;
}

/** Consecutive runs of at most 10 entries whose sizes add up to at most 256 KB. */
function batches(items: readonly Pending[]): Pending[][] {
  const out: Pending[][] = [];
  let current: Pending[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length === MAX_ENTRIES_PER_CALL || bytes + item.size > MAX_ENTRY_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** One PutEvents call: a failure per entry (by position), or undefined where it was accepted. */
async function putBatch(
  client: PutEventsSender,
  batch: readonly Pending[],
): Promise<(Failure | undefined)[]> {
  let output: PutEventsOutput;
  try {
    output = await client.putEvents(batch.map((p) => p.entry));
  } catch (error) {
    const failure = callFailure(error);
    return batch.map(() => failure);
  }
  const results = output.Entries ?? [];
  return batch.map((_, i) => {
    const result = results[i];
    if (!result) {
      // EventBridge answers every entry in order; a missing answer leaves its fate unknown.
      return {
        code: "MissingResult",
        message: "PutEvents returned no result for this entry",
        retryable: true,
      };
    }
    if (!result.ErrorCode) return undefined;
    return {
      code: result.ErrorCode,
      message: result.ErrorMessage ?? result.ErrorCode,
      retryable: RETRYABLE_ERROR_CODES.has(result.ErrorCode),
    };
  });
}

/** Classifies an error thrown by a whole PutEvents call. */
function callFailure(error: unknown): Failure {
  if (!(error instanceof PutEventsCallError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { code: "NetworkError", message, retryable: true };
  }
  const { code, message, status } = error;
  if (status === undefined) {
    // No HTTP answer: refused, reset, DNS, timeout. Sending again is the only way to deliver.
    return { code, message, retryable: true };
  }
  const retryable =
    RETRYABLE_ERROR_CODES.has(code) || status === 429 || (status >= 500 && status !== 501 && status !== 505);
  return { code, message: `${message} (HTTP ${status})`, retryable };
}

// ---------------------------------------------------------------------------------------------
// The client, from the validated settings (loadConfig reads NIGHTSHIFT_EVENTBRIDGE_*)

/** A call with no answer within this long is given up (and retried by the publisher). */
export const PUT_EVENTS_TIMEOUT_MS = 10_000;

export interface EventBridgeSettings {
  client: PutEventsSender;
  eventBusName?: string;
}

export interface EventBridgeClientOptions {
  /** The host's outbound fetch; the platform's by default. */
  fetch?: Fetch;
  now?: () => Date;
}

/** The regional endpoint: `events.<region>.amazonaws.com`, `.com.cn` in the China regions. */
export function eventBridgeEndpoint(region: string): string {
  return `https://events.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}/`;
}

/** The EventBridge client for the validated settings (Config.eventBridge): SigV4-signed PutEvents. */
export function eventBridgeClient(
  config: EventBridgeConfig,
  options: EventBridgeClientOptions = {},
): EventBridgeSettings {
  const send: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? (() => new Date());
  const url = config.endpoint ?? eventBridgeEndpoint(config.region);
  const credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey };
  const client: PutEventsSender = {
    async putEvents(entries) {
      // awsJson1_1: timestamps are epoch seconds.
      const body = JSON.stringify({
        Entries: entries.map((entry) => ({
          ...entry,
          ...(entry.Time ? { Time: entry.Time.getTime() / 1000 } : {}),
        })),
      });
      const signed = await signAwsV4(
        {
          method: "POST",
          url,
          headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSEvents.PutEvents" },
          body,
        },
        credentials,
        { now: now(), region: config.region, service: "events" },
      );
      let response: Response;
      try {
        response = await send(url, {
          method: "POST",
          headers: signed.headers,
          body,
          signal: AbortSignal.timeout(PUT_EVENTS_TIMEOUT_MS),
        });
      } catch (error) {
        const timedOut =
          error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
        const why = error instanceof Error ? error.message : String(error);
        throw new PutEventsCallError(
          timedOut ? "TimeoutError" : "NetworkError",
          timedOut ? `no answer from ${url} within ${PUT_EVENTS_TIMEOUT_MS} ms` : `${url}: ${why}`,
        );
      }
      const text = await response.text();
      let answer: Record<string, unknown> = {};
      try {
        const parsed: unknown = text ? JSON.parse(text) : {};
        if (typeof parsed === "object" && parsed !== null) answer = parsed as Record<string, unknown>;
      } catch {
        // Not JSON: a proxy's page, for instance; the status says what happened.
      }
      if (response.ok) return answer as PutEventsOutput;
      throw new PutEventsCallError(
        errorType(response, answer),
        errorMessage(response, answer),
        response.status,
      );
    },
  };
  return config.bus ? { client, eventBusName: config.bus } : { client };
}

/** awsJson's error type: `x-amzn-errortype` or `__type`, without the namespace and the `:` suffix. */
function errorType(response: Response, answer: Record<string, unknown>): string {
  const raw =
    response.headers.get("x-amzn-errortype") ?? (typeof answer.__type === "string" ? answer.__type : "");
  const type = raw.split(":")[0]!.split("#").pop()!;
  return type || `HTTP${response.status}`;
}

function errorMessage(response: Response, answer: Record<string, unknown>): string {
  const message = answer.message ?? answer.Message;
  return typeof message === "string" && message ? message : `EventBridge answered HTTP ${response.status}`;
}
