/**
 * A facility the mediator wrote to DHIS2 under a client's id (a PUT of Location/mfr-f1) is one
 * Location: mfr-f1, as searches list it. Its org unit's UID also read as a Location, with that UID
 * as its id, so a client that followed a reference by UID (or was given one by DHIS2) stored a
 * second Location for one facility. A read by the UID now answers 301 to the Location's id (a
 * FHIR read must answer the id it was asked for, so it is not answered as mfr-f1 in place), an
 * `_id` search finds the facility by mfr-f1 and not by the UID, and a change sent to the UID is a
 * 409 naming mfr-f1, nothing written. Through the DHIS2 sandbox, both store engines.
 */
import t from 'tap';
import { aRegion, startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { RIG_AUTH, why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

for (const engine of engineCases()) {
  t.test(`an org unit the mediator created has one Location id (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } });
    const region = await aRegion(rig);
    const location = {
      resourceType: 'Location',
      id: 'mfr-f1',
      identifier: [{ system: 'https://mfr.example.org/facility', value: 'F1' }],
      status: 'active',
      name: 'Mpika Clinic',
      partOf: { reference: `Location/${region}` },
    };
    const made = await rig.fhir('PUT', '/fhir/Location/mfr-f1', location);
    t.equal(made.status, 201, why(made));
    const unit = [...rig.dhis2.state.orgUnits.values()].find((o: any) => o.code === 'F1') as any;
    t.ok(unit, 'the org unit is in DHIS2');
    const uid = String(unit.id);
    t.not(uid, 'mfr-f1');

    const byUid = await fetch(`${rig.mediator.url}/fhir/Location/${uid}`, {
      headers: { authorization: RIG_AUTH, accept: 'application/fhir+json' },
      redirect: 'manual',
    });
    t.equal(byUid.status, 301, 'a read by the UID is sent to the Location');
    t.match(byUid.headers.get('location'), /\/fhir\/Location\/mfr-f1$/);
    const moved = (await byUid.json()) as { issue: { diagnostics: string }[] };
    t.match(moved.issue[0].diagnostics, /Location\/mfr-f1/);
    const followed = await rig.fhir('GET', `/fhir/Location/${uid}`);
    t.equal(followed.status, 200, 'a client following it reads the Location');
    t.equal(followed.body.id, 'mfr-f1', 'under its one id');
    const r5 = await fetch(`${rig.mediator.url}/fhir/R5/Location/${uid}`, {
      headers: { authorization: RIG_AUTH, accept: 'application/fhir+json' },
      redirect: 'manual',
    });
    t.match(r5.headers.get('location'), /\/fhir\/R5\/Location\/mfr-f1$/, 'on R5 too, to the R5 base');

    const batch = await rig.fhir('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ request: { method: 'GET', url: `Location/${uid}` } }],
    });
    t.equal(batch.body.entry[0].response.status, '301 Moved Permanently', 'a batch GET entry by the UID');
    t.match(batch.body.entry[0].response.location, /\/fhir\/Location\/mfr-f1$/);
    t.notOk(batch.body.entry[0].resource);

    const ids = async (query: string) =>
      ((await rig.fhir('GET', `/fhir/Location?${query}`)).body.entry ?? []).map((e: any) => e.resource.id);
    t.same(await ids('identifier=F1'), ['mfr-f1'], 'by identifier (the org unit code)');
    t.same(await ids('_id=mfr-f1'), ['mfr-f1'], '_id finds it by its id');
    t.same(await ids(`_id=${uid}`), [], 'and not by the UID, as a read does not');

    const put = await rig.fhir('PUT', `/fhir/Location/${uid}`, { ...location, id: uid, name: 'Other' });
    t.equal(put.status, 409, `a change sent to the UID: ${why(put)}`);
    t.match(why(put), /change it as mfr-f1/);
    t.equal(unit.name, 'Mpika Clinic', 'nothing written');
    t.equal((await rig.fhir('GET', '/fhir/Location/mfr-f1')).body.name, 'Mpika Clinic');
  });
}
