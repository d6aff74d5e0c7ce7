/**
 * A stock search fans out as every search does: each system answers what it can, and the answers
 * merge. OpenLMIS, OpenMRS and DHIS2 read stock per facility, so a search without a location is
 * nothing they can ask: beside Open mSupply, which lists every store's stock, the answer is
 * mSupply's (as a system that does not know a facility adds no match), not OpenMRS's 422; with
 * no system that can answer, a 422 at `location` from each that needs it. Through the real
 * mediator and the Open mSupply, OpenMRS and OpenLMIS sandboxes, on both store engines (a search
 * stores the links of what it lists).
 */
import t from 'tap';
import { ADMIN_PASSWORD, LOC, startOpenMrsSandbox } from '../../../sandbox/openmrs/index.js';
import { startMsupplyRigOn } from '../../support/msupply-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { startRigOn, why } from '../../support/openlmis-e2e.js';

const OPENMRS_REPORT = /^omrs-inv-/;

async function openmrsOn(t: { teardown(fn: () => unknown): void }) {
  const sb = await startOpenMrsSandbox();
  t.teardown(() => sb.close());
  return { OPENMRS_BASE_URL: sb.url, OPENMRS_USERNAME: 'admin', OPENMRS_PASSWORD: ADMIN_PASSWORD };
}

const ids = (r: { body: any }): string[] => (r.body.entry ?? []).map((e: any) => e.resource.id);

for (const engine of engineCases()) {
  t.test(`${engine.name}: Open mSupply and OpenMRS, no location: mSupply answers`, { skip: engine.skip }, async (t) => {
    const openmrs = await openmrsOn(t);
    const rig = await startMsupplyRigOn(t, engine, {}, { OPENLMIS_BASE_URL: '', ...openmrs });

    const all = await rig.fhir('GET', '/fhir/R5/InventoryReport');
    t.equal(all.status, 200, why(all));
    t.ok(ids(all).length > 0, `the stores' stock: ${ids(all)}`);
    t.notOk(
      ids(all).some((id) => OPENMRS_REPORT.test(id)),
      'nothing of OpenMRS, which reads per location',
    );

    // with a location OpenMRS holds, OpenMRS answers it
    const kilima = await rig.fhir('GET', `/fhir/R5/InventoryReport?location=${LOC.kilima}`);
    t.equal(kilima.status, 200, why(kilima));
    t.same(ids(kilima), [`omrs-inv-${LOC.kilima}`]);
  });

  t.test(`${engine.name}: OpenLMIS and OpenMRS, no location: what each needs`, { skip: engine.skip }, async (t) => {
    const openmrs = await openmrsOn(t);
    const rig = await startRigOn(t, engine, openmrs);
    const none = await rig.fhir('GET', '/fhir/R5/InventoryReport');
    t.equal(none.status, 422, why(none));
    t.same(
      none.body.issue.map((i: any) => i.expression),
      [['location'], ['location']],
      'refused at the parameter both need',
    );
    t.match(
      none.body.issue.map((i: any) => i.diagnostics),
      [/^OpenLMIS stock is read per facility/, /^OpenMRS stock is read per location/],
    );
  });
}
