/**
 * An order is changed one change at a time, whichever of its lines a change names. Through the
 * real mediator, the OpenLMIS connector and its sandbox, on both store engines: two clients each
 * change a different line of one two-line order at the same moment, from the order as they read
 * it. Each change is a revision of the whole order (its requisition), built on the order as read:
 * two revisions from one read cannot both be applied without one undoing the other. So a change
 * must wait for the other one and be built on what it left: both answered 200, and OpenLMIS ends
 * with both quantities. With If-Match (the version each client read), the second change names a
 * version of its own line, which the other line's change leaves as it was: both stand; of two
 * changes of one line from one version, one wins and the other is told 412.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { orderLine, startRigOn, why, type Rig } from '../../support/openlmis-e2e.js';

const PROGRAM = 'EM01';
const PRODUCTS = { amx: 'EM-AMX250', ors: 'EM-ORS' } as const;
const ROUNDS = 4;

/** Requested quantities of the facility's one requisition in the sandbox (its order's). */
function requestedAt(rig: Rig, facility: string): number[] {
  const facilityId = rig.lmis.seed.facilities[facility];
  const reqs = rig.lmis.sb.state.requisitionsByStatus().filter((r: any) => r.facilityId === facilityId);
  if (reqs.length !== 1) throw new Error(`${reqs.length} requisitions at ${facility}`);
  return reqs[0].lineItems
    .filter((l: any) => l.requestedQuantity !== null)
    .map((l: any) => l.requestedQuantity as number)
    .sort((a: number, b: number) => a - b);
}

/** The two-line order, written with client-chosen line ids in one transaction. */
async function placeOrder(rig: Rig, order: string, facility: string): Promise<Record<keyof typeof PRODUCTS, string>> {
  const facilityId = rig.lmis.seed.facilities[facility];
  const ids = { amx: `${order.toLowerCase()}-amx`, ors: `${order.toLowerCase()}-ors` };
  const entry = (k: keyof typeof PRODUCTS, qty: number) => ({
    resource: { ...orderLine({ order, facilityId, program: PROGRAM, productCode: PRODUCTS[k], qty }), id: ids[k] },
    request: { method: 'PUT', url: `SupplyRequest/${ids[k]}` },
  });
  const placed = await rig.fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [entry('amx', 100), entry('ors', 100)],
  });
  if (placed.status !== 200) throw new Error(`order not placed: ${why(placed)}`);
  return ids;
}

/** The line as read, its quantity raised by `by`, without meta: what a client sends back. */
function raised(read: any, by: number): any {
  const { meta: _meta, ...content } = read;
  return { ...content, quantity: { ...content.quantity, value: content.quantity.value + by } };
}

/** One round: both lines read, then both changed at once (with their ETags when `ifMatch`). */
async function round(rig: Rig, ids: Record<string, string>, by: number, ifMatch: boolean) {
  const reads = await Promise.all(Object.values(ids).map((id) => rig.fhir('GET', `/fhir/SupplyRequest/${id}`)));
  for (const r of reads) if (r.status !== 200) throw new Error(`read: ${why(r)}`);
  return Promise.all(
    reads.map((r) =>
      rig.fhir(
        'PUT',
        `/fhir/SupplyRequest/${r.body.id}`,
        raised(r.body, by),
        ifMatch ? { 'if-match': r.headers.get('etag')! } : {},
      ),
    ),
  );
}

async function quantities(rig: Rig, ids: Record<string, string>): Promise<number[]> {
  const reads = await Promise.all(Object.values(ids).map((id) => rig.fhir('GET', `/fhir/SupplyRequest/${id}`)));
  return reads.map((r) => r.body.quantity.value);
}

for (const engine of engineCases()) {
  t.test(`two lines of one order changed at once (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine);

    await t.test('without If-Match: each change waits for the other and both are kept', async (t) => {
      const ids = await placeOrder(rig, 'RACE-PLAIN', 'LK-HC-102');
      let expected = 100;
      for (let i = 1; i <= ROUNDS; i++) {
        const answers = await round(rig, ids, i, false);
        expected += i;
        for (const a of answers) t.equal(a.status, 200, `round ${i}: ${why(a)}`);
        t.same(await quantities(rig, ids), [expected, expected], `round ${i}: both lines changed`);
        t.same(requestedAt(rig, 'LK-HC-102'), [expected, expected], `round ${i}: OpenLMIS holds both changes`);
      }
    });

    await t.test(
      'with If-Match: each line is checked on its own version, one of two changes of a line wins',
      async (t) => {
        const ids = await placeOrder(rig, 'RACE-GUARD', 'LK-HC-103');
        let held = { amx: 100, ors: 100 };
        for (let i = 1; i <= ROUNDS; i++) {
          const [amx, ors] = await Promise.all(
            [ids.amx, ids.ors].map((id) => rig.fhir('GET', `/fhir/SupplyRequest/${id}`)),
          );
          const put = (read: any, by: number) =>
            rig.fhir('PUT', `/fhir/SupplyRequest/${read.body.id}`, raised(read.body, by), {
              'if-match': read.headers.get('etag')!,
            });
          // line ors once; line amx twice from the one version read: only one of those two may apply
          const [orsAnswer, amxSmall, amxLarge] = await Promise.all([put(ors, i), put(amx, i), put(amx, 10 * i)]);
          t.equal(
            orsAnswer.status,
            200,
            `round ${i}: the other line's change stands on its version: ${why(orsAnswer)}`,
          );
          const amxStatuses = [amxSmall.status, amxLarge.status];
          t.same([...amxStatuses].sort(), [200, 412], `round ${i}: ${why(amxSmall)} | ${why(amxLarge)}`);
          held = { amx: held.amx + (amxSmall.status === 200 ? i : 10 * i), ors: held.ors + i };
          t.same(await quantities(rig, ids), [held.amx, held.ors], `round ${i}: the winners' changes, both kept`);
          t.same(
            requestedAt(rig, 'LK-HC-103'),
            [held.amx, held.ors].sort((a, b) => a - b),
            `round ${i}: OpenLMIS holds them`,
          );
        }
      },
    );
  });
}
