/**
 * Numbers that cannot work stop start-up (and a live OpenHIM change) naming the setting, where it
 * came from and the bound, instead of running: a heartbeat of 0 ms beats OpenHIM core back to back
 * (a busy loop while core is down), a registry page of -5 was quietly read one Location a request.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  defaultSettings,
  layeredSettings,
  loadSettings,
  mergeSettings,
  validateSettings,
} from '../../../src/config/load.js';
import { MAX_TIMER_MS, MIN_EXCHANGE_MS, MIN_INTERVAL_MS, settingDefs } from '../../../src/config/settings.js';
import { assertEnvRefused, type RefusedEnv } from '../../support/refused-env.js';

const base = { AUTH_MODE: 'off', DATA_DIR: tmpdir() };

t.test('a heartbeat or registry number out of bounds is refused with setting, source and bound', async (t) => {
  for (const [env, key, bound] of [
    ['OPENHIM_HEARTBEAT_MS', 'openhim.heartbeatMs', MIN_INTERVAL_MS],
    ['REGISTRY_PAGE_SIZE', 'registry.pageSize', 1],
    ['REGISTRY_TIMEOUT_MS', 'registry.timeoutMs', MIN_EXCHANGE_MS],
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
    new ConfigError(`OpenHIM config: openhim.heartbeatMs must be at least ${MIN_INTERVAL_MS}, got '0'`),
  );
});

t.test('concurrency, attempts, lease and the other numbers that cannot work are refused', async (t) => {
  // [variable, setting, value, what it must be]. Each was taken before: a concurrency of 0 was
  // quietly 1, 0 attempts dead-lettered at the first failure, a 0 ms lease or per-call timeout is
  // over when it starts, a 0 ms request or idle timeout is Node's "no timeout" (a slow client
  // holds a connection), a 0 chunk or poll cannot progress, 3e9 ms overflows Node's timer (1 ms)
  const refused: RefusedEnv[] = [
    ['OPENLMIS_CONCURRENCY', 'openlmis.concurrency', '0', 'at least 1'],
    ['DHIS2_CONCURRENCY', 'dhis2.concurrency', '-2', 'at least 1'],
    ['MSUPPLY_CONCURRENCY', 'msupply.concurrency', '0', 'at least 1'],
    ['OPENMRS_CONCURRENCY', 'openmrs.concurrency', '2.5', 'a whole number'],
    ['OUTBOX_MAX_ATTEMPTS', 'outbox.maxAttempts', '0', 'at least 1'],
    ['OUTBOX_LEASE_MS', 'outbox.leaseMs', '0', `at least ${MIN_EXCHANGE_MS}`],
    ['OUTBOX_ATTEMPT_TIMEOUT_MS', 'outbox.attemptTimeoutMs', '-1', `at least ${MIN_EXCHANGE_MS}`],
    ['OUTBOX_ATTEMPT_TIMEOUT_MS', 'outbox.attemptTimeoutMs', '3000000000', `at most ${MAX_TIMER_MS}`],
    ['OUTBOX_BACKOFF_BASE_MS', 'outbox.backoffBaseMs', '0', `at least ${MIN_INTERVAL_MS}`],
    ['OUTBOX_DEADLINE_MS', 'outbox.deadlineMs', '-1', 'at least 0'],
    ['OPENLMIS_TIMEOUT_MS', 'openlmis.timeoutMs', '0', `at least ${MIN_EXCHANGE_MS}`],
    ['LIMIT_REQUEST_TIMEOUT_MS', 'limits.requestTimeoutMs', '0', `at least ${MIN_EXCHANGE_MS}`],
    ['LIMIT_IDLE_TIMEOUT_MS', 'limits.idleTimeoutMs', '0', `at least ${MIN_EXCHANGE_MS}`],
    ['FHIR_MAX_COUNT', 'fhir.maxCount', '0', 'at least 1'],
    ['DHIS2_CHUNK_SIZE', 'dhis2.chunkSize', '0', 'at least 1'],
    ['DHIS2_JOB_POLL_MS', 'dhis2.jobPollMs', '0', `at least ${MIN_INTERVAL_MS}`],
    ['REGISTRY_PAGE_SIZE', 'registry.pageSize', '2.5', 'a whole number'],
    ['PORT', 'server.port', '70000', 'at most 65535'],
  ];
  assertEnvRefused(t, base, refused);
  t.throws(
    () => mergeSettings(defaultSettings(), { 'outbox.maxAttempts': 0 }, 'OpenHIM config'),
    new ConfigError(`OpenHIM config: outbox.maxAttempts must be at least 1, got '0'`),
    'a live value too',
  );
});

t.test('a loop or an exchange too short to work is refused at start-up, not run', async (t) => {
  // each was taken before: a 1 ms heartbeat beat OpenHIM core back to back, a 1 ms DHIS2 job poll
  // or retry backoff hammered the system, a 5 ms per-call timeout or attempt failed every call
  const refused: [string, string, string, number][] = [
    ['OPENHIM_HEARTBEAT_MS', 'openhim.heartbeatMs', '1', MIN_INTERVAL_MS],
    ['DHIS2_JOB_POLL_MS', 'dhis2.jobPollMs', '1', MIN_INTERVAL_MS],
    ['OUTBOX_BACKOFF_BASE_MS', 'outbox.backoffBaseMs', '1', MIN_INTERVAL_MS],
    ['OUTBOX_BACKOFF_CAP_MS', 'outbox.backoffCapMs', '1', MIN_INTERVAL_MS],
    ['OUTBOX_ATTEMPT_TIMEOUT_MS', 'outbox.attemptTimeoutMs', '5', MIN_EXCHANGE_MS],
    ['OUTBOX_LEASE_MS', 'outbox.leaseMs', '50', MIN_EXCHANGE_MS],
    ['LIMIT_HEADERS_TIMEOUT_MS', 'limits.headersTimeoutMs', '1', MIN_EXCHANGE_MS],
    ['LIMIT_REQUEST_TIMEOUT_MS', 'limits.requestTimeoutMs', '1', MIN_EXCHANGE_MS],
    ['LIMIT_IDLE_TIMEOUT_MS', 'limits.idleTimeoutMs', '1', MIN_EXCHANGE_MS],
    ['OPENLMIS_TIMEOUT_MS', 'openlmis.timeoutMs', '1', MIN_EXCHANGE_MS],
    ['DHIS2_TIMEOUT_MS', 'dhis2.timeoutMs', '1', MIN_EXCHANGE_MS],
    ['DHIS2_JOB_TIMEOUT_MS', 'dhis2.jobTimeoutMs', '1', MIN_EXCHANGE_MS],
    ['MSUPPLY_TIMEOUT_MS', 'msupply.timeoutMs', '1', MIN_EXCHANGE_MS],
    ['OPENMRS_TIMEOUT_MS', 'openmrs.timeoutMs', '1', MIN_EXCHANGE_MS],
    ['REGISTRY_TIMEOUT_MS', 'registry.timeoutMs', '1', MIN_EXCHANGE_MS],
    // the OpenHIM transaction update sweep: its poll, its backoff, the hold on a send in progress,
    // and the give-up (a 1 ms give-up abandoned an update at its first failed send)
    ['OPENHIM_UPDATE_RETRY_BASE_MS', 'openhim.updateRetryBaseMs', '1', MIN_INTERVAL_MS],
    ['OPENHIM_UPDATE_RETRY_CAP_MS', 'openhim.updateRetryCapMs', '1', MIN_INTERVAL_MS],
    ['OPENHIM_UPDATE_CLAIM_MS', 'openhim.updateClaimMs', '1', MIN_EXCHANGE_MS],
    ['OPENHIM_UPDATE_GIVE_UP_MS', 'openhim.updateGiveUpMs', '1', 60_000],
    ['OPENHIM_UPDATE_GIVE_UP_MS', 'openhim.updateGiveUpMs', '59999', 60_000],
  ];
  for (const [env, key, value, bound] of refused) {
    t.throws(
      () => loadSettings({ ...base, [env]: value }),
      new ConfigError(`environment: ${key} must be at least ${bound}, got '${value}'`),
      `${env}=${value}`,
    );
  }
  t.throws(
    () => mergeSettings(defaultSettings(), { 'openhim.heartbeatMs': 1 }, 'OpenHIM config'),
    new ConfigError(`OpenHIM config: openhim.heartbeatMs must be at least ${MIN_INTERVAL_MS}, got '1'`),
    'a live value too',
  );
  // what the test rigs run at is taken: a 40 ms heartbeat, a 50 ms backoff, a 500 ms call timeout
  t.equal(loadSettings({ ...base, OPENHIM_HEARTBEAT_MS: '40' })['openhim.heartbeatMs'], 40);
  t.equal(loadSettings({ ...base, OUTBOX_BACKOFF_BASE_MS: '50' })['outbox.backoffBaseMs'], 50);
  t.equal(loadSettings({ ...base, OPENLMIS_TIMEOUT_MS: '500' })['openlmis.timeoutMs'], 500);
  t.equal(loadSettings({ ...base, OPENHIM_UPDATE_CLAIM_MS: '500' })['openhim.updateClaimMs'], 500);
});

t.test('an OpenHIM update retry cap below its base is refused, naming both', async (t) => {
  t.throws(
    () =>
      validateSettings(
        loadSettings({ ...base, OPENHIM_UPDATE_RETRY_BASE_MS: '5000', OPENHIM_UPDATE_RETRY_CAP_MS: '200' }),
      ),
    {
      message:
        /^openhim\.updateRetryCapMs \(OPENHIM_UPDATE_RETRY_CAP_MS\) must be at least openhim\.updateRetryBaseMs \(OPENHIM_UPDATE_RETRY_BASE_MS\), got 200 and 5000/,
    },
  );
  // the test rigs' 50 ms base under a 200 ms cap is taken
  t.doesNotThrow(() =>
    validateSettings(loadSettings({ ...base, OPENHIM_UPDATE_RETRY_BASE_MS: '50', OPENHIM_UPDATE_RETRY_CAP_MS: '200' })),
  );
});

t.test('every number setting is bounded, and its default and bounds are taken', async (t) => {
  for (const def of settingDefs.filter((d) => d.type === 'number')) {
    t.not(def.min, undefined, `${def.key} has a least value`);
    if (def.key.endsWith('Ms')) t.equal(def.max, MAX_TIMER_MS, `${def.key} is a timer Node can hold`);
    for (const value of [def.default, def.min, def.max].filter((v) => v !== undefined)) {
      // layered: each setting's own bounds, without the rules across settings (lease vs attempt)
      t.equal(layeredSettings({ ...base, [def.env]: String(value) })[def.key], value, `${def.env}=${String(value)}`);
    }
  }
});

t.test('an attempt timeout not below the lease stops start-up before anything opens', async (t) => {
  t.throws(
    () => loadSettings({ ...base, OUTBOX_LEASE_MS: '60000' }),
    new ConfigError(
      'outbox.attemptTimeoutMs (OUTBOX_ATTEMPT_TIMEOUT_MS) must be below outbox.leaseMs (OUTBOX_LEASE_MS), got 60000 and 60000: another worker could take over an attempt still running',
    ),
  );
  t.equal(loadSettings({ ...base, OUTBOX_LEASE_MS: '60001' })['outbox.leaseMs'], 60001);
});
