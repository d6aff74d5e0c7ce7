/**
 * OpenLMIS list reads answered 2xx without the list: a 204, or a gateway's JSON page
 * (`{"message": …}`) where OpenLMIS answers a JSON array or a Spring page. Found by HB's audit of
 * every list read (a 204 was already held where a body is due): each was read as an empty list,
 * or crashed on it:
 * - the periods an order can be initiated in: a TypeError (no `find` on the page);
 * - the valid stock reasons: none, so an adjustment naming one was refused for good, and the empty
 *   list kept in the reference cache;
 * - the public stock API probe: taken as "the code API is there", for the life of the process;
 * - a page of facilities for the stock ledger: the ledger ended with no facility at all;
 * - a page of facilities for a Location search: a search answered without them;
 * - a stock card read to tell whether an event landed (its `lineItems`): "not landed", so an
 *   event applied whose answer was lost was sent again and counted twice.
 * Now each is held (transient, unreadable-answer.ts) and read again. Connector + sandbox.
 */
import t from 'tap';
import { isTransient } from '../../../../src/domain/index.js';
import type { StockLine, StockReport } from '../../../../src/domain/index.js';
import { createFacilityCapability } from '../../../../src/systems/openlmis/facility/facilities.js';
import { FACILITY_CODE_SYSTEM } from '../../../../src/systems/openlmis/identifiers.js';
import { createReferenceData } from '../../../../src/systems/openlmis/reference-data.js';
import { createStockApiChooser } from '../../../../src/systems/openlmis/stock/stock-events.js';
import { openLmisLedgers } from '../../../../src/systems/openlmis/stock/stock-ledger.js';
import { createStockCapability } from '../../../../src/systems/openlmis/stock/stock.js';
import { failure, startClientHarness } from './client-harness.js';
import { MemoryJournal, fiveLineOrder, requisitions, startFlowHarness } from './orders-harness.js';
import { amnesiacJournal, gtinOf, startDepsHarness } from './stock-harness.js';

const GATEWAY_PAGE = { type: 'status', status: 200, body: { message: 'Service under maintenance' } } as const;

t.test('the periods to initiate answered by a JSON page: held, then the order lands', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const odd = h.sb.faults.add({ method: 'GET', path: '/api/requisitions/periodsForInitiate', action: GATEWAY_PAGE });
  const journal = new MemoryJournal();
  const err = await failure(h.orders.submit(fiveLineOrder(h), journal));
  t.ok(isTransient(err), `held, not a crash: ${err.message}`);
  t.match(err.message, /periodsForInitiate answered 200 with JSON without a list/);
  t.notMatch(err.message, /maintenance/, 'the page is not quoted');
  t.equal(requisitions(h).length, 0, 'nothing initiated');
  h.sb.faults.remove(odd.id);
  t.equal((await h.orders.submit(fiveLineOrder(h), journal)).status, 'active');
  t.equal(requisitions(h).length, 1);
});

const line = (code: string, value: number, reason: string): StockLine => ({
  product: gtinOf(code),
  quantity: { value, unit: 'dispensing-unit' },
  reason: { code: reason },
});

t.test('the valid reasons answered by a JSON page: held, not "no such reason"', async (t) => {
  const h = await startDepsHarness({ stockApi: 'code' });
  t.teardown(h.close);
  const stock = createStockCapability(h.deps);
  const adjustment: StockReport = {
    status: 'active',
    countType: 'difference',
    reportedAt: new Date().toISOString(),
    facility: { identifier: { system: FACILITY_CODE_SYSTEM, value: 'LK-HC-101' } },
    program: 'FP01',
    identifier: { system: 'urn:test', value: 'ADJ-REASONS-PAGE' },
    lines: [line('FP-LNG30', -10, 'Damage')],
  };
  const odd = h.sb.faults.add({ method: 'GET', path: '/api/validReasons', action: GATEWAY_PAGE });
  const err = await failure(stock.report(adjustment, amnesiacJournal()));
  t.ok(isTransient(err), `held, not refused: ${err.message}`);
  t.match(err.message, /validReasons answered 200 with JSON without a list/);
  t.equal(h.sb.state.counts().stockEventsByKind.adjustment ?? 0, 0, 'nothing written');
  h.sb.faults.remove(odd.id);
  t.equal((await stock.report(adjustment, amnesiacJournal())).status, 'completed', 'the reasons read again');
  t.equal(h.sb.state.counts().stockEventsByKind.adjustment, 1);
});

