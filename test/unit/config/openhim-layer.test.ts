/**
 * The OpenHIM settings layer keeps only what an operator changed in the console: a value equal
 * to the default registered in mediator-config.json is one core handed back untouched.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { loadSettings, mergeSettings } from '../../../src/config/load.js';
import { isRegisteredDefault, openhimConfigToSettings } from '../../../src/openhim/config-defs.js';

const registered = (
  JSON.parse(readFileSync(new URL('../../../mediator-config.json', import.meta.url), 'utf8')) as {
    config: Record<string, unknown>;
  }
).config;

t.test('registered defaults are left out, changed values kept', async (t) => {
  const layer = openhimConfigToSettings(
    {
      ...registered,
      deliveryDeadlineMs: 3000,
      logLevel: 'info',
      openlmisTimeoutMs: 20000,
      productCodeSystem: 'gtin',
      openlmisAuthorizeStep: true,
    },
    { registeredDefaults: registered },
  );
  t.same(
    layer,
    { 'outbox.deadlineMs': 3000, 'openlmis.authorizeStep': true },
    'only the two values that differ from what was registered',
  );
  t.same(
    Object.keys(openhimConfigToSettings(registered, { registeredDefaults: registered })),
    [],
    'the registered config itself changes nothing',
  );
  t.ok(
    Object.keys(openhimConfigToSettings(registered)).length > 10,
    'without the registered defaults every typed value counts (the old behaviour)',
  );
});

t.test('isRegisteredDefault compares by value and type, trimming strings', async (t) => {
  t.ok(isRegisteredDefault('logLevel', 'info', { logLevel: 'info' }));
  t.ok(isRegisteredDefault('scheduleReconcile', ' 30 2 * * 1 ', { scheduleReconcile: '30 2 * * 1' }));
  t.notOk(
    isRegisteredDefault('deliveryDeadlineMs', '8000', { deliveryDeadlineMs: 8000 }),
    'a string is not the number',
  );
  t.notOk(isRegisteredDefault('deliveryDeadlineMs', 8001, { deliveryDeadlineMs: 8000 }));
  t.notOk(isRegisteredDefault('newParam', 1, { deliveryDeadlineMs: 8000 }), 'a param we never registered is a change');
  t.notOk(isRegisteredDefault('logLevel', 'info', undefined));
});

t.test('env and file win over untouched defaults; a console change wins over both', async (t) => {
  const env = { AUTH_MODE: 'off', OUTBOX_DEADLINE_MS: '4000', LOG_LEVEL: 'debug' } as NodeJS.ProcessEnv;
  const base = loadSettings(env);
  const untouched = mergeSettings(
    base,
    openhimConfigToSettings(registered, { registeredDefaults: registered }),
    'OpenHIM config',
  );
  t.equal(untouched['outbox.deadlineMs'], 4000);
  t.equal(untouched['log.level'], 'debug');
  const changed = mergeSettings(
    base,
    openhimConfigToSettings({ ...registered, deliveryDeadlineMs: 1500 }, { registeredDefaults: registered }),
    'OpenHIM config',
  );
  t.equal(changed['outbox.deadlineMs'], 1500);
  t.equal(changed['log.level'], 'debug', 'the other settings keep their env value');
});
