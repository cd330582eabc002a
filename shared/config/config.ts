// Configuration comes from the environment only: process.env on Node, bindings and secrets on
// Workers. Cloud credentials are never read from files in schedules/. Every problem is reported
// with the variable's name and what is expected, all at once, and never with a secret's value.
import * as z from "zod";
import { LOG_LEVELS } from "../log/logger.ts";
import { closest, editDistance } from "../schedule/closest.ts";
import { base64, utf8 } from "../signer/encoding.ts";

export const VENDORS = ["huawei", "autopilot", "alibaba", "baidu"] as const;
export type AccountVendor = (typeof VENDORS)[number];

export interface Account {
  /** Lower-case id used by schedules, e.g. NIGHTSHIFT_ACCOUNT_PROD_HW_* → "prod-hw". */
  id: string;
  vendor: AccountVendor;
  accessKeyId: string;
  secretAccessKey: string;
  securityToken?: string;
  region: string;
  /** Huawei CCE and Autopilot address every API by project id. */
  projectId?: string;
  /** Overrides the public endpoint (private clouds, ASAPI gateways, the sandbox). */
  endpoint?: string;
  /** Alibaba through an Apsara Stack ASAPI gateway ("/roa"), Baidu's long form ("/api/cce/service/v2"). */
  pathPrefix?: string;
  /** Alibaba Apsara Stack: the organization (department) id the ASAPI gateway expects. */
  organizationId?: string;
  /** Alibaba: how requests are signed; unset, `alibabaSignature` decides. */
  signature?: AlibabaSignature;
}

/** The two Alibaba signing schemes: signature V3 (`ACS3-HMAC-SHA256`) and ROA (`acs <id>:<sig>`, HMAC-SHA1). */
export const ALIBABA_SIGNATURES = ["acs3", "roa"] as const;
export type AlibabaSignature = (typeof ALIBABA_SIGNATURES)[number];

/**
 * The scheme an Alibaba account signs with. Default: V3 (`acs3`) for the public cloud, the scheme
 * its API documents today and its current SDKs send; ROA for an Apsara Stack ASAPI account (one
 * with an organization id), because that gateway's document (digest §1-§2) describes ROA only.
 * An Apsara Stack POP gateway that predates V3 sets `roa` explicitly.
 */
export function alibabaSignature(account: Pick<Account, "signature" | "organizationId">): AlibabaSignature {
  return account.signature ?? (account.organizationId ? "roa" : "acs3");
}

/** Where the Node host keeps state. Workers always use the D1 binding `DB`. */
export type StoreConfig =
  | { kind: "memory" }
  | { kind: "sqlite"; path: string }
  | { kind: "redis"; url: string; prefix: string };

/** Outcome events to AWS EventBridge (NIGHTSHIFT_EVENTBRIDGE_*); absent when none is set. */
export interface EventBridgeConfig {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Name or ARN; omitted: the account's default bus. */
  bus?: string;
  /** A VPC endpoint, or a local one in tests. */
  endpoint?: string;
}

/** One key of the credential vault (NIGHTSHIFT_VAULT_KEYS): an id and 32 bytes, base64. */
export interface VaultKeySetting {
  id: string;
  /** base64 of the 256-bit AES key. Secret. */
  key: string;
}

/**
 * Who may post to the webhook routes (NIGHTSHIFT_WEBHOOK_*). A source with nothing configured is
 * off: its route answers 503 naming the variable to set. Lists hold several values during a rotation.
 */
export interface WebhookCredentials {
  /** Alertmanager cannot sign: `http_config.authorization` (bearer) or `basic_auth`. */
  alertmanager: { tokens: string[]; basic?: { username: string; passwords: string[] } };
  /** Standard Webhooks secrets (`whsec_…`) for POST /webhooks/events. */
  events: { secrets: string[] };
  /** The EventBridge connection's API-key authorization: its header name and accepted values. */
  eventbridge: { header: string; apiKeys: string[] };
}

/** The header an EventBridge connection's API-key authorization sends when none is configured. */
export const DEFAULT_EVENTBRIDGE_API_KEY_HEADER = "x-api-key";

