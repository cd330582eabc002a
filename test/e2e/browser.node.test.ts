// Which browser the dashboard's tests drive: CHROMIUM_PATH when set, else the first of chromium,
// chromium-browser and google-chrome on PATH; nothing found is one message saying what to install.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CHROMIUM_PATH_VARIABLE, chromiumExecutable } from "./browser.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A directory holding executables (or plain files) with these names. */
function binDir(files: Record<string, { executable: boolean }>): string {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-browser-bin-"));
  dirs.push(dir);
  for (const [name, { executable }] of Object.entries(files)) {
    writeFileSync(join(dir, name), "#!/bin/sh\n");
    chmodSync(join(dir, name), executable ? 0o755 : 0o644);
  }
  return dir;
}

describe("chromiumExecutable", () => {
  it("takes the executable CHROMIUM_PATH names", () => {
    const dir = binDir({ "my-chrome": { executable: true } });
    expect(chromiumExecutable({ [CHROMIUM_PATH_VARIABLE]: join(dir, "my-chrome"), PATH: "" })).toBe(
      join(dir, "my-chrome"),
    );
  });

  it("refuses a CHROMIUM_PATH that is relative or not executable, naming the variable", () => {
    const dir = binDir({ "not-executable": { executable: false } });
    for (const value of ["chromium", join(dir, "not-executable"), join(dir, "missing")]) {
      expect(() => chromiumExecutable({ [CHROMIUM_PATH_VARIABLE]: value })).toThrow(
        `${CHROMIUM_PATH_VARIABLE}=${value} is not an executable file`,
      );
    }
  });

  it("finds chromium, then chromium-browser, then google-chrome on PATH, skipping non-executables", () => {
    const first = binDir({ chromium: { executable: false }, "google-chrome": { executable: true } });
    const second = binDir({ "chromium-browser": { executable: true } });
    const PATH = [first, second].join(delimiter);
    expect(chromiumExecutable({ PATH })).toBe(join(second, "chromium-browser"));
    expect(chromiumExecutable({ PATH: first })).toBe(join(first, "google-chrome"));
  });

  it("says what to install when there is none", () => {
    const empty = binDir({});
    expect(() => chromiumExecutable({ PATH: empty })).toThrow(
      /apt-get install -y chromium[\s\S]*CHROMIUM_PATH/,
    );
  });
});
