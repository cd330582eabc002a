// A parsed YAML document's plain value. `toJS` throws where parsing did not complain: an alias used
// before its anchor, or more aliases than `maxAliasCount` (a "billion laughs" document). Those
// become a problem at the alias's offset, so a config file with one gets a located message.
import { type Document, visit } from "yaml";

export type YamlValue = { ok: true; value: unknown } | { ok: false; offset: number; message: string };

export function yamlValue(document: Document, maxAliasCount = 100): YamlValue {
  try {
    return { ok: true, value: document.toJS({ maxAliasCount }) };
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0] ?? "";
    let offset = document.contents?.range?.[0] ?? 0;
    let unresolved = false;
    visit(document, {
      Alias(_, alias) {
        if (alias.resolve(document) !== undefined) return undefined;
        unresolved = true;
        offset = alias.range?.[0] ?? offset;
        return visit.BREAK;
      },
    });
    const fix = unresolved
      ? "set the anchor (&name) before any alias (*name) to it, or write the value out"
      : `use at most ${maxAliasCount} aliases, or write the values out`;
    return { ok: false, offset, message: `YAML: ${reason}; ${fix}` };
  }
}