export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface Config {
  logLevel: (typeof LOG_LEVELS)[number];
  /** LOG_FORMAT when set; otherwise the host decides (Node: text on a terminal, else JSON). */
  logFormat?: LogFormat;
  store: StoreConfig;
  /** Whether NIGHTSHIFT_STORE was set (the embedded sandbox keeps a fresh store of its own otherwise). */
  storeSet: boolean;
  /** Where the schedule files are (Node host). */
  schedulesDir: string;
  /** The only directory renewal's file sinks may write in (Node host); unset: file sinks are off. */
  fileSinkDir?: string;
  /** The embedded sandbox's speed (simulated seconds per real second) when no account is configured. */
  sandboxSpeed: number;
  port: number;
  host: string;
  tickSeconds: number;
  /** Whether NIGHTSHIFT_TICK_SECONDS was set (the embedded sandbox ticks faster by default). */
  tickSecondsSet: boolean;
  /** NIGHTSHIFT_PLANNER_LEASE_SECONDS when set (default: two ticks, shared/jobs/planner-lease.ts). */
  plannerLeaseSeconds?: number;
  adminToken?: string;
  /** The bearer token Prometheus scrapes GET /metrics with; unset: /metrics answers 503. */
  metricsToken?: string;
  /** Pre-action notices: the Standard Webhooks secrets, the link secret, the public address. */
  notices: { secrets: string[]; linkSecret?: string; publicUrl?: string };
  accounts: Account[];
  eventBridge?: EventBridgeConfig;
  /**
   * The credential vault's keys (NIGHTSHIFT_VAULT_KEYS), the first encrypts, any decrypts; empty
   * when unset (nothing can then be stored encrypted).
   */
  vaultKeys: VaultKeySetting[];
  webhooks: WebhookCredentials;
  /**
   * Standard Webhooks signing secrets by variable name: every variable whose value is one or more
   * comma-separated `whsec_` secrets. A renewal webhook sink names its variable (`secretRef`).
   */
  signingSecrets: Record<string, string[]>;
  /**
   * NIGHTSHIFT_* variables nothing reads (a typo, or another product's name), each with the
   * setting probably meant. Names only, never a value; the hosts log them at start-up.
   */
  warnings: ConfigIssue[];
}

export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], options?: { cause?: unknown }) {
    super(
      `invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join("\n")}`,
      options,
    );
    this.name = "ConfigError";
    this.issues = issues;
  }
}

const ACCOUNT_PREFIX = "NIGHTSHIFT_ACCOUNT_";

// Account settings, by variable suffix. Longest suffixes first so NAME_ACCESS_KEY_ID is not read
// as an account called NAME_ACCESS_KEY with a field ID.
const ACCOUNT_FIELDS = {
  SECRET_ACCESS_KEY: "secretAccessKey",
  ACCESS_KEY_ID: "accessKeyId",
  SECURITY_TOKEN: "securityToken",
  ORGANIZATION_ID: "organizationId",
  PATH_PREFIX: "pathPrefix",
  PROJECT_ID: "projectId",
  SIGNATURE: "signature",
  ENDPOINT: "endpoint",
  VENDOR: "vendor",
  REGION: "region",
} as const;
const ACCOUNT_SUFFIXES = Object.keys(ACCOUNT_FIELDS).sort((a, b) => b.length - a.length) as Array<
  keyof typeof ACCOUNT_FIELDS
>;

const nonEmpty = (what: string) => z.string().trim().min(1, `must not be empty; set it to ${what}`);

const accountSchema = z.object({
  vendor: z.enum(VENDORS, { message: `must be one of ${VENDORS.join(", ")}` }),
  accessKeyId: nonEmpty("the account's access key id"),
  secretAccessKey: nonEmpty("the account's secret access key (use a secret, not a plain variable)"),
  securityToken: z.string().min(1).optional(),
  region: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/, "must be a region id such as cn-north-4, cn-hangzhou or bj"),
  projectId: z
    .string()
    .regex(/^[0-9a-zA-Z-]{8,64}$/, "must be the project id (32 hex characters in Huawei Cloud)")
    .optional(),
  endpoint: z
    .url({
      protocol: /^https?$/,
      message: "must be an http(s) URL such as https://cce.cn-north-4.myhuaweicloud.com",
    })
    .optional(),
  pathPrefix: z
    .string()
    .regex(
      /^(\/[A-Za-z0-9._~-]+)+$/,
      'must be a path prefix such as /roa or /api/cce/service/v2 (no trailing "/")',
    )
    .optional(),
  organizationId: nonEmpty("the Apsara Stack organization id").optional(),
  signature: z
    .enum(ALIBABA_SIGNATURES, {
      message:
        "must be acs3 (signature V3, the public cloud's) or roa (Apsara Stack ASAPI / older POP gateways)",
    })
    .optional(),
});

