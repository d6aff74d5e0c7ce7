/**
 * A PUT reads the resource it changes first (a delivery confirmation: its proof of delivery, as
 * OpenLMIS holds it now). That read ran outside the bound of the write's checks: an OpenLMIS
 * hanging there kept the answer until it let go, past OpenHIM's channel timeout, which reported a
 * failure while the change could still be recorded and delivered after it. Now the read counts
 * against the checks' bound (routing/checks-deadline.ts): past it there is nothing to queue (the
 * change is made to what is read), so the answer is a 504 naming OpenLMIS in an envelope OpenHIM
 * retries, nothing recorded; once OpenLMIS answers, the change sent again is applied, once.
 * Through the real mediator, the OpenLMIS connector and its sandbox, the OpenHIM sandbox.
 */
import t from 'tap';
import { newTransactionId } from '../../../sandbox/openhim/index.js';
import { CHECKS_FLOOR_MS } from '../../../src/routing/checks-deadline.js';
import { startRigThroughOpenHim } from '../../support/openhim-rig.js';
import { confirmedInFull, shippedDelivery } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

// a deadline under the checks' floor: they get the floor
const ENV = { OUTBOX_DEADLINE_MS: '1000' };

t.test(
  "a confirmation whose proof of delivery's read is held past the deadline: 504 in time, nothing recorded; applied once after",
  async (t) => {
    const { rig } = await startRigThroughOpenHim(t, engineCases()[0], ENV);
    const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'SLOW-POD-1', [
      { productCode: 'EM-ORS', qty: 100 },
    ]);
    const pod = () => rig.lmis.sb.state.store.pods.get(podId)!;
    const jobsBefore = (await rig.mediator.store.listJobs()).length;

    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const fault = rig.lmis.sb.faults.add({
      method: 'GET',
      path: '/api/proofsOfDelivery/*',
      action: { type: 'held', released },
    });
    t.teardown(release);

    const path = `/fhir/R5/SupplyDelivery/${podId}`;
    const held = await rig.fhir('PUT', path, confirmedInFull(read, '2026-12-07T09:15:00Z'), {
      'x-openhim-transactionid': newTransactionId(),
    });
    // answered while OpenLMIS still holds the read: before, the answer waited for it
    t.match(held.headers.get('content-type'), /application\/json\+openhim/, 'an envelope');
    t.match(
      held.body,
      { status: 'Failed', response: { status: 504 }, error: { message: /openlmis/ } },
      'OpenHIM retries it',
    );
    t.match(JSON.parse(held.body.response.body).issue, [
      {
        code: 'timeout',
        diagnostics: new RegExp(`waited more than ${CHECKS_FLOOR_MS} ms for openlmis .*nothing was written`),
      },
    ]);
    t.equal((await rig.mediator.store.listJobs()).length, jobsBefore, 'nothing recorded');

    rig.lmis.sb.faults.remove(fault.id);
    release();
    t.equal(pod().status, 'INITIATED', 'the held read, let go, records nothing after the answer');
    const again = await rig.fhir('PUT', path, confirmedInFull(read, '2026-12-07T09:15:00Z'), {
      'x-openhim-transactionid': newTransactionId(),
    });
    t.match(again.body, { status: 'Successful', response: { status: 200 } }, 'the retry is applied');
    t.equal(pod().status, 'CONFIRMED', 'confirmed');
    t.equal((await rig.mediator.store.listJobs()).length, jobsBefore + 1, 'once');
  },
);
