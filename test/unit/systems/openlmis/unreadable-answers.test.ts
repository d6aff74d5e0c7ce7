/**
 * An OpenLMIS write applied whose 2xx answer cannot be read: a proxy's login page in place of the
 * JSON, a body cut short, an empty body. Whether it landed is unknown, exactly as after a dropped
 * connection, and the client's input is not at fault: the attempt fails transiently, nothing is
 * taken from the unread answer (no "undefined" requisition, no page as a stock event id), and the
 * retry looks first, so each write lands once. Before, a submit answered by a login page ended the
 * job as done with the requisition still INITIATED (a lost order), a fill answered so was refused
 * for good and its requisition deleted, and a stock event took the page's text as its id.
 * Connector flows + sandbox.
 */
import t, { type Test as TapTest } from 'tap';
import { isTransient } from '../../../../src/domain/index.js';
import type { StockLine, StockReport } from '../../../../src/domain/index.js';
import { createStockCapability } from '../../../../src/systems/openlmis/stock/stock.js';
import { FACILITY_CODE_SYSTEM } from '../../../../src/systems/openlmis/identifiers.js';
import { failure } from './client-harness.js';
import {
  MemoryJournal,
  fiveLineOrder,
  line as orderLine,
  order,
  requisitions,
  startFlowHarness,
  type FlowHarness,
} from './orders-harness.js';
import { amnesiacJournal, gtinOf, startDepsHarness } from './stock-harness.js';

const LOGIN_PAGE = '<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>';
const CUT_SHORT = '{"id":"';

function unreadable(h: FlowHarness | { sb: FlowHarness['sb'] }, method: string, path: string, body: string) {
  h.sb.faults.add({
    method,
    path,
    times: 1,
    action: { type: 'afterApply', answer: { type: 'status', status: 200, body } },
  });
}

const submitted = (h: FlowHarness) => h.sb.state.submittedRequisitions();

t.test('a submit applied and answered by a login page: transient, then one submitted requisition', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  unreadable(h, 'POST', '/api/requisitions/*/submit', LOGIN_PAGE);
  const journal = new MemoryJournal();
  const err = await failure(h.orders.submit(fiveLineOrder(h), journal));
  t.ok(isTransient(err), `unknown outcome, retried: ${err.message}`);
  t.notMatch(err.message, /<html|Sign in/i, 'the page is not echoed');
  const result = await h.orders.submit(fiveLineOrder(h), journal);
  t.equal(result.status, 'active');
  t.equal(requisitions(h).length, 1);
  t.equal(submitted(h).length, 1);
});

t.test('a submit answered 200 with an empty body: transient, not a bug of ours', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  unreadable(h, 'POST', '/api/requisitions/*/submit', '');
  const journal = new MemoryJournal();
  const err = await failure(h.orders.submit(fiveLineOrder(h), journal));
  t.ok(isTransient(err), `unknown outcome, retried: ${err.message}`);
  await h.orders.submit(fiveLineOrder(h), journal);
  t.equal(submitted(h).length, 1);
});

/** The outbox's view: attempts until one succeeds, each failure transient (never a refusal). */
async function deliver(t: TapTest, h: FlowHarness, journal: MemoryJournal) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await h.orders.submit(fiveLineOrder(h), journal);
    } catch (err) {
      t.ok(isTransient(err), `attempt ${attempt} failed transiently: ${(err as Error).message}`);
      if (attempt === 3) throw err;
    }
  }
}

t.test('a fill applied and answered by a login page: not a refusal, the requisition is kept', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  unreadable(h, 'PUT', '/api/requisitions/*', LOGIN_PAGE);
  const result = await deliver(t, h, new MemoryJournal());
  t.equal(result.status, 'active');
  t.equal(requisitions(h).length, 1, 'one requisition, not deleted');
  t.equal(submitted(h).length, 1);
});

t.test('an initiate applied and answered with JSON cut short: one requisition, nothing undefined', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  unreadable(h, 'POST', '/api/requisitions/initiate', CUT_SHORT);
  const journal = new MemoryJournal();
  const result = await deliver(t, h, journal);
  t.equal(result.status, 'active');
  t.notOk(JSON.stringify([...journal.steps.values()]).includes('undefined'), 'nothing journaled from it');
  t.equal(requisitions(h).length, 1);
  t.equal(submitted(h).length, 1);
});

