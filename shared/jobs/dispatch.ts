// Fan-out through a queue (Cloudflare Queues on Workers): the cron tick decides, queue consumers
// write and advance. An operation message names one operation; it carries no state (the store has
// it), so a lost message is replaced by the recovery sweep and a duplicate finds the work done or
// leased. A decision message carries one decision's writes (shared/jobs/decision-writes.ts), which
// are idempotent, so a duplicate writes nothing twice and a lost one is decided again next minute.
//
//   cron      decides (functions/tick.ts) and sends each decision's writes (`sendDecisionWrites`:
//             one subrequest per 100 decisions), then `dispatchDue`: a message again for every due
//             operation no message seems to be carrying (due for longer than RECOVERY_MARGIN_MS).
//   consumer  `consumeOperations`: applies the batch's decisions (creating their operations), then
//             runs those and the batch's other operations that are due and first on their target
//             (read per target: store.operations.ofTarget, never the whole fleet's) run through the jobs runtime (lease, compare-and-set, chained steps) within the
//             invocation's subrequest budget; then each is handed on: a wait is re-sent with
//             `delaySeconds` until its nextAttemptAt, a chain cut short (budget, step cap) is
//             re-sent at once, a finished one sends the next operation of its target. A store
//             error leaves its messages to the queue's retries, and after `max_retries` to the
//             dead-letter queue, whose consumer (`recordDeadLetters`) writes it to the ledger.
import type { Logger } from "../log/logger.ts";
import { FINISHED, type Operation, type Store } from "../store/store.ts";
import type { SubrequestBudget } from "./budget.ts";
import { applyWrites, type DecisionWrites, parseWrites } from "./decision-writes.ts";
import type { JobKind, OutcomeEvent } from "./job-kind.ts";
import { firstPerTarget, isDue, type RunDueOptions, type RunReport, runDueOperations } from "./runtime.ts";

/** What a message says: which operation to advance, and the attempt time it was sent for. */
export interface OperationMessage {
  operationId: string;
  target: string;
  /** The operation's nextAttemptAt this message was delayed for; absent: at once. */
  at?: string;
}

/** A decision's writes, for a consumer to apply. */
export interface DecisionMessage {
  writes: DecisionWrites;
}

export type QueueMessage = OperationMessage | DecisionMessage;

/** The producer side of a queue (a Workers Queue binding has this method). */
export interface OperationQueue {
  sendBatch(messages: Iterable<{ body: QueueMessage; delaySeconds?: number }>): Promise<unknown>;
}

/** The queue the cron dispatches to, and its dead-letter queue (wrangler.toml). */
export const OPERATIONS_QUEUE = "nightshift-operations";
export const DEAD_LETTER_QUEUE = "nightshift-operations-dlq";

/** The longest `delaySeconds` a message may have: 24 h (https://developers.cloudflare.com/queues/platform/limits/). */
export const MAX_DELAY_SECONDS = 24 * 3600;
/** Messages per `sendBatch` call: at most 100, and 256 KB in all (same page). */
export const SEND_BATCH_MAX = 100;
/** The bytes of bodies one `sendBatch` carries at most: 256 KB less room for each message's metadata. */
export const SEND_BATCH_MAX_BYTES = 256_000 - SEND_BATCH_MAX * 128;
/**
 * A due operation no consumer has touched for this long has lost its message (a failed send, a
 * crashed consumer): the cron sends it again. Longer than a lease (2 min), so a consumer still
 * working on it is not doubled without need; a duplicate would be harmless anyway.
 */
export const RECOVERY_MARGIN_MS = 5 * 60 * 1000;
/**
 * Subrequests a consumer keeps for after its steps: its queue sends (one per 100 messages) and the
 * outcome events (one PutEvents per 10), for a batch of at most 100 messages.
 */
export const AFTER_STEPS_RESERVE = 16;

/**
 * Operations one consumer invocation advances at once: Workers keeps at most 6 connections open
 * per invocation (https://developers.cloudflare.com/workers/platform/limits/); more would only queue.
 */
export const CONSUMER_CONCURRENCY = 6;

const ACTIVE = ["pending", "running", "waiting"] as const;

