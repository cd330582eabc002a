// The sandbox's Huawei IAM: token issuance (the documented request, answer and errors) and the
// gateway's credential check (token or AK/SK, with APIG's refusals).
import { beforeEach, describe, expect, it } from "vitest";
import { signHuawei } from "../signer/huawei.ts";
import {
  checkGatewayCredentials,
  createHuaweiIam,
  type HuaweiIam,
  type IamAccount,
  TOKEN_LIFETIME_MS,
} from "./huawei-iam.ts";

const START = Date.parse("2026-03-02T08:00:00.123Z");
const ACCOUNT: IamAccount = {
  name: "platform-dev",
  accessKeyId: "AKPLATFORMDEV0000001",
  secretAccessKey: "secret-of-platform-dev",
  projects: [
    { projectId: "0123456789abcdef0123456789abcdef", region: "cn-north-4" },
    { projectId: "fedcba9876543210fedcba9876543210", region: "cn-east-3" },
  ],
};

let now: number;
let iam: HuaweiIam;

beforeEach(() => {
  now = START;
  let counter = 0;
  iam = createHuaweiIam({
    now: () => now,
    randomBytes: (n) => new Uint8Array(n).map(() => counter++ & 0xff),
  });
});

function body(overrides: { password?: string; domain?: string; scope?: unknown } = {}) {
  return {
    auth: {
      identity: {
        methods: ["password"],
        password: {
          user: {
            name: "platform-dev",
            password: overrides.password ?? ACCOUNT.secretAccessKey,
            domain: { name: overrides.domain ?? "platform-dev" },
          },
        },
      },
      scope: overrides.scope ?? { project: { name: "cn-north-4" } },
    },
  };
}

/** The parts of IAM's answers these tests read (a success has `token`, a refusal `error`). */
interface IamAnswer {
  token: {
    user: { id: string };
    project: { name: string };
    catalog?: Array<{ endpoints: Array<Record<string, string>> }>;
  };
  error: { code: number; message: string; title: string };
}

async function issue(json: unknown, query = "") {
  const response = await iam.issueToken(
    new Request(`http://iam.sandbox.test/v3/auth/tokens${query}`, {
      method: "POST",
      headers: { "Content-Type": "application/json;charset=utf8" },
      body: typeof json === "string" ? json : JSON.stringify(json),
    }),
    [ACCOUNT],
  );
  return {
    status: response.status,
    token: response.headers.get("x-subject-token"),
    json: (await response.json()) as IamAnswer,
  };
}

describe("POST /v3/auth/tokens", () => {
  it("issues a project-scoped token for 24 hours, in X-Subject-Token, with the documented body", async () => {
    const answer = await issue(body());
    expect(answer.status).toBe(201);
    expect(answer.token).toMatch(/^[\w-]+\.[\w-]+$/);
    const token = answer.json.token;
    expect(token).toMatchObject({
      issued_at: "2026-03-02T08:00:00.123000Z",
      expires_at: "2026-03-03T08:00:00.123000Z",
      methods: ["password"],
      project: { id: ACCOUNT.projects[0]!.projectId, name: "cn-north-4", domain: { name: "platform-dev" } },
      user: { name: "platform-dev", domain: { name: "platform-dev" }, password_expires_at: "" },
    });
    expect(token.user.id).toMatch(/^[0-9a-f]{32}$/);
    expect(token.catalog![0]!.endpoints[0]).toMatchObject({
      region_id: "cn-north-4",
      url: "http://iam.sandbox.test",
    });
    expect((await issue(body(), "?nocatalog=true")).json.token.catalog).toBeUndefined();
  });

  it("scopes by project id as well as by name; two tokens differ", async () => {
    const byId = await issue(body({ scope: { project: { id: ACCOUNT.projects[1]!.projectId } } }));
    expect(byId.json.token.project.name).toBe("cn-east-3");
    expect(byId.token).not.toBe((await issue(body())).token);
  });

  it("refuses a wrong password or an unknown user with Keystone's 401", async () => {
    for (const wrong of [body({ password: "guess" }), body({ domain: "someone-else" })]) {
      expect(await issue(wrong)).toMatchObject({
        status: 401,
        token: null,
        json: { error: { code: 401, message: "The username or password is wrong.", title: "Unauthorized" } },
      });
    }
  });

  it("refuses a malformed request with a 400 naming the field", async () => {
    expect((await issue("{")).json.error).toMatchObject({ code: 400, title: "Bad Request" });
    const noDomain = body();
    delete (noDomain.auth.identity.password.user as { domain?: unknown }).domain;
    expect((await issue(noDomain)).json.error.message).toMatch(/^auth\.identity\.password\.user\.domain: /);
    const domainScope = await issue(body({ scope: { domain: { name: "platform-dev" } } }));
    expect(domainScope.json.error.message).toContain("project-scoped tokens only");
    const foreign = await issue(body({ scope: { project: { name: "ap-southeast-1" } } }));
    expect([foreign.status, foreign.json.error.message]).toEqual([
      400,
      expect.stringContaining("ap-southeast-1 is not a project of platform-dev"),
    ]);
  });
});