const integer = (min: number, max: number, example: string) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number, e.g. ${example}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

const settingsSchema = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  LOG_FORMAT: z.enum(LOG_FORMATS, { message: `must be one of ${LOG_FORMATS.join(", ")}` }).optional(),
  PORT: integer(0, 65535, "8787 (0 picks a free port)").default(8787),
  HOST: z.string().min(1, "must be an interface address such as 127.0.0.1 or 0.0.0.0").default("127.0.0.1"),
  // 15 s: a waiting operation polls every 15 s, and a tick with nothing due costs only store reads.
  NIGHTSHIFT_TICK_SECONDS: integer(1, 3600, "15").default(15),
  NIGHTSHIFT_PLANNER_LEASE_SECONDS: integer(2, 7200, "30").optional(),
  NIGHTSHIFT_STORE: z
    .string()
    .regex(
      /^(memory|sqlite:.+|rediss?:\/\/.+)$/,
      "must be memory, sqlite:<file path> or redis://host:port[/db] (rediss:// for TLS)",
    )
    .default("sqlite:.nightshift/state.db"),
  NIGHTSHIFT_SCHEDULES_DIR: z.string().min(1).default("schedules"),
  NIGHTSHIFT_FILE_SINK_DIR: z
    .string()
    .refine(
      (dir) => dir.startsWith("/"),
      "must be an absolute directory, e.g. /var/lib/nightshift/kubeconfigs",
    )
    .optional(),
  NIGHTSHIFT_SANDBOX_SPEED: z
    .string()
    .regex(/^\d+(\.\d+)?$/, "must be a number of simulated seconds per real second, e.g. 600")
    .transform(Number)
    .default(600),
  NIGHTSHIFT_STORE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/, "must be 1-64 letters, digits, ':', '_' or '-'")
    .default("nightshift"),
  NIGHTSHIFT_NOTICE_SECRETS: z
    .string()
    .regex(
      /^whsec_[A-Za-z0-9+/=]+(,whsec_[A-Za-z0-9+/=]+)*$/,
      "must be one or more Standard Webhooks secrets, comma-separated: whsec_<base64>[,whsec_<base64>]",
    )
    .optional(),
  NIGHTSHIFT_LINK_SECRET: z
    .string()
    .min(32, "must be at least 32 characters; generate one with `openssl rand -hex 32`")
    .optional(),
  NIGHTSHIFT_PUBLIC_URL: z
    .url({
      protocol: /^https?$/,
      message: "must be the service's public http(s) address, e.g. https://nightshift.example.com",
    })
    .optional(),
  NIGHTSHIFT_ADMIN_TOKEN: z
    .string()
    .min(24, "must be at least 24 characters; generate one with `openssl rand -hex 24`")
    .optional(),
  NIGHTSHIFT_METRICS_TOKEN: z
    .string()
    .min(24, "must be at least 24 characters; generate one with `openssl rand -hex 24`")
    .optional(),
  NIGHTSHIFT_VAULT_KEYS: z.string().optional(),
});

/** Comma-separated shared secrets, each long enough not to be guessed. */
const secretList = (what: string) =>
  z
    .string()
    .transform((text) => text.split(",").map((part) => part.trim()))
    .refine(
      (parts) => parts.every((part) => part.length >= 24),
      `must be one or more ${what}, comma-separated, each at least 24 characters; generate one with \`openssl rand -hex 24\``,
    );

const webhookSchema = z.object({
  NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS: secretList("bearer tokens").optional(),
  NIGHTSHIFT_WEBHOOK_ALERTMANAGER_USERNAME: z
    .string()
    .regex(/^[^:\s]+$/, "must be a user name without spaces or colons, e.g. alertmanager")
    .optional(),
  NIGHTSHIFT_WEBHOOK_ALERTMANAGER_PASSWORDS: secretList("passwords").optional(),
  NIGHTSHIFT_WEBHOOK_EVENT_SECRETS: z
    .string()
    .regex(
      /^whsec_[A-Za-z0-9+/=]+(,whsec_[A-Za-z0-9+/=]+)*$/,
      "must be one or more Standard Webhooks secrets, comma-separated: whsec_<base64>[,whsec_<base64>]",
    )
    .optional(),
  NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEYS: secretList("API key values").optional(),
  NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be an HTTP header name, e.g. x-api-key")
    .optional(),
});

