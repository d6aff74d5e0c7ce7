/**
 * A write's checks before it is recorded (its reference reads: a cold cache behind a slow
 * OpenLMIS) count against its deadline (routing/checks-deadline.ts): past it, the mediator
 * answers while OpenHIM still waits, a 504 envelope with `error` set (OpenHIM's auto-retry) and an
 * OperationOutcome naming OpenLMIS, and records nothing. Before, the answer came after the reads,
 * whenever that was: past core's channel timeout, core failed the transaction with its own
 * timeout, naming nobody. The rerun, its reads done meanwhile, is applied once.
 * Through the real mediator, the OpenLMIS connector and its sandbox, the OpenHIM sandbox.
 */
import t, { type Test } from 'tap';
import { newTransactionId } from '../../../sandbox/openhim/index.js';
import { CHECKS_FLOOR_MS } from '../../../src/routing/checks-deadline.js';
import { startRigThroughOpenHim } from '../../support/openhim-rig.js';
import { orderLine, requisitionsAt, transactionOf, type Rig } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const FACILITY = 'LK-HC-101';

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
  'a write whose checks are held past the deadline: answered in time, nothing recorded; the rerun applies it',
  async (t) => {
    const { rig } = await startRigThroughOpenHim(t, engineCases()[0], ENV);
    const order = orderOf(rig, 'SLOW-CHECKS-1');
    const release = holdPrograms(t, rig);
    await answeredInTime(
      t,
      rig,
      await rig.fhir('POST', '/fhir/SupplyRequest', order, { 'x-openhim-transactionid': newTransactionId() }),
    );

    release();
    const again = await rig.fhir('POST', '/fhir/SupplyRequest', order, {
      'x-openhim-transactionid': newTransactionId(),
    });
    t.match(again.body, { status: 'Successful', response: { status: 201 } }, 'the rerun is applied');
    t.equal(requisitionsAt(rig, FACILITY).length, 1, 'once');
  },
);

t.test(
  'a transaction Bundle whose checks are held past the deadline: the same, none of its entries recorded',
  async (t) => {
    const { rig } = await startRigThroughOpenHim(t, engineCases()[0], ENV);
    const bundle = transactionOf([orderOf(rig, 'SLOW-CHECKS-2')]);
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
  },
);
