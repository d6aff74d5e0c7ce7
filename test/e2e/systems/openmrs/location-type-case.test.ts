/**
 * `Location?type=` on OpenMRS as FHIR token search says (search.html#token): a code is matched as
 * spelt, case-sensitive, since the tag code system says nothing else. OpenMRS alone matched a tag
 * whatever its case, so `type=login location` listed what OpenLMIS, DHIS2 and Open mSupply would
 * never list for a code differing only in case. Through the real mediator and the OpenMRS sandbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ADMIN_PASSWORD, startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import { loadSettings } from '../../../../src/config/load.js';
import { startMediator } from '../../../../src/main.js';
import { LOCATION_TAG_SYSTEM } from '../../../../src/systems/openmrs/location-codec.js';

const INBOUND = 'e2e-inbound-secret';
const AUTH = `Basic ${Buffer.from(`openhim:${INBOUND}`).toString('base64')}`;

t.test('a location tag is matched as spelt, with or without its system', async (t) => {
  const sb = await startOpenMrsSandbox();
  const dir = mkdtempSync(path.join(tmpdir(), 'openmrs-type-case-'));
  const mediator = await startMediator(
    loadSettings({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      AUTH_PASSWORD: INBOUND,
      OPENMRS_BASE_URL: sb.url,
      OPENMRS_USERNAME: 'admin',
      OPENMRS_PASSWORD: ADMIN_PASSWORD,
      OPENMRS_TIMEOUT_MS: '3000',
    } as NodeJS.ProcessEnv),
  );
  t.teardown(async () => {
    await mediator.stop();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const names = async (query: string): Promise<string[]> => {
    const res = await fetch(`${mediator.url}/fhir/Location?_count=200&${query}`, {
      headers: { authorization: AUTH, accept: 'application/fhir+json' },
    });
    t.equal(res.status, 200, query);
    const body = (await res.json()) as { entry?: { resource: { name: string } }[] };
    return (body.entry ?? []).map((e) => e.resource.name).sort();
  };
  const tagged = await names(`type=${encodeURIComponent('Login Location')}`);
  t.ok(tagged.length > 0, `the sandbox has Login Locations: ${tagged}`);
  t.same(await names(`type=${encodeURIComponent(`${LOCATION_TAG_SYSTEM}|Login Location`)}`), tagged, 'with its system');
  t.same(await names(`type=${encodeURIComponent('login location')}`), [], 'another case is another code');
  t.same(await names(`type=${encodeURIComponent(`${LOCATION_TAG_SYSTEM}|LOGIN LOCATION`)}`), [], 'with its system too');
});
