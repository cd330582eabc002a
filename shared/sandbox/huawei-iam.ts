// Huawei IAM's token API as the sandbox serves it, and the check Huawei's API gateway makes of a
// request's credentials (an AK/SK signature or an IAM token), shared by the CCE and Autopilot clouds.
//
// `POST /v3/auth/tokens` (KeystoneCreateUserTokenByPassword; CCE 000 L1573-1620, Autopilot 001
// L592-L700, digests §1.3): password authentication with a project scope. The sandbox's IAM
// knows each sandbox account as a user and domain (account) of the account's name, whose password
// is the account's secret access key (a sandbox account has no other secret to give). 201 with the
// token in the `X-Subject-Token` header and the documented body; valid 24 hours ("Token的有效期为
// 24小时") on the simulated clock. IAM's errors are Keystone's `{"error": {code, message, title}}`.
// Only project-scoped tokens are issued: CCE and Autopilot need one, and a domain scope is refused
// with a 400 that says so (real IAM would issue a domain token that CCE then refuses).
//
// A token is self-contained, like IAM's own (a signed document, not a lookup key): what it grants
// and when it expires, MACed with a key this sandbox process draws at start. So the gateway can
// always tell an expired token (APIG.0307) from one it never issued (APIG.0301), nothing is kept
// per token, and a token does not outlive the process that issued it.
import * as z from "zod";
import { timingSafeEqual } from "../signer/compare.ts";
import { hmac, sha256Hex } from "../signer/digest.ts";
import { type Bytes, base64, fromBase64, utf8 } from "../signer/encoding.ts";
import { verifyHuawei } from "../signer/huawei.ts";
import { APIG, type ApigRefusal } from "./apig.ts";

export const TOKEN_PATH = "/v3/auth/tokens";
export const TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** How to get a token, for the description `nightshift sandbox` prints. */
export const IAM_DESCRIPTION = {
  tokens: `POST ${TOKEN_PATH}`,
  user: "the project's account (also its domain name)",
  password: "the account's secret access key",
  scope: "auth.scope.project.name (the region) or .id",
  validHours: TOKEN_LIFETIME_MS / 3_600_000,
} as const;

