/**
 * A query within a write answered by a proxy's page in place of GraphQL JSON (the `requisition`
 * lookup an order makes before it inserts): that says nothing about the write, so it is transient
 * and the order lands on a later attempt, instead of being refused and dropped on a proxy's blip.
 * An answer that is JSON but neither data nor errors is transient too (the upstream's fault, never
 * the client's), said as an answer of another shape. Connector + sandbox.
 */
import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { AMOXICILLIN, MemoryJournal, order, startRig, failure } from './harness.js';

const PAGE = '<html><head><title>Sign in</title></head><body><form>csrf=abc</form></body></html>';

t.test("an order's lookup answered by a login page: transient, then one SENT requisition", async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({ operation: 'requisition', action: { type: 'status', status: 200, body: PAGE }, times: 3 });
  const journal = new MemoryJournal();
  const o = order('ORD-QPAGE-1', [{ gtin: AMOXICILLIN, qty: 100 }]);
  const err = await failure(rig.connector.orders!.submit(o, journal));
  t.ok(err instanceof UpstreamError, String(err));
  t.equal(err.transient, true, `retried, not refused: ${err.message}`);
  t.notMatch(err.message, /csrf|<form/, 'the page is not quoted');
  await rig.connector.orders!.submit(o, journal);
  const requests = [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST');
  t.equal(requests.length, 1);
  t.equal(requests[0].status, 'SENT');
});

t.test('a query answered with JSON that is neither data nor errors: transient, said so', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await rig.connector.ping!();
  rig.sb.faults.add({ operation: 'me', action: { type: 'status', status: 200, body: { result: 'ok' } } });
  const err = await failure(rig.connector.ping!());
  t.equal(err.transient, true, err.message);
  t.equal(err.status, 502);
  t.match(err.message, /me answered neither data nor errors$/);
});
