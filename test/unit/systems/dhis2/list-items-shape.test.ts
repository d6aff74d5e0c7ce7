/**
 * DHIS2 (or a gateway before it) answering a collection whose items are not objects (`null`, a
 * number). Every list the connector reads is decoded item by item, so such an item failed as a
 * TypeError of the mediator's: a 500 "internal error" saying nothing of DHIS2. It is the answer
 * that is wrong: a 502 naming the request and the collection, transient as the upstream's fault
 * (a write meeting it is retried, not refused; through the mediator, a Location search over such
 * an answer now says so). Client + sandbox faults.
 */
import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { startHarness } from './harness.js';

t.test('a collection with an item that is not an object is a 502 naming it', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.close());
  h.sandbox.faults.add({
    path: '/api/organisationUnits',
    action: { type: 'status', status: 200, body: { organisationUnits: [{ id: 'AbCdEfGhIj1', name: 'A' }, null, 5] } },
  });
  const err = await h.client.list('/api/organisationUnits', 'organisationUnits').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof UpstreamError, String(err));
  const e = err as UpstreamError;
  t.equal(e.status, 502, 'the upstream answered wrongly');
  t.equal(e.transient, true, "the upstream's fault: a write meeting it is retried, not refused");
  t.match(e.message, /GET \/api\/organisationUnits answered organisationUnits whose items are not all objects/);
});
