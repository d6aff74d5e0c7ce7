/**
 * An app writes a delivery "in-progress" (on its way, not received yet) to OpenMRS: the connector
 * COMPLETEd the transfer whatever the status (stock into the receiving location). The stock
 * management module has no draft of a receipt, so an in-progress (or abandoned, entered-in-error)
 * write is a 422 at SupplyDelivery.status, nothing changed; the completed write completes it.
 * Through the real mediator and the OpenMRS sandbox, both store engines.
 */
import t from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE } from '../../../../src/fhir/conventions.js';
import { AMOXICILLIN, DELIVERIES, ORDERS, order, units } from '../../../support/openmrs-app-orders.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { GTIN, startOpenMrsRigOn, why } from '../../../support/openmrs-e2e.js';

const delivery = (status: string, number: string) => ({
  resourceType: 'SupplyDelivery',
  status,
  identifier: [{ system: DELIVERIES, value: number }],
  basedOn: [{ identifier: { type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDERS, value: 'APP-INP-1' } }],
  destination: { reference: `Location/${LOC.kilima}` },
  suppliedItem: { quantity: units(120), itemCodeableConcept: { coding: [{ system: GTIN, code: AMOXICILLIN }] } },
});

for (const engine of engineCases())
  t.test(
    `an in-progress delivery does not complete the transfer (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'fg-openmrs-in-progress');
      const { sb, fhir } = rig;
      const posted = await fhir('POST', '/fhir/SupplyRequest', order('APP-INP-1', 120));
      t.equal(posted.status, 201, why(posted));
      const requisition = [...sb.stock.operations.values()].find(
        (o) => o.operationType === 'requisition' && String(o.externalReference).endsWith('|APP-INP-1'),
      )!;
      const transfer = sb.stock.fulfil(requisition.uuid);
      const before = sb.stock.operations.get(transfer.uuid)!.status;

      for (const status of ['in-progress', 'abandoned', 'entered-in-error']) {
        const res = await fhir('POST', '/fhir/SupplyDelivery', delivery(status, `DL-INP-${status}`));
        t.equal(res.status, 422, `${status}: ${why(res)}`);
        t.same(res.body.issue?.[0]?.expression, ['SupplyDelivery.status'], `${status}: the element named`);
        t.match(res.body.issue?.[0]?.diagnostics, /OpenMRS/, `${status}: says why`);
        t.equal(sb.stock.operations.get(transfer.uuid)!.status, before, `${status}: not completed`);
      }

      const done = await fhir('POST', '/fhir/SupplyDelivery', delivery('completed', 'DL-INP-done'));
      t.equal(done.status, 201, why(done));
      t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'COMPLETED', 'the completed write completes it');
    },
  );
