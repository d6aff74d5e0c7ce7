/**
 * Every write asks for the key a release before v68 gave it (routed-flow's keyHeld, through
 * flows.ts formerKeyOf): a write of an ordinary identifier (neither '|' nor '%', nearly all) has
 * none other than its own, and nothing is built to find that out (its former key, an array of
 * two, a filter over it: the write path is measured in instructions, bench/outbox-instructions.ts).
 * One holding either has its former key, unescaped.
 */
import t from 'tap';
import { DELIVERIES, ORDERS, STOCK, formerKeyOf, keysOfWrite, type FlowSpec } from '../../../src/routing/flows.js';
import type { Delivery, Order, StockReport } from '../../../src/domain/index.js';

const APP = 'https://app.example.org/deliveries';
const delivery = (value: string, status = 'completed') =>
  ({ identifier: { system: APP, value }, status, destination: { id: 'fac-1' }, lines: [] }) as unknown as Delivery;
const order = (value: string) => ({ orderNumber: { system: APP, value }, revision: 2 }) as unknown as Order;
const stock = (value: string) => ({ identifier: { system: APP, value } }) as unknown as StockReport;

/** The spec with formerKey counted. */
function counted<T>(spec: FlowSpec<T>): { spec: Pick<FlowSpec<T>, 'key' | 'formerKey'>; calls: () => number } {
  let calls = 0;
  return {
    spec: {
      key: (v) => spec.key(v),
      formerKey: (v) => {
        calls++;
        return spec.formerKey!(v);
      },
    },
    calls: () => calls,
  };
}

t.test('an ordinary identifier: its own key alone, no former key built', async (t) => {
  const cases = [
    ['delivery', counted(DELIVERIES), delivery('DL-1')],
    ['draft', counted(DELIVERIES), delivery('DL-1', 'in-progress')],
    ['order revision', counted(ORDERS), order('ORD-1')],
    ['stock report', counted(STOCK), stock('SR-1')],
  ] as const;
  for (const [name, { spec, calls }, value] of cases) {
    const key = (spec.key as (v: unknown) => string)(value);
    t.same(keysOfWrite(spec as never, value), [key], `${name}: its key alone`);
    t.equal(formerKeyOf(spec as never, value, key), undefined, `${name}: no former key`);
    t.equal(calls(), 0, `${name}: formerKey never asked`);
  }
});

t.test("an identifier holding '|' or '%': its former key too, unescaped", async (t) => {
  t.same(keysOfWrite(DELIVERIES, delivery('DL-1|x', 'in-progress')), [
    `delivery|${APP}|DL-1%7Cx|in-progress`,
    `delivery|${APP}|DL-1|x|in-progress`,
  ]);
  t.same(keysOfWrite(ORDERS, order('50%')), [`order|${APP}|50%25|rev:2`, `order|${APP}|50%|rev:2`]);
  t.equal(formerKeyOf(STOCK, stock('SR|1'), STOCK.key(stock('SR|1'))!), `stock|${APP}|SR|1`);
});
