// `npm run test:fast`: the developer tier, unit and contract tests on both runtimes (the node and
// workers projects of vitest.config.ts), needing nothing but `npm ci`: no process started, no
// server installed (redis-server, Chromium, Alertmanager, Prometheus, openssl), no browser, no long
// scenario. `npm test` still runs everything, these included.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import full from "../../vitest.config.ts";

const LEFT_OUT = [
  "test/e2e/**", // real service processes, browsers
  "test/bench/**", // figures, not checks of behaviour
  "test/chaos/**", // fault-injected scenarios and fuzzing (npm run test:chaos)
  "test/conformance/**", // vendor SDKs and a real Kubernetes client against the sandbox
  "test/oracle/**", // vendor SDKs as signing oracles, generated tables
  "test/bundle/**", // builds the Worker bundle
  "functions/cli.node.test.ts", // `nightshift start` and friends as real processes
  "functions/sandbox.node.test.ts", // `nightshift sandbox` as a real process
  "functions/plan-tick.node.test.ts", // plan/tick/validate end to end (one real process)
  "functions/renew.node.test.ts", // renew end to end (one real process)
  "functions/webhooks/guide-examples.node.test.ts", // the guide's bash, openssl and curl lines
  "shared/kubeconfig/openssl.node.test.ts", // the openssl command as an oracle
  "shared/store/sqlite-processes.node.test.ts", // four Node processes racing on one file
  // Workers scenarios at scale (the duplicate storm and the queue night stay, on the memory store
  // and through the queue): the cron's whole scheduled nights, 1,000 concurrent duplicates on D1,
  // 2,500 decisions in one cron invocation.
  "test/contract/night.workers.test.ts",
  "test/contract/resize-duplicates.workers.test.ts",
  "functions/cron.workers.test.ts",
  // A real redis-server (these three run their SQLite side in the same file; npm test runs both).
  "shared/store/redis.node.test.ts",
  "functions/ledger-causes.node.test.ts",
  "test/contract/resize-duplicates.node.test.ts",
];

type Project = { test: { name: string; exclude?: string[]; sequence?: object; maxWorkers?: number } };
const projects = (full.test?.projects ?? []) as Project[];

export default defineConfig({
  ...full,
  // The repository, as for vitest.config.ts: the include globs and wrangler.toml are read from it.
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    ...full.test,
    projects: projects
      .filter((project) => project.test.name === "node" || project.test.name === "workers")
      .map((project) => ({
        ...project,
        test: {
          ...project.test,
          exclude: [...(project.test.exclude ?? []), ...LEFT_OUT],
          // One group, both cores: what is left is computation, not waiting.
          sequence: { ...project.test.sequence, groupOrder: 0 },
          maxWorkers: 2,
        },
      })),
  },
});
