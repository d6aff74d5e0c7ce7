/**
 * A client's Location fans out to DHIS2 and OpenMRS under the parent each system keeps. The shipped
 * routing.json writes a facility to the system of record (OpenLMIS) and to DHIS2 and OpenMRS as
 * secondary targets; the client names the parent by its OpenLMIS geographic zone (the id it read
 * from this mediator). DHIS2 wants the parent org unit's UID, OpenMRS the parent location's uuid:
 * each secondary job finds that system's area of the zone's name when it is delivered
 * (routing/facility-parent.ts). Through the FHIR edge, the real routing, outbox, connectors and
 * sandboxes, on both store engines: a zone named alike in all three lands in all three; a zone
 * DHIS2 has no org unit of is refused for DHIS2 alone, with the reason, and lands in the others.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { drain, startPropagationRigOn } from '../../support/propagation-rig.js';
import { connectorOf, idByCode } from '../../support/linked-facility.js';
import { fhirJson, testApp } from '../../support/app.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import { systemParent } from '../../../src/routing/facility-parent.js';
import { seedUid } from '../../../sandbox/dhis2/index.js';
import { DEFAULT_IDENTIFIER_SYSTEM } from '../../../src/registry/mfr/settings.js';
import { openMrsArea } from '../../support/openmrs-areas.js';

const TEMPLATE = 'LK-HC-101';

/** The client's Location: a facility read from the mediator, under a new code and name, in `zoneId`. */
async function clientLocation(
  app: Awaited<ReturnType<typeof testApp>>['app'],
  lmisId: string,
  code: string,
  zoneId: string,
) {
  const read = await app.inject({ method: 'GET', url: `/fhir/Location/${lmisId}`, headers: fhirJson });
  if (read.statusCode !== 200) throw new Error(`read ${lmisId}: ${read.statusCode} ${read.body}`);
  const { id: _id, meta: _meta, ...location } = read.json();
  return {
    ...location,
    name: `Client clinic ${code}`,
    // the registry code: what OpenMRS keeps a location's code as, and OpenLMIS and DHIS2 as theirs
    identifier: [{ system: DEFAULT_IDENTIFIER_SYSTEM, value: code }],
    partOf: { reference: `Location/${zoneId}` },
  };
}

