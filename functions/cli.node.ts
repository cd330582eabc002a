#!/usr/bin/env node
// `nightshift <verb>`: the process entry point (package.json "bin"); the command itself is
// cli-main.node.ts, on this process's environment and standard streams.
import { nightshift, processIo } from "./cli-main.node.ts";

nightshift(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
