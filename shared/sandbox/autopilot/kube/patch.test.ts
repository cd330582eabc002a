import { describe, expect, it } from "vitest";
import { applyPatch, type Json, jsonPatch, mergePatch, PatchError, strategicMergePatch } from "./patch.ts";

// biome-ignore lint/suspicious/noExplicitAny: a fixture read back through several shapes
const doc: any = {
  spec: {
    replicas: 3,
    template: {
      spec: {
        containers: [
          { name: "web", image: "web:1", env: [{ name: "A", value: "1" }] },
          { name: "sidecar", image: "proxy:1" },
        ],
      },
    },
  },
  metadata: { labels: { app: "web", tier: "front" } },
};

describe("merge patch (RFC 7386)", () => {
  it("merges objects, deletes on null, replaces arrays", () => {
    expect(
      mergePatch(doc, {
        metadata: { labels: { tier: null, team: "x" } },
        spec: { template: { spec: { containers: [] } } },
      }),
    ).toEqual({
      ...doc,
      metadata: { labels: { app: "web", team: "x" } },
      spec: { ...doc.spec, template: { spec: { containers: [] } } },
    });
    expect(mergePatch({ a: 1 }, [1, 2])).toEqual([1, 2]);
  });
});

describe("strategic merge patch", () => {
  it("merges containers by name, deletes by $patch, keeps other lists whole", () => {
    const out = strategicMergePatch(doc, {
      spec: {
        template: {
          spec: {
            containers: [
              { name: "web", image: "web:2" },
              { name: "sidecar", $patch: "delete" },
              { name: "new", image: "n:1" },
            ],
          },
        },
      },
      "$setElementOrder/containers": [{ name: "web" }],
    } as never) as typeof doc;
    expect(out.spec.template.spec.containers).toEqual([
      { name: "web", image: "web:2", env: [{ name: "A", value: "1" }] },
      { name: "new", image: "n:1" },
    ]);
  });

  it("honours $patch: replace, $retainKeys and $deleteFromPrimitiveList", () => {
    expect(strategicMergePatch({ a: { x: 1, y: 2 } }, { a: { $patch: "replace", z: 3 } })).toEqual({
      a: { z: 3 },
    });
    expect(
      strategicMergePatch({ s: { type: "A", a: 1, b: 2 } }, { s: { $retainKeys: ["type", "b"], type: "B" } }),
    ).toEqual({
      s: { type: "B", b: 2 },
    });
    expect(strategicMergePatch({ f: ["a", "b", "c"] }, { "$deleteFromPrimitiveList/f": ["b"] })).toEqual({
      f: ["a", "c"],
    });
    expect(() => strategicMergePatch({}, { $patch: "sideways" })).toThrow(PatchError);
  });
});

describe("JSON patch (RFC 6902)", () => {
  const base: Json = { foo: ["bar", "baz"], "a/b": 1, "m~n": 2, q: { bar: 2 } };

  it.each([
    [[{ op: "add", path: "/foo/1", value: "qux" }], { ...base, foo: ["bar", "qux", "baz"] }],
    [[{ op: "add", path: "/foo/-", value: "end" }], { ...base, foo: ["bar", "baz", "end"] }],
    [[{ op: "remove", path: "/foo/0" }], { ...base, foo: ["baz"] }],
    [[{ op: "replace", path: "/a~1b", value: 9 }], { ...base, "a/b": 9 }],
    [[{ op: "move", from: "/q/bar", path: "/moved" }], { ...base, q: {}, moved: 2 }],
    [[{ op: "copy", from: "/m~0n", path: "/c" }], { ...base, c: 2 }],
    [[{ op: "test", path: "/q", value: { bar: 2 } }], base],
    [[{ op: "replace", path: "", value: 1 }], 1],
  ] as Array<[Json, Json]>)("%j", (ops, expected) => {
    expect(jsonPatch(base, ops)).toEqual(expected);
  });

  it("refuses what does not apply (422 stage) and what is not a patch (400 stage)", () => {
    const stage = (ops: unknown) => {
      try {
        jsonPatch(base, ops as Json);
      } catch (error) {
        return (error as PatchError).stage;
      }
      return "applied";
    };
    expect(stage([{ op: "test", path: "/foo/0", value: "nope" }])).toBe("apply");
    expect(stage([{ op: "remove", path: "/missing" }])).toBe("apply");
    expect(stage([{ op: "replace", path: "/missing", value: 1 }])).toBe("apply");
    expect(stage([{ op: "add", path: "/foo/5", value: 1 }])).toBe("apply");
    expect(stage([{ op: "move", from: "/q", path: "/q/inner" }])).toBe("apply");
    expect(stage([{ op: "jump", path: "/foo" }])).toBe("decode");
    expect(stage([{ op: "add", path: "foo", value: 1 }])).toBe("decode");
    expect(stage({ op: "add" })).toBe("decode");
    // A failed operation leaves the input as it was.
    expect(base).toEqual({ foo: ["bar", "baz"], "a/b": 1, "m~n": 2, q: { bar: 2 } });
  });

  it("reads the patch text by its media type", () => {
    expect(applyPatch("application/merge-patch+json", { a: 1 }, '{"b":2}')).toEqual({ a: 1, b: 2 });
    expect(() => applyPatch("application/json-patch+json", {}, "{not json")).toThrow("not valid JSON");
  });
});