/** NIGHTSHIFT_WEBHOOK_*: who may post to /webhooks/*; problems are added to `issues`. */
function loadWebhookCredentials(env: Record<string, string>, issues: ConfigIssue[]): WebhookCredentials {
  const parsed = webhookSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      issues.push({ variable: String(issue.path[0]), message: issue.message });
  }
  const settings = parsed.success ? parsed.data : {};
  const username = settings.NIGHTSHIFT_WEBHOOK_ALERTMANAGER_USERNAME;
  const passwords = settings.NIGHTSHIFT_WEBHOOK_ALERTMANAGER_PASSWORDS;
  if (parsed.success && (username === undefined) !== (passwords === undefined)) {
    issues.push(
      username === undefined
        ? {
            variable: "NIGHTSHIFT_WEBHOOK_ALERTMANAGER_USERNAME",
            message:
              "is not set; basic auth needs both the user name and NIGHTSHIFT_WEBHOOK_ALERTMANAGER_PASSWORDS",
          }
        : {
            variable: "NIGHTSHIFT_WEBHOOK_ALERTMANAGER_PASSWORDS",
            message:
              "is not set; basic auth needs both NIGHTSHIFT_WEBHOOK_ALERTMANAGER_USERNAME and the passwords",
          },
    );
  }
  return {
    alertmanager: {
      tokens: settings.NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS ?? [],
      ...(username && passwords ? { basic: { username, passwords } } : {}),
    },
    events: { secrets: settings.NIGHTSHIFT_WEBHOOK_EVENT_SECRETS?.split(",") ?? [] },
    eventbridge: {
      header: (
        settings.NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEY_HEADER ?? DEFAULT_EVENTBRIDGE_API_KEY_HEADER
      ).toLowerCase(),
      apiKeys: settings.NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEYS ?? [],
    },
  };
}

export type Environment = Record<string, unknown>;

/** Reads and validates the configuration; throws ConfigError listing every problem found. */
export function loadConfig(env: Environment): Config {
  const issues: ConfigIssue[] = [];
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === "string" && value !== "") strings[name] = value;
  }

  const settings = settingsSchema.safeParse(strings);
  if (!settings.success) {
    for (const issue of settings.error.issues)
      issues.push({ variable: String(issue.path[0]), message: issue.message });
  }

  const accounts = loadAccounts(strings, issues);
  const eventBridge = loadEventBridge(env, issues);
  const webhooks = loadWebhookCredentials(strings, issues);
  if (settings.success) checkStore(settings.data.NIGHTSHIFT_STORE, issues);
  if (settings.success) checkPlannerLease(settings.data, issues);
  const vaultKeys = parseVaultKeys(strings.NIGHTSHIFT_VAULT_KEYS, issues);
  if (issues.length > 0 || !settings.success) throw new ConfigError(issues);
  const signingSecrets = signingSecretsOf(strings);
  const {
    LOG_LEVEL,
    PORT,
    HOST,
    NIGHTSHIFT_TICK_SECONDS,
    NIGHTSHIFT_ADMIN_TOKEN,
    NIGHTSHIFT_STORE,
    NIGHTSHIFT_STORE_PREFIX,
  } = settings.data;
  return {
    logLevel: LOG_LEVEL,
    ...(settings.data.LOG_FORMAT ? { logFormat: settings.data.LOG_FORMAT } : {}),
    store: parseStore(NIGHTSHIFT_STORE, NIGHTSHIFT_STORE_PREFIX),
    storeSet: strings.NIGHTSHIFT_STORE !== undefined,
    schedulesDir: settings.data.NIGHTSHIFT_SCHEDULES_DIR,
    ...(settings.data.NIGHTSHIFT_FILE_SINK_DIR
      ? { fileSinkDir: settings.data.NIGHTSHIFT_FILE_SINK_DIR }
      : {}),
    sandboxSpeed: settings.data.NIGHTSHIFT_SANDBOX_SPEED,
    port: PORT,
    host: HOST,
    tickSeconds: NIGHTSHIFT_TICK_SECONDS,
    tickSecondsSet: strings.NIGHTSHIFT_TICK_SECONDS !== undefined,
    ...(settings.data.NIGHTSHIFT_PLANNER_LEASE_SECONDS !== undefined
      ? { plannerLeaseSeconds: settings.data.NIGHTSHIFT_PLANNER_LEASE_SECONDS }
      : {}),
    ...(NIGHTSHIFT_ADMIN_TOKEN ? { adminToken: NIGHTSHIFT_ADMIN_TOKEN } : {}),
    ...(settings.data.NIGHTSHIFT_METRICS_TOKEN
      ? { metricsToken: settings.data.NIGHTSHIFT_METRICS_TOKEN }
      : {}),
    notices: {
      secrets: settings.data.NIGHTSHIFT_NOTICE_SECRETS?.split(",") ?? [],
      ...(settings.data.NIGHTSHIFT_LINK_SECRET ? { linkSecret: settings.data.NIGHTSHIFT_LINK_SECRET } : {}),
      ...(settings.data.NIGHTSHIFT_PUBLIC_URL
        ? { publicUrl: settings.data.NIGHTSHIFT_PUBLIC_URL.replace(/\/+$/, "") }
        : {}),
    },
    accounts,
    ...(eventBridge ? { eventBridge } : {}),
    vaultKeys,
    webhooks,
    signingSecrets,
    warnings: unreadVariables(Object.keys(strings), signingSecrets),
  };
}

