/**
 * Open mSupply (or a gateway before it) answering JSON of another shape than its schema's: a list
 * without its `nodes`, a requisition that is neither one nor its error. A TypeError further on
 * made it a 500 "internal error" of the mediator's, saying nothing of Open mSupply; it is the
 * upstream's fault, a 502 naming the operation and the shape (never its text), and transient:
 * never the client's fault, so a write meeting it mid-write is retried, not refused
 * (test/e2e/systems/msupply/odd-answer-mid-write.test.ts). Connector + sandbox faults.
 */
import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { failure, startRig } from './harness.js';

const STORE = 'store-hc-north';

t.test('a list answered without its nodes is a 502 naming the operation', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({
    operation: 'invoices',
    action: { type: 'status', status: 200, body: { data: { invoices: { totalCount: 1, nodes: 'SECRET-ECHO' } } } },
  });
  const err = await failure(rig.connector.deliveries!.search({ facility: STORE }));
  t.ok(err instanceof UpstreamError, String(err));
  t.equal(err.status, 502, 'the upstream answered wrongly');
  t.equal(err.transient, true, "the upstream's fault: a write meeting it is retried, not refused");
  t.match(err.message, /shipments answered an object without its nodes where Open mSupply's schema has a list/);
  t.notMatch(err.message, /SECRET-ECHO/, "the answer's text is not repeated");

  rig.sb.faults.clear();
  rig.sb.faults.add({ operation: 'invoices', action: { type: 'status', status: 200, body: { data: {} } } });
  const none = await failure(rig.connector.deliveries!.search({ facility: STORE }));
  t.equal(none.status, 502, String(none));
  t.match(none.message, /shipments answered nothing where/);
});

t.test('a requisition read answered null is a 502, not "no such order"', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({
    operation: 'requisition',
    action: { type: 'status', status: 200, body: { data: { requisition: null } } },
  });
  const err = await failure(rig.connector.orders!.get('req-anything'));
  t.ok(err instanceof UpstreamError, String(err));
  t.equal(err.status, 502);
  t.match(err.message, /requisition answered nothing where Open mSupply's schema has a requisition or its error/);
});

t.test("the user's answer (me) without its store list, or none at all, is a 502 naming it", async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const me = { __typename: 'UserNode', userId: 'u-1', username: 'mediator', defaultStore: null };
  rig.sb.faults.add({ operation: 'me', action: { type: 'status', status: 200, body: { data: { me } } } });
  const err = await failure(rig.connector.ping!());
  t.ok(err instanceof UpstreamError, String(err));
  t.equal(err.status, 502, 'the upstream answered wrongly');
  t.match(err.message, /me\.stores answered nothing where Open mSupply's schema has a list \(nodes\)/);

  rig.sb.faults.clear();
  rig.sb.faults.add({
    operation: 'me',
    action: { type: 'status', status: 200, body: { data: { me: 'SECRET-ECHO' } } },
  });
  const odd = await failure(rig.connector.ping!());
  t.equal(odd.status, 502, String(odd));
  t.match(odd.message, /me answered a string where Open mSupply's schema has the user/);
  t.notMatch(odd.message, /SECRET-ECHO/, "the answer's text is not repeated");
});
