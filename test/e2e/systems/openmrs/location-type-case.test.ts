/**
 * `Location?type=` on OpenMRS as FHIR token search says (search.html#token): a code is matched as
 * spelt, case-sensitive, since the tag code system says nothing else. OpenMRS alone matched a tag
 * whatever its case, so `type=login location` listed what OpenLMIS, DHIS2 and Open mSupply would
 * never list for a code differing only in case. Through the real mediator and the OpenMRS sandbox.
 */
import t from 'tap';
import { LOCATION_TAG_SYSTEM } from '../../../../src/systems/openmrs/location-codec.js';
import { startOpenMrsRig } from '../../../support/openmrs-e2e.js';

t.test('a location tag is matched as spelt, with or without its system', async (t) => {
  const rig = await startOpenMrsRig('openmrs-type-case');
  t.teardown(() => rig.close());
  const names = async (query: string): Promise<string[]> => {
    const res = await rig.fhir('GET', `/fhir/Location?_count=200&${query}`);
    t.equal(res.status, 200, query);
    const body = res.body as { entry?: { resource: { name: string } }[] };
    return (body.entry ?? []).map((e) => e.resource.name).sort();
  };
  const tagged = await names(`type=${encodeURIComponent('Login Location')}`);
  t.ok(tagged.length > 0, `the sandbox has Login Locations: ${tagged}`);
  t.same(await names(`type=${encodeURIComponent(`${LOCATION_TAG_SYSTEM}|Login Location`)}`), tagged, 'with its system');
  t.same(await names(`type=${encodeURIComponent('login location')}`), [], 'another case is another code');
  t.same(await names(`type=${encodeURIComponent(`${LOCATION_TAG_SYSTEM}|LOGIN LOCATION`)}`), [], 'with its system too');
});