/** The variables holding `whsec_` secrets (comma-separated for a rotation), by name. */
function signingSecretsOf(strings: Record<string, string>): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(strings)) {
    if (/^[A-Z][A-Z0-9_]*$/.test(name) && isSigningSecret(value))
      found[name] = value.split(",").map((item) => item.trim());
  }
  return found;
}

/** One or more comma-separated Standard Webhooks secrets (`whsec_<base64>`). */
function isSigningSecret(value: string): boolean {
  return value.split(",").every((item) => /^whsec_[A-Za-z0-9+/=]+$/.test(item.trim()));
}

const VAULT_KEYS = "NIGHTSHIFT_VAULT_KEYS";
const VAULT_KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const VAULT_FORMAT =
  "use <id>:<base64 of 32 random bytes>, comma-separated, the encrypting key first, e.g. k2:<key>,k1:<key>; generate a key with `openssl rand -base64 32`";

/**
 * NIGHTSHIFT_VAULT_KEYS = "k2:<base64>,k1:<base64>": the first key encrypts, every key decrypts,
 * so a new key goes first and the old one stays until the vault has moved its records over.
 * Messages name the key by id or position, never by value.
 */
function parseVaultKeys(value: string | undefined, issues: ConfigIssue[]): VaultKeySetting[] {
  if (value === undefined) return [];
  const keys: VaultKeySetting[] = [];
  const before = issues.length;
  value.split(",").forEach((item, index) => {
    const colon = item.indexOf(":");
    const id = colon === -1 ? "" : item.slice(0, colon).trim();
    const key = colon === -1 ? "" : item.slice(colon + 1).trim();
    const where = `key ${index + 1}${VAULT_KEY_ID.test(id) ? ` ("${id}")` : ""}`;
    if (!VAULT_KEY_ID.test(id)) {
      issues.push({
        variable: VAULT_KEYS,
        message: `${where} has no id of 1-32 letters, digits, "_" or "-" before its ":"; ${VAULT_FORMAT}`,
      });
      return;
    }
    if (keys.some((k) => k.id === id)) {
      issues.push({
        variable: VAULT_KEYS,
        message: `${where}: the id "${id}" is used twice; ids must be unique`,
      });
      return;
    }
    if (base64Length(key) !== 32) {
      issues.push({
        variable: VAULT_KEYS,
        message: `${where} is not base64 of exactly 32 bytes (an AES-256 key); ${VAULT_FORMAT}`,
      });
      return;
    }
    keys.push({ id, key });
  });
  return issues.length > before ? [] : keys;
}

/** The number of bytes a base64 text decodes to, or -1 when it is not base64. */
function base64Length(text: string): number {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return -1;
  try {
    return atob(text).length;
  } catch {
    return -1;
  }
}

/** The planner renews its lease once a tick: a lease no longer than a tick would lapse between renewals. */
function checkPlannerLease(
  settings: { NIGHTSHIFT_TICK_SECONDS: number; NIGHTSHIFT_PLANNER_LEASE_SECONDS?: number | undefined },
  issues: ConfigIssue[],
): void {
  const lease = settings.NIGHTSHIFT_PLANNER_LEASE_SECONDS;
  const tick = settings.NIGHTSHIFT_TICK_SECONDS;
  if (lease !== undefined && lease <= tick) {
    issues.push({
      variable: "NIGHTSHIFT_PLANNER_LEASE_SECONDS",
      message: `must be longer than NIGHTSHIFT_TICK_SECONDS (${tick}): the planner renews it once a tick; leave it unset for two ticks (${2 * tick})`,
    });
  }
}

