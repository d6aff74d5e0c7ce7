/**
 * A write's checks before it is recorded (its reference reads: a cold cache behind a slow
 * OpenLMIS) count against its deadline (routing/checks-deadline.ts), so the mediator answers while
 * OpenHIM still waits. Before, the answer came after the reads, whenever that was: past core's
 * channel timeout, core failed the transaction with its own timeout, naming nobody.
 * - A single write is then treated as one whose system is down: recorded and queued (202, OpenHIM
 *   "Processing"), its delivery checks it again; once OpenLMIS answers it is applied, once, and a
 *   rerun is answered with it.
 * - A transaction of several writes, refused whole when its entries cannot all be checked, is
 *   answered 504 in an envelope with `error` set (OpenHIM's auto-retry), an OperationOutcome naming
 *   OpenLMIS, and nothing recorded; the rerun, its reads done meanwhile, is applied once.
 * Through the real mediator, the OpenLMIS connector and its sandbox, the OpenHIM sandbox.
 */
import t, { type Test } from 'tap';
import { newTransactionId } from '../../../sandbox/openhim/index.js';
import { CHECKS_FLOOR_MS } from '../../../src/routing/checks-deadline.js';
import { startRigThroughOpenHim } from '../../support/openhim-rig.js';
import { orderLine, requisitionsAt, transactionOf, type Rig } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';
import { engineCases } from '../../support/outbox-engines.js';

const FACILITY = 'LK-HC-101';
const OTHER = 'LK-HC-102';

/** OpenLMIS's programs held (the first read a cold order makes before it is recorded) until the returned release. */
function holdPrograms(t: Test, rig: Rig): () => void {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const fault = rig.lmis.sb.faults.add({ method: 'GET', path: '/api/programs', action: { type: 'held', released } });
  t.teardown(release);
  return () => {
    rig.lmis.sb.faults.remove(fault.id);
    release();
  };
}

/** The answer is OpenHIM's envelope of a 504 naming OpenLMIS, for OpenHIM's auto-retry, and nothing is recorded. */
async function answeredInTime(t: Test, rig: Rig, res: { body: any; headers: Headers }) {
  t.match(res.headers.get('content-type'), /application\/json\+openhim/, 'an envelope');
  t.match(
    res.body,
    { status: 'Failed', response: { status: 504 }, error: { message: /openlmis/ } },
    'OpenHIM retries it',
  );
  t.match(JSON.parse(res.body.response.body).issue, [
    {
      code: 'timeout',
      diagnostics: new RegExp(`waited more than ${CHECKS_FLOOR_MS} ms for openlmis .*nothing was written`),
    },
  ]);
  t.same(await rig.mediator.store.listJobs(), [], 'nothing recorded');
}

const orderOf = (rig: Rig, order: string) =>
  orderLine({ order, facilityId: rig.lmis.seed.facilities[FACILITY], program: 'EM01', productCode: 'EM-ORS', qty: 10 });

// a deadline under the checks' floor: they get the floor (a short deadline asks for a quick 202, not refusals)
const ENV = { OUTBOX_DEADLINE_MS: '1000' };

t.test(
  'a write whose checks are held past the deadline: queued in time, as through a system down; applied once',
  async (t) => {
    const { rig } = await startRigThroughOpenHim(t, engineCases()[0], ENV);
    const order = orderOf(rig, 'SLOW-CHECKS-1');
    const release = holdPrograms(t, rig);
    const first = await rig.fhir('POST', '/fhir/SupplyRequest', order, {
      'x-openhim-transactionid': newTransactionId(),
    });
    t.match(first.headers.get('content-type'), /application\/json\+openhim/, 'an envelope');
    t.match(first.body, { status: 'Processing', response: { status: 202 } }, 'accepted, not yet applied');
    t.equal((await rig.mediator.store.listJobs()).length, 1, 'recorded');

    release();
    await until('the order reaches OpenLMIS', async () => requisitionsAt(rig, FACILITY).length > 0 || undefined);
    await until(
      'its job is done',
      async () => (await rig.mediator.store.listJobs()).every((j) => j.status === 'done') || undefined,
    );
    const again = await rig.fhir('POST', '/fhir/SupplyRequest', order, {
      'x-openhim-transactionid': newTransactionId(),
    });
    t.match(again.body, { status: 'Successful', response: { status: 200 } }, 'the rerun is answered with it');
    t.equal(requisitionsAt(rig, FACILITY).length, 1, 'once');
    t.equal((await rig.mediator.store.listJobs()).length, 1, 'one job');
  },
);

t.test(
  'a transaction Bundle of two writes whose checks are held past the deadline: 504, none recorded; the rerun applies it',
  async (t) => {
    const { rig } = await startRigThroughOpenHim(t, engineCases()[0], ENV);
    // two orders, two writes (the lines of one order are one write)
    const other = orderLine({
      order: 'SLOW-CHECKS-3',
      facilityId: rig.lmis.seed.facilities[OTHER],
      program: 'EM01',
      productCode: 'EM-ORS',
      qty: 10,
    });
    const bundle = transactionOf([orderOf(rig, 'SLOW-CHECKS-2'), other]);
    const release = holdPrograms(t, rig);
    await answeredInTime(
      t,
      rig,
      await rig.fhir('POST', '/fhir', bundle, { 'x-openhim-transactionid': newTransactionId() }),
    );

    release();
    const again = await rig.fhir('POST', '/fhir', bundle, { 'x-openhim-transactionid': newTransactionId() });
    t.match(again.body, { status: 'Successful', response: { status: 200 } }, 'the rerun is applied');
    t.equal(requisitionsAt(rig, FACILITY).length, 1, 'once');
    t.equal(requisitionsAt(rig, OTHER).length, 1, 'the other once');
  },
);

t.test(
  'a batch Bundle of three orders whose checks are held: one bound for all, each queued as a single write; applied once',
  async (t) => {
    const { rig } = await startRigThroughOpenHim(t, engineCases()[0], ENV);
    const others = [OTHER, 'LK-HC-103'].map((facility, i) =>
      orderLine({
        order: `SLOW-BATCH-${i + 2}`,
        facilityId: rig.lmis.seed.facilities[facility],
        program: 'EM01',
        productCode: 'EM-ORS',
        qty: 10,
      }),
    );
    const batch = { ...transactionOf([orderOf(rig, 'SLOW-BATCH-1'), ...others]), type: 'batch' };
    const release = holdPrograms(t, rig);
    // the first entry spends the bound; the others, reached with it spent, are queued at once
    // (before, each waited a bound of its own: three bounds, past a channel timeout of two)
    const res = await rig.fhir('POST', '/fhir', batch, { 'x-openhim-transactionid': newTransactionId() });
    const answer = JSON.parse(res.body.response.body);
    t.same(
      answer.entry.map((e: any) => e.response.status.split(' ')[0]),
      ['202', '202', '202'],
      'each entry queued',
    );
    t.equal((await rig.mediator.store.listJobs()).length, 3, 'each recorded once');

    release();
    await until(
      'their jobs are done',
      async () => (await rig.mediator.store.listJobs()).every((j) => j.status === 'done') || undefined,
    );
    for (const facility of [FACILITY, OTHER, 'LK-HC-103'])
      t.equal(requisitionsAt(rig, facility).length, 1, `${facility}: applied once`);
  },
);
