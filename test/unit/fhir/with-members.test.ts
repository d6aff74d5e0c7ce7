import t from 'tap';
import { adapters } from '../../../src/fhir/adapters.js';
import { withMembers } from '../../../src/fhir/with-members.js';
import { random } from '../../support/seeded-random.js';
import { supplyRequest } from '../../support/samples.js';

const KEYS = ['id', 'lineId', 'lines', 'status', 'lastUpdated', 'product', 'quantity', 'a1', 'b2', 'constructor'];

function randomObject(next: () => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = Math.floor(next() * 6);
  for (let i = 0; i < n; i++) {
    const key = KEYS[Math.floor(next() * KEYS.length)];
    const kind = Math.floor(next() * 4);
    out[key] =
      kind === 0 ? undefined : kind === 1 ? `v${Math.floor(next() * 100)}` : kind === 2 ? [next()] : { n: next() };
  }
  return out;
}

/** Everything a reader of the copy can see: key order, values (undefined ones too) and descriptors. */
function observed(o: object) {
  return Object.entries(Object.getOwnPropertyDescriptors(o)).map(([k, d]) => [k, d.value, d.enumerable, d.writable]);
}

t.test('the same object as a spread followed by the members, for 2,000 random pairs', async (t) => {
  const next = random(18);
  let differing = 0;
  let overlapping = 0;
  for (let i = 0; i < 2000; i++) {
    const base = randomObject(next);
    const members = randomObject(next);
    const before = JSON.stringify([observed(base), observed(members)]);
    const got = withMembers(base, members);
    if (Object.keys(members).some((k) => k in base)) overlapping++;
    if (JSON.stringify(observed(got)) !== JSON.stringify(observed({ ...base, ...members }))) differing++;
    if (got === base || JSON.stringify([observed(base), observed(members)]) !== before) differing++;
  }
  t.equal(differing, 0, 'same keys in the same order, same values, inputs untouched, a new object');
  t.ok(overlapping > 300, `members replacing a base key were exercised (${overlapping})`);
});

t.test('an order built from a decoded SupplyRequest is the one the spreads built', async (t) => {
  const resource = supplyRequest({ order: 'ORD-7' }) as Record<string, unknown>;
  const part = adapters.SupplyRequest.decode('r4', resource, 'SupplyRequest', 'create');
  const order = part.build(undefined);
  t.same(Object.keys(order).slice(-1), ['lines'], 'lines appended last, as { ...order, lines } put it');
  t.equal(order.lines.length, 1);
  t.equal(order.lines[0].lineId, part.id, 'the line carries its id');
  t.same(Object.keys(order.lines[0]).slice(-1), ['lineId']);
  const again = part.build(order);
  t.same(again, order, 'a PUT of the same only line rebuilds the same order');
});
