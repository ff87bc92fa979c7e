/**
 * Every setting of the service, declared once: its name, type, default, range and meaning. The
 * handlers' configuration, the stack's function environment, the local stack, the CLI and the
 * README's configuration table all read this table, and a test holds the README to it.
 *
 * A hand-written table rather than a validation library: it is a few hundred bytes in the
 * bundles, and the only rules needed are integer ranges, fixed choices and flags.
 */

/**
 * Who reads a setting. `service`: both functions (the stack sets it on both); `rpc`: the RPC
 * function only; `local`: the local stack, the CLI and the test harness; `local-key`: key
 * material the functions read from the environment only where no secret ARN is set, that is
 * locally and under `sam local`, never in a deployment.
 */
export type SettingScope = 'service' | 'rpc' | 'local' | 'local-key';

interface SettingBase {
  readonly scope: SettingScope;
  /** One line for the README's table. */
  readonly meaning: string;
  /** How the README shows the default, where the value itself says too little. */
  readonly documentedDefault?: string;
}

export interface IntegerSetting extends SettingBase {
  readonly type: 'integer';
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

export interface TextSetting extends SettingBase {
  readonly type: 'text';
  /** Absent: the setting is optional and reads as undefined when unset. */
  readonly default?: string;
  /** Set for text that people read (a name in a subject line): one line of at most this many characters. */
  readonly maxLength?: number;
}

export interface FlagSetting extends SettingBase {
  readonly type: 'flag';
  readonly default: boolean;
  /** The default inside a deployed function, where it differs from the local one. */
  readonly deployedDefault?: boolean;
}

export interface ChoiceSetting extends SettingBase {
  readonly type: 'choice';
  readonly choices: readonly string[];
  readonly default: string;
}

export type Setting = IntegerSetting | TextSetting | FlagSetting | ChoiceSetting;

const DAY = 86_400;

export const SETTINGS = {
  RESEND_COOLDOWN_SECONDS: {
    type: 'integer',
    default: 60,
    min: 0,
    max: DAY,
    scope: 'service',
    meaning: 'minimum gap between two mails to one address (both APIs)',
  },
  RESEND_MAX_PER_WINDOW: {
    type: 'integer',
    default: 5,
    min: 1,
    max: 100,
    scope: 'service',
    meaning: 'mails per address per sliding window, the first one included',
  },
  RESEND_WINDOW_SECONDS: {
    type: 'integer',
    default: 3600,
    min: 1,
    max: 7 * DAY,
    scope: 'service',
    meaning: 'the sliding window of `RESEND_MAX_PER_WINDOW`',
  },
  OTP_TTL_SECONDS: {
    type: 'integer',
    default: 600,
    min: 60,
    max: DAY,
    scope: 'service',
    meaning: 'life of a code (and of a mailed link)',
  },
  OTP_MAX_GUESSES: {
    type: 'integer',
    default: 5,
    min: 1,
    max: 100,
    scope: 'service',
    meaning: 'wrong guesses across the live codes; a resend resets it, retiring the previous code if it was guessed at',
  },
  TOKEN_TTL_SECONDS: {
    type: 'integer',
    default: 3600,
    min: 60,
    max: 7 * DAY,
    scope: 'service',
    meaning: 'life of an IAM verification token',
  },
  TOKEN_ISSUER: { type: 'text', default: 'email-verification-service', scope: 'service', meaning: 'JWT `iss`' },
  TOKEN_AUDIENCE: { type: 'text', default: 'email-verification', scope: 'service', meaning: 'JWT `aud`' },
  VERIFIED_RETENTION_SECONDS: {
    type: 'integer',
    default: 365 * DAY,
    min: DAY,
    max: Number.MAX_SAFE_INTEGER,
    scope: 'service',
    meaning: 'how long a verified record is kept (TTL), so resend keeps refusing it',
  },
  MAIL_FROM: {
    type: 'text',
    default: 'no-reply@example.com',
    scope: 'service',
    meaning: 'SES sender, optionally `Name <address>`',
  },
  SES_CONFIGURATION_SET: {
    type: 'text',
    scope: 'service',
    meaning: 'SES configuration set of every mail (bounce and complaint suppression, events to CloudWatch)',
    documentedDefault: "unset locally; the stack's own when deployed",
  },
  PRODUCT_NAME: {
    type: 'text',
    default: 'Example App',
    maxLength: 80,
    scope: 'service',
    meaning: 'who is asking: named in the subject, the mail and the verification page',
  },
  MAIL_TEMPLATES_DIR: {
    type: 'text',
    scope: 'service',
    meaning: 'a folder of your own mail templates (see [Mail templates](#mail-templates)); deployed, the stack bundles it',
    documentedDefault: 'the built-in templates',
  },
  TABLE_NAME: { type: 'text', default: 'email-verification', scope: 'service', meaning: 'DynamoDB table' },
  PUBLIC_BASE_URL: {
    type: 'text',
    scope: 'service',
    meaning: 'base of the mailed link',
    documentedDefault: "the request's host and stage",
  },
  EXPOSE_ERROR_TRACES: {
    type: 'flag',
    default: true,
    deployedDefault: false,
    scope: 'service',
    meaning: 'error messages in `traces` (otherwise the request id)',
    documentedDefault: '`true` locally, `false` deployed',
  },
  LOG_LEVEL: {
    type: 'choice',
    choices: ['debug', 'info', 'warn', 'error', 'silent'],
    default: 'info',
    scope: 'service',
    meaning:
      'log threshold: `debug` adds per-address detail, `info` a line per request, `warn` refusals and failures, `error` failures only, `silent` nothing (metrics still go out)',
  },
  DYNAMODB_ENDPOINT: {
    type: 'text',
    scope: 'service',
    meaning: 'DynamoDB endpoint (DynamoDB Local); unset in AWS',
    documentedDefault: 'the regional endpoint',
  },
  SES_ENDPOINT: {
    type: 'text',
    scope: 'service',
    meaning: 'SES endpoint (the local SES); unset in AWS',
    documentedDefault: 'the regional endpoint',
  },
  RPC_MAX_EMAILS: { type: 'integer', default: 50, min: 1, max: 1000, scope: 'rpc', meaning: 'addresses per RPC call' },
  RPC_MAX_VERIFICATIONS_PER_DAY: {
    type: 'integer',
    default: 500,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    scope: 'rpc',
    meaning: 'mails per access key per UTC day',
  },
  RPC_MAX_PER_CLIENT_IP_PER_HOUR: {
    type: 'integer',
    default: 100,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    scope: 'rpc',
    meaning: 'mails per `UserClientIp` per UTC hour',
  },
  RPC_BATCH_CONCURRENCY: {
    type: 'integer',
    default: 20,
    min: 1,
    max: 100,
    scope: 'rpc',
    meaning: 'addresses of one batch in flight at once',
  },
  SES_SANDBOX: {
    type: 'flag',
    default: false,
    scope: 'rpc',
    meaning: 'the SES account is in the sandbox (1 mail per second): a batch sends one address at a time, whatever `RPC_BATCH_CONCURRENCY` says',
  },
  CORS_ALLOWED_ORIGINS: {
    type: 'text',
    scope: 'service',
    meaning: 'origins whose pages may call the IAM routes (`https://app.example.com,https://admin.example.com`, or `*`); the stack sets the same on API Gateway',
    documentedDefault: 'unset: no CORS',
  },
  EVENT_SOURCE: {
    type: 'text',
    default: 'email-verification-service',
    scope: 'local',
    meaning: '`source` of the `EmailVerified` events `npm start` prints (deployed: the stack\'s `eventSource`, `-c eventSource=...`)',
  },
  PORT: { type: 'integer', default: 3000, min: 0, max: 65_535, scope: 'local', meaning: 'local API port (0: a free one)' },
  SES_PORT: { type: 'integer', default: 8005, min: 0, max: 65_535, scope: 'local', meaning: 'local SES port' },
  DYNAMODB_PORT: { type: 'integer', default: 8000, min: 0, max: 65_535, scope: 'local', meaning: 'DynamoDB Local port' },
  LOCAL_STACK_FILE: {
    type: 'text',
    default: '.local/stack.json',
    scope: 'local',
    meaning: "where `npm start` writes the running stack's endpoints and settings, which the CLI reads",
  },
  RPC_ACCESS_KEY_ID: {
    type: 'text',
    default: 'local-access-key-id',
    scope: 'local-key',
    meaning: 'the local RPC access key (deployed: the `RPC_ACCESS_KEYS_SECRET_ARN` secret)',
  },
  RPC_ACCESS_KEY_SECRET: {
    type: 'text',
    default: 'local-access-key-secret',
    scope: 'local-key',
    meaning: 'its secret',
  },
  JWT_SIGNING_KEY: {
    type: 'text',
    default: 'local-only-jwt-signing-key-do-not-use-in-aws-0001',
    scope: 'local-key',
    meaning: 'local token signing key (deployed: the `TOKEN_SIGNING_SECRET_ARN` secret)',
    documentedDefault: 'a fixed local-only value',
  },
  JWT_KEY_ID: { type: 'text', default: 'local', scope: 'local-key', meaning: 'its `kid`' },
  OTP_HASH_KEY: {
    type: 'text',
    default: 'local-only-otp-hash-key-do-not-use-in-aws-00000001',
    scope: 'local-key',
    meaning: 'local key of the code hashes (deployed: the `OTP_HASH_SECRET_ARN` secret)',
    documentedDefault: 'a fixed local-only value',
  },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

/** Where the SDK clients point when `AWS_REGION` is unset: only locally, since Lambda always sets it. */
export const FALLBACK_REGION = 'us-east-1';

export type SettingValue<N extends SettingName> = (typeof SETTINGS)[N] extends IntegerSetting
  ? number
  : (typeof SETTINGS)[N] extends FlagSetting
    ? boolean
    : (typeof SETTINGS)[N] extends { readonly type: 'choice'; readonly choices: readonly (infer C)[] }
      ? C
      : (typeof SETTINGS)[N] extends { readonly default: string }
        ? string
        : string | undefined;

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A setting from `env`, or its default when unset or empty; a value out of its rule throws ConfigError. */
export function readSetting<N extends SettingName>(env: Env, name: N, deployed = false): SettingValue<N> {
  const setting: Setting = SETTINGS[name];
  const raw = env[name];
  const value = raw === undefined || raw === '' ? defaultOf(setting, deployed) : parseSetting(setting, name, raw);
  return value as SettingValue<N>;
}

/** Checks a value against its setting's rule (for values that arrive some other way, such as stack props). */
export function validateSetting(name: SettingName, raw: string): void {
  parseSetting(SETTINGS[name], name, raw);
}

function defaultOf(setting: Setting, deployed: boolean): number | boolean | string | undefined {
  if (setting.type === 'flag' && deployed && setting.deployedDefault !== undefined) return setting.deployedDefault;
  return setting.default;
}

function parseSetting(setting: Setting, name: string, raw: string): number | boolean | string {
  switch (setting.type) {
    case 'integer': {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < setting.min || value > setting.max) {
        throw new ConfigError(`${name} must be an integer from ${setting.min} to ${setting.max}, got "${raw}"`);
      }
      return value;
    }
    case 'flag':
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw new ConfigError(`${name} must be "true" or "false", got "${raw}"`);
    case 'choice': {
      const lower = raw.toLowerCase();
      if (!setting.choices.includes(lower)) {
        throw new ConfigError(`${name} must be one of ${setting.choices.join(', ')}, got "${raw}"`);
      }
      return lower;
    }
    case 'text':
      if (setting.maxLength !== undefined) {
        if (/[\u0000-\u001f\u007f]/.test(raw)) throw new ConfigError(`${name} must be one line of text, without control characters`);
        if (raw.trim() === '') throw new ConfigError(`${name} must not be blank`);
        if ([...raw].length > setting.maxLength) {
          throw new ConfigError(`${name} must be at most ${setting.maxLength} characters, got ${[...raw].length}`);
        }
      }
      return raw;
  }
}

/** The settings of a scope, by name. */
export function settingNames(...scopes: readonly SettingScope[]): SettingName[] {
  return (Object.keys(SETTINGS) as SettingName[]).filter((name) => scopes.includes(SETTINGS[name].scope));
}

/** How a default reads in the README. */
export function documentedDefault(name: SettingName): string {
  const setting: Setting = SETTINGS[name];
  if (setting.documentedDefault !== undefined) return setting.documentedDefault;
  if (setting.default === undefined) return 'unset';
  return typeof setting.default === 'number' ? String(setting.default) : `\`${String(setting.default)}\``;
}

/** The README's configuration table, rows in declaration order. */
export function settingsTable(): string {
  const rows = (Object.keys(SETTINGS) as SettingName[]).map(
    (name) => `| \`${name}\` | ${documentedDefault(name)} | ${SETTINGS[name].meaning} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
