// A configuration holding one of every kind of secret, for the tests that check each host's log
// masks them by value (configSecrets): an account's secret key, the admin and metrics tokens, a notice secret,
// the link secret, the EventBridge secret key and the webhook credentials. Letters and digits only,
// so they fit in a path.
export const SECRETS = {
  account: "AccountSecretKey0123456789",
  adminToken: "AdminToken0123456789abcdef",
  metricsToken: "MetricsToken0123456789abcdef",
  notice: "whsec_NoticeSecret0123456789",
  link: "LinkSecret0123456789abcdef0123456789",
  eventBridge: "EventBridgeSecretKey0123456789",
  alertmanagerToken: "AlertmanagerToken0123456789",
  alertmanagerPassword: "AlertmanagerPassword0123456",
  eventSecret: "whsec_EventSecret012345678901",
  eventBridgeApiKey: "EventBridgeApiKey0123456789",
} as const;

export const SECRET_ENV: Record<string, string> = {
  NIGHTSHIFT_ACCOUNT_QA_VENDOR: "huawei",
  NIGHTSHIFT_ACCOUNT_QA_ACCESS_KEY_ID: "AKIDEXAMPLE",
  NIGHTSHIFT_ACCOUNT_QA_SECRET_ACCESS_KEY: SECRETS.account,
  NIGHTSHIFT_ACCOUNT_QA_REGION: "cn-north-4",
  NIGHTSHIFT_ACCOUNT_QA_PROJECT_ID: "0123456789abcdef0123456789abcdef",
  // Nothing listens there: a listing fails at once.
  NIGHTSHIFT_ACCOUNT_QA_ENDPOINT: "http://127.0.0.1:9",
  NIGHTSHIFT_ADMIN_TOKEN: SECRETS.adminToken,
  NIGHTSHIFT_METRICS_TOKEN: SECRETS.metricsToken,
  NIGHTSHIFT_NOTICE_SECRETS: SECRETS.notice,
  NIGHTSHIFT_LINK_SECRET: SECRETS.link,
  NIGHTSHIFT_EVENTBRIDGE_REGION: "eu-central-1",
  NIGHTSHIFT_EVENTBRIDGE_ACCESS_KEY_ID: "AKIAEXAMPLE",
  NIGHTSHIFT_EVENTBRIDGE_SECRET_ACCESS_KEY: SECRETS.eventBridge,
  // Nothing listens there either: no event is ever sent out of a test.
  NIGHTSHIFT_EVENTBRIDGE_ENDPOINT: "http://127.0.0.1:9",
  NIGHTSHIFT_WEBHOOK_ALERTMANAGER_TOKENS: SECRETS.alertmanagerToken,
  NIGHTSHIFT_WEBHOOK_ALERTMANAGER_USERNAME: "alertmanager",
  NIGHTSHIFT_WEBHOOK_ALERTMANAGER_PASSWORDS: SECRETS.alertmanagerPassword,
  NIGHTSHIFT_WEBHOOK_EVENT_SECRETS: SECRETS.eventSecret,
  NIGHTSHIFT_WEBHOOK_EVENTBRIDGE_API_KEYS: SECRETS.eventBridgeApiKey,
};
