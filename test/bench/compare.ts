// `npm run bench:compare -- PREVIOUS.json CURRENT.json [--noise PERCENT]`: two records `npm run
// bench` wrote, compared as the bench compares its own run with --compare (on another machine, or
// long after both runs).
import { parseArgs } from "node:util";
import { BenchRecordError, compareRecords, runDifferences } from "./record.ts";
import { BenchOptionError, noiseOption, readRecord } from "./record-file.ts";
import { renderComparison } from "./report.ts";

const USAGE = "npm run bench:compare -- PREVIOUS.json CURRENT.json [--noise PERCENT]";

function args() {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      options: { noise: { type: "string" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new BenchOptionError(`${(error as Error).message}; usage: ${USAGE}`);
  }
}

try {
  const { values, positionals } = args();
  if (positionals.length !== 2) throw new BenchOptionError(`expected two records; usage: ${USAGE}`);
  const noise = noiseOption(values.noise as string | undefined, process.env);
  const [previous, current] = [readRecord(positionals[0]!), readRecord(positionals[1]!)];
  const comparison = compareRecords(previous, current, noise);
  for (const line of renderComparison(comparison, previous, current, runDifferences(previous, current)))
    console.log(line);
} catch (error) {
  if (!(error instanceof BenchRecordError || error instanceof BenchOptionError)) throw error;
  console.error(`npm run bench:compare: ${error.message}`);
  process.exitCode = 2;
}