/** A 200 whose JSON lacks what the operation promises: applied, and unknown to the flow. */
function withoutId(h: FlowHarness, method: string, path: string) {
  h.sb.faults.add({
    method,
    path,
    times: 1,
    action: {
      type: 'afterApply',
      answer: { type: 'status', status: 200, body: '{}', contentType: 'application/json' },
    },
  });
}

t.test('an initiate applied and answered {}: no requisition left behind, the order lands once', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  withoutId(h, 'POST', '/api/requisitions/initiate');
  const result = await deliver(t, h, new MemoryJournal());
  t.equal(result.status, 'active');
  t.equal(requisitions(h).length, 1, 'the one initiated, adopted: no orphan draft');
  t.equal(submitted(h).length, 1);
});

t.test('a fill applied and answered {}: not a refusal, the order lands once', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  withoutId(h, 'PUT', '/api/requisitions/*');
  const result = await deliver(t, h, new MemoryJournal());
  t.equal(result.status, 'active');
  t.equal(requisitions(h).length, 1);
  t.equal(submitted(h).length, 1);
});

t.test('a submit applied and answered {}: the status is read, not "unknown"', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  withoutId(h, 'POST', '/api/requisitions/*/submit');
  const result = await deliver(t, h, new MemoryJournal());
  t.equal(result.status, 'active');
  t.equal(submitted(h).length, 1);
});

t.test('a read within the write answered by a login page: retried, never a refusal of the order', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  h.sb.faults.add({
    method: 'GET',
    path: '/api/requisitions/search',
    times: 3, // the client's own retries too: the job's next attempt gets the real answer
    action: { type: 'status', status: 200, body: LOGIN_PAGE, headers: { 'content-type': 'text/html' } },
  });
  const result = await deliver(t, h, new MemoryJournal());
  t.equal(result.status, 'active');
  t.equal(submitted(h).length, 1);
});

t.test('a requisition-less order created behind a login page: resumed to its own draft, one order', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const supplier = { identifier: h.facility('LK-WH-301').identifier };
  const o = order(h, 'LK-WH-302', [orderLine(h, 'EM-ORS', 3, 'pack')], { supplier });
  unreadable(h, 'POST', '/api/orders/requisitionLess', LOGIN_PAGE);
  const journal = new MemoryJournal();
  const result = await h.orders.submit(o, journal).catch(async (err: unknown) => {
    t.ok(isTransient(err), (err as Error).message);
    return h.orders.submit(o, journal);
  });
  t.equal(h.sb.state.store.orders.size, 1, 'one order, not a second');
  t.equal(h.sb.state.store.orders.get(result.ids.order)!.status, 'ORDERED');
});

const line = (code: string, value: number, extra: Partial<StockLine> = {}): StockLine => ({
  product: gtinOf(code),
  quantity: { value, unit: 'dispensing-unit' },
  ...extra,
});

t.test('a stock event applied and answered by a login page: transient, then found, one event', async (t) => {
  const h = await startDepsHarness({ stockApi: 'code' });
  t.teardown(h.close);
  const stock = createStockCapability(h.deps);
  const adjustment: StockReport = {
    status: 'active',
    countType: 'difference',
    reportedAt: new Date().toISOString(),
    facility: { identifier: { system: FACILITY_CODE_SYSTEM, value: 'LK-HC-101' } },
    program: 'FP01',
    identifier: { system: 'urn:test', value: 'ADJ-PAGE-1' },
    lines: [line('FP-LNG30', -10, { reason: { code: 'Damage' } })],
  };
  unreadable(h, 'POST', '/api/public/stockEvents', LOGIN_PAGE);
  const err = await failure(stock.report(adjustment, amnesiacJournal()));
  t.ok(isTransient(err), err.message);
  const result = await stock.report(adjustment, amnesiacJournal());
  t.equal(result.status, 'completed');
  t.notMatch(JSON.stringify(result.ids), /<html|Sign in/i, 'the page is no event id');
  t.equal(h.sb.state.counts().stockEventsByKind.adjustment, 1, 'one event');
});
