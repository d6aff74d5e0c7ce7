/**
 * GET /api/requisitions/{id} read by a resumed order flow (api.readRequisition: the fill's and the
 * submit's read of where the requisition stands) answered 200 by a gateway's JSON page
 * (`{"message": …}`). Found by review RB of HB's work (HB held readOrder, the same read of an
 * order, but not this one): the page read as a requisition without a status, which "awaits no
 * submit", so the submit was skipped and the order reported done while OpenLMIS kept the
 * requisition INITIATED. Now the read carries `id` and `status` (every RequisitionDto has
 * both) and the page is held (transient). Connector + sandbox.
 */
import t from 'tap';
import { isTransient } from '../../../../src/domain/index.js';
import { failure } from './client-harness.js';
import { MemoryJournal, fiveLineOrder, requisitions, startFlowHarness } from './orders-harness.js';

const GATEWAY_PAGE = { type: 'status', status: 200, body: { message: 'Service under maintenance' } } as const;

t.test("a resumed submit whose requisition read is a gateway's page: held, then submitted once", async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const o = fiveLineOrder(h);
  const journal = new MemoryJournal();
  h.sb.faults.failNext('POST', '/api/requisitions/*/submit', 503);
  t.ok(isTransient(await failure(h.orders.submit(o, journal))), 'the 503: tried again later');
  t.ok(journal.steps.has('fill'), 'filled before the 503');
  const [initiated] = requisitions(h);
  const id = String(initiated.id);

  const page = h.sb.faults.add({ method: 'GET', path: `/api/requisitions/${id}`, action: GATEWAY_PAGE });
  const held = await failure(h.orders.submit(o, journal));
  t.ok(isTransient(held), `held, not done: ${held.message}`);
  t.match(held.message, /JSON without 'id' or 'status'/);
  t.notMatch(held.message, /maintenance/, 'the page is not quoted');
  t.equal(h.sb.state.submittedRequisitions().length, 0, 'not submitted');

  h.sb.faults.remove(page.id);
  const done = await h.orders.submit(o, journal);
  t.equal(done.status, 'active');
  t.equal(h.sb.state.submittedRequisitions().length, 1, 'submitted once');
  t.equal(h.sb.state.store.requisitions.get(id)?.status, 'SUBMITTED');
});
