// OpenHIM console config → our flat settings keys.
import t from 'tap';
import { OPENHIM_SETTINGS, SECRET_SETTINGS, openhimConfigToSettings } from '../../src/openhim/config-defs.js';

t.test('maps each OpenHIM param to its settings key', async (t) => {
  const settings = openhimConfigToSettings({
    openlmisBaseUrl: ' https://lmis.example.org ',
    openlmisPassword: ' pass with spaces ',
    openlmisAuthorizeStep: true,
    openlmisStockApi: 'code',
    dhis2Username: 'admin',
    upstreamTimeoutMs: 12000,
    scheduleReconcile: '0 3 * * *',
    productCodeSystem: 'national',
  });
  t.same(settings, {
    'openlmis.baseUrl': 'https://lmis.example.org',
    'openlmis.password': ' pass with spaces ',
    'openlmis.authorizeStep': true,
    'openlmis.stockApi': 'code',
    'dhis2.username': 'admin',
    'upstream.timeoutMs': 12000,
    'schedules.reconcile': '0 3 * * *',
    'mapping.productCodeSystem': 'national',
  });
});

t.test('leaves out what the operator did not set or could not mean', async (t) => {
  t.same(
    openhimConfigToSettings({
      openlmisBaseUrl: '',
      dhis2Password: '',
      msupplyPassword: '**********',
      upstreamTimeoutMs: '5000',
      outboxMaxAttempts: Number.NaN,
      openlmisAuthorizeStep: 'yes',
      somethingOld: 'x',
      publicBaseUrl: null,
    }),
    {},
  );
  t.same(openhimConfigToSettings(null), {});
  t.same(openhimConfigToSettings(undefined), {});
});

t.test('table: unique params and settings, secrets marked', async (t) => {
  t.equal(new Set(OPENHIM_SETTINGS.map((m) => m.param)).size, OPENHIM_SETTINGS.length);
  t.equal(new Set(OPENHIM_SETTINGS.map((m) => m.setting)).size, OPENHIM_SETTINGS.length);
  t.same([...SECRET_SETTINGS].sort(), ['auth.inboundSecret', 'dhis2.password', 'msupply.password', 'openlmis.clientSecret', 'openlmis.password', 'openmrs.password']);
  for (const m of OPENHIM_SETTINGS) t.equal(m.secret === true, m.type === 'password', `${m.param}: secret iff password type`);
});
