/**
 * A transaction whose entries name each other by `urn:uuid:` fullUrl (FHIR http.html#trules), as
 * a registry pushes a new district and a facility in it: the facility's `partOf` is resolved to
 * the id the district's create gets, and reaches DHIS2 (through its sandbox) as the new district's
 * org unit UID. Before, the urn went upstream as the parent's id: DHIS2 refused the facility after
 * the district was written, leaving the transaction applied in part. A Location created alone and
 * then named as a parent by the id its create answered is that org unit too, and a search for its
 * children by that id finds them. An entry naming a conditional create that finds its district
 * names the district found. In a batch, whose entries are each on their own, such a reference is
 * a 400 naming both entries. A reference to a
 * later entry is refused before anything is written. On both store engines.
 */
import t from 'tap';
import { aRegion, orgUnitNamed, mfrLocation, startDhis2RigOn } from '../../support/dhis2-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const DISTRICT = 'urn:uuid:11111111-1111-4111-8111-111111111111';
const FACILITY = 'urn:uuid:22222222-2222-4222-8222-222222222222';

const post = (fullUrl: string, resource: unknown) => ({
  fullUrl,
  resource,
  request: { method: 'POST', url: 'Location' },
});

for (const engine of engineCases()) {
  t.test(
    `a facility partOf a district created in the same transaction lands under it (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } });
      const region = await aRegion(rig);
      const answer = await rig.fhir('POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          post(DISTRICT, mfrLocation('MFR-D1', 'Kalambo District', `Location/${region}`)),
          post(FACILITY, mfrLocation('MFR-F1', 'Kalambo Health Post', DISTRICT)),
        ],
      });
      t.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 600));
      t.same(
        answer.body.entry.map((e: any) => e.response.status),
        ['201 Created', '201 Created'],
      );
      const district = orgUnitNamed(rig, 'Kalambo District');
      const facility = orgUnitNamed(rig, 'Kalambo Health Post');
      t.ok(district && facility, 'both org units were created');
      t.equal(facility.parentId, district.id, "the facility's parent is the new district's UID, not the urn");
      t.equal(rig.dhis2.state.count('POST', '/api/organisationUnits'), 2, 'each created once');
      const districtId = answer.body.entry[0].resource.id;
      t.equal(answer.body.entry[1].resource.partOf.reference.startsWith('Location/'), true);
      const read = await rig.fhir('GET', `/fhir/Location/${districtId}`);
      t.equal(read.status, 200);
      t.equal(read.body.name, 'Kalambo District');
    },
  );

  t.test(
    `a Location named as parent by the id its create answered is that org unit (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } });
      const region = await aRegion(rig);
      const made = await rig.fhir(
        'POST',
        '/fhir/Location',
        mfrLocation('MFR-D2', 'Nsama District', `Location/${region}`),
      );
      t.equal(made.status, 201, JSON.stringify(made.body).slice(0, 400));
      const child = await rig.fhir(
        'POST',
        '/fhir/Location',
        mfrLocation('MFR-F2', 'Nsama Dispensary', `Location/${made.body.id}`),
      );
      t.equal(child.status, 201, JSON.stringify(child.body).slice(0, 400));
      t.equal(orgUnitNamed(rig, 'Nsama Dispensary').parentId, orgUnitNamed(rig, 'Nsama District').id);
      const children = await rig.fhir('GET', `/fhir/Location?partof=${encodeURIComponent(`Location/${made.body.id}`)}`);
      t.equal(children.status, 200);
      t.same(
        children.body.entry?.map((e: any) => e.resource.id),
        [child.body.id],
        'its children are found by the id its create answered',
      );
    },
  );

  t.test(
    `a facility partOf a conditional create that finds its district lands under the one found (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } });
      const existing = orgUnitNamed(rig, 'Mberewa District');
      const code = { system: 'http://dhis2.org/identifiertypes#code', value: existing.code };
      const answer = await rig.fhir('POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: DISTRICT,
            resource: { resourceType: 'Location', identifier: [code], status: 'active', name: 'Mberewa District' },
            request: {
              method: 'POST',
              url: 'Location',
              ifNoneExist: `identifier=${encodeURIComponent(`${code.system}|${code.value}`)}`,
            },
          },
          post(FACILITY, mfrLocation('MFR-F4', 'Mberewa Outreach Post', DISTRICT)),
        ],
      });
      t.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 600));
      t.same(
        answer.body.entry.map((e: any) => e.response.status),
        ['200 OK', '201 Created'],
      );
      t.equal(
        orgUnitNamed(rig, 'Mberewa Outreach Post').parentId,
        existing.id,
        'under the district the condition found',
      );
      t.equal(rig.dhis2.state.count('POST', '/api/organisationUnits'), 1, 'the district is not made again');
    },
  );

  t.test(
    `a batch entry naming another entry is a 400 naming both; the other entry is written (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } });
      const region = await aRegion(rig);
      const answer = await rig.fhir('POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          post(DISTRICT, mfrLocation('MFR-D5', 'Mporokoso District', `Location/${region}`)),
          post(FACILITY, mfrLocation('MFR-F5', 'Mporokoso Clinic', DISTRICT)),
        ],
      });
      t.equal(answer.status, 200);
      t.same(
        answer.body.entry.map((e: any) => e.response.status),
        ['201 Created', '400'],
      );
      const issue = answer.body.entry[1].response.outcome.issue[0];
      t.same(issue.expression, ['Bundle.entry[1].resource.partOf.reference']);
      t.match(issue.diagnostics, /names Bundle\.entry\[0\] of this batch.*transaction/);
      t.notOk(orgUnitNamed(rig, 'Mporokoso Clinic'), 'the facility did not reach DHIS2');
    },
  );

  t.test(
    `a reference to a later entry is refused before anything is written (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } });
      const region = await aRegion(rig);
      const answer = await rig.fhir('POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          post(FACILITY, mfrLocation('MFR-F3', 'Chisanga Health Post', DISTRICT)),
          post(DISTRICT, mfrLocation('MFR-D3', 'Chisanga District', `Location/${region}`)),
        ],
      });
      t.equal(answer.status, 422);
      t.same(answer.body.issue[0].expression, ['Bundle.entry[0].resource.partOf.reference']);
      t.match(
        answer.body.issue[0].diagnostics,
        /names Bundle\.entry\[1\].*put Bundle\.entry\[1\] before Bundle\.entry\[0\]/,
      );
      t.equal(rig.dhis2.state.count('POST', '/api/organisationUnits'), 0, 'nothing reached DHIS2');
    },
  );
}