/** The message that advances `op` when it is due, delayed until then (at most 24 h: it comes again). */
export function messageFor(op: Operation, now: Date): { body: OperationMessage; delaySeconds: number } {
  const body: OperationMessage = { operationId: op.id, target: op.target };
  if (op.nextAttemptAt === undefined) return { body, delaySeconds: 0 };
  const wait = Math.ceil((Date.parse(op.nextAttemptAt) - now.getTime()) / 1000);
  return {
    body: { ...body, at: op.nextAttemptAt },
    delaySeconds: Math.min(Math.max(0, wait), MAX_DELAY_SECONDS),
  };
}

/** A message body as sent by this module, or why it is not one. */
export function parseMessage(body: unknown): OperationMessage | { invalid: string } {
  const b = body as Partial<OperationMessage> | null;
  if (
    typeof b !== "object" ||
    b === null ||
    typeof b.operationId !== "string" ||
    typeof b.target !== "string"
  )
    return {
      invalid: `not an operation message (expected {"operationId": "...", "target": "..."}): ${JSON.stringify(body)}`,
    };
  if (b.at !== undefined && (typeof b.at !== "string" || Number.isNaN(Date.parse(b.at))))
    return {
      invalid: `operation message ${b.operationId}: "at" must be an ISO time, got ${JSON.stringify(b.at)}`,
    };
  return { operationId: b.operationId, target: b.target, ...(b.at !== undefined ? { at: b.at } : {}) };
}

/** Sends `messages` in as few `sendBatch` calls (subrequests) as the limits allow. */
async function send(
  queue: OperationQueue,
  messages: ReadonlyArray<{ body: QueueMessage; delaySeconds: number }>,
  budget?: SubrequestBudget,
): Promise<void> {
  let batch: Array<{ body: QueueMessage; delaySeconds: number }> = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    budget?.spend("queue send");
    await queue.sendBatch(batch);
    batch = [];
    bytes = 0;
  };
  for (const message of messages) {
    const size = new TextEncoder().encode(JSON.stringify(message.body)).byteLength;
    if (batch.length === SEND_BATCH_MAX || bytes + size > SEND_BATCH_MAX_BYTES) await flush();
    batch.push(message);
    bytes += size;
  }
  await flush();
}

/**
 * Sends operations just created elsewhere (an event's, accepted by the webhook routes) to the
 * consumers at once, one subrequest per 100: the consumer runs each that is first on its target.
 */
export async function sendOperations(
  queue: OperationQueue,
  operations: readonly Operation[],
  now: Date,
  budget?: SubrequestBudget,
): Promise<void> {
  await send(
    queue,
    operations.map((op) => messageFor(op, now)),
    budget,
  );
}

/** The cron's sending of its decisions' writes: one subrequest per 100 decisions (or 256 KB). */
export async function sendDecisionWrites(
  queue: OperationQueue,
  writes: readonly DecisionWrites[],
  budget?: SubrequestBudget,
): Promise<void> {
  await send(
    queue,
    writes.map((w) => ({ body: { writes: w }, delaySeconds: 0 })),
    budget,
  );
}

function firstOfTargets(
  active: readonly Operation[],
  jobs: ReadonlyArray<Pick<JobKind, "kinds" | "priority">>,
) {
  const priority = new Map(jobs.flatMap((job) => job.kinds.map((kind) => [kind, job.priority] as const)));
  return firstPerTarget(
    active.filter((op) => priority.has(op.kind)),
    (op) => priority.get(op.kind)!,
  );
}

/**
 * Store queries applying one decision's writes may make: the operation, its lineup entry, its
 * `scheduled` ledger entry and clearing it from the operation (decision-writes.ts), the target's state.
 */
export const APPLY_SUBREQUESTS_MAX = 5;

/**
 * The cron's recovery sweep: sends the operations this tick created that can run now (the Node
 * tick's way; the Worker's consumers create them), and every due one that has waited longer than
 * RECOVERY_MARGIN_MS (its message was lost). Returns how many it sent.
 */
