// The documentation a user reads is self-contained: every relative link in README.md, docs/ and
// schedules/ points at a file in this repository, and no page sends the reader outside it
// (a user of nightshift has only the repository).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ACCOUNT_RATE_VARIABLE } from "../functions/account-rate.workers.ts";
import { CONFIG_VARIABLES } from "../shared/config/config.ts";
import { formatScheduleFileError, parseScheduleFile } from "../shared/schedule/schedule-file.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function markdownFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith(".md") ? [path] : [];
  });
}

const PAGES = ["README.md", ...markdownFiles("docs"), ...markdownFiles("schedules")];

/** Relative link targets in a page: `[text](target)`, without #fragments; code is not a link. */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1]!.split("#")[0]!)
    .filter((target) => target !== "" && !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** Variables read besides the configuration's (which include the Node transport's CA file): the Worker's rate. */
const OTHER_VARIABLES = [ACCOUNT_RATE_VARIABLE];
const KNOWN = new Set([...CONFIG_VARIABLES.names, ...OTHER_VARIABLES]);
/** NIGHTSHIFT_ names the docs use that the user chooses: a renewal webhook sink's `secretRef`. */
const USER_NAMED = new Set(["NIGHTSHIFT_RENEWAL_WEBHOOK_SECRET"]);
/** Misspellings the README shows on purpose, as what the unread-variable warning catches. */
const MISSPELT_ON_PURPOSE = new Set([
  "NIGHTSHIFT_PORT",
  "NIGHTSHIFT_ADMIN_TOKNE",
  "NIGHTSHIFT_ACCOUNT_PROD_REGOIN",
]);

/**
 * Why a `NIGHTSHIFT_…` name in the docs is not one nightshift reads, or undefined when it is:
 * an exact variable, `NIGHTSHIFT_ACCOUNT_<NAME>_<FIELD>` (a placeholder or a real name and field),
 * or a prefix written with `*` or a trailing `_` (`NIGHTSHIFT_WEBHOOK_*`, `NIGHTSHIFT_ACCOUNT_PROD_HW_*`).
 */
function unknownVariable(name: string): string | undefined {
  if (MISSPELT_ON_PURPOSE.has(name)) return undefined;
  const { accountPrefix, accountFields } = CONFIG_VARIABLES;
  const prefix = /(?:_\*|_)$/.test(name) ? name.replace(/\*$/, "") : undefined;
  if (name.startsWith(accountPrefix)) {
    const rest = name.slice(accountPrefix.length);
    if (prefix !== undefined) return undefined; // NIGHTSHIFT_ACCOUNT_<NAME>_*, NIGHTSHIFT_ACCOUNT_PROD_HW_*
    const field = rest.startsWith("<NAME>_") ? rest.slice("<NAME>_".length) : rest;
    if (field === "<FIELD>" || accountFields.some((f) => field === f || field.endsWith(`_${f}`)))
      return undefined;
    return `${name}: not an account setting; the fields are ${accountFields.join(", ")}`;
  }
  if (prefix !== undefined)
    return [...KNOWN].some((known) => known.startsWith(prefix))
      ? undefined
      : `${name}: no variable starts with ${prefix}`;
  if (KNOWN.has(name) || USER_NAMED.has(name)) return undefined;
  return `${name}: shared/config/config.ts reads no such variable`;
}

const VARIABLE = /NIGHTSHIFT_(?:[A-Z0-9_*]|<NAME>|<FIELD>)*/g;

describe("documentation", () => {
  it("covers the brief, the vendor digests, the guides and the reference inside the repository", () => {
    expect(PAGES).toEqual(
      expect.arrayContaining([
        "docs/design.md",
        "docs/vendors/huawei-cce.md",
        "docs/deploy-cloudflare.md",
        "docs/self-host-node.md",
        "docs/events.md",
        "docs/troubleshooting.md",
        "docs/reference/schedules.md",
      ]),
    );
  });

  it("names only NIGHTSHIFT_ variables that nightshift reads", () => {
    const unknown = PAGES.flatMap((page) =>
      [...readFileSync(join(ROOT, page), "utf8").matchAll(VARIABLE)].flatMap(([name]) => {
        const problem = unknownVariable(name);
        return problem ? [`${page}: ${problem}`] : [];
      }),
    );
    expect(unknown).toEqual([]);
  });

  it("tells a misspelt or made-up variable from a real one", () => {
    expect(unknownVariable("NIGHTSHIFT_TICK_SECONDS")).toBeUndefined();
    expect(unknownVariable("NIGHTSHIFT_ACCOUNT_PROD_HW_SECRET_ACCESS_KEY")).toBeUndefined();
    expect(unknownVariable("NIGHTSHIFT_ACCOUNT_<NAME>_<FIELD>")).toBeUndefined();
    expect(unknownVariable("NIGHTSHIFT_WEBHOOK_*")).toBeUndefined();
    expect(unknownVariable("NIGHTSHIFT_TICK_SECOND")).toMatch(/reads no such variable/);
    expect(unknownVariable("NIGHTSHIFT_ACCOUNT_PROD_HW_SECRET_KEY")).toMatch(/not an account setting/);
    expect(unknownVariable("NIGHTSHIFT_TIMER_*")).toMatch(/no variable starts with NIGHTSHIFT_TIMER_/);
  });

  it("documents every variable nightshift reads, in the README or docs/", () => {
    const text = ["README.md", ...markdownFiles("docs")]
      .map((page) => readFileSync(join(ROOT, page), "utf8"))
      .join("\n");
    const undocumented = [...KNOWN].filter((name) => !new RegExp(`\\b${name}\\b`).test(text));
    expect(undocumented).toEqual([]);
    // An account's fields are documented by their suffix (the README's account table).
    const fields = CONFIG_VARIABLES.accountFields.filter(
      (field) => !new RegExp(`\`[^\`]*\\b${field}\\b[^\`]*\``).test(text),
    );
    expect(fields).toEqual([]);
  });

  it("shows only schedule, rule and renewal examples that validate", () => {
    // A complete document names itself; fragments (a key or two) are not checked, nor calendar files.
    const examples = PAGES.filter((page) => !page.startsWith("schedules/calendars/")).flatMap((page) =>
      [...readFileSync(join(ROOT, page), "utf8").matchAll(/```yaml\n([\s\S]*?)```/g)]
        .map((match) => match[1]!)
        .filter((yaml) => /^name:/m.test(yaml))
        .map((yaml) => ({ page, yaml })),
    );
    expect(examples.length).toBeGreaterThanOrEqual(3);
    const problems = examples.flatMap(({ page, yaml }) => {
      const parsed = parseScheduleFile(yaml, page);
      return "errors" in parsed ? parsed.errors.map(formatScheduleFileError) : [];
    });
    expect(problems).toEqual([]);
  });

  it.each(PAGES)("%s links only to files in the repository", (page) => {
    const text = readFileSync(join(ROOT, page), "utf8");
    const broken = relativeLinks(text).filter((target) => {
      const resolved = join(dirname(join(ROOT, page)), target);
      return relative(ROOT, resolved).startsWith("..") || !existsSync(resolved);
    });
    expect(broken).toEqual([]);
    // Plain-text mentions of paths outside the repository, e.g. `../shared/DESIGN.md`.
    expect(text.match(/`\.\.\/[^`]*`/g) ?? []).toEqual([]);
  });
});
