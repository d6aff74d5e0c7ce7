/**
 * Difference reports DHIS2 refused, on a bad day. Each adds its change to what DHIS2 holds when it
 * is delivered, whichever way it comes back:
 * - two adjustments refused (the period closed), then reopened: the operator retries the latest;
 *   the earlier is overtaken (409, a later report of the facility was accepted after it) and its
 *   client sends it again: -1, -3 and -5 are -9;
 * - a report DHIS2 would take in part (one value it cannot write) lands whole or not at all: a dry
 *   run first, so sent again it does not add the values that landed the first time twice;
 * - a refused report retried after another adjustment of the facility landed (named by its DHIS2
 *   code, so under another order key) adds to the total DHIS2 holds then, not the one read before.
 * - two adjustments of a facility named two ways (two order keys) delivered at once, DHIS2 slow to
 *   read the totals: one after the other, both count (-3 and -5 are -8, not -5).
 * Through the real mediator, its outbox and store (both engines) and the DHIS2 sandbox.
 */
import t, { type Test } from 'tap';
import { startDhis2RigOn, STOCK_TO_DHIS2 } from '../../../support/dhis2-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { adminCall } from '../../../support/march-stock-count.js';
import { retryUntilDelivered } from '../../../support/operator-retry.js';

const ADMIN = 'difference-retry-admin-token-Zr4';
const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
const MEASURE_SYSTEM = 'http://fhir-supply-mediator.org/fhir/CodeSystem/dhis2-stock-measure';
const CONDOM = '10860012300034';

/** `location`: a Location id, or a DHIS2 org unit code (`code:LK-HC-101`). */
const difference = (id: string, location: string, day: string, lines: [string, number][]) => ({
  resourceType: 'InventoryReport',
  identifier: [{ system: 'https://hmis.example.org/stock-reports', value: id }],
  status: 'active',
  countType: 'difference',
  reportedDateTime: `2024-03-${day}T09:00:00Z`,
  inventoryListing: [
    {
      location: location.startsWith('code:')
        ? { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: location.slice(5) } }
        : { reference: `Location/${location}` },
      item: lines.map(([measure, value]) => ({
        category: { coding: [{ system: MEASURE_SYSTEM, code: measure }] },
        item: { concept: { coding: [{ system: GTIN, code: CONDOM }] } },
        quantity: { value, unit: 'dispensing unit', system: UNIT, code: 'dispensing-unit' },
      })),
    },
  ],
});
const adjustment = (id: string, location: string, value: number, day: string) =>
  difference(id, location, day, [['adjustments', value]]);

/** The rig with one adjustment of March landed (-1), then March closed; the ids of two refused adjustments. */
async function twoRefused(t: Test, engine: ReturnType<typeof engineCases>[number]) {
  const rig = await startDhis2RigOn(t, engine, STOCK_TO_DHIS2, { ADMIN_TOKEN: ADMIN });
  const sb = rig.dhis2.state;
  const hc = sb.summary().orgUnits['LK-HC-101'];
  const de = [...sb.dataElements.values()].find((d) => d.code === 'FP_CNDM_ADJ')!.id;
  const stored = () =>
    [...sb.dataValues.values()].filter((v) => v.dataElement === de && v.period === '202403').map((v) => v.value);

  const first = await rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment('ADJ-0', hc, -1, '02'));
  t.equal(first.status, 201, JSON.stringify(first.body?.issue));
  sb.dataSets.get('LkStockMnth')!.expiryDays = 10;
  sb.clockOffsetMs = Date.parse('2024-04-20T08:00:00Z') - Date.now();
  for (const [id, value, day] of [
    ['ADJ-1', -3, '05'],
    ['ADJ-2', -5, '12'],
  ] as const) {
    const r = await rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment(id, hc, value, day));
    t.equal(r.status, 422, `${id} refused: the period is closed`);
  }
  t.same(stored(), ['-1'], 'nothing of the refused adjustments landed');
  const rejected = await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?status=rejected&system=dhis2');
  const jobs = (rejected.body.jobs as { id: string; createdAt: string }[]).sort((a, b) =>
    a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0,
  );
  t.equal(jobs.length, 2, 'two rejected jobs');
  sb.dataSets.get('LkStockMnth')!.lockExceptions.add(`${hc}|202403`);
  return { rig, hc, stored, jobs: jobs.map((j) => j.id) };
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: the later adjustment retried first, the earlier sent again`,
    { skip: engine.skip },
    async (t) => {
      const { rig, hc, stored, jobs } = await twoRefused(t, engine);
      const first = await adminCall(rig.mediator.url, ADMIN, 'POST', `/outbox/jobs/${jobs[0]}/retry?status=rejected`);
      t.equal(first.status, 409, 'the earlier is not retried: a later report of the facility was accepted after it');
      await retryUntilDelivered(t, rig.mediator.url, ADMIN, jobs[1]);
      t.same(stored(), ['-6']);
      const overtaken = await adminCall(
        rig.mediator.url,
        ADMIN,
        'POST',
        `/outbox/jobs/${jobs[0]}/retry?status=rejected`,
      );
      t.equal(overtaken.status, 409, 'the earlier one, overtaken, is not retried');
      const again = await rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment('ADJ-1', hc, -3, '05'));
      t.equal(again.status, 201, JSON.stringify(again.body?.issue));
      t.same(stored(), ['-9'], 'sent again by its client, it adds once');
    },
  );
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: a difference DHIS2 would take in part lands whole or not at all`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, STOCK_TO_DHIS2, { ADMIN_TOKEN: ADMIN });
      const sb = rig.dhis2.state;
      const hc = sb.summary().orgUnits['LK-HC-101'];
      const de = (code: string) => [...sb.dataElements.values()].find((d) => d.code === code)!;
      const adj = de('FP_CNDM_ADJ').id;
      const cons = de('FP_CNDM_CONS');
      const stored = (id: string) =>
        [...sb.dataValues.values()].filter((v) => v.dataElement === id && v.period === '202403').map((v) => v.value);

      t.equal((await rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment('ADJ-0', hc, -1, '02'))).status, 201);
      // the consumption data element is out of the integration user's reach (DHIS2 E7610 for that value alone)
      cons.code = 'FP_CNDM_CONS_HIDDEN';
      const both: [string, number][] = [
        ['adjustments', -3],
        ['consumption', 4],
      ];
      const refused = await rig.fhir('POST', '/fhir/R5/InventoryReport', difference('MIX-1', hc, '05', both));
      t.equal(refused.status, 422, JSON.stringify(refused.body?.issue));
      t.match(JSON.stringify(refused.body?.issue), /FP_CNDM_CONS/, 'names the value refused');
      t.same(stored(adj), ['-1'], 'the adjustment DHIS2 would have taken did not land alone');
      const later = await rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment('ADJ-2', hc, -5, '12'));
      t.equal(later.status, 201, JSON.stringify(later.body?.issue));
      t.same(stored(adj), ['-6']);

      cons.code = 'FP_CNDM_CONS';
      const again = await rig.fhir('POST', '/fhir/R5/InventoryReport', difference('MIX-1', hc, '05', both));
      t.equal(again.status, 201, JSON.stringify(again.body?.issue));
      t.same(stored(adj), ['-9'], 'the adjustment added once');
      t.same(stored(cons.id), ['4']);
    },
  );

