// The signed-event examples in docs/events.md, run as a user would paste them (the openssl + curl lines
// in bash, the Node script with node), against the real Node HTTP server and the resize function's
// accept: each is accepted, so the signature they compute is the one nightshift checks.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../shared/log/logger.ts";
import { memoryBackend } from "../../shared/store/memory.ts";
import { createStore, type Store } from "../../shared/store/store.ts";
import { serveOnLoopback, webhooksApp } from "../../test/setup/webhooks-server.node.ts";
import { createAcceptEvents } from "../resize/accept.ts";

const GUIDE = readFileSync(new URL("../../docs/events.md", import.meta.url), "utf8");
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const run = promisify(execFile);

/** The fenced block of `language` in the guide's section headed `heading`. */
function example(heading: string, language: string): string {
  const section = GUIDE.split(/^### /m).find((part) => part.startsWith(heading));
  const block = section?.match(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``))?.[1];
  if (!block) throw new Error(`docs/events.md has no ${language} example under "### ${heading}"`);
  return block;
}

let server: Awaited<ReturnType<typeof serveOnLoopback>>["server"];
let base: string;
let store: Store;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nightshift-readme-"));
  store = createStore(memoryBackend());
  const log = createLogger({ write: () => {} });
  const app = webhooksApp({
    log,
    store,
    webhooks: {
      alertmanager: { tokens: [] },
      events: { secrets: [SECRET] },
      eventbridge: { header: "x-api-key", apiKeys: [] },
    },
    // No rule: each accepted event is recorded, and the ledger says no rule matched it.
    accept: createAcceptEvents({ store, rules: [], accounts: new Map(), log }),
  });
  ({ server, base } = await serveOnLoopback(app.fetch));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe("docs/events.md: a signed event", () => {
  it("the openssl + curl lines are accepted", async () => {
    const script = example("A signed event", "sh")
      .replace("SECRET=whsec_...", `SECRET=${SECRET}`)
      .replaceAll("https://nightshift.example.com", base);
    const { stdout } = await run("bash", ["-euo", "pipefail", "-c", script]);
    const answer = JSON.parse(stdout) as { accepted: string[] };
    expect(answer.accepted).toHaveLength(1);
    const [entry] = await store.ledger.query({});
    expect(entry).toMatchObject({
      kind: "event.unmatched",
      detail: { event: { source: "events", id: answer.accepted[0], type: "nodepool.resize" } },
    });
  });

  it("the Node script is accepted", async () => {
    const file = join(dir, "send-event.mjs");
    writeFileSync(file, example("A signed event", "js"));
    const { stdout } = await run(process.execPath, [file, base], {
      env: { PATH: process.env.PATH ?? "", EVENT_SECRET: SECRET },
    });
    expect(stdout).toMatch(/^202 \{"accepted":\["msg_[0-9a-f-]{36}"\],"duplicates":\[\]\}/);
  });
});
