import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { WaitingFirstSequencer } from "./test/setup/sequencer.ts";

// Three projects, one suite:
//   *.test.ts          runtime-neutral: runs on Node AND inside workerd
//   *.node.test.ts     Node host only (processes, sockets, vendor SDK oracles)
//   *.workers.test.ts  Workers host only (bindings, the scheduled handler)
//   test/chaos/**/*.test.ts   the chaos suite (`npm run test:chaos`), on Node, one seed per
//                      run (test/chaos/seed.global.ts); also part of `npm test`
//   test/chaos/**/*.chaos.workers.test.ts   the chaos suite's Workers-host scenarios (project
//                      chaos-workers, inside workerd), in `npm run test:chaos` and `npm test` too
const sources = ["functions/**", "shared/**", "test/**"];
const under = (pattern: string) => sources.map((dir) => `${dir}/${pattern}`);
const CHAOS = "test/chaos/**";

export default defineConfig({
  test: {
    sequence: { sequencer: WaitingFirstSequencer },
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          // Two groups, one after the other (vitest runs a group's projects together and wants one
          // worker count per group): node and chaos, then workers and chaos-workers. In the first,
          // four files at a time on two cores: the few that mostly wait (test/setup/sequencer.ts)
          // start first, the rest compute beside the last of them. (Five at once was faster still,
          // but the real-time first run and the fail-fast start-ups missed their limits on a loaded
          // machine.)
          sequence: { groupOrder: 0 },
          maxWorkers: 4,
          include: under("*.test.ts"),
          exclude: [...under("*.workers.test.ts"), CHAOS],
          globalSetup: ["test/setup/sandbox-factory.global.ts"],
          testTimeout: 30_000,
          // One process runs many files (a fresh one per file cost ~1 s each): a test file leaves
          // no global state behind (env variables restored, no module mocks leaking; see README).
          isolate: false,
        },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: {
          name: "workers",
          sequence: { groupOrder: 1 },
          include: under("*.test.ts"),
          exclude: [...under("*.node.test.ts"), CHAOS],
          globalSetup: ["test/setup/sandbox-factory.global.ts"],
          testTimeout: 30_000,
          // One workerd runs many files (a fresh one per file cost ~2.6 s each). Storage is shared
          // by the files in it: each file starts from `emptiedD1()` (test/setup/d1.workers.ts),
          // and one file runs at a time (two workerds share the local D1, and their files collide).
          isolate: false,
          maxWorkers: 1,
        },
      },
      {
        test: {
          name: "chaos",
          environment: "node",
          sequence: { groupOrder: 0 },
          // Every test file under test/chaos/ (*.chaos.test.ts, and the fuzzers' *.node.test.ts).
          include: ["test/chaos/**/*.test.ts"],
          exclude: ["test/chaos/**/*.workers.test.ts"],
          maxWorkers: 4,
          globalSetup: ["test/setup/sandbox-factory.global.ts", "test/chaos/seed.global.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The chaos suite's Workers-host scenarios (test/chaos/**/*.chaos.workers.test.ts), inside
        // workerd like the workers project, with the same run seed.
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: {
          name: "chaos-workers",
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
          include: ["test/chaos/**/*.chaos.workers.test.ts"],
          globalSetup: ["test/setup/sandbox-factory.global.ts", "test/chaos/seed.global.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
