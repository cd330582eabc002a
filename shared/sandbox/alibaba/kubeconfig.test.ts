// The user kubeconfig carries a real X.509 client certificate with the requested validity, and the
// answer renders as JSON or XML as asked.
import { describe, expect, it } from "vitest";
import { parseKubeconfig } from "../../kubeconfig/kubeconfig.ts";
import { createSandboxCa } from "../ca.ts";
import { seededRandom } from "../clock.ts";
import { buildState, parseFleet } from "./fleet.ts";
import { chinaTime, chinaTimeNanos, utcSeconds } from "./ids.ts";
import { LONG_TERM_KUBECONFIG_DAYS, parseDurationMinutes, userKubeconfig } from "./kubeconfig.ts";
import { toXml, wantsJson } from "./render.ts";
import { AckError } from "./state.ts";

const T0 = Date.parse("2025-01-06T08:09:10.456Z");

describe("user kubeconfig", () => {
  it("has a client certificate valid exactly TemporaryDurationMinutes, or three years without it", async () => {
    const ca = await createSandboxCa({ now: new Date(T0), random: seededRandom(1) });
    const state = buildState(
      parseFleet({
        accounts: [
          { name: "a", accessKeyId: "LTAIa", secretAccessKey: "s", region: "r", uid: "1234567890123456" },
        ],
        clusters: [{ account: "a", region: "cn-hangzhou", name: "c", nodePools: [{ name: "p", size: 1 }] }],
      }),
      seededRandom(2),
      T0,
    );
    const cluster = state.clusters[0]!;
    const temporary = await userKubeconfig(ca, cluster, "1234567890123456", {
      now: T0,
      minutes: 90,
      privateIpAddress: false,
    });
    expect(temporary.expiration).toBe("2025-01-06T09:39:10Z");
    const parsed = parseKubeconfig(temporary.config).certificate;
    const { server } = parseKubeconfig(temporary.config);
    expect(parsed.notBefore.toISOString()).toBe("2025-01-06T08:09:10.000Z");
    expect(parsed.notAfter.getTime() - parsed.notBefore.getTime()).toBe(90 * 60_000);
    expect(server).toBe(`https://${cluster.publicIp}:6443`);
    expect(temporary.config).toContain('user: "1234567890123456"');

    const longTerm = await userKubeconfig(ca, cluster, "1234567890123456", {
      now: T0,
      minutes: undefined,
      privateIpAddress: true,
    });
    const parsedLong = {
      ...parseKubeconfig(longTerm.config).certificate,
      server: parseKubeconfig(longTerm.config).server,
    };
    expect(parsedLong.notAfter.getTime() - parsedLong.notBefore.getTime()).toBe(
      LONG_TERM_KUBECONFIG_DAYS * 86_400_000,
    );
    expect(parsedLong.server).toBe(`https://${cluster.intranetIp}:6443`);
  });

  it("accepts TemporaryDurationMinutes from 15 to 4320 only", () => {
    expect(parseDurationMinutes(undefined)).toBeUndefined();
    expect(parseDurationMinutes("15")).toBe(15);
    expect(parseDurationMinutes("4320")).toBe(4320);
    for (const bad of ["14", "4321", "60.5", "-20", "", "1e3"]) {
      expect(() => parseDurationMinutes(bad)).toThrow(AckError);
    }
  });
});

describe("answer format", () => {
  it("JSON only when Accept names application/json", () => {
    expect(wantsJson("application/json")).toBe(true);
    expect(wantsJson("application/xml, application/json;q=0.5")).toBe(true);
    expect(wantsJson("application/xml")).toBe(false);
    expect(wantsJson("*/*")).toBe(false);
    expect(wantsJson(undefined)).toBe(false);
  });

  it("renders arrays as repeated elements and escapes text", () => {
    expect(toXml("R", { a: [1, 2], b: { c: "x<y&z" }, d: null })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><R><a>1</a><a>2</a><b><c>x&#60;y&#38;z</c></b><d></d></R>',
    );
  });

  it("writes ACK's timestamp shapes", () => {
    expect(chinaTime(Date.parse("2020-08-20T02:51:29Z"))).toBe("2020-08-20T10:51:29+08:00");
    expect(chinaTimeNanos(Date.parse("2020-09-27T11:14:09.156Z"), 823496)).toBe(
      "2020-09-27T19:14:09.156823496+08:00",
    );
    expect(utcSeconds(Date.parse("2024-03-10T09:56:17.999Z"))).toBe("2024-03-10T09:56:17Z");
  });
});
