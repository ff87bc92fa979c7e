import type { ApiName } from '../lambdas/routes.js';
import { readSetting, settingNames, validateSetting, type SETTINGS, type SettingName } from '../src/settings.js';

/** Settings a deployed function reads from its environment. */
export type DeployedSettingName = Extract<
  SettingName,
  { [N in SettingName]: (typeof SETTINGS)[N]['scope'] extends 'service' | 'rpc' ? N : never }[SettingName]
>;

export type SettingOverrides = Partial<Record<DeployedSettingName, string | number | boolean>>;

/** The settings a function of `api` reads (both functions' when omitted). */
export function deployedSettingNames(api?: ApiName): DeployedSettingName[] {
  return settingNames('service', ...(api !== 'iam' ? (['rpc'] as const) : [])) as DeployedSettingName[];
}

/**
 * Every setting the function of `api` reads, at the stack's value or the deployed default. All
 * are declared, optional ones empty, so the console shows what the function runs with and
 * `sam local --env-vars` can override any of them (sam only overrides declared variables).
 * A value outside its setting's rule fails synthesis with the setting's own message.
 */
export function settingsEnvironment(api: ApiName, overrides: SettingOverrides): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const name of deployedSettingNames(api)) {
    const override = overrides[name];
    const value = override === undefined ? String(readSetting({}, name, true) ?? '') : String(override);
    if (override !== undefined) validateSetting(name, value);
    environment[name] = value;
  }
  return environment;
}
