/**
 * A second routine order for a facility and program whose last requisition is still SUBMITTED:
 * OpenLMIS initiates the next period only once that one is authorized
 * (requisition.error.initiate.finishPreviousRequisition). The precheck foresees it from
 * periodsForInitiate: a 422 at SupplyRequest.occurrencePeriod naming the previous period and its
 * requisition, nothing recorded and nothing sent. Before, the write was recorded, OpenLMIS was
 * asked to initiate, and the client got a 422 at `SupplyRequest` quoting "Please finish previous
 * requisition." with a refused job left behind. Once the requisition moves on, the same order goes
 * through. Through the OpenLMIS sandbox, both engines.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { orderLine, requisitionsAt, startRigOn, why, writesSince } from '../../../support/openlmis-e2e.js';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: an order for the period after a SUBMITTED requisition is refused at the precheck, then goes through once it is released`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
      const order = (n: string, productCode: string) =>
        orderLine({ order: n, facilityId, program: 'EM01', productCode, qty: 300 });

      const first = await rig.fhir('POST', '/fhir/SupplyRequest', order('MOB-PREV-1', 'EM-AMX250'));
      t.equal(first.status, 201, why(first));
      const [submitted] = requisitionsAt(rig, 'LK-HC-101').filter((r) => r.status === 'SUBMITTED');
      t.ok(submitted, 'the first order is a SUBMITTED requisition');

      const jobsBefore = (await rig.mediator.store.listJobs({})).length;
      const from = Date.now();
      const second = await rig.fhir('POST', '/fhir/SupplyRequest', order('MOB-PREV-2', 'EM-ORS'));
      t.equal(second.status, 422, why(second));
      const [issue] = second.body.issue;
      t.equal(issue.code, 'business-rule');
      t.same(issue.expression, ['SupplyRequest.occurrencePeriod']);
      t.match(issue.diagnostics, new RegExp(`\\(${submitted.id}\\) is authorized, and it is SUBMITTED`));
      t.equal(second.body.issue.length, 1);
      t.equal((await rig.mediator.store.listJobs({})).length, jobsBefore, 'nothing recorded');
      t.same(writesSince(rig, from), [], 'nothing sent to OpenLMIS');

      rig.lmis.sb.state.releaseRequisition(submitted.id);
      const again = await rig.fhir('POST', '/fhir/SupplyRequest', order('MOB-PREV-2', 'EM-ORS'));
      t.equal(again.status, 201, why(again));
      t.equal(
        requisitionsAt(rig, 'LK-HC-101').filter((r) => (r.extraData as any)?.fhirOrderNumber?.value === 'MOB-PREV-2')
          .length,
        1,
        'the second order is one requisition of the next period',
      );
    },
  );
}
