/**
 * Numbers that cannot work stop start-up (and a live OpenHIM change) naming the setting, where it
 * came from and the bound, instead of running: a heartbeat of 0 ms beats OpenHIM core back to back
 * (a busy loop while core is down), a registry page of -5 was quietly read one Location a request.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, defaultSettings, loadSettings, mergeSettings } from '../../../src/config/load.js';

const base = { AUTH_MODE: 'off', DATA_DIR: tmpdir() };

t.test('a heartbeat or registry number out of bounds is refused with setting, source and bound', async (t) => {
  for (const [env, key, bound] of [
    ['OPENHIM_HEARTBEAT_MS', 'openhim.heartbeatMs', 1],
    ['REGISTRY_PAGE_SIZE', 'registry.pageSize', 1],
    ['REGISTRY_TIMEOUT_MS', 'registry.timeoutMs', 1],
    ['REGISTRY_FULL_READ_HOURS', 'registry.fullReadHours', 0],
  ] as const) {
    const value = String(bound - 1);
    t.throws(
      () => loadSettings({ ...base, [env]: value }),
      new ConfigError(`environment: ${key} must be at least ${bound}, got '${value}'`),
      `${env}=${value}`,
    );
    t.equal(loadSettings({ ...base, [env]: String(bound) })[key], bound, `${env}=${bound} is taken`);
  }
});

t.test('the config file is named; a live OpenHIM value is refused the same way', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'number-bounds-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ registry: { pageSize: -5 } }));
  t.throws(
    () => loadSettings({ ...base, CONFIG_FILE: file }),
    new ConfigError(`CONFIG_FILE ${file}: registry.pageSize must be at least 1, got '-5'`),
  );
  t.throws(
    () => mergeSettings(defaultSettings(), { 'openhim.heartbeatMs': 0 }, 'OpenHIM config'),
    new ConfigError(`OpenHIM config: openhim.heartbeatMs must be at least 1, got '0'`),
  );
});
