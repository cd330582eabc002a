// The documentation a user reads is self-contained: every relative link in README.md, docs/ and
// schedules/ points at a file in this repository, and no page sends the reader outside it
// (a user of nightshift has only the repository).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function markdownFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith(".md") ? [path] : [];
  });
}

const PAGES = ["README.md", ...markdownFiles("docs"), ...markdownFiles("schedules")];

/** Relative link targets in a page: `[text](target)`, without #fragments. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1]!.split("#")[0]!)
    .filter((target) => target !== "" && !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe("documentation", () => {
  it("covers the brief and the vendor digests inside the repository", () => {
    expect(PAGES).toEqual(expect.arrayContaining(["docs/design.md", "docs/vendors/huawei-cce.md"]));
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
