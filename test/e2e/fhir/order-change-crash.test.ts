/**
 * A change of an order interrupted by a crash (issue 16): the mediator process is SIGKILLed while
 * its PUT of the changed requisition hangs in OpenLMIS, and restarted on the same database. The
 * outbox resumes the amendment: OpenLMIS ends with the one requisition, holding the change once
 * (revision 1), and a resend of the same change afterwards is a duplicate.
 */
import t from 'tap';
import { startHarness } from '../../unit/sandbox/openlmis/helpers.js';
import { openLmisEnv, orderLine, why } from '../../support/openlmis-e2e.js';
import { answerOf, startMediatorProcess } from '../../support/mediator-process.js';
import { until } from '../../support/net.js';

t.test('SIGKILL during the PUT of an amendment: applied once after restart', async (t) => {
  const lmis = await startHarness();
  const mediator = await startMediatorProcess('amend-crash', {
    ...openLmisEnv(lmis.sb.url),
    OUTBOX_DEADLINE_MS: '1500',
  });
  t.teardown(async () => {
    await mediator.close();
    await lmis.sb.close();
  });
  const put = async (qty: number) =>
    answerOf(
      await mediator.fhir('PUT', '/fhir/SupplyRequest/crash-amend', {
        ...orderLine({ order: 'CRASH-AMEND', facilityId, program: 'EM01', productCode: 'EM-ORS', qty }),
        id: 'crash-amend',
      }),
    );
  const facilityId = lmis.seed.facilities['LK-HC-102'];
  const ofFacility = () =>
    lmis.sb.state
      .requisitionsByStatus()
      .filter((r: any) => r.facilityId === facilityId && r.programId === lmis.seed.programs.EM01);

  const created = await put(100);
  t.equal(created.status, 201, why(created));
  t.equal(ofFacility()[0]?.status, 'SUBMITTED');

  lmis.sb.faults.add({ method: 'PUT', path: '/api/requisitions/*', action: { type: 'hang' }, times: 1 });
  const changed = await put(160);
  t.equal(changed.status, 202, `accepted while OpenLMIS hangs: ${why(changed)}`);
  await mediator.restart();
  await until(
    'the amendment applied',
    async () => ofFacility()[0]?.extraData?.fhirOrderRevision === 1 || undefined,
    60_000,
  );
  const [req] = ofFacility();
  t.equal(ofFacility().length, 1, 'one requisition');
  t.equal(req.status, 'SUBMITTED');
  const quantities = req.lineItems
    .filter((l: any) => l.requestedQuantity !== null)
    .map((l: any) => l.requestedQuantity);
  t.same(quantities, [160], 'the changed quantity, on the one line');
  const resent = await put(160);
  t.equal(resent.status, 200, why(resent));
  t.equal(req.extraData.fhirOrderRevision, 1, 'a resend after the restart is a duplicate');
});