for (const engine of engineCases())
  t.test(
    `${engine.name}: a refused adjustment retried adds to the totals of then`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, STOCK_TO_DHIS2, { ADMIN_TOKEN: ADMIN });
      const sb = rig.dhis2.state;
      const hc = sb.summary().orgUnits['LK-HC-101'];
      const adj = [...sb.dataElements.values()].find((d) => d.code === 'FP_CNDM_ADJ')!.id;
      const stored = () =>
        [...sb.dataValues.values()].filter((v) => v.dataElement === adj && v.period === '202403').map((v) => v.value);

      t.equal((await rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment('ADJ-0', hc, -1, '02'))).status, 201);
      sb.dataSets.get('LkStockMnth')!.expiryDays = 10;
      sb.clockOffsetMs = Date.parse('2024-04-20T08:00:00Z') - Date.now();
      const refused = await rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment('ADJ-1', hc, -3, '05'));
      t.equal(refused.status, 422, JSON.stringify(refused.body?.issue));
      const jobs = await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?status=rejected&system=dhis2');
      t.equal(jobs.body.jobs.length, 1);
      sb.dataSets.get('LkStockMnth')!.lockExceptions.add(`${hc}|202403`);
      // meanwhile another client reports an adjustment of the facility, named by its DHIS2 code
      const other = await rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment('ADJ-X', 'code:LK-HC-101', -7, '08'));
      t.equal(other.status, 201, JSON.stringify(other.body?.issue));
      t.same(stored(), ['-8']);

      await retryUntilDelivered(t, rig.mediator.url, ADMIN, jobs.body.jobs[0].id);
      t.same(stored(), ['-11'], 'added to what DHIS2 holds now, the other adjustment kept');
    },
  );

for (const engine of engineCases())
  t.test(`${engine.name}: two names of a facility, two adjustments at once`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, STOCK_TO_DHIS2);
    const sb = rig.dhis2.state;
    const hc = sb.summary().orgUnits['LK-HC-101'];
    const adj = [...sb.dataElements.values()].find((d) => d.code === 'FP_CNDM_ADJ')!.id;
    const stored = () =>
      [...sb.dataValues.values()].filter((v) => v.dataElement === adj && v.period === '202403').map((v) => v.value);
    // DHIS2 slow to read the totals: both reads would see the same total, each write then drop the other's
    rig.dhis2.faults.add({
      method: 'GET',
      path: '/api/dataValueSets',
      times: 2,
      action: { type: 'delay', ms: 800 },
    });
    const [byId, byCode] = await Promise.all([
      rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment('TWO-1', hc, -3, '05')),
      rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment('TWO-2', 'code:LK-HC-101', -5, '06')),
    ]);
    t.equal(byId.status, 201, JSON.stringify(byId.body?.issue));
    t.equal(byCode.status, 201, JSON.stringify(byCode.body?.issue));
    t.same(stored(), ['-8'], 'both adjustments count');
  });
