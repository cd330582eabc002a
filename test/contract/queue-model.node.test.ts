// The queue model the tests and the bench drive mirrors wrangler.toml's consumer: if the deployed
// settings change, the simulated ones must follow.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_QUEUE, OPERATIONS_QUEUE } from "../../shared/jobs/dispatch.ts";
import { WRANGLER_CONSUMER } from "./queue-model.ts";

describe("wrangler.toml's queues", () => {
  const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
  const consumers = toml.split("[[queues.consumers]]").slice(1);
  const setting = (block: string, key: string) =>
    block.match(new RegExp(`^${key} = (.+?)\\s*(#.*)?$`, "m"))?.[1];

  it("declare the producer, the consumer the model mirrors, and the dead-letter queue's consumer", () => {
    expect(toml).toMatch(
      new RegExp(`\\[\\[queues.producers\\]\\]\\nbinding = "OPERATIONS"\\nqueue = "${OPERATIONS_QUEUE}"`),
    );
    const main = consumers.find((c) => setting(c, "queue") === `"${OPERATIONS_QUEUE}"`)!;
    expect({
      maxBatchSize: Number(setting(main, "max_batch_size")),
      maxBatchTimeoutSeconds: Number(setting(main, "max_batch_timeout")),
      maxRetries: Number(setting(main, "max_retries")),
      maxConcurrency: Number(setting(main, "max_concurrency")),
    }).toEqual(WRANGLER_CONSUMER);
    expect(setting(main, "dead_letter_queue")).toBe(`"${DEAD_LETTER_QUEUE}"`);
    expect(consumers.some((c) => setting(c, "queue") === `"${DEAD_LETTER_QUEUE}"`)).toBe(true);
  });
});