for (const engine of engineCases())
  t.test(
    `a client Location under an OpenLMIS zone reaches DHIS2 and OpenMRS (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      const services = createRoutingServices({
        connectors: rig.connectors.list(),
        outbox: rig.outbox,
        store: rig.store,
      });
      const { app } = await testApp({ services });
      t.teardown(() => app.close());
      const lmis = connectorOf(rig, 'openlmis');
      const lmisId = (await idByCode(lmis, TEMPLATE))!;
      const mberewa = (await idByCode(lmis, 'LKL-N-MBR', 'area'))!;
      const chilangaTown = (await idByCode(lmis, 'LKL-S-CHL-TWN', 'area'))!;
      const mrsMberewa = await openMrsArea(rig, 'Mberewa District');
      const mrsChilangaTown = await openMrsArea(rig, 'Chilanga Town');
      const jobsOf = async (code: string) =>
        Object.fromEntries(
          (await rig.store.listJobs({ flow: 'facility' }))
            .filter((j) => (j.payload as { identifiers: { value: string }[] }).identifiers[0]?.value === code)
            .map((j) => [j.system, j]),
        );
      const inOpenMrs = async (name: string) => [...rig.openmrs.store.locations.values()].find((l) => l.name === name);

      await t.test('a zone DHIS2 and OpenMRS both have by name: the facility lands in all three', async (t) => {
        const code = 'LK-HC-301';
        const posted = await app.inject({
          method: 'POST',
          url: '/fhir/Location',
          headers: fhirJson,
          payload: await clientLocation(app, lmisId, code, mberewa),
        });
        t.equal(posted.statusCode, 201, 'the system of record takes it');
        await drain(rig.store);
        const jobs = await jobsOf(code);
        t.match(
          jobs,
          { openlmis: { status: 'done' }, dhis2: { status: 'done' }, openmrs: { status: 'done' } },
          `three jobs done: ${Object.values(jobs).map((j) => j.lastError)}`,
        );
        t.equal(
          (jobs.dhis2.payload as { partOf?: string }).partOf,
          mberewa,
          "the DHIS2 job keeps the client's payload",
        );

        const lmisFacility = (await lmis.facilities!.search({ identifier: { value: code } })).items[0];
        t.equal(lmisFacility?.partOf, mberewa, 'OpenLMIS: in the zone');
        const orgUnit = [...rig.dhis2.state.orgUnits.values()].find((o) => o.code === code);
        t.equal(orgUnit?.parentId, seedUid('orgUnit:LKL-N-MBR'), 'DHIS2: under the Mberewa District org unit');
        const location = await inOpenMrs(`Client clinic ${code}`);
        t.equal(location?.parentUuid, mrsMberewa, 'OpenMRS: under the Mberewa District location');
      });

      await t.test('a zone DHIS2 has no org unit of: refused for DHIS2 alone, with the reason', async (t) => {
        const code = 'LK-HC-302';
        const posted = await app.inject({
          method: 'POST',
          url: '/fhir/Location',
          headers: fhirJson,
          payload: await clientLocation(app, lmisId, code, chilangaTown),
        });
        t.equal(posted.statusCode, 201, 'the system of record takes it');
        await drain(rig.store);
        const jobs = await jobsOf(code);
        t.match(jobs, { openlmis: { status: 'done' }, dhis2: { status: 'rejected' }, openmrs: { status: 'done' } });
        t.equal(
          jobs.dhis2.lastError,
          `parent area 'Chilanga Town' (OpenLMIS zone ${chilangaTown}) has no DHIS2 org unit of that name, so the facility cannot be placed in dhis2; link the two in the crosswalk or name the DHIS2 org unit alike`,
          'the reason names the parent and the system',
        );
        t.notOk(
          [...rig.dhis2.state.orgUnits.values()].some((o) => o.code === code),
          'nothing written to DHIS2',
        );
        t.equal(
          (await inOpenMrs(`Client clinic ${code}`))?.parentUuid,
          mrsChilangaTown,
          'OpenMRS: under Chilanga Town',
        );
      });

      await t.test('two org units of the name: refused, until the crosswalk links one to the zone', async (t) => {
        const tsangano = (await idByCode(lmis, 'LKL-N-TSG', 'area'))!;
        // DHIS2 names need not be unique: a second Tsangano District, at the same level elsewhere
        const seeded = seedUid('orgUnit:LKL-N-TSG');
        const twin = 'TsgTwin0001';
        rig.dhis2.state.orgUnits.set(twin, {
          ...rig.dhis2.state.orgUnits.get(seeded)!,
          id: twin,
          code: 'LKL-S-TSG',
          parentId: seedUid('orgUnit:LKL-S'),
        });
        const mrsTsangano = await openMrsArea(rig, 'Tsangano District');
        const posted = await app.inject({
          method: 'POST',
          url: '/fhir/Location',
          headers: fhirJson,
          payload: await clientLocation(app, lmisId, 'LK-HC-303', tsangano),
        });
        t.equal(posted.statusCode, 201, 'the system of record takes it');
        await drain(rig.store);
        const jobs = await jobsOf('LK-HC-303');
        t.match(jobs, { openlmis: { status: 'done' }, dhis2: { status: 'rejected' }, openmrs: { status: 'done' } });
        t.equal(
          jobs.dhis2.lastError,
          `parent area 'Tsangano District' (OpenLMIS zone ${tsangano}) has 2 DHIS2 org units of that name in dhis2: ${[seeded, twin].sort().join(', ')}; link the right one to it in the crosswalk`,
          'the reason names both',
        );
        t.equal((await inOpenMrs('Client clinic LK-HC-303'))?.parentUuid, mrsTsangano, 'OpenMRS has one: written');

        // a person links the zone and the twin to the same registry jurisdiction; the operator retries
        await rig.link('openlmis', tsangano, 'jurisdiction-tsangano');
        await rig.link('dhis2', twin, 'jurisdiction-tsangano');
        const audit = { actor: 'operator', action: 'outbox.retry', subject: `outbox/${jobs.dhis2.id}` };
        t.ok(await rig.store.requeueJob(jobs.dhis2.id, audit, Date.now(), 'rejected'), "the operator's retry");
        await drain(rig.store);
        t.equal((await rig.store.getJob(jobs.dhis2.id))?.status, 'done', 'the retried job resolves the parent again');
        const orgUnit = [...rig.dhis2.state.orgUnits.values()].find((o) => o.code === 'LK-HC-303');
        t.equal(orgUnit?.parentId, twin, 'under the linked org unit');
      });

      await t.test('two org units of the name at different levels: the one at the zone level', async (t) => {
        // a region-level org unit named like the district (level 2; the zone and the district: District)
        const seeded = seedUid('orgUnit:LKL-N-MBR');
        rig.dhis2.state.orgUnits.set('MbrRegion01', {
          ...rig.dhis2.state.orgUnits.get(seeded)!,
          id: 'MbrRegion01',
          code: 'LKL-MBR-REGION',
          parentId: seedUid('orgUnit:LKL'),
        });
        const posted = await app.inject({
          method: 'POST',
          url: '/fhir/Location',
          headers: fhirJson,
          payload: await clientLocation(app, lmisId, 'LK-HC-304', mberewa),
        });
        t.equal(posted.statusCode, 201, 'the system of record takes it');
        await drain(rig.store);
        t.match(await jobsOf('LK-HC-304'), { dhis2: { status: 'done' } });
        const orgUnit = [...rig.dhis2.state.orgUnits.values()].find((o) => o.code === 'LK-HC-304');
        t.equal(orgUnit?.parentId, seeded, 'under the district, not the region of the same name');
      });

      await t.test("a parent that is the system's own id is kept", async (t) => {
        const uid = seedUid('orgUnit:LKL-N-MBR');
        const facility = {
          identifiers: [],
          name: 'x',
          status: 'active' as const,
          kind: 'facility' as const,
          partOf: uid,
        };
        const deps = { connectors: rig.connectors.list(), store: rig.store };
        t.equal((await systemParent('dhis2', facility, deps)).partOf, uid, 'a DHIS2 UID for DHIS2');
        t.equal(
          (await systemParent('openmrs', facility, deps)).partOf,
          mrsMberewa,
          'the same UID for OpenMRS: its area of that name',
        );
      });
    },
  );
