/**
 * OpenLMIS releases a regular or emergency requisition to a depot of its supply line (the
 * supervisory node that approves it last), whatever the client names: a SupplyRequest whose
 * deliverFrom names another facility would be dropped without a word, and the goods would come
 * from elsewhere. It is a 422 at deliverFrom naming the depot OpenLMIS uses, nothing written; the
 * depot itself, or no deliverFrom, goes through. Through the real mediator and the OpenLMIS
 * sandbox (its supply lines: every program of the Northern node from LK-WH-301), both engines.
 */
import t from 'tap';
import { orderLine, requisitionsAt, startRigOn, transactionOf, why, type Rig } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

function order(rig: Rig, number: string, facilityCode: string, depotCode: string, priority = 'routine') {
  const line = orderLine({
    order: number,
    facilityId: rig.lmis.seed.facilities[facilityCode],
    program: 'EM01',
    productCode: 'EM-ORS',
    qty: 120,
    priority,
  });
  return transactionOf([{ ...line, deliverFrom: { reference: `Location/${rig.lmis.seed.facilities[depotCode]}` } }]);
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: deliverFrom of a requisition is its supply line's depot`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      for (const priority of ['routine', 'urgent']) {
        const res = await rig.fhir('POST', '/fhir', order(rig, `SUP-${priority}`, 'LK-HP-401', 'LK-WH-302', priority));
        t.equal(res.status, 422, `${priority}: ${why(res)}`);
        const issue = res.body?.issue?.[0];
        t.match(issue?.diagnostics, /LK-WH-301 \(Northern Regional Medical Store\)/, 'names the depot OpenLMIS uses');
        t.match(issue?.diagnostics, /not to LK-WH-302/, 'and the one deliverFrom names');
        t.match(issue?.expression?.[0], /deliverFrom/, 'at deliverFrom');
      }
      t.same(requisitionsAt(rig, 'LK-HP-401'), [], 'nothing written');

      const right = await rig.fhir('POST', '/fhir', order(rig, 'SUP-OK', 'LK-HP-401', 'LK-WH-301'));
      t.equal(right.body?.entry?.[0]?.response?.status, '201 Created', why(right));
    },
  );
