// One racing process for sqlite.node.test.ts. Usage: node sqlite-race.child.ts FILE MODE COUNT ID
// Opens the store file, prints "ready", waits for a line on stdin so every process starts at
// once, fires COUNT concurrent operations of MODE (claim | increment | tally | append | append-keyed), and prints what it
// got as one JSON line.
import { sqliteBackend } from "../../../shared/store/sqlite.node.ts";

const [file, mode, countText, id] = process.argv.slice(2);
if (file === undefined || mode === undefined || countText === undefined || id === undefined) {
  throw new Error("usage: sqlite-race.child.ts FILE MODE COUNT ID");
}
const count = Number(countText);
const T0 = new Date("2026-11-22T20:00:00Z");

const backend = await sqliteBackend(file, { busyTimeoutMs: 30_000 });
process.stdout.write("ready\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
process.stdin.destroy();

const many = <T>(run: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: count }, (_, i) => run(i)));
let outcome: unknown;
if (mode === "claim") {
  const results = await many((i) =>
    backend.put(
      "race",
      "key",
      // The index entry is written with the claim: the winner's alone may be found there.
      { value: JSON.stringify({ id, i }), expiresAt: null, index: { name: "active", score: i } },
      { expectedVersion: null },
      T0,
    ),
  );
  // won: how many of this process's claims succeeded; first: the index of the first that did (-1: none).
  outcome = { won: results.filter((r) => r.ok).length, first: results.findIndex((r) => r.ok) };
} else if (mode === "increment") {
  outcome = { values: await many(() => backend.increment("fence:race")) };
} else if (mode === "tally") {
  // Every call adds to two tallies at once: the sums must come out whole, never one without the other.
  await many(() =>
    backend.addTallies([
      { name: "race:a", by: 1 },
      { name: "race:b", by: 2 },
    ]),
  );
  outcome = { added: count };
} else if (mode === "append") {
  outcome = {
    seqs: (
      await many((i) =>
        backend.append({ at: T0, operationId: id, target: "race", kind: "race.append", detail: { i } }),
      )
    ).map((e) => e.seq),
  };
} else if (mode === "append-keyed") {
  // Every process appends the same COUNT keys: each key must be stored once, whoever wins it.
  outcome = {
    seqs: (
      await many((i) =>
        backend.append({
          at: T0,
          operationId: "race",
          target: "race",
          kind: "race.append",
          detail: { id, i },
          key: `race:${i}`,
        }),
      )
    ).map((e) => e.seq),
  };
} else {
  throw new Error(`unknown mode ${mode}`);
}
await backend.close();
process.stdout.write(`${JSON.stringify(outcome)}\n`);
