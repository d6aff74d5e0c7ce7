/**
 * Environment values a setting's bounds refuse at start-up, each checked for the precise message:
 * the setting, where the value came from, the bound and the value.
 */
import type { Test } from 'tap';
import { ConfigError, loadSettings } from '../../src/config/load.js';

/** [variable, setting, value, what it must be], e.g. ['PORT', 'server.port', '70000', 'at most 65535']. */
export type RefusedEnv = [env: string, key: string, value: string, bound: string];

/** Each value, set on `base`, stops `loadSettings` with `environment: <key> must be <bound>, got '<value>'`. */
export function assertEnvRefused(t: Test, base: Record<string, string>, refused: RefusedEnv[]): void {
  for (const [env, key, value, bound] of refused) {
    t.throws(
      () => loadSettings({ ...base, [env]: value }),
      new ConfigError(`environment: ${key} must be ${bound}, got '${value}'`),
      `${env}=${value}`,
    );
  }
}
