/**
 * A stock search fans out as every search does: each system answers what it can, and the answers
 * merge. OpenLMIS, OpenMRS and DHIS2 read stock per facility, so a search without a location is
 * nothing they can ask: beside Open mSupply, which lists every store's stock, the answer is
 * mSupply's (as a system that does not know a facility adds no match), not OpenMRS's 422, with
 * an OperationOutcome entry (search.mode outcome) saying OpenMRS was left out and why; with
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

const matches = (r: { body: any }): any[] => (r.body.entry ?? []).filter((e: any) => e.search.mode === 'match');
const ids = (r: { body: any }): string[] => matches(r).map((e: any) => e.resource.id);
const outcomes = (r: { body: any }): any[] => (r.body.entry ?? []).filter((e: any) => e.search.mode === 'outcome');

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
    // the answer says OpenMRS was left out and what it needs, in one outcome entry after the matches
    const [told, ...more] = outcomes(all);
    t.same(more, [], 'one outcome entry');
    t.equal(all.body.entry.at(-1), told, 'after the matches');
    t.match(told, {
      fullUrl: /^urn:uuid:[0-9a-f-]{36}$/,
      resource: {
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'warning',
            code: 'incomplete',
            diagnostics: /^left out of this answer: OpenMRS stock is read per location/,
            expression: ['location'],
          },
        ],
      },
      search: { mode: 'outcome' },
    });
    t.equal(all.body.total, ids(all).length, 'the total counts matches only');
    const again = await rig.fhir('GET', '/fhir/R5/InventoryReport');
    t.equal(outcomes(again)[0].fullUrl, told.fullUrl, 'the same search, the same outcome entry');
    const count = await rig.fhir('GET', '/fhir/R5/InventoryReport?_summary=count');
    t.equal(count.body.total, ids(all).length);
    t.same(outcomes(count), [told], 'a count says it too: it is of the systems that answered');
    const page = await rig.fhir('GET', '/fhir/R5/InventoryReport?_count=1&_offset=1');
    t.equal(page.status, 200, why(page));
    t.equal(matches(page).length, 1, 'a page of one match, the outcome entry beside it');
    t.same(outcomes(page), [told]);
    t.ok(page.body.link.some((l: any) => l.relation === 'next') === ids(all).length > 2, 'paging counts matches only');

    // with a location OpenMRS holds, OpenMRS answers it
    const kilima = await rig.fhir('GET', `/fhir/R5/InventoryReport?location=${LOC.kilima}`);
    t.equal(kilima.status, 200, why(kilima));
    t.same(ids(kilima), [`omrs-inv-${LOC.kilima}`]);
    t.same(outcomes(kilima), [], 'nothing left out: no outcome entry');
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
