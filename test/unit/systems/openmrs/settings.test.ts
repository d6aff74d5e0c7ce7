import t from 'tap';
import { createOpenMrsConnector, openmrsSettingsFrom } from '../../../../src/systems/openmrs/index.js';
import { MAX_PAGE_SIZE } from '../../../../src/systems/openmrs/settings.js';

const base = {
  'openmrs.baseUrl': 'http://emr.example.org/openmrs/',
  'openmrs.username': 'integration',
  'openmrs.password': 'S3cret-pass',
};

t.test('a password with a colon is refused at configuration, naming the setting and why', async (t) => {
  t.throws(
    () => openmrsSettingsFrom({ ...base, 'openmrs.password': 'pass:word' }),
    /openmrs\.password contains ':'.*splits the pair on every colon/,
  );
  t.throws(() => createOpenMrsConnector({ ...base, 'openmrs.password': 'a:b' }), /openmrs\.password contains ':'/);
  t.throws(() => openmrsSettingsFrom({ ...base, 'openmrs.username': 'dom:user' }), /openmrs\.username contains ':'/);
  // the message never repeats the password itself
  const err = (() => {
    try {
      openmrsSettingsFrom({ ...base, 'openmrs.password': 'top:secret' });
    } catch (e) {
      return e as Error;
    }
    return undefined;
  })();
  t.notMatch(err!.message, /top:secret|secret/);
});

t.test('a reconfigure with a colon password is refused', async (t) => {
  const c = createOpenMrsConnector(base);
  t.teardown(() => c.close?.());
  t.throws(() => c.reconfigure!({ ...base, 'openmrs.password': 'x:y' }), /contains ':'/);
});

t.test('defaults and bounds', async (t) => {
  const s = openmrsSettingsFrom(base);
  t.equal(s.baseUrl, 'http://emr.example.org/openmrs', 'trailing slash dropped');
  t.equal(s.registryCodeAttributeType, 'Master Facility Code');
  t.same(s.facilityTags, ['Facility Location', 'Login Location']);
  t.equal(s.pageSize, MAX_PAGE_SIZE);
  t.equal(
    openmrsSettingsFrom({ ...base, 'openmrs.pageSize': 500 }).pageSize,
    100,
    "never above OpenMRS's absolute cap",
  );
  t.equal(openmrsSettingsFrom({ ...base, 'openmrs.pageSize': 0 }).pageSize, 1);
  t.same(openmrsSettingsFrom({ ...base, 'openmrs.facilityTags': ' Facility Location , ,HQ ' }).facilityTags, [
    'Facility Location',
    'HQ',
  ]);
  t.throws(() => openmrsSettingsFrom({ 'openmrs.username': 'x' }), /openmrs\.baseUrl is not set/);
});

t.test('the mediator refuses to start with a colon in the OpenMRS password, saying why', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { loadSettings } = await import('../../../../src/config/load.js');
  const { startMediator } = await import('../../../../src/main.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'openmrs-colon-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await t.rejects(
    startMediator(
      loadSettings({
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dir,
        LOG_LEVEL: 'silent',
        AUTH_PASSWORD: 'inbound-secret',
        OPENMRS_BASE_URL: 'http://127.0.0.1:9/openmrs',
        OPENMRS_USERNAME: 'admin',
        OPENMRS_PASSWORD: 'pass:word',
      } as NodeJS.ProcessEnv),
    ),
    { message: /openmrs\.password contains ':'/ },
  );
});
