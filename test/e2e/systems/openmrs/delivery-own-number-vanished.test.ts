/**
 * A search by the app's own delivery number also lists what the mediator wrote under it
 * (f17dbf5). When OpenMRS no longer has the transfer such a write confirmed (purged by an
 * administrator), that one delivery is not found, and the search answers without it: it used to
 * answer 404 for the whole search, so an app's sync loop (or a conditional create by that
 * identifier) failed on a delivery that is gone. Through the real mediator and the OpenMRS sandbox.
 */
import t from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE, UNIT_SYSTEM } from '../../../../src/fhir/conventions.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { GTIN, startOpenMrsRigOn, why } from '../../../support/openmrs-e2e.js';

const ORDERS = 'https://app.example.org/orders';
const DELIVERIES = 'https://app.example.org/deliveries';
const AMOXICILLIN = '10860012300058';
const units = (value: number) => ({ value, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' });

for (const engine of engineCases())
  t.test(
    `a delivery OpenMRS no longer has leaves a search by its number (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'openmrs-vanished');
      const { sb, fhir } = rig;
      const ordered = await fhir('POST', '/fhir/SupplyRequest', {
        resourceType: 'SupplyRequest',
        status: 'active',
        priority: 'routine',
        identifier: [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDERS, value: 'APP-V1' }],
        itemCodeableConcept: { coding: [{ system: GTIN, code: AMOXICILLIN }] },
        quantity: units(50),
        authoredOn: '2026-12-01T08:00:00Z',
        deliverTo: { reference: `Location/${LOC.kilima}` },
        deliverFrom: { reference: `Location/${LOC.mwangaza}` },
      });
      t.equal(ordered.status, 201, why(ordered));
      const requisition = [...sb.stock.operations.values()].find(
        (o) => o.operationType === 'requisition' && String(o.externalReference).endsWith('|APP-V1'),
      );
      const transfer = sb.stock.fulfil(requisition!.uuid);
      const confirmed = await fhir('POST', '/fhir/SupplyDelivery', {
        resourceType: 'SupplyDelivery',
        status: 'completed',
        identifier: [{ system: DELIVERIES, value: 'DL-V1' }],
        basedOn: [{ reference: `SupplyRequest/${ordered.body.id}` }],
        destination: { reference: `Location/${LOC.kilima}` },
        suppliedItem: { quantity: units(50), itemCodeableConcept: { coding: [{ system: GTIN, code: AMOXICILLIN }] } },
      });
      t.equal(confirmed.status, 201, why(confirmed));
      const search = () => fhir('GET', `/fhir/SupplyDelivery?identifier=${encodeURIComponent(`${DELIVERIES}|DL-V1`)}`);
      const before = await search();
      t.same(
        (before.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id),
        [confirmed.body.id],
        'found by its number while OpenMRS has it',
      );

      sb.stock.operations.delete(transfer.uuid); // an administrator purged it
      const after = await search();
      t.equal(after.status, 200, `the search still answers: ${why(after)}`);
      t.same(after.body.entry ?? [], [], 'without the delivery OpenMRS no longer has');
      const read = await fhir('GET', `/fhir/SupplyDelivery/${confirmed.body.id}`);
      t.equal(read.status, 404, 'read alone, it is not found, as before');
    },
  );
