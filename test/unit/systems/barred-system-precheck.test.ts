/**
 * OpenMRS and Open mSupply keep an order number as one string, `system|value`, read back at the
 * first bar (490229eb: an app's number may hold one). A system holding a bar, which read back
 * whole at the last bar before, now read back as another number of another system: a search by
 * it found nothing, the order by id named another number. Such a system is refused by the
 * connectors' precheck (before anything is recorded), naming where; a number holding a bar is
 * not. Through the real connectors and their sandboxes.
 */
import t from 'tap';
import { LOC } from '../../../sandbox/openmrs/index.js';
import type { Order } from '../../../src/domain/index.js';
import { AMOXICILLIN, failure, order, startRig } from './msupply/harness.js';
import { sandboxConnector } from './openmrs/rig.js';

const BARRED = 'urn:app|orders';

t.test('OpenMRS: an order number whose system holds | is refused by precheck', async (t) => {
  const { c } = await sandboxConnector(t);
  const o = (system: string, value: string): Order => ({
    orderNumber: { system, value },
    status: 'active',
    priority: 'routine',
    facility: { id: LOC.kilima },
    supplier: { id: LOC.mwangaza },
    authoredOn: '2026-12-01T08:00:00Z',
    lines: [
      {
        product: { system: 'https://www.gs1.org/gtin', code: '10860012300058' },
        quantity: { value: 200, unit: 'dispensing-unit' },
      },
    ],
  });
  const err = await failure(c.orders!.precheck!(o(BARRED, 'ORD-77')));
  t.equal(err.status, 422);
  t.match(err.issues, [{ code: 'business-rule', expression: ['Order.orderNumber.system'] }]);
  t.match(err.message, /holds a '\|'.*external reference.*%7C/);
  await t.resolves(c.orders!.precheck!(o('https://app.example.org/orders', 'ORD|77')), 'a value holding | is taken');
});

t.test('Open mSupply: an order number whose system holds | is refused by precheck', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const o = order('ORD-1', [{ gtin: AMOXICILLIN, qty: 3, packs: true }]);
  const err = await failure(rig.connector.orders!.precheck!({ ...o, orderNumber: { system: BARRED, value: 'ORD-1' } }));
  t.equal(err.status, 422);
  t.match(err.issues, [{ code: 'business-rule', expression: ['Order.orderNumber.system'] }]);
  t.match(err.message, /holds a '\|'.*comment.*%7C/);
  await t.resolves(
    rig.connector.orders!.precheck!({ ...o, orderNumber: { ...o.orderNumber, value: 'ORD|1' } }),
    'a value holding | is taken',
  );
});
