// One racing replica for shared/store/redis.node.test.ts, run as its own Node process:
//   node redis-race.worker.node.ts <url> <prefix> <claim|takeover|increment|tally|append-keyed> <count>
// It connects through its own client, prints "ready", waits for "go" on stdin (so every process
// fires at once), fires <count> concurrent operations and prints one JSON line with the outcome.
import { createInterface } from "node:readline";
import { redisBackend } from "../../../shared/store/redis.node.ts";

const [url, prefix, mode, countText] = process.argv.slice(2);
if (!url || !prefix || !mode || !countText) throw new Error("usage: <url> <prefix> <mode> <count>");
const count = Number(countText);
// Fixed instants: the parent seeds the "takeover" record to expire before NOW.
const NOW = new Date("2026-11-22T20:00:20Z");

const backend = await redisBackend({ url, prefix });
const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
for await (const line of lines) if (line.trim() === "go") break;
lines.close();

const ops = Array.from({ length: count }, (_, i) => {
  const value = JSON.stringify({ pid: process.pid, i });
  if (mode === "increment") return backend.increment("fence:race");
  // Two tallies in one call: the sums must come out whole, never one without the other.
  if (mode === "tally")
    return backend
      .addTallies([
        { name: "race:a", by: 1 },
        { name: "race:b", by: 2 },
      ])
      .then(() => 1);
  // Every process appends the same <count> keys: each must be stored once, whoever wins it.
  if (mode === "append-keyed") {
    const entry = {
      at: NOW,
      operationId: "race",
      target: "race",
      kind: "race.append",
      detail: { pid: process.pid, i },
    };
    return backend.append({ ...entry, key: `race:${i}` }).then((e) => e.seq);
  }
  const expiresAt = mode === "takeover" ? NOW.getTime() + 60_000 : null;
  // The index entry is written with the claim: the winner's alone may be found there.
  const index = { name: "active", score: i };
  return backend.put("race", "key", { value, expiresAt, index }, { expectedVersion: null }, NOW);
});
const results = await Promise.all(ops);
await backend.close();

if (mode === "increment" || mode === "tally" || mode === "append-keyed") {
  process.stdout.write(`${JSON.stringify({ values: results })}\n`);
} else {
  const puts = results.filter((r) => typeof r === "object");
  process.stdout.write(
    `${JSON.stringify({
      wins: puts.filter((r) => r.ok).map((r) => r.version),
      // A loser must be told who holds the key, never "absent".
      blindLosses: puts.filter((r) => !r.ok && r.current === undefined).length,
    })}\n`,
  );
}