const STORE_VARIABLE = "NIGHTSHIFT_STORE";

/** What can be known of the store from its spec alone: a Redis URL must parse, its db be a number. */
function checkStore(spec: string, issues: ConfigIssue[]): void {
  if (spec.startsWith("sqlite:")) {
    if (/[/\\]$/.test(spec)) {
      issues.push({
        variable: STORE_VARIABLE,
        message: `names a directory (${spec}); name a file in it, e.g. sqlite:${spec.slice(7)}nightshift.db`,
      });
    }
    return;
  }
  if (!/^rediss?:/.test(spec)) return;
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    issues.push({
      variable: STORE_VARIABLE,
      message:
        "is not a valid Redis URL; use redis://[user:password@]host:port[/db], e.g. redis://127.0.0.1:6379/0",
    });
    return;
  }
  if (!url.hostname) {
    issues.push({ variable: STORE_VARIABLE, message: "names no Redis host; use redis://host:port[/db]" });
  } else if (!/^(\/(\d+)?)?$/.test(url.pathname)) {
    issues.push({
      variable: STORE_VARIABLE,
      message: `the Redis database after the host must be a number, e.g. redis://${url.host}/0 (got "${url.pathname.slice(1)}")`,
    });
  }
}

const EVENTBRIDGE_ENV = {
  region: "NIGHTSHIFT_EVENTBRIDGE_REGION",
  accessKeyId: "NIGHTSHIFT_EVENTBRIDGE_ACCESS_KEY_ID",
  secretAccessKey: "NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY",
  bus: "NIGHTSHIFT_EVENTBRIDGE_BUS",
  endpoint: "NIGHTSHIFT_EVENTBRIDGE_ENDPOINT",
} as const;

/**
 * NIGHTSHIFT_EVENTBRIDGE_*: REGION, ACCESS_KEY_ID and SECRET_ACCESS_KEY go together; BUS (name or
 * ARN) and ENDPOINT are optional. Undefined when none is set; problems are added to `issues`.
 */
function loadEventBridge(
  env: Readonly<Record<string, unknown>>,
  issues: ConfigIssue[],
): EventBridgeConfig | undefined {
  const read = (name: string) => {
    const value = env[name];
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  const region = read(EVENTBRIDGE_ENV.region);
  const accessKeyId = read(EVENTBRIDGE_ENV.accessKeyId);
  const secretAccessKey = read(EVENTBRIDGE_ENV.secretAccessKey);
  const bus = read(EVENTBRIDGE_ENV.bus);
  const endpoint = read(EVENTBRIDGE_ENV.endpoint);
  if (!region && !accessKeyId && !secretAccessKey && !bus && !endpoint) return undefined;

  const before = issues.length;
  const together =
    "REGION, ACCESS_KEY_ID and SECRET_ACCESS_KEY go together; unset all NIGHTSHIFT_EVENTBRIDGE_* to turn events off";
  if (!region) issues.push({ variable: EVENTBRIDGE_ENV.region, message: `is not set (${together})` });
  else if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    issues.push({ variable: EVENTBRIDGE_ENV.region, message: "must be an AWS region such as eu-central-1" });
  }
  if (!accessKeyId)
    issues.push({ variable: EVENTBRIDGE_ENV.accessKeyId, message: `is not set (${together})` });
  if (!secretAccessKey) {
    issues.push({ variable: EVENTBRIDGE_ENV.secretAccessKey, message: `is not set (${together})` });
  }
  if (endpoint && !isHttpUrl(endpoint)) {
    issues.push({
      variable: EVENTBRIDGE_ENV.endpoint,
      message: "must be an http(s) URL such as https://vpce-0abc.events.eu-central-1.vpce.amazonaws.com",
    });
  }
  if (issues.length > before || !region || !accessKeyId || !secretAccessKey) return undefined;
  return { region, accessKeyId, secretAccessKey, ...(bus ? { bus } : {}), ...(endpoint ? { endpoint } : {}) };
}

/** Read by the Node host itself, not this loader (shared/http/transport.node.ts). */
export const EXTRA_CA_VARIABLE = "NIGHTSHIFT_EXTRA_CA_FILE";

