/**
 * An order or count line for an item Open mSupply does not hold, against the sandbox answering
 * as the server does. Open mSupply refuses such a line only because the item does not exist
 * (ItemDoesNotExist, a standard "Bad user input" in errors[]); it has no refusal for an item off
 * every master list visible to the store (ItemIsNotVisibleInThisStore is a TODO in
 * requisition_line/request_requisition_line/insert.rs, stocktake lines check existence only), and
 * its `items` query lists such items unless `isVisible` is asked. So the connector looks the code
 * up before writing: a 422 at the line's product naming the item code and the store, nothing
 * written. If the item goes away between that look and the line's insert, the server's refusal
 * is permanent too (a 422, not retried), never taken for an outage.
 */
import t from 'tap';
import { BusinessRuleError } from '../../../../src/domain/errors.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { MemoryJournal, ORS, PARACETAMOL, GTIN, order, startRig, failure } from './harness.js';

const count = (): StockReport => ({
  identifier: { system: 'https://mobile.example.org/counts', value: 'CNT-UNKNOWN-1' },
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [{ product: { system: GTIN, code: ORS }, quantity: { value: 100, unit: 'dispensing-unit' } }],
});

t.test(
  'an order line for an item Open mSupply does not hold: 422 naming item and store, nothing written',
  async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    rig.sb.state.items.delete('item-ors');
    const err = await failure(
      rig.connector.orders!.submit(
        order('ORD-UNKNOWN-1', [
          { gtin: PARACETAMOL, qty: 500 },
          { gtin: ORS, qty: 20 },
        ]),
        new MemoryJournal(),
      ),
    );
    t.ok(err instanceof BusinessRuleError, String(err));
    t.equal(err.status, 422);
    t.match(
      err.message,
      /Order\.lines\[1\]: Open mSupply holds no item with code ORS205S \(looked up for store HC-NORTH\)/,
    );
    t.same(err.issues[0].expression, ['Order.lines[1].product']);
    t.equal(rig.sb.state.requisitions.size, 0, 'no requisition made');
  },
);

t.test('a count line for an item Open mSupply does not hold: 422 naming item and store, no stocktake', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.state.items.delete('item-ors');
  const err = await failure(rig.connector.stock!.report(count(), new MemoryJournal()));
  t.ok(err instanceof BusinessRuleError, String(err));
  t.match(
    err.message,
    /StockReport\.lines\[0\]: Open mSupply holds no item with code ORS205S \(looked up for store HC-NORTH\)/,
  );
  t.equal(rig.sb.state.stocktakes.size, 0, 'no stocktake made');
});

t.test('the item gone between the look and the line insert: refused for good, not retried', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  // the insert is held while the item goes: deleted once the sandbox has the insert (its call is
  // logged before the delay), not after a fixed wait, which a loaded CI host outran
  rig.sb.faults.add({ operation: 'insertRequestRequisitionLine', action: { type: 'delay', ms: 400 }, times: 1 });
  const submitted = failure(
    rig.connector.orders!.submit(order('ORD-UNKNOWN-2', [{ gtin: ORS, qty: 20 }]), new MemoryJournal()),
  );
  while (!rig.sb.calls.some((c) => c.operation === 'insertRequestRequisitionLine'))
    await new Promise((r) => setTimeout(r, 5));
  rig.sb.state.items.delete('item-ors');
  const err = await submitted;
  t.equal(err.transient, false, `not retried: ${err.message}`);
  t.equal(err.status, 422);
  t.match(
    err.message,
    /Order\.lines\[0\]: Open mSupply refused the line for item ORS205S in store HC-NORTH \(insertRequestRequisitionLine answered errors: Bad user input/,
  );
  t.same(err.issues[0].expression, ['Order.lines[0].product']);
});

t.test("a line insert refused for the user's permission keeps its own words, not the line's product", async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({
    operation: 'insertRequestRequisitionLine',
    action: { type: 'graphqlError', message: 'Forbidden' },
  });
  const err = await failure(
    rig.connector.orders!.submit(order('ORD-FORBIDDEN-1', [{ gtin: ORS, qty: 20 }]), new MemoryJournal()),
  );
  t.equal(err.transient, false, `refused: ${err.message}`);
  t.equal(err.issues[0].code, 'forbidden', 'a permission refusal, as Open mSupply said it');
  t.notMatch(err.message, /refused the line for item/, 'not blamed on the line');
  t.notSame(err.issues[0].expression, ['Order.lines[0].product'], "nor pointing at the line's product");
});

t.test("a DHIS2 requisition's item gone before its response line insert: refused naming the line", async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({ operation: 'insertResponseRequisitionLine', action: { type: 'delay', ms: 400 }, times: 1 });
  const rts = {
    ...order('RTS-UNKNOWN-1', [{ gtin: ORS, qty: 20 }]),
    facility: { identifier: { system: 'https://dhis2.example.org/orgUnit-code', value: 'CL-WEST' } },
  };
  const responded = failure(rig.connector.fulfilment.respond(rts, new MemoryJournal()));
  while (!rig.sb.calls.some((c) => c.operation === 'insertResponseRequisitionLine'))
    await new Promise((r) => setTimeout(r, 5));
  rig.sb.state.items.delete('item-ors');
  const err = await responded;
  t.equal(err.transient, false, `not retried: ${err.message}`);
  t.equal(err.status, 422);
  t.match(
    err.message,
    /Order\.lines\[0\]: Open mSupply refused the line for item ORS205S in store WH-CENTRAL \(insertResponseRequisitionLine answered errors: Bad user input/,
  );
  t.same(err.issues[0].expression, ['Order.lines[0].product']);
});