/** A sandbox account as IAM sees it. */
export interface IamAccount {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The IAM user id when the cloud already has one (Autopilot's certificate CN); derived otherwise. */
  userId?: string;
  projects: ReadonlyArray<{ projectId: string; region: string }>;
}

/** What a valid token lets its bearer do: act as the account with this key, in this project. */
export interface TokenGrant {
  accessKeyId: string;
  projectId: string;
  expiresAt: number;
}

export interface HuaweiIam {
  /** `POST /v3/auth/tokens`. */
  issueToken(request: Request, accounts: readonly IamAccount[]): Promise<Response>;
  /** What `token` grants at `now`, or the gateway's refusal (not issued here: 0301; expired: 0307). */
  checkToken(token: string, now: number): Promise<TokenGrant | ApigRefusal>;
}

export interface HuaweiIamOptions {
  /** The simulated clock: tokens are issued and expire on it. */
  now: () => number;
  /** The MAC key's bytes (default: 32 from crypto.getRandomValues). */
  randomBytes?: (length: number) => Bytes;
}

const password = z.object({
  user: z.object({
    name: z.string().min(1, "must not be empty"),
    password: z.string().min(1, "must not be empty"),
    domain: z.object(
      { name: z.string().min(1, "must not be empty") },
      "give the account name as domain.name",
    ),
  }),
});

const tokenRequest = z.object({
  auth: z.object({
    identity: z.object({
      methods: z
        .array(z.string())
        .refine((methods) => methods.includes("password"), 'must include "password"'),
      password,
    }),
    scope: z
      .object({
        project: z
          .object({ name: z.string().min(1).optional(), id: z.string().min(1).optional() })
          .refine((p) => p.name !== undefined || p.id !== undefined, "give the project's name or id")
          .optional(),
        domain: z.unknown().optional(),
      })
      .refine((s) => s.project !== undefined, {
        message:
          "the sandbox issues project-scoped tokens only (CCE needs one): give auth.scope.project.name or .id",
      }),
  }),
});

type TokenClaims = { k: string; p: string; i: number; e: number; n: string };

const base64url = (bytes: Uint8Array) =>
  base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromBase64url = (text: string) =>
  fromBase64(
    text
      .replace(/-/g, "+")
      .replace(/_/g, "/")
      .padEnd(Math.ceil(text.length / 4) * 4, "="),
  );

/** IAM's times: ISO 8601 with microseconds, `2020-01-04T09:05:22.701000Z`. */
const iamTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

/** A stable 32-hex id for a name (user, domain, role ids the sandbox does not otherwise hold). */
const idOf = async (kind: string, name: string) => (await sha256Hex(`${kind}:${name}`)).slice(0, 32);

function keystoneError(status: 400 | 401, message: string): Response {
  const title = status === 400 ? "Bad Request" : "Unauthorized";
  return Response.json({ error: { code: status, message, title } }, { status });
}

export function createHuaweiIam(options: HuaweiIamOptions): HuaweiIam {
  const randomBytes =
    options.randomBytes ?? ((n: number): Bytes => crypto.getRandomValues(new Uint8Array(n)));
  const key = randomBytes(32);
  const mac = async (payload: string) => base64url(await hmac("SHA-256", key, payload));

  return {
    async issueToken(request, accounts) {
      let json: unknown;
      try {
        json = JSON.parse(await request.text());
      } catch {
        return keystoneError(400, "the request body is not a JSON document");
      }
      const parsed = tokenRequest.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        return keystoneError(400, `${issue.path.join(".") || "(body)"}: ${issue.message}`);
      }
      const { identity, scope } = parsed.data.auth;
      const user = identity.password.user;
      const account = accounts.find((a) => a.name === user.name && a.name === user.domain.name);
      if (!account || !timingSafeEqual(user.password, account.secretAccessKey)) {
        return keystoneError(401, "The username or password is wrong.");
      }
      const wanted = scope.project!;
      const project = account.projects.find((p) =>
        wanted.id !== undefined ? p.projectId === wanted.id : p.region === wanted.name,
      );
      if (!project) {
        return keystoneError(
          400,
          `auth.scope.project: ${wanted.id ?? wanted.name} is not a project of ${account.name} (its projects: ${account.projects.map((p) => `${p.region} ${p.projectId}`).join(", ")})`,
        );
      }
      const issuedAt = options.now();
      const claims: TokenClaims = {
        k: account.accessKeyId,
        p: project.projectId,
        i: issuedAt,
        e: issuedAt + TOKEN_LIFETIME_MS,
        n: base64url(randomBytes(12)),
      };
      const payload = base64url(utf8(JSON.stringify(claims)));
      const token = `${payload}.${await mac(payload)}`;

      const domain = { id: await idOf("domain", account.name), name: account.name };
      const body: Record<string, unknown> = {
        expires_at: iamTime(claims.e),
        issued_at: iamTime(issuedAt),
        methods: ["password"],
        project: { domain, id: project.projectId, name: project.region },
        roles: [{ id: await idOf("role", "te_admin"), name: "te_admin" }],
        user: {
          domain,
          id: account.userId ?? (await idOf("user", account.name)),
          name: account.name,
          password_expires_at: "",
        },
      };
      const url = new URL(request.url);
      if (!url.searchParams.get("nocatalog")) {
        body.catalog = [
          {
            type: "cce",
            name: "cce",
            id: await idOf("service", "cce"),
            endpoints: [
              {
                id: await idOf("endpoint", `${project.region}:${url.origin}`),
                interface: "public",
                region: project.region,
                region_id: project.region,
                url: url.origin,
              },
            ],
          },
        ];
      }
      return Response.json({ token: body }, { status: 201, headers: { "X-Subject-Token": token } });
    },

    async checkToken(token, now) {
      const [payload, signature, extra] = token.trim().split(".");
      if (!payload || !signature || extra !== undefined || !timingSafeEqual(signature, await mac(payload))) {
        return APIG.badToken;
      }
      const claims = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as TokenClaims;
      if (now >= claims.e) return APIG.expiredToken;
      return { accessKeyId: claims.k, projectId: claims.p, expiresAt: claims.e };
    },
  };
}

/** Who a request to a Huawei gateway is, by the credentials it carries, or the gateway's refusal. */
export type GatewayCredentials =
  | { ok: true; accessKeyId: string; via: "aksk" }
  | { ok: true; accessKeyId: string; via: "token"; projectId: string }
  | { ok: false; refusal: ApigRefusal };

/**
 * The gateway's credential check: an `X-Auth-Token` is an IAM token (judged on the simulated clock,
 * like its expiry); otherwise the AK/SK signature over the body as received (judged on the
 * signature clock). A token of an account that no longer exists is one IAM never issued.
 */
export async function checkGatewayCredentials(
  request: { method: string; url: string; headers: Record<string, string>; body: string | Uint8Array },
  options: {
    iam: HuaweiIam;
    secretOf: (accessKeyId: string) => string | undefined;
    signatureNow: Date;
    tokenNow: number;
  },
): Promise<GatewayCredentials> {
  const token = request.headers["x-auth-token"];
  if (token !== undefined) {
    const grant = await options.iam.checkToken(token, options.tokenNow);
    if ("code" in grant) return { ok: false, refusal: grant };
    if (options.secretOf(grant.accessKeyId) === undefined) return { ok: false, refusal: APIG.badToken };
    return { ok: true, accessKeyId: grant.accessKeyId, via: "token", projectId: grant.projectId };
  }
  const verdict = await verifyHuawei(request, options.secretOf, { now: options.signatureNow });
  if (!verdict.ok) return { ok: false, refusal: APIG.badSignature };
  return { ok: true, accessKeyId: verdict.accessKeyId, via: "aksk" };
}
