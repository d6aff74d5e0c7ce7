/**
 * A registry PUTs its districts and facilities under its own ids, each facility `partOf` its
 * district by that id. DHIS2 keeps the parent as the district's org unit UID, and the facility read
 * back (its create's answer, a read, a search) named its parent by that UID: an id the client never
 * sent, under which a read gives the district a second identity beside the one searches list it
 * by. Now a parent the mediator wrote is named by the id its write came under, everywhere the
 * facility is read. Through the DHIS2 sandbox, on both store engines.
 */
import t from 'tap';
import { aRegion, startDhis2RigOn } from '../../support/dhis2-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const MFR = 'https://mfr.example.org/facility';

function location(id: string, code: string, name: string, partOf: string): any {
  return {
    resourceType: 'Location',
    id,
    identifier: [{ system: MFR, value: code }],
    status: 'active',
    name,
    partOf: { reference: partOf },
  };
}

for (const engine of engineCases()) {
  t.test(
    `a facility under a district written by its client names it by the client's id (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } });
      const region = await aRegion(rig);
      const district = await rig.fhir(
        'PUT',
        '/fhir/Location/mfr-d1',
        location('mfr-d1', 'D1', 'Kaputa District', `Location/${region}`),
      );
      t.equal(district.status, 201);
      const facility = await rig.fhir(
        'PUT',
        '/fhir/Location/mfr-f1',
        location('mfr-f1', 'F1', 'Kaputa Clinic', 'Location/mfr-d1'),
      );
      t.equal(facility.status, 201);
      const uid = [...rig.dhis2.state.orgUnits.values()].find((o: any) => o.name === 'Kaputa District')!.id;
      t.equal(
        [...rig.dhis2.state.orgUnits.values()].find((o: any) => o.name === 'Kaputa Clinic')!.parentId,
        uid,
        'DHIS2 holds the parent by its UID',
      );
      t.same(facility.body.partOf, { reference: 'Location/mfr-d1' }, "the create's answer names the parent as sent");
      const read = await rig.fhir('GET', '/fhir/Location/mfr-f1');
      t.same(read.body.partOf, { reference: 'Location/mfr-d1' }, 'a read too');
      t.equal(read.headers.get('etag'), facility.headers.get('etag'), 'the same version as the answer');
      for (const base of ['/fhir', '/fhir/R5']) {
        const found = await rig.fhir('GET', `${base}/Location?partof=Location/mfr-d1`);
        t.same(
          found.body.entry.map((e: any) => [e.resource.id, e.resource.partOf.reference, e.resource.meta.versionId]),
          [['mfr-f1', 'Location/mfr-d1', (await rig.fhir('GET', `${base}/Location/mfr-f1`)).body.meta.versionId]],
          `${base}: a search by the parent's id finds it, named so, at the version a read gives`,
        );
      }
    },
  );
}
