// Cloudflare Queues as the tests and the bench drive them, on a clock they move: a message is
// delivered `delaySeconds` after it was sent, in batches of at most `maxBatchSize` (oldest first);
// a message retried more than `maxRetries` times goes to the dead-letter list instead. The
// settings mirror wrangler.toml's consumer (a test checks they agree).
import { JOBS } from "../../functions/jobs.ts";
import { countingBackend, type SubrequestBudget, subrequestBudget } from "../../shared/jobs/budget.ts";
import {
  type ConsumeOptions,
  type ConsumeReport,
  consumeOperations,
  type OperationQueue,
  type QueueMessage,
} from "../../shared/jobs/dispatch.ts";
import type { OutcomeEvent } from "../../shared/jobs/job-kind.ts";
import type { StoreBackend } from "../../shared/store/backend.ts";
import { createStore } from "../../shared/store/store.ts";

export interface QueueSettings {
  maxBatchSize: number;
  maxRetries: number;
}

/** wrangler.toml's [[queues.consumers]] for nightshift-operations. */
export const WRANGLER_CONSUMER: QueueSettings & { maxBatchTimeoutSeconds: number; maxConcurrency: number } = {
  maxBatchSize: 10,
  maxBatchTimeoutSeconds: 1,
  maxRetries: 5,
  maxConcurrency: 250,
};

export interface QueuedMessage {
  id: string;
  body: QueueMessage;
  /** Deliveries so far (Cloudflare's `attempts` counts this one too, from 1). */
  attempts: number;
  deliverAt: number;
  timestamp: number;
}

export class SimulatedQueue implements OperationQueue {
  readonly waiting: QueuedMessage[] = [];
  readonly deadLetters: QueuedMessage[] = [];
  sent = 0;
  /** Messages sent with a delay (a wait until the operation's next attempt). */
  delayed = 0;
  private seq = 0;
  private readonly now: () => number;
  readonly settings: QueueSettings;

  constructor(now: () => number, settings: QueueSettings = WRANGLER_CONSUMER) {
    this.now = now;
    this.settings = settings;
  }

  async sendBatch(messages: Iterable<{ body: QueueMessage; delaySeconds?: number }>): Promise<void> {
    for (const m of messages) {
      this.sent++;
      if ((m.delaySeconds ?? 0) > 0) this.delayed++;
      const at = this.now();
      this.waiting.push({
        id: `m${++this.seq}`,
        body: structuredClone(m.body),
        attempts: 0,
        deliverAt: at + (m.delaySeconds ?? 0) * 1000,
        timestamp: at,
      });
    }
  }

  /** When the next message becomes deliverable. */
  get nextDelivery(): number | undefined {
    return this.waiting.length === 0 ? undefined : Math.min(...this.waiting.map((m) => m.deliverAt));
  }

  /** Takes the next batch deliverable by `now` (its messages' attempts counted), oldest first. */
  take(now: number): QueuedMessage[] {
    const ready = this.waiting.filter((m) => m.deliverAt <= now).sort((a, b) => a.deliverAt - b.deliverAt);
    const batch = ready.slice(0, this.settings.maxBatchSize);
    for (const m of batch) {
      this.waiting.splice(this.waiting.indexOf(m), 1);
      m.attempts++;
    }
    return batch;
  }

  /** The consumer's verdict: retried messages come back (or go to the dead letters), the rest are acked. */
  settle(batch: readonly QueuedMessage[], retried: ReadonlySet<string>, now: number): void {
    for (const m of batch) {
      if (!retried.has(m.id)) continue;
      if (m.attempts > this.settings.maxRetries) this.deadLetters.push(m);
      else this.waiting.push({ ...m, deliverAt: now });
    }
  }
}

/**
 * One consumer invocation over `batch`, as the Worker's queue handler runs one: every job kind, its
 * own subrequest budget, counting the queries to `backend` and the calls of `providers(budget)`.
 * Settling the batch is the caller's (a test may instead expect no retry).
 */
export async function consumeInvocation(
  batch: ReadonlyArray<{ id: string; body: unknown }>,
  queue: OperationQueue,
  backend: StoreBackend,
  options: Pick<ConsumeOptions<OutcomeEvent>, "now" | "log" | "holder" | "outbox"> & {
    concurrency: number;
    providers: (budget: SubrequestBudget) => ConsumeOptions<OutcomeEvent>["providers"];
    /** The invocation's subrequest limit; default the platform's. */
    limit?: number;
  },
): Promise<{ report: ConsumeReport<OutcomeEvent>; budget: SubrequestBudget }> {
  const budget = subrequestBudget(options.limit);
  const report = await consumeOperations({
    messages: batch,
    queue,
    budget,
    store: createStore(countingBackend(backend, budget)),
    jobs: JOBS,
    providers: options.providers(budget),
    now: options.now,
    log: options.log,
    holder: options.holder,
    concurrency: options.concurrency,
    ...(options.outbox ? { outbox: true } : {}),
  });
  return { report, budget };
}
