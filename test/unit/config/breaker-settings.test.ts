/**
 * outbox.breakerFailures and outbox.breakerOpenMs: read from the environment, the config file or
 * the OpenHIM console like the other outbox numbers, refused at start-up (and live) when they
 * cannot work, and handed to the outbox as its breaker's options. A breaker opened by 0 failures,
 * or by 2.5, cannot work; one open for 10 ms probes a down system back to back, and one open for
 * more than a Node timer can hold is as absurd.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, defaultSettings, loadSettings, mergeSettings } from '../../../src/config/load.js';
import { MAX_TIMER_MS, MIN_EXCHANGE_MS } from '../../../src/config/settings.js';
import { breakerOptionsFrom } from '../../../src/outbox/breaker-settings.js';
import { OPENHIM_SETTINGS } from '../../../src/openhim/config-defs.js';
import { assertEnvRefused, type RefusedEnv } from '../../support/refused-env.js';

const base = { AUTH_MODE: 'off', DATA_DIR: tmpdir() };

t.test('by default a breaker opens after 5 failures for 30 s, as before these settings', async (t) => {
  t.same(breakerOptionsFrom(loadSettings(base)), { consecutiveFailures: 5, halfOpenAfterMs: 30_000 });
});

t.test('the environment and the config file set them, and the outbox gets them', async (t) => {
  t.same(
    breakerOptionsFrom(loadSettings({ ...base, OUTBOX_BREAKER_FAILURES: '2', OUTBOX_BREAKER_OPEN_MS: '120000' })),
    {
      consecutiveFailures: 2,
      halfOpenAfterMs: 120_000,
    },
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'breaker-settings-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ outbox: { breakerFailures: 3, breakerOpenMs: 5000 } }));
  t.same(breakerOptionsFrom(loadSettings({ ...base, CONFIG_FILE: file })), {
    consecutiveFailures: 3,
    halfOpenAfterMs: 5000,
  });
  // the least and the most each takes
  t.equal(loadSettings({ ...base, OUTBOX_BREAKER_FAILURES: '1' })['outbox.breakerFailures'], 1);
  t.equal(loadSettings({ ...base, OUTBOX_BREAKER_OPEN_MS: String(MIN_EXCHANGE_MS) })['outbox.breakerOpenMs'], 100);
  t.equal(
    loadSettings({ ...base, OUTBOX_BREAKER_OPEN_MS: String(MAX_TIMER_MS) })['outbox.breakerOpenMs'],
    MAX_TIMER_MS,
  );
});

t.test('a value that cannot work stops start-up, naming the setting, where it came from and the bound', async (t) => {
  const refused: RefusedEnv[] = [
    ['OUTBOX_BREAKER_FAILURES', 'outbox.breakerFailures', '0', 'at least 1'],
    ['OUTBOX_BREAKER_FAILURES', 'outbox.breakerFailures', '-3', 'at least 1'],
    ['OUTBOX_BREAKER_FAILURES', 'outbox.breakerFailures', '2.5', 'a whole number'],
    ['OUTBOX_BREAKER_OPEN_MS', 'outbox.breakerOpenMs', '10', `at least ${MIN_EXCHANGE_MS}`],
    ['OUTBOX_BREAKER_OPEN_MS', 'outbox.breakerOpenMs', '0', `at least ${MIN_EXCHANGE_MS}`],
    ['OUTBOX_BREAKER_OPEN_MS', 'outbox.breakerOpenMs', '3000000000', `at most ${MAX_TIMER_MS}`],
  ];
  assertEnvRefused(t, base, refused);
  t.throws(
    () => loadSettings({ ...base, OUTBOX_BREAKER_FAILURES: 'five' }),
    { message: /^environment: outbox\.breakerFailures .*'five'/ },
    'not a number',
  );
});

t.test('the OpenHIM console may set them live, and a bad live value is refused the same way', async (t) => {
  t.same(
    OPENHIM_SETTINGS.filter((m) => m.setting.startsWith('outbox.breaker')).map((m) => [m.param, m.setting]),
    [
      ['outboxBreakerFailures', 'outbox.breakerFailures'],
      ['outboxBreakerOpenMs', 'outbox.breakerOpenMs'],
    ],
  );
  t.throws(
    () => mergeSettings(defaultSettings(), { 'outbox.breakerFailures': 0 }, 'OpenHIM config'),
    new ConfigError(`OpenHIM config: outbox.breakerFailures must be at least 1, got '0'`),
  );
  t.throws(
    () => mergeSettings(defaultSettings(), { 'outbox.breakerOpenMs': 50 }, 'OpenHIM config'),
    new ConfigError(`OpenHIM config: outbox.breakerOpenMs must be at least ${MIN_EXCHANGE_MS}, got '50'`),
  );
});
