// The three JSON patch types the Kubernetes API server accepts on PATCH, applied to the object as
// the server renders it (plain JSON, no Go types):
//
//   application/merge-patch+json            RFC 7386: objects merge, null deletes, arrays replace.
//   application/strategic-merge-patch+json  merge patch, except lists whose Kubernetes type names a
//                                           merge key (containers, env, volumes, ports, …: the
//                                           MERGE_KEYS table, the keys of the served kinds) merge
//                                           element by element; `$patch: replace | delete` on a map
//                                           or list element, `$retainKeys` and
//                                           `$deleteFromPrimitiveList/<field>` as the API server
//                                           reads them; `$setElementOrder/<field>` (an order hint
//                                           kubectl apply sends) is read and ignored: the merged list
//                                           keeps the server's order, then the new elements.
//   application/json-patch+json             RFC 6902: add, remove, replace, move, copy, test on
//                                           RFC 6901 pointers.
//
// Every failure is a PatchError whose message says what is wrong and where; the API layer turns it
// into the Status the API server answers (400 for an unreadable patch, 422 for one that does not apply).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export const PATCH_TYPES = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
] as const;
export type PatchType = (typeof PATCH_TYPES)[number];

export class PatchError extends Error {
  /** "decode": the patch itself is malformed (400); "apply": it does not apply to the object (422). */
  readonly stage: "decode" | "apply";
  constructor(stage: "decode" | "apply", message: string) {
    super(message);
    this.stage = stage;
  }
}

const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === "object" && !Array.isArray(value);

const clone = <T extends Json>(value: T): T => structuredClone(value);

/** Applies a patch of `type` (its text as received) to `target`; `target` is not changed. */
export function applyPatch(type: PatchType, target: Json, text: string): Json {
  let patch: Json;
  try {
    patch = JSON.parse(text) as Json;
  } catch {
    throw new PatchError("decode", "the patch is not valid JSON");
  }
  switch (type) {
    case "application/merge-patch+json":
      return mergePatch(target, patch);
    case "application/strategic-merge-patch+json":
      if (!isObject(patch)) throw new PatchError("decode", "a strategic merge patch must be a JSON object");
      return strategicMergePatch(target, patch);
    case "application/json-patch+json":
      return jsonPatch(target, patch);
  }
}

// ---------------------------------------------------------------------------------------------
// RFC 7386

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key] ?? null, value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch

/**
 * Lists that merge by a key, by field name, as the Kubernetes types of Deployments and StatefulSets
 * declare them (`patchMergeKey`). Any other list is replaced whole, as merge patch does.
 */
export const MERGE_KEYS: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  env: "name",
  imagePullSecrets: "name",
  ports: "containerPort",
  hostAliases: "ip",
  topologySpreadConstraints: "topologyKey",
  volumeClaimTemplates: "name",
  conditions: "type",
  ownerReferences: "uid",
};

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const ORDER_PREFIX = "$setElementOrder/";
const DELETE_PRIMITIVE_PREFIX = "$deleteFromPrimitiveList/";

export function strategicMergePatch(target: Json, patch: JsonObject): Json {
  const directive = patch[DIRECTIVE];
  if (directive !== undefined) {
    if (directive === "replace") {
      const { [DIRECTIVE]: _, ...rest } = patch;
      return stripDirectives(rest);
    }
    if (directive === "delete") return null;
    throw new PatchError("decode", `unknown patch directive "${String(directive)}" (replace or delete)`);
  }
  const out: JsonObject = isObject(target) ? clone(target) : {};
  const retain = patch[RETAIN_KEYS];
  for (const [key, value] of Object.entries(patch)) {
    if (key === RETAIN_KEYS || key.startsWith(ORDER_PREFIX)) continue;
    if (key.startsWith(DELETE_PRIMITIVE_PREFIX)) {
      const field = key.slice(DELETE_PRIMITIVE_PREFIX.length);
      if (!Array.isArray(value)) throw new PatchError("decode", `${key} must be a list`);
      const current = out[field];
      if (Array.isArray(current)) {
        out[field] = current.filter((item) => !value.some((gone) => sameJson(gone, item)));
      }
      continue;
    }
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value)) {
      out[key] = mergeList(key, out[key], value);
    } else if (isObject(value)) {
      const merged = strategicMergePatch(out[key] ?? null, value);
      if (merged === null) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = value;
    }
  }
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === "string")) {
      throw new PatchError("decode", `${RETAIN_KEYS} must be a list of field names`);
    }
    for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  }
  return out;
}

function mergeList(field: string, current: Json | undefined, patch: Json[]): Json[] {
  const mergeKey = MERGE_KEYS[field];
  if (!mergeKey || !patch.every(isObject)) return stripDirectives(patch) as Json[];
  // `[{"$patch": "replace"}, …]`: the list becomes the other elements.
  if (patch.some((item) => (item as JsonObject)[DIRECTIVE] === "replace")) {
    return patch
      .filter((item) => (item as JsonObject)[DIRECTIVE] !== "replace")
      .map((item) => stripDirectives(item));
  }
  const out: Json[] = Array.isArray(current) ? clone(current) : [];
  for (const item of patch as JsonObject[]) {
    const key = item[mergeKey];
    if (key === undefined) {
      throw new PatchError(
        "apply",
        `an element of ${field} has no "${mergeKey}", the key its elements merge on`,
      );
    }
    const at = out.findIndex((existing) => isObject(existing) && sameJson(existing[mergeKey], key));
    if (item[DIRECTIVE] === "delete") {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = strategicMergePatch(out[at]!, item);
    else out.push(stripDirectives(item));
  }
  return out;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(ORDER_PREFIX)) continue;
    if (key.startsWith(DELETE_PRIMITIVE_PREFIX)) continue;
    if (item !== null) out[key] = stripDirectives(item);
  }
  return out;
}

