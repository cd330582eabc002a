import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

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
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          // Projects whose worker counts differ run one after the other, in this order (vitest
          // refuses two in one group): node, workers, chaos, chaos-workers.
          sequence: { groupOrder: 0 },
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
          sequence: { groupOrder: 2 },
          // Every test file under test/chaos/ (*.chaos.test.ts, and the fuzzers' *.node.test.ts).
          include: ["test/chaos/**/*.test.ts"],
          exclude: ["test/chaos/**/*.workers.test.ts"],
          // The scenarios wait on injected timeouts and sockets as much as they compute: two at once.
          maxWorkers: 2,
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
          sequence: { groupOrder: 3 },
          include: ["test/chaos/**/*.chaos.workers.test.ts"],
          globalSetup: ["test/setup/sandbox-factory.global.ts", "test/chaos/seed.global.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
