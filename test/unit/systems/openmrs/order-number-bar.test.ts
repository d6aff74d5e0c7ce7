/**
 * An order number is kept as an OpenMRS stock operation's externalReference, `system|value`
 * (operations.ts referenceOf), and read back by the first bar: a system (a URI) holds none, an
 * app's order number may. Split at the last bar, `ORD|77` of https://app.example.org/orders read
 * back as value `77` of system `https://app.example.org/orders|ORD`: a search by the number the
 * app posted found nothing, and the lines read back under ids other than the ones the FHIR edge
 * gave them. Through the real connector and the OpenMRS sandbox.
 */
import t from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { Order } from '../../../../src/domain/index.js';
import { orderLineId } from '../../../../src/systems/openmrs/operations.js';
import { memoryJournal } from './journal.js';
import { sandboxConnector } from './rig.js';

const AMOXICILLIN = { system: 'https://www.gs1.org/gtin', code: '10860012300058' };
const NUMBER = { system: 'https://app.example.org/orders', value: 'ORD|77' };

const order: Order = {
  orderNumber: NUMBER,
  status: 'active',
  priority: 'routine',
  facility: { id: LOC.kilima },
  supplier: { id: LOC.mwangaza },
  authoredOn: '2026-12-01T08:00:00Z',
  lines: [{ product: AMOXICILLIN, quantity: { value: 200, unit: 'dispensing-unit' } }],
};

t.test('an order number holding | reads back whole, by a search for it and by id', async (t) => {
  const { c } = await sandboxConnector(t);
  const written = await c.orders!.submit(order, memoryJournal());
  const found = (await c.orders!.search({ identifier: NUMBER })).items;
  t.same(
    found.map((o) => o.orderNumber),
    [NUMBER],
    'a search by the number posted finds it, under that number',
  );
  const read = await c.orders!.get(found[0]?.id ?? String(Object.values(written.ids)[0]));
  t.same(read?.orderNumber, NUMBER, 'by id');
  t.same(
    read?.lines.map((l) => l.lineId),
    [orderLineId(NUMBER, AMOXICILLIN)],
    'its line under the id the order number gives it',
  );
});