const PREFIX = "NIGHTSHIFT_";

/** Every variable the hosts read, prefixed or not (accounts apart: NIGHTSHIFT_ACCOUNT_<NAME>_<FIELD>). */
const READ_VARIABLES: readonly string[] = [
  ...Object.keys(settingsSchema.shape),
  ...Object.keys(webhookSchema.shape),
  ...Object.values(EVENTBRIDGE_ENV),
  EXTRA_CA_VARIABLE,
];
const UNPREFIXED_VARIABLES = READ_VARIABLES.filter((name) => !name.startsWith(PREFIX));

/**
 * The NIGHTSHIFT_* variables nothing reads, with the setting probably meant: NIGHTSHIFT_PORT →
 * PORT, NIGHTSHIFT_ADMIN_TOKNE → NIGHTSHIFT_ADMIN_TOKEN. A variable holding `whsec_` secrets is
 * never named: a renewal sink's `secretRef` may point at it, and schedules are not read here.
 * (NIGHTSHIFT_ACCOUNT_* are checked, as errors, by loadAccounts.)
 */
function unreadVariables(names: readonly string[], signingSecrets: Record<string, string[]>): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  for (const variable of [...names].sort()) {
    if (!variable.startsWith(PREFIX) || variable.startsWith(ACCOUNT_PREFIX)) continue;
    if (READ_VARIABLES.includes(variable) || variable in signingSecrets) continue;
    const meant = closestVariable(variable);
    warnings.push({
      variable,
      message: `is not a setting nightshift reads, so it is ignored; ${meant ? `did you mean ${meant}?` : "see the Configuration section of the README for the settings"}`,
    });
  }
  return warnings;
}

/** The read variable nearest to `variable`, the NIGHTSHIFT_ prefix dropped for unprefixed ones (PORT). */
function closestVariable(variable: string): string | undefined {
  const bare = variable.slice(PREFIX.length);
  const candidates = [
    { word: variable, meant: closest(variable, READ_VARIABLES) },
    { word: bare, meant: closest(bare, UNPREFIXED_VARIABLES) },
    { word: variable, meant: accountVariableMisspelt(variable) },
  ].flatMap(({ word, meant }) => (meant ? [{ meant, distance: editDistance(word, meant) }] : []));
  candidates.sort((a, b) => a.distance - b.distance);
  return candidates[0]?.meant;
}

/** NIGHTSHIFT_ACOUNT_PROD_REGION → NIGHTSHIFT_ACCOUNT_PROD_REGION: the account prefix misspelt. */
function accountVariableMisspelt(variable: string): string | undefined {
  const underscore = variable.indexOf("_", PREFIX.length);
  if (underscore === -1) return undefined;
  const head = variable.slice(0, underscore + 1);
  if (editDistance(head, ACCOUNT_PREFIX) > 2) return undefined;
  const meant = `${ACCOUNT_PREFIX}${variable.slice(underscore + 1)}`;
  const rest = meant.slice(ACCOUNT_PREFIX.length);
  return ACCOUNT_SUFFIXES.some((s) => rest.endsWith(`_${s}`) && rest.length > s.length + 1)
    ? meant
    : undefined;
}

/**
 * The account variable nearest to NIGHTSHIFT_ACCOUNT_<rest>, whose field is unknown: every split
 * into <NAME>_<FIELD> is tried (names have underscores too), the closest field wins.
 */
