// Screenshots of the dashboard during the embedded demo, for notes and issues:
//
//   npm run demo:screenshot
//
// starts `nightshift start` as a newcomer does (no cloud account: the sandbox clouds at the demo's
// speed, its first night chosen to fall within a minute or so), with an admin token and a throw-away
// store, waits for the demo's first sleep to succeed, signs in with Chromium and keeps the fleet,
// then waits for the wake and keeps the fleet and the woken target's page with its ledger:
//
//   test-results/dashboard-demo-asleep.png   the fleet after the first sleep
//   test-results/dashboard-demo.png          the fleet after the wake
//   test-results/dashboard-demo-target.png   that target's page (details, operations, ledger)
//
// Every wait is bounded (DEMO_BUDGET_MS); it exits 1 with what it waited for when one runs out.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { stopChild } from "../setup/servers.ts";
import { ARTEFACTS, launchBrowser, newPage } from "./browser.ts";
import { DASHBOARD } from "./dashboard-expectations.ts";
import { startDashboardHost } from "./dashboard-host.ts";
import { getJson, pollUntil, tempDir } from "./processes.ts";

const TOKEN = "demo-screenshot-admin-token-0123456789";
/** The demo's night takes about a minute of real time at its speed; a loaded machine gets three. */
const DEMO_BUDGET_MS = 180_000;

interface ApiOperation {
  id: string;
  target: string;
  kind: string;
  status: string;
}

async function main(): Promise<void> {
  const deadline = Date.now() + DEMO_BUDGET_MS;
  const dir = tempDir("nightshift-demo-screenshot-");
  const host = await startDashboardHost({ token: TOKEN, dir, deadline });
  const browser = await launchBrowser();
  try {
    const succeeded = async () =>
      (
        await getJson<{ operations: ApiOperation[] }>(`${host.url}/api/operations?status=succeeded`, {
          Authorization: `Bearer ${TOKEN}`,
        })
      ).operations;
    let last: ApiOperation[] = [];
    const finished = (kind: string, target?: string) =>
      pollUntil(
        async () => {
          last = await succeeded();
          return last.find((op) => op.kind === kind && (target === undefined || op.target === target));
        },
        `a ${kind} to succeed${target ? ` on ${target}` : ""}`,
        deadline,
        () => JSON.stringify(last.map((op) => `${op.kind} ${op.target} ${op.status}`)),
      );

    const sleep = await finished("sleep");
    const page = await newPage(browser, { baseURL: host.url });
    await signIn(page);
    mkdirSync(ARTEFACTS, { recursive: true });
    const shots = {
      asleep: join(ARTEFACTS, "dashboard-demo-asleep.png"),
      fleet: join(ARTEFACTS, "dashboard-demo.png"),
      target: join(ARTEFACTS, "dashboard-demo-target.png"),
    };
    await page.screenshot({ path: shots.asleep, fullPage: true });

    await finished("wake", sleep.target);
    await page.goto(DASHBOARD.fleet);
    await page.getByRole("heading", { level: 1, name: "Fleet" }).waitFor();
    await page.screenshot({ path: shots.fleet, fullPage: true });
    await page.goto(DASHBOARD.target(sleep.target));
    await page.getByRole("heading", { level: 2, name: "Ledger" }).waitFor();
    await page.screenshot({ path: shots.target, fullPage: true });
    process.stdout.write(`${Object.values(shots).join("\n")}\n`);
  } finally {
    await browser.close();
    await stopChild(host.proc.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function signIn(page: Page): Promise<void> {
  await page.goto(DASHBOARD.login);
  const token = page.getByLabel("Admin token");
  await token.fill(TOKEN);
  await Promise.all([page.waitForURL((url) => url.pathname === DASHBOARD.fleet), token.press("Enter")]);
  await page.getByRole("heading", { level: 1, name: "Fleet" }).waitFor();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `demo screenshot failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