export async function dispatchDue(options: {
  store: Store;
  queue: OperationQueue;
  jobs: ReadonlyArray<Pick<JobKind, "kinds" | "priority">>;
  now: Date;
  /** Ids of the operations the tick just created. */
  created: readonly string[];
  budget?: SubrequestBudget;
}): Promise<number> {
  const { now } = options;
  const created = new Set(options.created);
  const active = await options.store.operations.list({ status: ACTIVE }, now);
  const stale = (op: Operation) =>
    Date.parse(op.nextAttemptAt ?? op.updatedAt) <= now.getTime() - RECOVERY_MARGIN_MS;
  const due = firstOfTargets(active, options.jobs).filter(
    (op) => isDue(op, now) && (created.has(op.id) || stale(op)),
  );
  await send(
    options.queue,
    due.map((op) => messageFor(op, now)),
    options.budget,
  );
  return due.length;
}

export interface ConsumeOptions<Event extends OutcomeEvent>
  extends Omit<RunDueOptions<Event>, "selected" | "canStep" | "limit" | "stepLimit"> {
  /** The batch: each message's id (for retries) and body. */
  messages: ReadonlyArray<{ id: string; body: unknown }>;
  queue: OperationQueue;
  budget: SubrequestBudget;
}

export interface ConsumeReport<Event extends OutcomeEvent> {
  run: RunReport<Event>;
  /** Ids of the messages to retry (a store error, or a body that is no operation message). */
  retry: string[];
  /** Messages sent on: waits, chains cut short, the next operation of a finished one's target. */
  sent: number;
  /** Ids of the operations this batch's decisions created (each once, however often its message came). */
  created: string[];
}

/**
 * The unfinished operations of the batch's targets (what "first on its target" and "the next of a
 * finished one's target" need), read per target, so a consumer's reads grow with its batch, not
 * with the fleet. A message's own operation missing from its target's lineup (created before
 * lineups, or a crash between its two writes) is read by id.
 */
async function batchTargets(
  store: Store,
  bodies: ReadonlyMap<string, OperationMessage>,
  now: Date,
): Promise<Operation[]> {
  const targets = [...new Set([...bodies.values()].map((body) => body.target))];
  const active = (await Promise.all(targets.map((target) => store.operations.ofTarget(target, now)))).flat();
  const listed = new Set(active.map((op) => op.id));
  const unlisted = await Promise.all(
    [...bodies.keys()].filter((id) => !listed.has(id)).map((id) => store.operations.get(id, now)),
  );
  for (const op of unlisted) {
    // Only under the target its message names: that target's lineup is the one read.
    if (op && !FINISHED.includes(op.status) && op.target === bodies.get(op.id)?.target) active.push(op);
  }
  return active;
}

