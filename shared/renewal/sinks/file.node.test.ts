import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sampleCredential } from "../testing.ts";
import { fileSink } from "./file.node.ts";
import type { CredentialDelivery } from "./sink.ts";

const now = new Date("2026-01-01T00:00:00Z");
const credential = await sampleCredential({ now, lifetimeMs: 86_400_000 });
const delivery = (kubeconfig = credential.kubeconfig): CredentialDelivery => ({
  id: "msg_1",
  target: "baidu:acct:bj:cce-1",
  certificate: credential.facts,
  kubeconfig,
});

let root: string;
let allowed: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "nightshift-file-sink-"));
  allowed = join(root, "allowed");
  await mkdir(allowed);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("file sink (Node)", () => {
  it("writes the kubeconfig with mode 0600 and leaves no temporary file", async () => {
    const sink = fileSink({ name: "local", path: "ci/kubeconfig.yaml", allowedDirectory: allowed });
    await mkdir(join(allowed, "ci"));
    await writeFile(join(allowed, "ci", "kubeconfig.yaml"), "old", { mode: 0o644 });
    const result = await sink.deliver(delivery());
    expect(result).toMatchObject({ ok: true });
    const file = join(allowed, "ci", "kubeconfig.yaml");
    expect(await readFile(file, "utf8")).toBe(credential.kubeconfig);
    expect((await lstat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(allowed, "ci"))).toEqual(["kubeconfig.yaml"]);
  });

  it("is atomic: a reader never sees part of a file", async () => {
    const sink = fileSink({ name: "local", path: "kubeconfig.yaml", allowedDirectory: allowed });
    const file = join(allowed, "kubeconfig.yaml");
    // Large versions, each one letter throughout, so any mix or cut is visible.
    const versions = ["a", "b", "c", "d"].map((letter) => letter.repeat(2_000_000));
    await sink.deliver(delivery(versions[0]));
    let stop = false;
    let reads = 0;
    const seen = new Set<string>();
    const reader = (async () => {
      while (!stop) {
        const content = await readFile(file, "utf8");
        reads++;
        const whole = versions.includes(content);
        seen.add(whole ? content[0]! : `partial:${content.length}`);
      }
    })();
    for (let round = 0; round < 12; round++) {
      expect(await sink.deliver(delivery(versions[round % versions.length]))).toMatchObject({ ok: true });
    }
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect([...seen].filter((s) => s.startsWith("partial"))).toEqual([]);
    expect(await readdir(allowed)).toEqual(["kubeconfig.yaml"]);
  });

  it("refuses a target that is a symlink and leaves the link's target alone", async () => {
    const elsewhere = join(root, "elsewhere.yaml");
    await writeFile(elsewhere, "untouched");
    await symlink(elsewhere, join(allowed, "kubeconfig.yaml"));
    const result = await fileSink({
      name: "local",
      path: "kubeconfig.yaml",
      allowedDirectory: allowed,
    }).deliver(delivery());
    expect(result).toMatchObject({ ok: false, reason: "rejected-path", retryable: false });
    expect(result.ok ? "" : result.message).toMatch(/is a symlink/);
    expect(await readFile(elsewhere, "utf8")).toBe("untouched");
  });

  it("refuses a path that leaves the allowed directory through a symlinked directory", async () => {
    await mkdir(join(root, "outside"));
    await symlink(join(root, "outside"), join(allowed, "escape"));
    const result = await fileSink({
      name: "local",
      path: "escape/kubeconfig.yaml",
      allowedDirectory: allowed,
    }).deliver(delivery());
    expect(result).toMatchObject({ ok: false, reason: "rejected-path" });
    expect(await readdir(join(root, "outside"))).toEqual([]);
  });

  it("refuses a path outside the allowed directory when configured", () => {
    expect(() => fileSink({ name: "local", path: "../kubeconfig.yaml", allowedDirectory: allowed })).toThrow(
      /outside the allowed directory/,
    );
    expect(() => fileSink({ name: "local", path: "/etc/kubeconfig", allowedDirectory: allowed })).toThrow(
      /outside/,
    );
    expect(() => fileSink({ name: "local", path: "k.yaml", allowedDirectory: "relative/dir" })).toThrow(
      /absolute/,
    );
  });

  it("reports a missing directory without throwing", async () => {
    const result = await fileSink({
      name: "local",
      path: "missing/k.yaml",
      allowedDirectory: allowed,
    }).deliver(delivery());
    expect(result).toMatchObject({ ok: false, reason: "write-failed", retryable: true });
    expect(result.ok ? "" : result.message).toMatch(/ENOENT/);
  });
});
