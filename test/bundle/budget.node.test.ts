// The Worker bundle's size budget, checked on every test run: the bundle as wrangler deploy builds
// it (test/bundle/build.ts), gzipped, and the modules that must never reach it.
import { describe, expect, it } from "vitest";
import {
  BUNDLE_BUDGET_GZIP_BYTES,
  BUNDLE_GOAL_GZIP_BYTES,
  buildWorkerBundle,
  largestInputs,
} from "./build.ts";

describe("the Worker bundle", () => {
  it("stays within issue 15's goal of 250 KiB gzipped and keeps Node-only modules out", async () => {
    const bundle = await buildWorkerBundle();
    // What reaches the output: a module the bundler read but shook out entirely (zod's locales,
    // re-exported by a namespace nothing materialises) costs nothing.
    const output = Object.values(bundle.metafile.outputs).find((o) => o.entryPoint);
    const inputs = Object.entries(output?.inputs ?? {})
      .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
      .map(([path]) => path);
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
    const largest = largestInputs(bundle.metafile, 8)
      .map((i) => `${i.input} ${kib(i.bytes)}`)
      .join(", ");
    expect(
      bundle.gzipBytes,
      `the Worker bundle is ${kib(bundle.gzipBytes)} gzipped, over its ${kib(BUNDLE_BUDGET_GZIP_BYTES)} budget; largest inputs: ${largest}`,
    ).toBeLessThanOrEqual(BUNDLE_BUDGET_GZIP_BYTES);
    expect(BUNDLE_BUDGET_GZIP_BYTES).toBeLessThanOrEqual(BUNDLE_GOAL_GZIP_BYTES);
    // Host-specific Node modules, the Node-only clients, the AWS SDK (replaced by our SigV4),
    // @peculiar/x509, its container and its ASN.1 schema layers (certificates and keys are read
    // with asn1js), and the schedule files' readers and their `yaml` (the schedules are compiled at
    // build time; kubeconfigs are read with js-yaml's smaller loader).
    const leaked = inputs.filter((path) =>
      /\.node\.ts$|node_modules\/(undici|redis|@redis|@aws-sdk|@smithy|@peculiar\/[^/]+|tsyringe|reflect-metadata|yaml)\/|node_modules\/zod\/v4\/locales\/(?!en\.js)|shared\/schedule\/(schedule-file|calendar-file)\.ts$/.test(
        path,
      ),
    );
    expect(leaked).toEqual([]);
  }, 60_000);
});
