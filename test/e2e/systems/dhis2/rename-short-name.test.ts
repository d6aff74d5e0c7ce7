/**
 * A facility renamed through the mediator (a PUT of the Location as read, with a new name) kept
 * the org unit's short name, which was only its old name: DHIS2 went on showing the old name
 * wherever it shows short names, the Location read back with the old name as an alias the client
 * never sent, and the same PUT sent again after its answer was lost was a 412 instead of the 200
 * README "FHIR conventions" promises. A short name of its own is still kept. Through the DHIS2
 * sandbox, on both store engines.
 */
import t from 'tap';
import { aRegion, startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

for (const engine of engineCases()) {
  t.test(`a rename renames a short name that was only the name (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } });
    const region = await aRegion(rig);
    const made = await rig.fhir('PUT', '/fhir/Location/mfr-f1', {
      resourceType: 'Location',
      id: 'mfr-f1',
      identifier: [{ system: 'https://mfr.example.org/facility', value: 'F1' }],
      status: 'active',
      name: 'Mpika Clinic',
      partOf: { reference: `Location/${region}` },
    });
    t.equal(made.status, 201);
    const read = await rig.fhir('GET', '/fhir/Location/mfr-f1');
    const renamed = { ...read.body, meta: undefined, name: 'Mpika Rural Health Centre' };
    const etag = read.headers.get('etag')!;
    const first = await rig.fhir('PUT', '/fhir/Location/mfr-f1', renamed, { 'if-match': etag });
    t.equal(first.status, 200);
    const unit = [...rig.dhis2.state.orgUnits.values()].find((o: any) => o.code === 'F1') as any;
    t.equal(unit.shortName, 'Mpika Rural Health Centre', 'DHIS2 shows the new name as the short name too');
    t.equal(first.body.alias, undefined, 'no alias the client never sent');
    const again = await rig.fhir('PUT', '/fhir/Location/mfr-f1', renamed, { 'if-match': etag });
    t.equal(again.status, 200, 'sent again after it applied: already there');
    t.equal(again.headers.get('etag'), first.headers.get('etag'));

    // a district with a short name of its own keeps it through a rename that names no alias
    const district = (await rig.fhir('GET', '/fhir/Location?name=Northern%20Highlands%20Region')).body.entry[0]
      .resource;
    t.same(district.alias, ['Northern Highlands']);
    const put = await rig.fhir('PUT', `/fhir/Location/${district.id}`, {
      ...district,
      meta: undefined,
      alias: undefined,
      name: 'Northern Highlands Province',
    });
    t.equal(put.status, 200);
    t.equal(rig.dhis2.state.orgUnits.get(district.id)!.shortName, 'Northern Highlands');
  });
}