describe("the gateway's token check", () => {
  const issued = async () => (await issue(body())).token!;

  it("grants the account's key in the token's project until it expires, then APIG.0307", async () => {
    const token = await issued();
    expect(await iam.checkToken(token, now)).toEqual({
      accessKeyId: ACCOUNT.accessKeyId,
      projectId: ACCOUNT.projects[0]!.projectId,
      expiresAt: START + TOKEN_LIFETIME_MS,
    });
    expect(await iam.checkToken(token, START + TOKEN_LIFETIME_MS - 1)).toHaveProperty("accessKeyId");
    expect(await iam.checkToken(token, START + TOKEN_LIFETIME_MS)).toEqual({
      status: 401,
      code: "APIG.0307",
      message: "The token must be updated.",
    });
  });

  it("refuses a token this IAM did not issue (altered, foreign or garbage) with APIG.0301", async () => {
    const token = await issued();
    const [payload, mac] = token.split(".");
    const other = createHuaweiIam({ now: () => now });
    const foreign = (
      await other.issueToken(
        new Request("http://iam.sandbox.test/v3/auth/tokens", {
          method: "POST",
          body: JSON.stringify(body()),
        }),
        [ACCOUNT],
      )
    ).headers.get("x-subject-token")!;
    for (const bad of [`${payload}x.${mac}`, `${payload}.${mac}x`, foreign, "MIIE...", "", `${token}.x`]) {
      expect(await iam.checkToken(bad, now)).toMatchObject({
        code: "APIG.0301",
        message: "Incorrect IAM authentication information: decrypt token fail",
      });
    }
  });

  it("takes X-Auth-Token before a signature, and the AK/SK signature without one", async () => {
    const token = await issued();
    const url = `http://cce.sandbox.test/api/v3/projects/${ACCOUNT.projects[0]!.projectId}/clusters`;
    const options = {
      iam,
      secretOf: (ak: string) => (ak === ACCOUNT.accessKeyId ? ACCOUNT.secretAccessKey : undefined),
      signatureNow: new Date(now),
      tokenNow: now,
    };
    const viaToken = await checkGatewayCredentials(
      { method: "GET", url, headers: { "x-auth-token": token }, body: "" },
      options,
    );
    expect(viaToken).toEqual({
      ok: true,
      accessKeyId: ACCOUNT.accessKeyId,
      via: "token",
      projectId: ACCOUNT.projects[0]!.projectId,
    });
    // The account is gone (a new fleet was seeded): its tokens are no longer any good.
    const gone = await checkGatewayCredentials(
      { method: "GET", url, headers: { "x-auth-token": token }, body: "" },
      { ...options, secretOf: () => undefined },
    );
    expect(gone).toMatchObject({ ok: false, refusal: { code: "APIG.0301" } });

    const signed = await signHuawei({ method: "GET", url, headers: {} }, ACCOUNT, { now: new Date(now) });
    const lower = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(await checkGatewayCredentials({ method: "GET", url, headers: lower, body: "" }, options)).toEqual({
      ok: true,
      accessKeyId: ACCOUNT.accessKeyId,
      via: "aksk",
    });
    expect(
      await checkGatewayCredentials({ method: "GET", url, headers: lower, body: "{}" }, options),
    ).toMatchObject({ ok: false, refusal: { code: "APIG.0301", message: expect.stringContaining("aksk") } });
  });
});
