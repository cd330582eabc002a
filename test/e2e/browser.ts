// A real browser for the dashboard's tests: the system's Chromium (Debian's `chromium`; `npm test`
// installs it, test/setup/servers.ts) driven by playwright-core, which never downloads a browser of
// its own. CHROMIUM_PATH names another executable (a Chrome for Testing build, macOS's
// /Applications/Chromium.app/Contents/MacOS/Chromium); otherwise the first of chromium,
// chromium-browser and google-chrome on PATH is used. And axe-core, injected into the page, for
// the accessibility checks.
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import axe from "axe-core";
import { type Browser, chromium, type Page } from "playwright-core";
import { installInstructions, REQUIRED_SERVERS } from "../setup/servers.ts";

/** Where the browser tests keep what a person looks at afterwards (screenshots); git-ignored, CI may upload it. */
export const ARTEFACTS = fileURLToPath(new URL("../../test-results/", import.meta.url));

/** The variable that names the browser executable, for machines where it is not on PATH. */
export const CHROMIUM_PATH_VARIABLE = "CHROMIUM_PATH";

const CHROMIUM = REQUIRED_SERVERS.find((server) => server.command === "chromium")!;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The browser executable's absolute path (playwright-core wants a path, not a command name). */
export function chromiumExecutable(env: Record<string, string | undefined> = process.env): string {
  const named = env[CHROMIUM_PATH_VARIABLE];
  if (named) {
    if (!isAbsolute(named) || !isExecutable(named)) {
      throw new Error(
        `${CHROMIUM_PATH_VARIABLE}=${named} is not an executable file; give the absolute path of a Chromium or Chrome executable, or unset it to use chromium from PATH`,
      );
    }
    return named;
  }
  const dirs = (env.PATH ?? "").split(delimiter).filter((dir) => dir !== "");
  for (const command of [CHROMIUM.command, ...(CHROMIUM.alternatives ?? [])]) {
    const found = dirs.map((dir) => join(dir, command)).find(isExecutable);
    if (found) return found;
  }
  throw new Error(
    `no Chromium found; it is needed by ${CHROMIUM.neededBy}. Install it:\n${installInstructions([CHROMIUM])}\n` +
      `or set ${CHROMIUM_PATH_VARIABLE} to the absolute path of a Chromium or Chrome executable.`,
  );
}

/** Bounds on every wait, so nothing hangs: a loaded 2-core machine starts Chromium in seconds. */
export const BROWSER_LAUNCH_TIMEOUT_MS = 30_000;
export const PAGE_TIMEOUT_MS = 10_000;

/**
 * Headless Chromium. `--no-sandbox`: Chromium's own sandbox refuses to run as root (as CI and
 * containers do) and needs user namespaces containers often lack; the browser only visits the
 * local service under test. `--disable-dev-shm-usage`: containers' /dev/shm is often 64 MB.
 */
export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({
    executablePath: chromiumExecutable(),
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    timeout: BROWSER_LAUNCH_TIMEOUT_MS,
  });
}

/** A new page in a context of its own (its own cookies), with the waits bounded. */
export async function newPage(browser: Browser, options: { baseURL: string }): Promise<Page> {
  // bypassCSP: the dashboard's Content-Security-Policy rightly refuses inline scripts; axe-core is
  // injected by the test, not served by the page.
  const context = await browser.newContext({
    baseURL: options.baseURL,
    bypassCSP: true,
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(PAGE_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(PAGE_TIMEOUT_MS);
  return await context.newPage();
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  /** The offending elements' selectors and axe's summary of what is wrong with each. */
  nodes: Array<{ target: string; summary: string }>;
}

/** axe-core's violations on the page as it is now (WCAG 2.x A and AA and axe's best practices). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: axe.source });
  return await page.evaluate(async () => {
    const run = (window as unknown as { axe: typeof axe }).axe.run;
    const results = await run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      resultTypes: ["violations"],
    });
    return results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact ?? null,
      help: violation.help,
      nodes: violation.nodes.map((node) => ({
        target: node.target.join(" "),
        summary: node.failureSummary ?? "",
      })),
    }));
  });
}