/** The consumer's half: runs the batch's due operations and hands each one on (see the top). */
export async function consumeOperations<Event extends OutcomeEvent>(
  options: ConsumeOptions<Event>,
): Promise<ConsumeReport<Event>> {
  const { now, budget, log } = options;
  const retry: string[] = [];
  const messageIds = new Map<string, string[]>();
  const bodies = new Map<string, OperationMessage>();
  const decisions: Array<{ id: string; writes: DecisionWrites }> = [];
  for (const message of options.messages) {
    const isDecision = typeof message.body === "object" && message.body !== null && "writes" in message.body;
    const parsed = isDecision ? parseWrites(message.body) : parseMessage(message.body);
    if ("invalid" in parsed) {
      log.error("queue message refused", { message: message.id, error: parsed.invalid });
      retry.push(message.id);
    } else if (isDecision) {
      decisions.push({ id: message.id, writes: parsed as DecisionWrites });
    } else {
      const body = parsed as OperationMessage;
      messageIds.set(body.operationId, [...(messageIds.get(body.operationId) ?? []), message.id]);
      // A duplicate of a wait's message and an older one: keep the one naming a time, if any.
      if (!bodies.get(body.operationId)?.at) bodies.set(body.operationId, body);
    }
  }

  // The decisions first: their operations then run below at once, like any the batch names.
  const out: Array<{ body: QueueMessage; delaySeconds: number }> = [];
  const created: string[] = [];
  for (const { id, writes } of decisions) {
    // Room for the writes and the first step of what they create; else a fresh invocation takes it.
    if (!budget.canStep(0, APPLY_SUBREQUESTS_MAX + AFTER_STEPS_RESERVE)) {
      out.push({ body: { writes }, delaySeconds: 0 });
      continue;
    }
    try {
      if ((await applyWrites(options.store, writes, now)).created) created.push(writes.operation!.fields.id);
    } catch (error) {
      log.error("applying a decision failed; its message will be retried", {
        message: id,
        target: writes.target,
        error: error instanceof Error ? error.message : String(error),
      });
      retry.push(id);
      continue;
    }
    const op = writes.operation?.fields;
    if (op) {
      messageIds.set(op.id, [...(messageIds.get(op.id) ?? []), id]);
      if (!bodies.has(op.id)) bodies.set(op.id, { operationId: op.id, target: op.target });
    }
  }

  const active = await batchTargets(options.store, bodies, now);
  const byId = new Map(active.map((op) => [op.id, op] as const));
  const first = new Set(firstOfTargets(active, options.jobs).map((op) => op.id));
  const selected: Operation[] = [];
  for (const [id, body] of bodies) {
    const op = byId.get(id);
    // Finished, gone, or behind another operation of its target (which sends it when it ends).
    if (!op || !first.has(id)) continue;
    if (isDue(op, now)) selected.push(op);
    // Early: delivered before its time only when its delay was capped at 24 h; a duplicate
    // sent for an older wait is dropped (the current wait's message is on its way).
    else if (body.at === op.nextAttemptAt) out.push(messageFor(op, now));
  }

  const concurrency = Math.max(1, options.concurrency ?? 1);
  const run = await runDueOperations({
    ...options,
    selected,
    canStep: () => budget.canStep(concurrency - 1, AFTER_STEPS_RESERVE),
  });

  const last = new Map(run.operations.map((o) => [o.operationId, o] as const));
  const left = new Set([...run.skipped, ...run.errors].map((o) => o.operationId));
  const ended = new Set<string>();
  for (const error of run.errors) retry.push(...(messageIds.get(error.operationId) ?? []));
  for (const op of selected) {
    const ran = last.get(op.id);
    if (!ran) {
      // Not taken: the budget ran out first. Sent again, to a fresh invocation.
      if (!left.has(op.id)) out.push(messageFor(op, now));
    } else if (FINISHED.includes(ran.status)) {
      ended.add(op.id);
    } else {
      out.push(messageFor({ ...op, nextAttemptAt: ran.nextAttemptAt } as Operation, now));
    }
  }
  // The next operation of each target whose operation ended here (a wake behind its sleep).
  if (ended.size > 0) {
    const remaining = active.filter((op) => !ended.has(op.id));
    const targets = new Set(selected.filter((op) => ended.has(op.id)).map((op) => op.target));
    for (const op of firstOfTargets(remaining, options.jobs)) {
      if (targets.has(op.target)) out.push(messageFor(op, now));
    }
  }
  await send(options.queue, out, budget);
  return { run, retry, sent: out.length, created };
}

/**
 * The dead-letter queue's consumer: a message that failed `max_retries` times is written to the
 * ledger ("dead-letter"), and its operation, still active, carries the error, so the ledger and
 * `GET /api/operations` show it. The cron's recovery sweep keeps dispatching the operation.
 */
export async function recordDeadLetters(options: {
  store: Store;
  messages: ReadonlyArray<{ id: string; body: unknown; attempts: number }>;
  queue: string;
  now: Date;
  log: Logger;
}): Promise<void> {
  const { store, now, log } = options;
  for (const message of options.messages) {
    const parsed = parseMessage(message.body);
    const operationId = "invalid" in parsed ? "unknown" : parsed.operationId;
    const target = "invalid" in parsed ? "unknown" : parsed.target;
    const error = {
      kind: "dead-letter",
      message: `its queue message (${message.id}) failed every retry and went to the dead-letter queue ${options.queue}`,
    };
    // Keyed by the message (its id stays the same on every delivery of it), not written with the
    // operation's error: a message may name no operation, or one already finished. A delivery
    // retried after dying anywhere here appends nothing more and writes the error again.
    await store.ledger.append({
      at: now,
      operationId,
      target,
      kind: "dead-letter",
      detail: {
        message: message.id,
        queue: options.queue,
        ...("invalid" in parsed ? { invalid: parsed.invalid } : {}),
      },
      key: `dead-letter:${options.queue}:${message.id}`,
    });
    log.error("operation message dead-lettered", { operation: operationId, target, message: message.id });
    const op = "invalid" in parsed ? undefined : await store.operations.get(operationId, now);
    if (op && !FINISHED.includes(op.status)) {
      await store.operations.update(op.id, op.version, { error }, { now });
    }
  }
}
