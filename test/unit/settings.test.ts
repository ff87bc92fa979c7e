import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config.js';
import { ConfigError, readSetting, SETTINGS, settingNames, settingsTable, validateSetting } from '../../src/settings.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('settings', () => {
  test("the README's configuration table is the one the settings declare", () => {
    // Regenerate with: npx tsx -e "import('./src/settings.ts').then((m) => console.log(m.settingsTable()))"
    expect(README).toContain(settingsTable());
    const documented = [...README.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
    expect(documented).toEqual(Object.keys(SETTINGS));
  });

  test('an unset or empty setting reads as its default; deployed defaults apply only when deployed', () => {
    expect(readSetting({}, 'RESEND_COOLDOWN_SECONDS')).toBe(60);
    expect(readSetting({ RESEND_COOLDOWN_SECONDS: '' }, 'RESEND_COOLDOWN_SECONDS')).toBe(60);
    expect(readSetting({ RESEND_COOLDOWN_SECONDS: '5' }, 'RESEND_COOLDOWN_SECONDS')).toBe(5);
    expect(readSetting({}, 'EXPOSE_ERROR_TRACES')).toBe(true);
    expect(readSetting({}, 'EXPOSE_ERROR_TRACES', true)).toBe(false);
    expect(readSetting({}, 'PUBLIC_BASE_URL')).toBeUndefined();
    expect(readSetting({ LOG_LEVEL: 'WARN' }, 'LOG_LEVEL')).toBe('warn');
  });

  test.each([
    ['RESEND_COOLDOWN_SECONDS', 'abc', /RESEND_COOLDOWN_SECONDS must be an integer from 0 to 86400, got "abc"/],
    ['RESEND_MAX_PER_WINDOW', '0', /from 1 to 100/],
    ['OTP_TTL_SECONDS', '59.5', /OTP_TTL_SECONDS must be an integer/],
    ['EXPOSE_ERROR_TRACES', 'yes', /must be "true" or "false"/],
    ['LOG_LEVEL', 'verbose', /LOG_LEVEL must be one of debug, info, warn, error, silent/],
  ] as const)('%s=%s is refused with a message naming it', (name, value, message) => {
    expect(() => readSetting({ [name]: value }, name)).toThrow(ConfigError);
    expect(() => readSetting({ [name]: value }, name)).toThrow(message);
    expect(() => validateSetting(name, value)).toThrow(message);
  });

  test('loadConfig reads every function setting through the table', () => {
    const config = loadConfig({ RESEND_WINDOW_SECONDS: '120', RPC_BATCH_CONCURRENCY: '3', MAIL_FROM: 'Acme <a@acme.example>' });
    expect(config.quota).toEqual({ cooldownSeconds: 60, maxPerWindow: 5, windowSeconds: 120 });
    expect(config.rpc.batchConcurrency).toBe(3);
    expect(config.mailFrom).toBe('Acme <a@acme.example>');
    expect(() => loadConfig({ RPC_MAX_EMAILS: '5000' })).toThrow(/RPC_MAX_EMAILS must be an integer from 1 to 1000/);
  });

  test('every setting has a scope and a meaning; local key material is never a function setting', () => {
    for (const [name, setting] of Object.entries(SETTINGS)) {
      expect(setting.meaning.length).toBeGreaterThan(3);
      expect(['service', 'rpc', 'local', 'local-key']).toContain(setting.scope);
      if (/KEY|SECRET/.test(name)) expect(setting.scope).toBe('local-key');
    }
    expect(settingNames('local-key').sort()).toEqual(
      ['JWT_KEY_ID', 'JWT_SIGNING_KEY', 'OTP_HASH_KEY', 'RPC_ACCESS_KEY_ID', 'RPC_ACCESS_KEY_SECRET'].sort(),
    );
  });
});
