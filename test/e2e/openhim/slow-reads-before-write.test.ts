/**
 * The reads a write rests on before it is recorded, and a batch's read entries, end within the
 * bound of the write's checks (routing/checks-deadline.ts), as a PUT's read of what it changes
 * does (slow-change-read-answered.test.ts). Before, each ran unbounded: an OpenLMIS hanging there
 * kept the answer until it let go, past OpenHIM's channel timeout, which reported a failure while
 * the write could still be recorded after it.
 * - A POST's If-None-Exist search: past the bound nothing can be queued (it is not known whether
 *   the resource exists), so a 504 naming OpenLMIS, nothing recorded; sent again once OpenLMIS
 *   answers, made once, and found after.
 * - A transaction entry's read of the resource it changes: the transaction is refused whole in time,
 *   a 504 naming OpenLMIS, nothing recorded; the rerun is applied once.
 * - A batch's read entry: answered 504 naming OpenLMIS within the batch's time; its other entries
 *   go on.
 * Through the real mediator, the OpenLMIS connector and its sandbox, the OpenHIM sandbox. The
 * held read is let go after a while whatever happens, so the code before fails (answered late,
 * the write applied) rather than hangs.
 */
import t, { type Test } from 'tap';
import { newTransactionId } from '../../../sandbox/openhim/index.js';
import { CHECKS_FLOOR_MS } from '../../../src/routing/checks-deadline.js';
import { startRigThroughOpenHim } from '../../support/openhim-rig.js';
import {
  ORDER_SYSTEM,
  orderLine,
  requisitionsAt,
  confirmedInFull,
  shippedDelivery,
  transactionOf,
  type Rig,
} from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

// a deadline under the checks' floor: they get the floor
const ENV = { OUTBOX_DEADLINE_MS: '1000' };
/** Long past the bound and the deadline, under OpenHIM's channel timeout: the code before answers then. */
const LET_GO_MS = 40_000;

/** OpenLMIS's GETs of `path` held until the returned release (or LET_GO_MS, so nothing hangs for good). */
function hold(t: Test, rig: Rig, path: string): () => void {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const fault = rig.lmis.sb.faults.add({ method: 'GET', path, action: { type: 'held', released } });
  const letGo = setTimeout(release, LET_GO_MS);
  t.teardown(() => {
    clearTimeout(letGo);
    release();
  });
  return () => {
    rig.lmis.sb.faults.remove(fault.id);
    release();
  };
}

/** OpenHIM's envelope of a 504 naming OpenLMIS, for OpenHIM's auto-retry. */
function timedOut(t: Test, res: { body: any; headers: Headers }, read = /nothing was written/) {
  t.match(res.headers.get('content-type'), /application\/json\+openhim/, 'an envelope');
  t.match(
    res.body,
    { status: 'Failed', response: { status: 504 }, error: { message: /openlmis/ } },
    'OpenHIM retries it',
  );
  t.match(JSON.parse(res.body.response.body).issue, [{ code: 'timeout', diagnostics: read }]);
}

const jobs = async (rig: Rig) => (await rig.mediator.store.listJobs()).length;
const through = () => ({ 'x-openhim-transactionid': newTransactionId() });

t.test("a conditional create whose search is held past the checks' bound: 504 in time, nothing recorded", async (t) => {
  const { rig } = await startRigThroughOpenHim(t, engineCases()[0], ENV);
  const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
  const order = orderLine({ order: 'SLOW-IF-NONE-1', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 10 });
  const condition = { 'if-none-exist': `identifier=${ORDER_SYSTEM}|SLOW-IF-NONE-1` };
  const release = hold(t, rig, '/api/requisitions/search');

  const held = await rig.fhir('POST', '/fhir/SupplyRequest', order, { ...condition, ...through() });
  timedOut(t, held, new RegExp(`waited more than ${CHECKS_FLOOR_MS} ms for openlmis .*nothing was written`));
  t.equal(await jobs(rig), 0, 'nothing recorded');
  t.same(requisitionsAt(rig, 'LK-HC-101'), [], 'nothing sent');

  release();
  const again = await rig.fhir('POST', '/fhir/SupplyRequest', order, { ...condition, ...through() });
  t.match(again.body, { status: 'Successful', response: { status: 201 } }, 'sent again: made');
  const found = await rig.fhir('POST', '/fhir/SupplyRequest', order, { ...condition, ...through() });
  t.match(found.body, { status: 'Successful', response: { status: 200 } }, 'and found after');
  t.equal(requisitionsAt(rig, 'LK-HC-101').length, 1, 'once');
  t.equal(await jobs(rig), 1, 'one job');
});

t.test(
  "a transaction entry's read of the delivery it confirms held past the bound: refused whole in time",
  async (t) => {
    const { rig } = await startRigThroughOpenHim(t, engineCases()[0], ENV);
    const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'SLOW-TX-POD-1', [
      { productCode: 'EM-ORS', qty: 100 },
    ]);
    const pod = () => rig.lmis.sb.state.store.pods.get(podId)!;
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: confirmedInFull(read, '2026-12-07T09:15:00Z'),
          request: { method: 'PUT', url: `SupplyDelivery/${podId}` },
        },
      ],
    };
    const jobsBefore = await jobs(rig);
    const release = hold(t, rig, '/api/proofsOfDelivery/*');

    timedOut(
      t,
      await rig.fhir('POST', '/fhir/R5', bundle, through()),
      new RegExp(`waited more than ${CHECKS_FLOOR_MS} ms for openlmis .*nothing was written`),
    );
    t.equal(await jobs(rig), jobsBefore, 'nothing recorded');

    release();
    t.equal(pod().status, 'INITIATED', 'the held read, let go, records nothing after the answer');
    const again = await rig.fhir('POST', '/fhir/R5', bundle, through());
    t.match(again.body, { status: 'Successful', response: { status: 200 } }, 'the rerun is applied');
    t.equal(pod().status, 'CONFIRMED', 'confirmed');
    t.equal(await jobs(rig), jobsBefore + 1, 'once');
  },
);

t.test("a batch's read entry held past its time: answered 504 in time, the other entries go on", async (t) => {
  const { rig } = await startRigThroughOpenHim(t, engineCases()[0], ENV);
  const { podId } = await shippedDelivery(rig, 'LK-HC-105', 'SLOW-BATCH-READ-1', [{ productCode: 'EM-ORS', qty: 100 }]);
  const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
  const order = orderLine({ order: 'SLOW-BATCH-READ-2', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 10 });
  const batch = {
    ...transactionOf([order]),
    type: 'batch',
    entry: [{ request: { method: 'GET', url: `SupplyDelivery/${podId}` } }, transactionOf([order]).entry[0]],
  };
  const jobsBefore = await jobs(rig);
  hold(t, rig, '/api/proofsOfDelivery/*');

  const res = await rig.fhir('POST', '/fhir', batch, through());
  const answer = JSON.parse(res.body.response.body);
  t.match(answer.entry[0].response, { status: /^504/ }, 'the read entry: 504');
  t.match(answer.entry[0].response.outcome.issue, [{ code: 'timeout', diagnostics: /openlmis/ }], 'naming openlmis');
  t.match(answer.entry[1].response, { status: /^20[12]/ }, 'the order entry goes on');
  t.equal(await jobs(rig), jobsBefore + 1, 'the order recorded once');
});
