import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects, one suite:
//   *.test.ts          runtime-neutral: runs on Node AND inside workerd
//   *.node.test.ts     Node host only (processes, sockets, vendor SDK oracles)
//   *.workers.test.ts  Workers host only (bindings, the scheduled handler)
const sources = ["functions/**", "shared/**", "test/**"];
const under = (pattern: string) => sources.map((dir) => `${dir}/${pattern}`);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: under("*.test.ts"),
          exclude: under("*.workers.test.ts"),
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
          include: under("*.test.ts"),
          exclude: under("*.node.test.ts"),
          globalSetup: ["test/setup/sandbox-factory.global.ts"],
          testTimeout: 30_000,
          // One workerd runs many files (a fresh one per file cost ~2.6 s each). Storage is shared
          // by the files in it: each file starts from `emptiedD1()` (test/setup/d1.workers.ts),
          // and one file runs at a time (two workerds share the local D1, and their files collide).
          isolate: false,
          maxWorkers: 1,
        },
      },
    ],
  },
});
