// `nightshift renew <target>` as a user runs it: no cloud account (the built-in sandbox), a SQLite
// store in a temporary directory and the example renewal declaration
// (schedules/ack-dev-ci-kubeconfigs.yaml). The first renewal is a real process: it runs to its end
// there and stays in the store; a second run (the same command in this process, with its own
// runtime and sandbox) renews again and sees the first one's credential replaced.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findKeyMaterial } from "../shared/renewal/key-material.ts";
import { runCli, runCliInProcess } from "../test/setup/cli.node.ts";

const SLOW = { timeout: 120_000 };
const dir = mkdtempSync(join(tmpdir(), "nightshift-renew-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEYS = `k1:${btoa(String.fromCharCode(...new Array(32).fill(9)))}`;

const ENV = { NIGHTSHIFT_STORE: `sqlite:${join(dir, "state.db")}`, NIGHTSHIFT_VAULT_KEYS: KEYS };
const cli = (args: string[], env: Record<string, string> = {}) => runCliInProcess(args, { ...ENV, ...env });
const spawned = (args: string[]) => runCli(args, ENV);

describe("nightshift renew", () => {
  it(
    "renews the target now and prints the outcome; the next run replaces that credential",
    SLOW,
    async () => {
      const plan = await cli(["plan", "--json"], { NIGHTSHIFT_STORE: "memory" });
      const target = /"target": ?"(sandbox-alibaba-ack-dev\/[^"]+)"/.exec(plan.stdout)?.[1];
      expect(target).toBeDefined();
      const first = await spawned(["renew", target!]);
      expect(first.code).toBe(0);
      const outcome = JSON.parse(first.stdout);
      expect(outcome).toMatchObject({
        target,
        status: "succeeded",
        renewal: { declaration: "ack-dev-ci-kubeconfigs", lastRenewal: { reason: "forced" } },
      });
      expect(outcome.operationId).toMatch(/^renew:ack-dev-ci-kubeconfigs:forced-/);
      // Certificates end on whole seconds, and a renewal must end later than what it replaces: the
      // in-process run is fast enough to land in the first run's second, so it starts in the next.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const second = JSON.parse((await cli(["renew", target!])).stdout);
      expect(second.status).toBe("succeeded");
      // The store kept the first credential: the second replaced it with one that ends later (each
      // run starts its own sandbox, whose seeded CA repeats serials).
      expect(Date.parse(second.renewal.certificate.notAfter)).toBeGreaterThan(
        Date.parse(outcome.renewal.certificate.notAfter),
      );
      expect(second.renewal.lastRenewal.operationId).not.toBe(outcome.renewal.lastRenewal.operationId);
      expect(findKeyMaterial([first.stdout, first.stderr, second])).toEqual([]);
    },
  );

  it("refuses a target nobody declared, and a call without one", SLOW, async () => {
    const unknown = await cli(["renew", "nope/x"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no target "nope/x"');
    const none = await cli(["renew"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("name exactly one target");
  });
});
