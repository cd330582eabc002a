import { describe, expect, it } from "vitest";
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from "./selectors.ts";

const labels = { app: "web", tier: "front", "example.com/weight": "7" };

describe("labelSelector", () => {
  it.each([
    ["app=web", true],
    ["app==web", true],
    ["app!=web", false],
    ["app!=api", true],
    ["app in (api, web)", true],
    ["app notin (api,web)", false],
    ["tier,app=web", true],
    ["!tier", false],
    ["missing", false],
    ["!missing", true],
    ["missing!=x", true],
    ["missing notin (x)", true],
    ["example.com/weight>5", true],
    ["example.com/weight<5", false],
    ["app in (web),tier notin (back),!gone", true],
    ["", true],
  ])("%s → %s", (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it.each(["app in (a", "app=x y", "-bad=1", "app>x", "a,,b"])("refuses %s", (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(SelectorError);
  });
});

describe("fieldSelector", () => {
  const fields = { "metadata.name": "web", "metadata.namespace": "shop" };
  it("matches metadata.name and metadata.namespace with =, == and !=", () => {
    expect(matchesFields(parseFieldSelector("metadata.name=web"), fields)).toBe(true);
    expect(matchesFields(parseFieldSelector("metadata.name==api"), fields)).toBe(false);
    expect(matchesFields(parseFieldSelector("metadata.namespace!=shop"), fields)).toBe(false);
    expect(matchesFields(parseFieldSelector("metadata.namespace!=batch,metadata.name=web"), fields)).toBe(
      true,
    );
  });
  it("refuses other fields, naming the ones it has", () => {
    expect(() => parseFieldSelector("spec.replicas=1")).toThrow(
      "field label not supported: spec.replicas (the fields are metadata.name, metadata.namespace)",
    );
  });
});
