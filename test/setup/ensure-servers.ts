// `npm test` runs this first: the tests need real servers (test/setup/servers.ts). What is missing
// is installed where that can be done without asking anyone (root on a Debian/Ubuntu machine, as in
// CI); anywhere else the run stops here with one message saying exactly what to install, instead
// of failing half-way through the suite.
import { spawnSync } from "node:child_process";
import { installedCommand, installInstructions, isInstalled, REQUIRED_SERVERS } from "./servers.ts";

const missing = REQUIRED_SERVERS.filter((server) => installedCommand(server) === undefined);
if (missing.length > 0) {
  const commands = missing.map((server) => server.command).join(", ");
  const canApt = process.platform === "linux" && process.getuid?.() === 0 && isInstalled("apt-get");
  if (canApt) {
    const packages = missing.map((server) => server.packages.apt);
    process.stderr.write(`npm test: installing ${packages.join(", ")} (needed by the tests) with apt-get\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const run = (args: string[]) => spawnSync("apt-get", args, { stdio: "inherit", env }).status === 0;
    run(["update", "-qq"]);
    run(["install", "-y", "-qq", "--no-install-recommends", ...packages]);
  }
  const stillMissing = missing.filter((server) => installedCommand(server) === undefined);
  if (stillMissing.length > 0) {
    process.stderr.write(
      `npm test: ${commands} ${missing.length === 1 ? "is" : "are"} not installed; the tests run against real servers:\n` +
        stillMissing.map((server) => `  ${server.command}: ${server.neededBy}\n`).join("") +
        `${canApt ? "apt-get could not install it. " : ""}Install ${stillMissing.length === 1 ? "it" : "them"}, then run npm test again:\n` +
        `${installInstructions(stillMissing)}\n`,
    );
    process.exit(1);
  }
}