function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || a === undefined || b === undefined) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameJson(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => key in b && sameJson(a[key], b[key]));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// RFC 6902 on RFC 6901 pointers

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(pointer: string, field: string, index: number): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) {
    throw new PatchError(
      "decode",
      `operation ${index}: ${field} "${pointer}" is not a JSON pointer (it starts with /)`,
    );
  }
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function decodeOperations(patch: Json): Operation[] {
  if (!Array.isArray(patch)) throw new PatchError("decode", "a JSON patch must be a list of operations");
  return patch.map((raw, i) => {
    if (!isObject(raw)) throw new PatchError("decode", `operation ${i} is not an object`);
    const { op, path, from } = raw;
    if (typeof op !== "string") throw new PatchError("decode", `operation ${i} has no "op"`);
    if (!["add", "remove", "replace", "move", "copy", "test"].includes(op)) {
      throw new PatchError("decode", `operation ${i}: unknown op "${op}"`);
    }
    if (typeof path !== "string") throw new PatchError("decode", `operation ${i} (${op}) has no "path"`);
    if ((op === "move" || op === "copy") && typeof from !== "string") {
      throw new PatchError("decode", `operation ${i} (${op}) has no "from"`);
    }
    if ((op === "add" || op === "replace" || op === "test") && !("value" in raw)) {
      throw new PatchError("decode", `operation ${i} (${op}) has no "value"`);
    }
    return raw as unknown as Operation;
  });
}

/** The array index a token names (`-` is one past the end when `append`); undefined when it is none. */
function arrayIndex(token: string, length: number, append: boolean): number | undefined {
  if (append && token === "-") return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
  const index = Number(token);
  return index <= (append ? length : length - 1) ? index : undefined;
}

export function jsonPatch(target: Json, patch: Json): Json {
  const operations = decodeOperations(patch);
  // The document is wrapped so that the root is a member like any other.
  const root: { doc: Json } = { doc: clone(target) };

  const parentOf = (tokens: string[], what: string): { container: Json; last: string } => {
    let node: Json = root.doc;
    for (const token of tokens.slice(0, -1)) {
      if (Array.isArray(node)) {
        const i = arrayIndex(token, node.length, false);
        if (i === undefined) throw new PatchError("apply", `${what}: no element ${token}`);
        node = node[i]!;
      } else if (isObject(node) && token in node) {
        node = node[token]!;
      } else {
        throw new PatchError("apply", `${what}: no member "${token}"`);
      }
    }
    return { container: node, last: tokens[tokens.length - 1]! };
  };

  const get = (tokens: string[], what: string): Json => {
    if (tokens.length === 0) return root.doc;
    const { container, last } = parentOf(tokens, what);
    if (Array.isArray(container)) {
      const i = arrayIndex(last, container.length, false);
      if (i === undefined) throw new PatchError("apply", `${what}: no element ${last}`);
      return container[i]!;
    }
    if (isObject(container) && last in container) return container[last]!;
    throw new PatchError("apply", `${what}: no member "${last}"`);
  };

  const remove = (tokens: string[], what: string): Json => {
    if (tokens.length === 0) throw new PatchError("apply", `${what}: the whole document cannot be removed`);
    const value = get(tokens, what);
    const { container, last } = parentOf(tokens, what);
    if (Array.isArray(container)) container.splice(Number(last), 1);
    else delete (container as JsonObject)[last];
    return value;
  };

  const add = (tokens: string[], value: Json, what: string) => {
    if (tokens.length === 0) {
      root.doc = value;
      return;
    }
    const { container, last } = parentOf(tokens, what);
    if (Array.isArray(container)) {
      const i = arrayIndex(last, container.length, true);
      if (i === undefined) throw new PatchError("apply", `${what}: index ${last} is out of bounds`);
      container.splice(i, 0, value);
    } else if (isObject(container)) {
      container[last] = value;
    } else {
      throw new PatchError("apply", `${what}: the parent is neither an object nor a list`);
    }
  };

  operations.forEach((operation, index) => {
    const what = `operation ${index} (${operation.op} ${operation.path})`;
    const path = parsePointer(operation.path, "path", index);
    switch (operation.op) {
      case "add":
        add(path, clone(operation.value!), what);
        break;
      case "remove":
        remove(path, what);
        break;
      case "replace":
        get(path, what); // the target must exist
        if (path.length === 0) root.doc = clone(operation.value!);
        else {
          remove(path, what);
          add(path, clone(operation.value!), what);
        }
        break;
      case "move": {
        const from = parsePointer(operation.from!, "from", index);
        if (path.length > from.length && from.every((token, i) => path[i] === token)) {
          throw new PatchError("apply", `${what}: a value cannot be moved into one of its own children`);
        }
        add(path, remove(from, what), what);
        break;
      }
      case "copy":
        add(path, clone(get(parsePointer(operation.from!, "from", index), what)), what);
        break;
      case "test":
        if (!sameJson(get(path, what), operation.value!)) {
          throw new PatchError("apply", `${what}: testing value ${operation.path} failed`);
        }
        break;
    }
  });
  return root.doc;
}
