import { describe, expect, it } from "vitest";
import { alibabaSignature, ConfigError, configSecrets, loadConfig } from "./config.ts";

const huawei = {
  NIGHTSHIFT_ACCOUNT_PROD_HW_VENDOR: "huawei",
  NIGHTSHIFT_ACCOUNT_PROD_HW_ACCESS_KEY_ID: "HWAKEXAMPLE",
  NIGHTSHIFT_ACCOUNT_PROD_HW_SECRET_ACCESS_KEY: "hw-secret-value-123456",
  NIGHTSHIFT_ACCOUNT_PROD_HW_REGION: "cn-north-4",
  NIGHTSHIFT_ACCOUNT_PROD_HW_PROJECT_ID: "0123456789abcdef0123456789abcdef",
};

function issuesOf(env: Record<string, unknown>) {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("has working defaults with nothing set", () => {
    expect(loadConfig({})).toEqual({
      logLevel: "info",
      store: { kind: "sqlite", path: ".nightshift/state.db" },
      storeSet: false,
      schedulesDir: "schedules",
      sandboxSpeed: 600,
      port: 8787,
      host: "127.0.0.1",
      tickSeconds: 15,
      tickSecondsSet: false,
      notices: { secrets: [] },
      accounts: [],
      vaultKeys: [],
      webhooks: {
        alertmanager: { tokens: [] },
        events: { secrets: [] },
        eventbridge: { header: "x-api-key", apiKeys: [] },
      },
      signingSecrets: {},
      warnings: [],
    });
  });

  it("keeps every variable holding whsec_ secrets by name (a renewal sink's secretRef) and masks them", () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const config = loadConfig({
      NIGHTSHIFT_RENEWAL_WEBHOOK_SECRET: `${secret},whsec_b2xkc2VjcmV0b2xkc2VjcmV0`,
      SOMETHING_ELSE: "not-a-secret",
    });
    expect(config.signingSecrets).toEqual({
      NIGHTSHIFT_RENEWAL_WEBHOOK_SECRET: [secret, "whsec_b2xkc2VjcmV0b2xkc2VjcmV0"],
    });
    expect(configSecrets(config)).toContain(secret);
  });

  it("reads the metrics token apart from the admin token, refuses a short one, and masks it", () => {
    const token = "metrics-token-0123456789abcdef";
    const config = loadConfig({ NIGHTSHIFT_METRICS_TOKEN: token });
    expect(config.metricsToken).toBe(token);
    expect(config.adminToken).toBeUndefined();
    expect(configSecrets(config)).toEqual([token]);
    expect(issuesOf({ NIGHTSHIFT_METRICS_TOKEN: "short" })).toEqual([
      {
        variable: "NIGHTSHIFT_METRICS_TOKEN",
        message: "must be at least 24 characters; generate one with `openssl rand -hex 24`",
      },
    ]);
  });

  it("reads the webhook credentials, several per source for rotation, and masks every one", () => {
    const token = (n: number) => `alertmanager-token-${n}-0123456789abcdef`;
    const password = "basic-password-0123456789abcdef";
    const key = "eventbridge-api-key-0123456789abcdef";
    const config = loadConfig({
      NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS: `${token(1)}, ${token(2)}`,
      NIGHTSHIFT_WEBHOOK_ALERTMANAGER_USERNAME: "alertmanager",
      NIGHTSHIFT_WEBHOOK_ALERTMANAGER_PASSWORDS: password,
      NIGHTSHIFT_WEBHOOK_EVENT_SECRETS: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_c2Vjb25kLXNlY3JldA==",
      NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEYS: key,
      NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEY_HEADER: "X-Nightshift-Key",
    });
    expect(config.webhooks).toEqual({
      alertmanager: {
        tokens: [token(1), token(2)],
        basic: { username: "alertmanager", passwords: [password] },
      },
      events: { secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2Vjb25kLXNlY3JldA=="] },
      eventbridge: { header: "x-nightshift-key", apiKeys: [key] },
    });
    const secrets = configSecrets(config);
    for (const secret of [token(1), token(2), password, key, ...config.webhooks.events.secrets])
      expect(secrets).toContain(secret);
    // The basic credentials also as the Authorization header carries them.
    expect(secrets).toContain(btoa(`alertmanager:${password}`));
  });

  it("refuses short or malformed webhook credentials, naming the variable and never the value", () => {
    const issues = issuesOf({
      NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS: "long-enough-token-0123456789abcdef,short",
      NIGHTSHIFT_WEBHOOK_ALERTMANAGER_PASSWORDS: "basic-password-0123456789abcdef",
      NIGHTSHIFT_WEBHOOK_EVENT_SECRETS: "not-a-whsec",
      NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEY_HEADER: "x api key",
    });
    const byVariable = Object.fromEntries(issues.map((i) => [i.variable, i.message]));
    expect(byVariable).toEqual({
      NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS: expect.stringMatching(/each at least 24 characters/),
      NIGHTSHIFT_WEBHOOK_EVENT_SECRETS: expect.stringMatching(/whsec_<base64>/),
      NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEY_HEADER: expect.stringMatching(/HTTP header name/),
    });
    expect(JSON.stringify(issues)).not.toContain("short");
    // Basic auth needs both halves (checked once the values themselves are well-formed).
    expect(
      issuesOf({ NIGHTSHIFT_WEBHOOK_ALERTMANAGER_PASSWORDS: "basic-password-0123456789abcdef" }),
    ).toEqual([
      {
        variable: "NIGHTSHIFT_WEBHOOK_ALERTMANAGER_USERNAME",
        message:
          "is not set; basic auth needs both the user name and NIGHTSHIFT_WEBHOOK_ALERTMANAGER_PASSWORDS",
      },
    ]);
  });

  it("reads the vault keys in order (the first encrypts), masks them, and names a bad one by id only", () => {
    const k2 = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i + 1)));
    const k1 = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => 200 - i)));
    const config = loadConfig({ NIGHTSHIFT_VAULT_KEYS: `k2:${k2}, k1:${k1}` });
    expect(config.vaultKeys).toEqual([
      { id: "k2", key: k2 },
      { id: "k1", key: k1 },
    ]);
    expect(configSecrets(config)).toEqual(expect.arrayContaining([k1, k2]));

    const short = btoa("sixteen bytes!!!");
    const issues = issuesOf({ NIGHTSHIFT_VAULT_KEYS: `k2:${short},k2:${k1},:${k2},nocolon` });
    expect(issues).toEqual([
      {
        variable: "NIGHTSHIFT_VAULT_KEYS",
        message: expect.stringMatching(
          /^key 1 \("k2"\) is not base64 of exactly 32 bytes \(an AES-256 key\); use <id>:/,
        ),
      },
      {
        variable: "NIGHTSHIFT_VAULT_KEYS",
        message: expect.stringMatching(/^key 3 has no id of 1-32 letters/),
      },
      {
        variable: "NIGHTSHIFT_VAULT_KEYS",
        message: expect.stringMatching(/^key 4 has no id/),
      },
    ]);
    // Never the value of a key, good or bad.
    for (const issue of issues) for (const key of [short, k1, k2]) expect(issue.message).not.toContain(key);
    expect(issuesOf({ NIGHTSHIFT_VAULT_KEYS: `a:${k1},a:${k2}` })[0]?.message).toBe(
      'key 2 ("a"): the id "a" is used twice; ids must be unique',
    );
  });

  it("selects the store: a SQLite file by default, Redis for several replicas, or memory", () => {
    expect(loadConfig({ NIGHTSHIFT_STORE: "redis://10.0.0.5:6379/2" }).store).toEqual({
      kind: "redis",
      url: "redis://10.0.0.5:6379/2",
      prefix: "nightshift",
    });
    expect(loadConfig({ NIGHTSHIFT_STORE: "memory" }).store).toEqual({ kind: "memory" });
    expect(loadConfig({ NIGHTSHIFT_STORE: "sqlite:/var/lib/nightshift/state.db" }).store).toEqual({
      kind: "sqlite",
      path: "/var/lib/nightshift/state.db",
    });
  });

  it("takes a planner lease longer than a tick, and says why a shorter one is refused", () => {
    expect(loadConfig({}).plannerLeaseSeconds).toBeUndefined();
    expect(
      loadConfig({ NIGHTSHIFT_TICK_SECONDS: "5", NIGHTSHIFT_PLANNER_LEASE_SECONDS: "12" })
        .plannerLeaseSeconds,
    ).toBe(12);
    expect(issuesOf({ NIGHTSHIFT_PLANNER_LEASE_SECONDS: "15" })).toEqual([
      {
        variable: "NIGHTSHIFT_PLANNER_LEASE_SECONDS",
        message:
          "must be longer than NIGHTSHIFT_TICK_SECONDS (15): the planner renews it once a tick; leave it unset for two ticks (30)",
      },
    ]);
    expect(issuesOf({ NIGHTSHIFT_PLANNER_LEASE_SECONDS: "soon" })[0]?.message).toMatch(/whole number/);
  });

  it("checks a Redis URL's host and database, and a SQLite path that names a directory", () => {
    const issue = (store: string) => {
      try {
        loadConfig({ NIGHTSHIFT_STORE: store });
      } catch (error) {
        return (error as ConfigError).issues;
      }
      return [];
    };
    expect(issue("redis://cache.internal:6379/abc")).toEqual([
      {
        variable: "NIGHTSHIFT_STORE",
        message:
          'the Redis database after the host must be a number, e.g. redis://cache.internal:6379/0 (got "abc")',
      },
    ]);
    expect(issue("redis://:6379")[0]?.message).toMatch(/not a valid Redis URL|names no Redis host/);
    expect(issue("sqlite:/var/lib/nightshift/")[0]).toMatchObject({
      variable: "NIGHTSHIFT_STORE",
      message: expect.stringContaining("e.g. sqlite:/var/lib/nightshift/nightshift.db"),
    });
    expect(issue("redis://cache.internal:6379")).toEqual([]);
    expect(issue("rediss://user:pw@cache.internal:6380/15")).toEqual([]);
  });

  it("validates the EventBridge settings with the rest and masks their secret", () => {
    const base = { NIGHTSHIFT_STORE: "memory", LOG_LEVEL: "loud" };
    try {
      loadConfig({ ...base, NIGHTSHIFT_EVENTBRIDGE_REGION: "eu-central-1" });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).issues.map((i) => i.variable)).toEqual([
        "LOG_LEVEL",
        "NIGHTSHIFT_EVENTBRIDGE_ACCESS_KEY_ID",
        "NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY",
      ]);
    }
    const config = loadConfig({
      NIGHTSHIFT_EVENTBRIDGE_REGION: "eu-central-1",
      NIGHTSHIFT_EVENTBRIDGE_ACCESS_KEY_ID: "AKIAEXAMPLE",
      NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY: "eventbridge-secret-value",
      NIGHTSHIFT_EVENTBRIDGE_BUS: "ops",
    });
    expect(config.eventBridge).toEqual({
      region: "eu-central-1",
      accessKeyId: "AKIAEXAMPLE",
      secretAccessKey: "eventbridge-secret-value",
      bus: "ops",
    });
    expect(configSecrets(config)).toContain("eventbridge-secret-value");
  });

  it("takes LOG_FORMAT text or json, and leaves it to the host when unset", () => {
    expect(loadConfig({ LOG_FORMAT: "json" }).logFormat).toBe("json");
    expect(loadConfig({}).logFormat).toBeUndefined();
    expect(() => loadConfig({ LOG_FORMAT: "pretty" })).toThrow("LOG_FORMAT: must be one of text, json");
  });

  it("reads settings and accounts, naming accounts by their variable prefix", () => {
    const config = loadConfig({
      ...huawei,
      PORT: "9000",
      HOST: "0.0.0.0",
      LOG_LEVEL: "debug",
      NIGHTSHIFT_ACCOUNT_ALI_VENDOR: "alibaba",
      NIGHTSHIFT_ACCOUNT_ALI_ACCESS_KEY_ID: "LTAIEXAMPLE",
      NIGHTSHIFT_ACCOUNT_ALI_SECRET_ACCESS_KEY: "ali-secret-value",
      NIGHTSHIFT_ACCOUNT_ALI_SECURITY_TOKEN: "sts-token-value",
      NIGHTSHIFT_ACCOUNT_ALI_REGION: "cn-hangzhou",
      NIGHTSHIFT_ACCOUNT_ALI_ENDPOINT: "https://asapi.example.internal",
      UNRELATED: "ignored",
    });
    expect(config).toMatchObject({ port: 9000, host: "0.0.0.0", logLevel: "debug" });
    expect(config.accounts).toEqual([
      {
        id: "ali",
        vendor: "alibaba",
        accessKeyId: "LTAIEXAMPLE",
        secretAccessKey: "ali-secret-value",
        securityToken: "sts-token-value",
        region: "cn-hangzhou",
        endpoint: "https://asapi.example.internal",
      },
      {
        id: "prod-hw",
        vendor: "huawei",
        accessKeyId: "HWAKEXAMPLE",
        secretAccessKey: "hw-secret-value-123456",
        region: "cn-north-4",
        projectId: "0123456789abcdef0123456789abcdef",
      },
    ]);
    expect(configSecrets(config)).toEqual(["ali-secret-value", "sts-token-value", "hw-secret-value-123456"]);
  });

  it("names every bad variable and what is expected, in one report", () => {
    const issues = issuesOf({
      PORT: "eighty",
      LOG_LEVEL: "loud",
      NIGHTSHIFT_ADMIN_TOKEN: "short",
      NIGHTSHIFT_ACCOUNT_X_VENDOR: "aws",
      NIGHTSHIFT_ACCOUNT_X_REGOIN: "cn-north-4",
      NIGHTSHIFT_STORE: "postgres://db",
    });
    const byVariable = Object.fromEntries(issues.map((i) => [i.variable, i.message]));
    expect(byVariable.PORT).toMatch(/whole number/);
    expect(byVariable.LOG_LEVEL).toMatch(/debug, info, warn, error/);
    expect(byVariable.NIGHTSHIFT_ADMIN_TOKEN).toMatch(/at least 24/);
    expect(byVariable.NIGHTSHIFT_STORE).toMatch(/memory, sqlite:<file path> or redis:/);
    expect(byVariable.NIGHTSHIFT_ACCOUNT_X_REGOIN).toMatch(
      /^is not a known account setting; did you mean NIGHTSHIFT_ACCOUNT_X_REGION\?/,
    );
    expect(byVariable.NIGHTSHIFT_ACCOUNT_X_VENDOR).toMatch(/huawei, autopilot, alibaba, baidu/);
    expect(byVariable.NIGHTSHIFT_ACCOUNT_X_ACCESS_KEY_ID).toMatch(/required/);
    expect(byVariable.NIGHTSHIFT_ACCOUNT_X_SECRET_ACCESS_KEY).toMatch(/required/);
  });

  it("requires a project id for Huawei accounts and never echoes a secret", () => {
    const { NIGHTSHIFT_ACCOUNT_PROD_HW_PROJECT_ID: _, ...noProject } = huawei;
    const issues = issuesOf({ ...noProject, NIGHTSHIFT_ACCOUNT_PROD_HW_ENDPOINT: "ftp://x" });
    expect(issues.map((i) => i.variable).sort()).toEqual(["NIGHTSHIFT_ACCOUNT_PROD_HW_ENDPOINT"]);
    const again = issuesOf(noProject);
    expect(again).toEqual([
      { variable: "NIGHTSHIFT_ACCOUNT_PROD_HW_PROJECT_ID", message: "is required for huawei accounts" },
    ]);
    const error = (() => {
      try {
        loadConfig({ ...huawei, PORT: "70000" });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toContain("PORT: must be between 0 and 65535");
    expect(error?.message).not.toContain("hw-secret-value-123456");
  });
});

describe("Alibaba signature setting", () => {
  const alibaba = {
    NIGHTSHIFT_ACCOUNT_ACK_VENDOR: "alibaba",
    NIGHTSHIFT_ACCOUNT_ACK_ACCESS_KEY_ID: "LTAItest",
    NIGHTSHIFT_ACCOUNT_ACK_SECRET_ACCESS_KEY: "secret-value",
    NIGHTSHIFT_ACCOUNT_ACK_REGION: "cn-hangzhou",
  };
  it("defaults to acs3 for the public cloud and roa for an ASAPI account; an explicit roa is kept", () => {
    const [publicAccount] = loadConfig(alibaba).accounts;
    expect(publicAccount!.signature).toBeUndefined();
    expect(alibabaSignature(publicAccount!)).toBe("acs3");
    const [asapi] = loadConfig({ ...alibaba, NIGHTSHIFT_ACCOUNT_ACK_ORGANIZATION_ID: "27" }).accounts;
    expect(alibabaSignature(asapi!)).toBe("roa");
    const [pop] = loadConfig({ ...alibaba, NIGHTSHIFT_ACCOUNT_ACK_SIGNATURE: "roa" }).accounts;
    expect(alibabaSignature(pop!)).toBe("roa");
  });

  it("refuses an unknown scheme, acs3 through ASAPI, and the setting on another vendor, naming the variable", () => {
    expect(issuesOf({ ...alibaba, NIGHTSHIFT_ACCOUNT_ACK_SIGNATURE: "v2" })).toEqual([
      { variable: "NIGHTSHIFT_ACCOUNT_ACK_SIGNATURE", message: expect.stringMatching(/must be acs3/) },
    ]);
    expect(
      issuesOf({
        ...alibaba,
        NIGHTSHIFT_ACCOUNT_ACK_ORGANIZATION_ID: "27",
        NIGHTSHIFT_ACCOUNT_ACK_SIGNATURE: "acs3",
      }),
    ).toEqual([
      { variable: "NIGHTSHIFT_ACCOUNT_ACK_SIGNATURE", message: expect.stringMatching(/ROA signatures only/) },
    ]);
    expect(
      issuesOf({
        ...alibaba,
        NIGHTSHIFT_ACCOUNT_ACK_VENDOR: "baidu",
        NIGHTSHIFT_ACCOUNT_ACK_REGION: "bj",
        NIGHTSHIFT_ACCOUNT_ACK_SIGNATURE: "roa",
      }),
    ).toEqual([
      {
        variable: "NIGHTSHIFT_ACCOUNT_ACK_SIGNATURE",
        message: expect.stringMatching(/only applies to alibaba/),
      },
    ]);
  });
});

describe("loadConfig: variables nothing reads", () => {
  const warningsOf = (env: Record<string, string>) =>
    Object.fromEntries(loadConfig(env).warnings.map((w) => [w.variable, w.message]));

  it("names each NIGHTSHIFT_* variable nothing reads, with the setting probably meant", () => {
    const warnings = warningsOf({
      NIGHTSHIFT_PORT: "20999",
      NIGHTSHIFT_ADMIN_TOKNE: "0123456789abcdef0123456789abcdef",
      NIGHTSHIFT_LOG_LEVL: "debug",
      NIGHTSHIFT_SCHEDULE_DIR: "/etc/nightshift",
      NIGHTSHIFT_EXTRA_CA_FILES: "/etc/ca.pem",
      NIGHTSHIFT_ACOUNT_PROD_REGION: "cn-north-4",
      NIGHTSHIFT_COLOUR: "blue",
    });
    expect(warnings).toEqual({
      NIGHTSHIFT_PORT: "is not a setting nightshift reads, so it is ignored; did you mean PORT?",
      NIGHTSHIFT_ADMIN_TOKNE:
        "is not a setting nightshift reads, so it is ignored; did you mean NIGHTSHIFT_ADMIN_TOKEN?",
      NIGHTSHIFT_LOG_LEVL: "is not a setting nightshift reads, so it is ignored; did you mean LOG_LEVEL?",
      NIGHTSHIFT_SCHEDULE_DIR:
        "is not a setting nightshift reads, so it is ignored; did you mean NIGHTSHIFT_SCHEDULES_DIR?",
      NIGHTSHIFT_EXTRA_CA_FILES:
        "is not a setting nightshift reads, so it is ignored; did you mean NIGHTSHIFT_EXTRA_CA_FILE?",
      NIGHTSHIFT_ACOUNT_PROD_REGION:
        "is not a setting nightshift reads, so it is ignored; did you mean NIGHTSHIFT_ACCOUNT_PROD_REGION?",
      NIGHTSHIFT_COLOUR:
        "is not a setting nightshift reads, so it is ignored; see the Configuration section of the README for the settings",
    });
  });

  it("knows every setting it reads, the host-read ones and accounts included, and ignores other prefixes", () => {
    expect(
      loadConfig({
        ...huawei,
        PORT: "0",
        LOG_LEVEL: "warn",
        NIGHTSHIFT_STORE: "memory",
        NIGHTSHIFT_ADMIN_TOKEN: "0123456789abcdef0123456789abcdef",
        NIGHTSHIFT_EXTRA_CA_FILE: "/etc/ca.pem",
        NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEY_HEADER: "x-key",
        NIGHTSHIFT_EVENTBRIDGE_REGION: "eu-central-1",
        NIGHTSHIFT_EVENTBRIDGE_ACCESS_KEY_ID: "AKIAEXAMPLE",
        NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY: "eb-secret-value",
        ACCOUNT_RATE_PER_SECOND: "10",
        HOME: "/root",
      }).warnings,
    ).toEqual([]);
  });

  it("never names a variable holding whsec_ secrets (a renewal sink's secretRef may point at it)", () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const config = loadConfig({
      NIGHTSHIFT_RENEWAL_WEBHOOK_SECRET: secret,
      NIGHTSHIFT_ACCOUNT_PROD_RENEWAL_SECRET: `${secret},whsec_b2xkc2VjcmV0b2xkc2VjcmV0`,
      NIGHTSHIFT_RENEWAL_WEBHOOK_URL: "https://hooks.example.com/kubeconfig",
    });
    expect(config.warnings.map((w) => w.variable)).toEqual(["NIGHTSHIFT_RENEWAL_WEBHOOK_URL"]);
    expect(Object.keys(config.signingSecrets).sort()).toEqual([
      "NIGHTSHIFT_ACCOUNT_PROD_RENEWAL_SECRET",
      "NIGHTSHIFT_RENEWAL_WEBHOOK_SECRET",
    ]);
  });

  it("never puts a value in a warning", () => {
    const values = ["0123456789abcdef0123456789abcdef", "hunter2-but-longer-than-24-chars", "PORT"];
    const config = loadConfig({
      NIGHTSHIFT_ADMIN_TOKNE: values[0]!,
      NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKEN: values[1]!,
      NIGHTSHIFT_HTTP_PORT: values[2]!,
    });
    expect(config.warnings.map((w) => w.variable)).toEqual([
      "NIGHTSHIFT_ADMIN_TOKNE",
      "NIGHTSHIFT_HTTP_PORT",
      "NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKEN",
    ]);
    const text = JSON.stringify(config.warnings);
    for (const value of values.slice(0, 2)) expect(text).not.toContain(value);
    // "PORT" is also a setting's name: the suggestion, not the value, is what names it.
    expect(config.warnings[1]!.message).not.toMatch(/did you mean PORT/);
  });

  it("suggests the nearest field of an account variable, its name holding underscores", () => {
    const issues = issuesOf({ ...huawei, NIGHTSHIFT_ACCOUNT_PROD_HW_SECURTY_TOKEN: "sts-token-value" });
    expect(issues).toEqual([
      {
        variable: "NIGHTSHIFT_ACCOUNT_PROD_HW_SECURTY_TOKEN",
        message: expect.stringMatching(
          /^is not a known account setting; did you mean NIGHTSHIFT_ACCOUNT_PROD_HW_SECURITY_TOKEN\? use /,
        ),
      },
    ]);
    expect(JSON.stringify(issues)).not.toContain("sts-token-value");
  });
});
