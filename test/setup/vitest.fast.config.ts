// `npm run test:fast`: the developer tier, unit and contract tests on both runtimes (the node and
// workers projects of vitest.config.ts) without the files that start processes, browsers or
// long scenarios. `npm test` still runs everything, these included.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import full from "../../vitest.config.ts";

const SLOW = [
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
];

type Project = { test: { name: string; exclude?: string[] } };
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
        test: { ...project.test, exclude: [...(project.test.exclude ?? []), ...SLOW] },
      })),
  },
});
