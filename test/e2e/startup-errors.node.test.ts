// `nightshift start` with a configuration or start-up problem exits 1 within seconds, naming the
// variable and what is expected, with no cloud account (the embedded sandbox, which would keep the
// process alive) and with one. Spawned as a person runs it; nothing is reached over the network.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = new URL("../../functions/cli.node.ts", import.meta.url).pathname;
/** Exits well inside this (a loaded 2-core machine starts Node and the sandbox in ~1-2 s). */
const EXIT_WITHIN_MS = 8_000;

const ACCOUNT = {
  NIGHTSHIFT_ACCOUNT_QA_VENDOR: "huawei",
  NIGHTSHIFT_ACCOUNT_QA_ACCESS_KEY_ID: "AKIDEXAMPLE",
  NIGHTSHIFT_ACCOUNT_QA_SECRET_ACCESS_KEY: "secret-example-0123456789",
  NIGHTSHIFT_ACCOUNT_QA_REGION: "cn-north-4",
  NIGHTSHIFT_ACCOUNT_QA_PROJECT_ID: "0123456789abcdef0123456789abcdef",
  // Never contacted: every case fails before the first tick.
  NIGHTSHIFT_ACCOUNT_QA_ENDPOINT: "http://127.0.0.1:9",
};

function run(env: Record<string, string>) {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, "start"], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", NIGHTSHIFT_STORE: "memory", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), EXIT_WITHIN_MS);
  return once(child, "exit").then(([code]) => {
    clearTimeout(timer);
    return { code: code as number | null, ms: Date.now() - started, stdout, stderr };
  });
}

let dir: string;
let busy: ReturnType<typeof createServer>;
let busyPort: number;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nightshift-startup-"));
  await writeFile(join(dir, "not-a-ca.pem"), "this is not a certificate\n");
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

const cases: Array<{ name: string; env: () => Record<string, string>; expected: RegExp[] }> = [
  {
    name: "a directory as the SQLite store",
    env: () => ({ NIGHTSHIFT_STORE: `sqlite:${dir}` }),
    expected: [/NIGHTSHIFT_STORE: .* is a directory; name a file in it/],
  },
  {
    name: "the port already in use",
    env: () => ({ PORT: String(busyPort) }),
    expected: [/PORT: 127\.0\.0\.1:\d+ is already in use; set PORT to a free port/],
  },
  {
    name: "a missing extra CA file",
    env: () => ({ NIGHTSHIFT_EXTRA_CA_FILE: join(dir, "missing.pem") }),
    expected: [/NIGHTSHIFT_EXTRA_CA_FILE: cannot read the CA bundle at .*missing\.pem \(ENOENT\)/],
  },
  {
    name: "an extra CA file that holds no certificate",
    env: () => ({ NIGHTSHIFT_EXTRA_CA_FILE: join(dir, "not-a-ca.pem") }),
    expected: [/NIGHTSHIFT_EXTRA_CA_FILE: .*not-a-ca\.pem holds no PEM certificate/],
  },
  {
    name: "only the EventBridge region",
    env: () => ({ NIGHTSHIFT_EVENTBRIDGE_REGION: "eu-central-1" }),
    expected: [
      /NIGHTSHIFT_EVENTBRIDGE_ACCESS_KEY_ID: is not set/,
      /NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY: is not set/,
    ],
  },
  {
    name: "a Redis URL whose database is not a number",
    env: () => ({ NIGHTSHIFT_STORE: "redis://127.0.0.1:6379/abc" }),
    expected: [
      /NIGHTSHIFT_STORE: the Redis database after the host must be a number, e\.g\. redis:\/\/127\.0\.0\.1:6379\/0/,
    ],
  },
];

describe("nightshift start fails fast on a bad configuration", () => {
  for (const mode of ["no account (embedded sandbox)", "an account configured"] as const) {
    describe(mode, () => {
      for (const c of cases) {
        it(`exits 1 at once: ${c.name}`, { timeout: EXIT_WITHIN_MS + 5_000 }, async () => {
          const result = await run({ ...(mode === "an account configured" ? ACCOUNT : {}), ...c.env() });
          console.log(`start-up error, ${mode}, ${c.name}: exit ${result.code} after ${result.ms} ms`);
          expect(result.code, result.stderr).toBe(1);
          expect(result.ms).toBeLessThan(EXIT_WITHIN_MS);
          for (const pattern of c.expected) expect(result.stderr).toMatch(pattern);
          expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
        });
      }
    });
  }
});

/**
 * Starts `nightshift start` with an account (no sandbox) and JSON logs, and resolves with its first
 * warn record, or rejects if it starts without one. Stops the process either way.
 */
async function firstWarning(
  env: Record<string, string>,
): Promise<{ record: Record<string, unknown>; output: string }> {
  const child = spawn(process.execPath, [CLI, "start"], {
    env: {
      PATH: process.env.PATH ?? "",
      PORT: "0",
      NIGHTSHIFT_STORE: "memory",
      LOG_FORMAT: "json",
      ...ACCOUNT,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr.on("data", (d) => (output += d));
  try {
    const record = await new Promise<Record<string, unknown>>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        output += `${line}\n`;
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.level === "warn") resolve(record);
        if (record.msg === "nightshift started") reject(new Error("started without a warning"));
      });
    });
    return { record, output };
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
}

describe("nightshift start with no schedule", () => {
  it("warns naming the folder it looked in and how to add one", { timeout: 20_000 }, async () => {
    const empty = await mkdtemp(join(tmpdir(), "nightshift-no-schedules-"));
    const { record: warning } = await firstWarning({ NIGHTSHIFT_SCHEDULES_DIR: empty });
    expect(warning).toMatchObject({ msg: expect.stringMatching(/no schedules found/), dir: empty });
    expect(String(warning.hint)).toMatch(/add a schedule file \(\*\.yaml\) there/);
  });
});

describe("nightshift start with a variable it does not read", () => {
  it("warns naming it and the setting probably meant, never its value", { timeout: 20_000 }, async () => {
    const { record, output } = await firstWarning({ NIGHTSHIFT_PORT: "20999" });
    expect(record).toMatchObject({
      msg: "NIGHTSHIFT_PORT is not a setting nightshift reads, so it is ignored; did you mean PORT?",
      variable: "NIGHTSHIFT_PORT",
    });
    expect(output).not.toContain("20999");
  });
});