function closestAccountVariable(rest: string): string | undefined {
  let best: { variable: string; distance: number } | undefined;
  for (let at = rest.indexOf("_"); at > 0; at = rest.indexOf("_", at + 1)) {
    const field = rest.slice(at + 1);
    const meant = closest(field, ACCOUNT_SUFFIXES);
    if (meant === undefined) continue;
    const distance = editDistance(field, meant);
    if (!best || distance < best.distance)
      best = { variable: `${ACCOUNT_PREFIX}${rest.slice(0, at)}_${meant}`, distance };
  }
  return best?.variable;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

function parseStore(spec: string, prefix: string): StoreConfig {
  if (spec === "memory") return { kind: "memory" };
  if (spec.startsWith("sqlite:")) return { kind: "sqlite", path: spec.slice("sqlite:".length) };
  return { kind: "redis", url: spec, prefix };
}

function loadAccounts(env: Record<string, string>, issues: ConfigIssue[]): Account[] {
  const raw = new Map<string, Record<string, string>>();
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(ACCOUNT_PREFIX)) continue;
    // A signing secret a schedule may name (secretRef), whatever its name; no account field holds one.
    if (isSigningSecret(value)) continue;
    const rest = variable.slice(ACCOUNT_PREFIX.length);
    const suffix = ACCOUNT_SUFFIXES.find((s) => rest.endsWith(`_${s}`) && rest.length > s.length + 1);
    if (!suffix) {
      const meant = closestAccountVariable(rest);
      issues.push({
        variable,
        message: `is not a known account setting; ${meant ? `did you mean ${meant}? ` : ""}use ${ACCOUNT_PREFIX}<NAME>_<${Object.keys(ACCOUNT_FIELDS).join("|")}>`,
      });
      continue;
    }
    const name = rest.slice(0, -(suffix.length + 1));
    if (!/^[A-Z0-9]+(_[A-Z0-9]+)*$/.test(name)) {
      issues.push({
        variable,
        message: "the account name must be upper-case letters, digits and single underscores",
      });
      continue;
    }
    const fields = raw.get(name) ?? {};
    fields[ACCOUNT_FIELDS[suffix]] = value;
    raw.set(name, fields);
  }

  const accounts: Account[] = [];
  for (const [name, fields] of [...raw].sort(([a], [b]) => a.localeCompare(b))) {
    const variableFor = (field: string) => {
      const suffix = Object.entries(ACCOUNT_FIELDS).find(([, f]) => f === field)?.[0] ?? field;
      return `${ACCOUNT_PREFIX}${name}_${suffix}`;
    };
    const parsed = accountSchema.safeParse(fields);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0]);
        const message = fields[field] === undefined ? "is required for every account" : issue.message;
        issues.push({ variable: variableFor(field), message });
      }
      continue;
    }
    const account = parsed.data;
    if ((account.vendor === "huawei" || account.vendor === "autopilot") && !account.projectId) {
      issues.push({
        variable: variableFor("projectId"),
        message: `is required for ${account.vendor} accounts`,
      });
      continue;
    }
    if (account.signature !== undefined && account.vendor !== "alibaba") {
      issues.push({
        variable: variableFor("signature"),
        message: `only applies to alibaba accounts (this one is ${account.vendor}); remove it`,
      });
      continue;
    }
    if (account.signature === "acs3" && account.organizationId) {
      issues.push({
        variable: variableFor("signature"),
        message:
          "the Apsara Stack ASAPI gateway (ORGANIZATION_ID is set) accepts ROA signatures only; set roa or remove it",
      });
      continue;
    }
    accounts.push({ id: name.toLowerCase().replaceAll("_", "-"), ...withoutUndefined(account) });
  }
  return accounts;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Every secret value in the configuration, for the logger to mask wherever it appears. */
export function configSecrets(config: Config): string[] {
  const secrets = config.accounts.flatMap((a) => [a.secretAccessKey, a.securityToken ?? ""]);
  if (config.adminToken) secrets.push(config.adminToken);
  if (config.metricsToken) secrets.push(config.metricsToken);
  secrets.push(...config.notices.secrets);
  if (config.notices.linkSecret) secrets.push(config.notices.linkSecret);
  if (config.eventBridge) secrets.push(config.eventBridge.secretAccessKey);
  secrets.push(...config.vaultKeys.map((k) => k.key));
  const { alertmanager, events, eventbridge } = config.webhooks;
  secrets.push(...alertmanager.tokens);
  for (const password of alertmanager.basic?.passwords ?? []) {
    // Also as the Authorization header carries it, should a header ever reach a log.
    secrets.push(password, base64(utf8(`${alertmanager.basic!.username}:${password}`)));
  }
  secrets.push(...events.secrets, ...eventbridge.apiKeys);
  secrets.push(...Object.values(config.signingSecrets ?? {}).flat());
  return secrets.filter((s) => s !== "");
}

/**
 * Every variable the hosts read (READ_VARIABLES, the one list; the documentation test checks the
 * docs against it). An account's are `NIGHTSHIFT_ACCOUNT_<NAME>_<FIELD>`.
 */
export const CONFIG_VARIABLES: {
  names: readonly string[];
  accountPrefix: string;
  accountFields: readonly string[];
} = {
  names: READ_VARIABLES,
  accountPrefix: ACCOUNT_PREFIX,
  accountFields: Object.keys(ACCOUNT_FIELDS),
};
