/**
 * When the goods are needed (SupplyRequest.occurrenceDateTime) reads back from OpenMRS. A
 * requisition stock operation has no such date, so the mediator keeps the client's in the
 * operation's remarks, after the order number and before a priority: the write's answer and every
 * read say it. Through the real mediator and the OpenMRS sandbox, both store engines.
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
  occurrenceDateTime: '2026-12-20',
  authoredOn: '2026-12-01T08:00:00Z',
  deliverTo: { reference: `Location/${LOC.kilima}` },
  deliverFrom: { reference: `Location/${LOC.mwangaza}` },
});

for (const engine of engineCases())
  t.test(`${engine.name}: the needed-by date reads back`, { skip: engine.skip }, async (t) => {
    const rig = await startOpenMrsRigOn(t, engine, 'openmrs-needed-by-e2e');
    const { sb, fhir } = rig;

    const posted = await fhir('POST', '/fhir/SupplyRequest', line('OMRS-NEED-1', 'stat'));
    t.equal(posted.status, 201, why(posted));
    t.equal(posted.body.occurrenceDateTime, '2026-12-20', 'the answer says when it is needed');
    t.equal(posted.body.priority, 'stat');
    const op = [...sb.stock.operations.values()].find((o: any) => o.externalReference?.endsWith('OMRS-NEED-1'));
    t.equal(op?.remarks, 'order OMRS-NEED-1 (needed by 2026-12-20) (priority stat)', 'kept in the remarks');
    const read = await fhir('GET', `/fhir/SupplyRequest/${posted.body.id}`);
    t.equal(read.status, 200, why(read));
    t.equal(read.body.occurrenceDateTime, '2026-12-20', 'and so does a read');
    t.equal(read.body.priority, 'stat', 'the priority still reads back');
  });