t.test('the public stock API probe answered by a JSON page: held, not "the code API is there"', async (t) => {
  const h = await startClientHarness({ stockApi: 'auto' });
  t.teardown(h.close);
  const choose = createStockApiChooser(h.client, () => h.settings);
  const plan = { facility: { code: 'LK-HC-101' }, program: { code: 'FP01' } } as Parameters<typeof choose>[0];
  const odd = h.sb.faults.add({ method: 'GET', path: '/api/public/stockCardSummaries', action: GATEWAY_PAGE });
  const err = await failure(choose(plan));
  t.ok(isTransient(err), `held: ${err.message}`);
  t.match(err.message, /answered 200 with JSON without a list/);
  h.sb.faults.remove(odd.id);
  t.equal(await choose(plan), 'code', 'asked again, not kept');
});

t.test(
  'a page of facilities for the stock ledger answered by a JSON page: held, not the end of the list',
  async (t) => {
    const h = await startDepsHarness();
    t.teardown(h.close);
    const window = { from: '2017-01-01', to: '2030-12-31' };
    const read = async () => {
      const codes: string[] = [];
      for await (const l of openLmisLedgers(h.deps, window)) codes.push(l.facility.identifier?.value ?? '');
      return codes;
    };
    const odd = h.sb.faults.add({ method: 'GET', path: '/api/facilities', action: GATEWAY_PAGE });
    const err = await failure(read());
    t.ok(isTransient(err), `held: ${err.message}`);
    h.sb.faults.remove(odd.id);
    t.ok((await read()).length > 0, 'the ledgers once OpenLMIS answers');
  },
);

t.test(
  'a page of facilities for a Location search answered by a JSON page: held, not a search without them',
  async (t) => {
    const h = await startClientHarness();
    t.teardown(h.close);
    const cap = createFacilityCapability(h.client, createReferenceData(h.client, 60_000));
    const search = () => cap.search!({ page: { count: 10 } });
    const odd = h.sb.faults.add({ method: 'GET', path: '/api/facilities/full', action: GATEWAY_PAGE });
    const err = await failure(search());
    t.ok(isTransient(err), `held: ${err.message}`);
    h.sb.faults.remove(odd.id);
    t.ok((await search()).items.length > 0, 'facilities once OpenLMIS answers');
  },
);

t.test('a stock card answered by a JSON page after a lost answer: held, the event is not sent twice', async (t) => {
  const h = await startDepsHarness({ stockApi: 'code' });
  t.teardown(h.close);
  const stock = createStockCapability(h.deps);
  const adjustment: StockReport = {
    status: 'active',
    countType: 'difference',
    reportedAt: new Date().toISOString(),
    facility: { identifier: { system: FACILITY_CODE_SYSTEM, value: 'LK-HC-101' } },
    program: 'FP01',
    identifier: { system: 'urn:test', value: 'ADJ-CARD-PAGE' },
    lines: [line('FP-LNG30', -10, 'Damage')],
  };
  // the event is applied, its answer lost: the retry reads the stock card to tell
  h.sb.faults.add({
    method: 'POST',
    path: '/api/public/stockEvents',
    times: 1,
    action: { type: 'afterApply', answer: { type: 'status', status: 502 } },
  });
  t.ok(isTransient(await failure(stock.report(adjustment, amnesiacJournal()))), 'the answer lost');
  t.equal(h.sb.state.counts().stockEventsByKind.adjustment, 1, 'applied');
  const odd = h.sb.faults.add({ method: 'GET', path: '/api/stockCards/*', action: GATEWAY_PAGE });
  const err = await failure(stock.report(adjustment, amnesiacJournal()));
  t.ok(isTransient(err), `held: ${err.message}`);
  t.match(err.message, /JSON without 'lineItems'/);
  t.equal(h.sb.state.counts().stockEventsByKind.adjustment, 1, 'not sent again');
  h.sb.faults.remove(odd.id);
  t.equal((await stock.report(adjustment, amnesiacJournal())).status, 'completed', 'found');
  t.equal(h.sb.state.counts().stockEventsByKind.adjustment, 1, 'one event');
});
