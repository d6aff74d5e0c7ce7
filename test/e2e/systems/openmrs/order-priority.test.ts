/**
 * An urgent order reads back urgent from OpenMRS. A requisition stock operation has no priority of
 * its own, so the mediator keeps the client's in the operation's remarks, after the order number:
 * the write's answer and every read say `stat`, and a routine order's remarks stay as they were.
 * Through the real mediator and the OpenMRS sandbox, both store engines.
 */
import t from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE, UNIT_SYSTEM } from '../../../../src/fhir/conventions.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { GTIN, startOpenMrsRigOn, why } from '../../../support/openmrs-e2e.js';

const ORDERS = 'https://app.example.org/orders';
const AMOXICILLIN = '10860012300058';

const line = (order: string, priority: string) => ({
  resourceType: 'SupplyRequest',
  status: 'active',
  priority,
  identifier: [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDERS, value: order }],
  itemCodeableConcept: { coding: [{ system: GTIN, code: AMOXICILLIN }] },
  quantity: { value: 200, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' },
  authoredOn: '2026-12-01T08:00:00Z',
  deliverTo: { reference: `Location/${LOC.kilima}` },
  deliverFrom: { reference: `Location/${LOC.mwangaza}` },
});

for (const engine of engineCases())
  t.test(`${engine.name}: a stat order reads back stat`, { skip: engine.skip }, async (t) => {
    const rig = await startOpenMrsRigOn(t, engine, 'openmrs-priority-e2e');
    const { sb, fhir } = rig;

    const posted = await fhir('POST', '/fhir/SupplyRequest', line('OMRS-PRI-1', 'stat'));
    t.equal(posted.status, 201, why(posted));
    t.equal(posted.body.priority, 'stat', 'the answer says what was ordered');
    const read = await fhir('GET', `/fhir/SupplyRequest/${posted.body.id}`);
    t.equal(read.status, 200, why(read));
    t.equal(read.body.priority, 'stat', 'and so does a read');

    const routine = await fhir('POST', '/fhir/SupplyRequest', line('OMRS-PRI-2', 'routine'));
    t.equal(routine.status, 201, why(routine));
    t.equal(routine.body.priority, 'routine');
    const remarks = [...sb.stock.operations.values()].find((o: any) => o.externalReference?.endsWith('OMRS-PRI-2'));
    t.equal(remarks?.remarks, 'order OMRS-PRI-2', 'a routine order keeps its remarks as they were');
  });
