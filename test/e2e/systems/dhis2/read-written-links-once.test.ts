/**
 * A Location read by its DHIS2 UID asks the store once for the links writes made: the look-up
 * that tells whether the UID is a second id of a Location the mediator wrote (301 to its id) and
 * the one that names its parent by the id that parent's write came under were two queries of
 * resource_links per read (session 24's note); they are one, and the answer is the same: a
 * facility under a district the mediator wrote names the district by the district's client id.
 * Through the DHIS2 sandbox, both store engines.
 */
import t from 'tap';
import { aRegion, startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';

for (const engine of engineCases()) {
  t.test(`a read by UID looks up the written links once (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } });
    const region = await aRegion(rig);
    const district = {
      resourceType: 'Location',
      id: 'mfr-d1',
      identifier: [{ system: 'https://mfr.example.org/facility', value: 'D1' }],
      status: 'active',
      name: 'Nakonde District',
      partOf: { reference: `Location/${region}` },
    };
    const made = await rig.fhir('PUT', '/fhir/Location/mfr-d1', district);
    t.equal(made.status, 201, why(made));
    const districtUnit = [...rig.dhis2.state.orgUnits.values()].find((o: any) => o.code === 'D1') as any;
    // a facility made in DHIS2 itself, under the district the mediator wrote: read by its UID
    const created = await fetch(`${rig.dhis2.url}/api/organisationUnits`, {
      method: 'POST',
      headers: { authorization: `ApiToken ${SEED_API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Nakonde Border Post',
        shortName: 'Nakonde Border Post',
        code: 'NBP1',
        openingDate: '2026-01-01',
        parent: { id: districtUnit.id },
      }),
    });
    t.equal(created.status, 201, await created.clone().text());
    const facility = [...rig.dhis2.state.orgUnits.values()].find((o: any) => o.code === 'NBP1') as any;

    const store = rig.mediator.store;
    const original = store.linksToUpstream.bind(store);
    let lookups = 0;
    store.linksToUpstream = async (...args) => {
      lookups++;
      return original(...args);
    };
    t.teardown(() => {
      store.linksToUpstream = original;
    });
    const read = await rig.fhir('GET', `/fhir/Location/${facility.id}`);
    t.equal(read.status, 200, why(read));
    t.equal(read.body.partOf.reference, 'Location/mfr-d1', 'its parent by the id the district was written under');
    t.equal(lookups, 1, 'one look-up of the written links');
  });
}
