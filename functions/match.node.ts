// `nightshift match [--format F] [--json]`: reads a sample payload on stdin and prints, per event,
// what each rule would do with it and why (no match and why, matched, clamped, in cooldown,
// asleep, dry run), deciding on the pools as the configured clouds (or, with no account, the
// built-in sandbox) and the store show them now. Nothing is changed.
import { parseArgs } from "node:util";
import type { InboundEvent } from "../shared/events/inbound.ts";
import { ProviderError } from "../shared/providers/port.ts";
import { loadCliConfig, type Out, openCliRuntime } from "./cli-runtime.node.ts";
import { configuredLogger } from "./compose.ts";
import { EVENT_FORMATS } from "./resize/event-formats.ts";
import { explainEvent, type Observe } from "./resize/explain.ts";
import { findPool, observePool } from "./resize/pool-steps.ts";

export const MATCH_USAGE = `Usage: nightshift match [--format F] [--json] < payload.json

Reads a sample payload on stdin and prints what each resize rule (schedules/, kind: resize) would
do with it, and why: no match (and which field did not), matched and the decision on the pool as
it is now (resize, clamped, cooldown, hysteresis, asleep, dry run). Nothing is changed.
  --format F  the payload's format, as the webhook route would read it: ${Object.keys(EVENT_FORMATS).join(", ")}
              alertmanager  Alertmanager's webhook payload (POST /webhooks/alertmanager), one event per alert
              events        a signed event's JSON body (POST /webhooks/events), {"type","data","timestamp"?}
              eventbridge   an EventBridge envelope (POST /webhooks/eventbridge), {"version","id","detail-type",...}
              inbound       (default) the normalised event, {"source","id","type","status"?,"labels","data",
                            "occurredAt","origin"}, or a list of them
  --json      one JSON object per event instead of text`;

export async function runMatch(args: readonly string[], stdin: string, out: Out): Promise<number> {
  let values: { format?: string; json?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: [...args],
      options: {
        format: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (error) {
    out.stderr(`nightshift match: ${(error as Error).message}\n\n${MATCH_USAGE}`);
    return 2;
  }
  if (values.help) {
    out.stdout(MATCH_USAGE);
    return 0;
  }
  const format = EVENT_FORMATS[values.format ?? "inbound"];
  if (!format) {
    out.stderr(
      `nightshift match: --format must be one of ${Object.keys(EVENT_FORMATS).join(", ")} (got "${values.format}")`,
    );
    return 2;
  }
  let body: unknown;
  try {
    body = JSON.parse(stdin);
  } catch (error) {
    out.stderr(`nightshift match: stdin is not JSON: ${(error as Error).message}`);
    return 2;
  }
  const parsed = await format(body, new Date());
  if ("error" in parsed) {
    out.stderr(`nightshift match: ${parsed.error}`);
    return 2;
  }

  const config = loadCliConfig(out);
  if (!config) return 1;
  const log = configuredLogger(config, { level: "warn", write: (line) => process.stderr.write(`${line}\n`) });
  const runtime = await openCliRuntime(config, log, out);
  if (!runtime) return 1;
  try {
    const now = runtime.cloudNow();
    const observe: Observe = async (target) => {
      const provider = runtime.tickDeps.providerFor(target.account);
      if (!provider) return { problem: `account "${target.account}" is not configured` };
      try {
        const hibernated =
          provider.capabilities.hibernate &&
          ["hibernated", "hibernating"].includes((await provider.getCluster(target.clusterId)).phase);
        const pool = findPool(await provider.listNodePools(target.clusterId), target.pool);
        if (!pool) return { problem: `cluster ${target.targetId} has no node pool "${target.pool}"` };
        return await observePool(runtime.store, target.targetId, pool, hibernated, now);
      } catch (error) {
        if (error instanceof ProviderError) return { problem: error.message };
        throw error;
      }
    };
    for (const event of parsed.events) {
      const explained = await explainEvent(event, runtime.rules, observe, now);
      if (values.json) {
        out.stdout(
          JSON.stringify({
            event: { source: event.source, id: event.id, type: event.type },
            rules: explained,
          }),
        );
        continue;
      }
      out.stdout(heading(event));
      if (explained.length === 0) out.stdout("  no rules are declared (schedules/, kind: resize)");
      for (const e of explained) out.stdout(`  ${e.rule}: ${e.outcome}: ${e.message}`);
    }
    return 0;
  } finally {
    await runtime.close();
  }
}

function heading(event: InboundEvent): string {
  return `${event.source} ${event.id} (${event.type}${event.status ? `, ${event.status}` : ""}):`;
}
