/**
 * The smallest reproduction of the orphan the fault-and-crash run (openlmis-faults-crash-*.test.ts)
 * finds: order J's initiate times out and OpenLMIS applies it later (a slow server); order K, for
 * the same facility/program/period, initiates in between. The draft J's request made must end as
 * J's requisition (or be removed), never be left behind as an INITIATED requisition without an
 * order number.
 */
import t from 'tap';
import { orderLine, startRig, transactionOf, why } from '../../../support/openlmis-e2e.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test(
  'an initiate that lands after its timeout, with another order initiating meanwhile, leaves no orphan',
  async (t) => {
    const rig = await startRig({
      OPENLMIS_TIMEOUT_MS: '500',
      OUTBOX_DEADLINE_MS: '300',
      OUTBOX_SETTLE_MS: '1500',
      OUTBOX_ATTEMPT_TIMEOUT_MS: '4000',
      OUTBOX_LEASE_MS: '6000',
    });
    t.teardown(() => rig.close());
    const { lmis } = rig;
    const facilityId = lmis.seed.facilities['LK-HC-102'];
    const order = (n: string, productCode: string) =>
      transactionOf([orderLine({ order: n, facilityId, program: 'EM01', productCode, qty: 40, priority: 'urgent' })]);
    // J's initiate reaches OpenLMIS 1.2 s after it was sent: 0.7 s after the connector gave up on it
    lmis.sb.faults.add({
      method: 'POST',
      path: '/api/requisitions/initiate',
      action: { type: 'delay', ms: 1_200 },
      times: 1,
    });
    const j = rig.fhir('POST', '/fhir', order('LATE-J', 'EM-ORS'));
    await sleep(700);
    const k = await rig.fhir('POST', '/fhir', order('LATE-K', 'EM-ZNC20'));
    t.equal(k.status, 200, why(k));
    t.equal((await j).status, 200);

    const emergency = () =>
      lmis.sb.state.requisitionsByStatus().filter((r) => r.facilityId === facilityId && r.emergency);
    const numbered = (n: string) => emergency().filter((r) => (r.extraData as any)?.fhirOrderNumber?.value === n);
    const end = Date.now() + 30_000;
    while (
      Date.now() < end &&
      !(
        numbered('LATE-J').some((r) => r.status !== 'INITIATED') &&
        numbered('LATE-K').some((r) => r.status !== 'INITIATED')
      )
    )
      await sleep(100);
    await sleep(2_000);
    t.equal(numbered('LATE-J').length, 1, 'J is on one requisition');
    t.equal(numbered('LATE-K').length, 1, 'K is on one requisition');
    t.same(
      emergency()
        .filter((r) => !(r.extraData as any)?.fhirOrderNumber)
        .map((r) => `${r.id} ${r.status}`),
      [],
      'no requisition of ours without an order number is left behind',
    );
  },
);
