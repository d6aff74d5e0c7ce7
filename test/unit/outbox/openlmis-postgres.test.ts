/**
 * Issue 9 item 1 as it was seen: with DATABASE_URL on PostgreSQL, one valid order answered 202 and
 * never reached `done` (the journaled requisition id, a string, threw on read and the job retried
 * forever), and stock reports the same. Through the real OpenLMIS connector and sandbox on
 * PostgreSQL: an order completes, one whose submit fails once resumes from its journal (the string
 * results read back) to one submitted requisition, and a stock adjustment completes.
 */
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';
import { damagedStock, orderLine, startRig, transactionOf, why } from '../../support/openlmis-e2e.js';

const postgres = engineCases().find((e) => e.name === 'postgres')!;

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('OpenLMIS orders and stock reach done on PostgreSQL', { skip: postgres.skip }, async (t) => {
  const db = await postgres.freshDatabase();
  t.teardown(db.drop);
  const rig = await startRig({ DATABASE_URL: db.databaseUrl });
  t.teardown(() => rig.close());
  const store = await openStore({ databaseUrl: db.databaseUrl });
  t.teardown(() => store.close());
  const { lmis } = rig;
  t.equal(store.engine, 'postgres');

  const facilityId = lmis.seed.facilities['LK-HC-101'];
  const ofFacility = (id: string) =>
    lmis.sb.state
      .requisitionsByStatus()
      .filter((r: any) => r.facilityId === id && r.programId === lmis.seed.programs.EM01);

  const order = await rig.fhir(
    'POST',
    '/fhir',
    transactionOf(
      ['EM-AMX250', 'EM-ORS'].map((productCode) =>
        orderLine({ order: 'PG-ORDER-1', facilityId, program: 'EM01', productCode, qty: 100 }),
      ),
    ),
  );
  t.equal(order.status, 200, why(order));
  t.same(
    order.body.entry.map((e: any) => e.response.status.slice(0, 3)),
    ['201', '201'],
    'delivered within the deadline',
  );
  t.same(
    ofFacility(facilityId).map((r: any) => r.status),
    ['SUBMITTED'],
  );
  const jobs = await store.listJobs({ flow: 'order' });
  t.same(
    jobs.map((j) => j.status),
    ['done'],
  );
  const steps = await store.listSteps(jobs[0].id);
  t.ok(
    steps.some((s) => typeof s.result === 'string'),
    `a string step result was journaled and read back (${steps.map((s) => `${s.step}=${typeof s.result}`).join(', ')})`,
  );

  // a 503 on submit: the retry replays the journal (initiate's requisition id) and submits once
  const other = lmis.seed.facilities['LK-DH-201'];
  lmis.sb.faults.add({
    method: 'POST',
    path: '/api/requisitions/*/submit',
    action: { type: 'status', status: 503 },
    times: 1,
  });
  const retried = await rig.fhir(
    'POST',
    '/fhir',
    transactionOf(
      ['EM-AMX250', 'EM-ZNC20'].map((productCode) =>
        orderLine({ order: 'PG-ORDER-2', facilityId: other, program: 'EM01', productCode, qty: 50 }),
      ),
    ),
  );
  t.equal(retried.status, 200, why(retried));
  await until(
    'PG-ORDER-2 done',
    async () =>
      ((await store.listJobs({ flow: 'order' })).every((j) => j.status === 'done') &&
        ofFacility(other).some((r: any) => r.status === 'SUBMITTED')) ||
      undefined,
  );
  t.equal(ofFacility(other).length, 1, 'exactly one requisition');
  t.equal(ofFacility(other)[0].status, 'SUBMITTED');
  t.match(await store.countJobsByStatus(), { done: 2, pending: 0, 'in-flight': 0, dead: 0 });

  const adjustment = damagedStock(lmis.seed.facilities['LK-HC-101'], 'PG-ADJ-1', 1, 'FP-CNDM');
  const adjusted = await rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment);
  t.equal(adjusted.status, 201, why(adjusted));
  t.match(await store.countJobsByStatus(), { done: 3, pending: 0, 'in-flight': 0, dead: 0, rejected: 0 });
});
