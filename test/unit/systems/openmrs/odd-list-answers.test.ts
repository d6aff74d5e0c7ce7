/**
 * The stock management module's inventory (`stockiteminventory`) answered 200 with a gateway's
 * JSON page (`{"message": …}`) in place of its `results`. Found by HB's audit of every list read:
 * it was read as no rows, so an inventory read showed no stock at all, an adjustment was refused
 * for good as taking from a batch that "holds 0", and a count of a batch near its expiry was
 * refused as expired. Now it is held (transient, client.ts resultsOf) and read again. A 204 was
 * already held (errors.ts junkAnswer). Connector + sandbox.
 */
import t, { type Test } from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { isTransient, type StockReport } from '../../../../src/domain/index.js';
import { memoryJournal } from './journal.js';
import { failure, sandboxConnector } from './rig.js';

const INVENTORY = '/openmrs/ws/rest/v1/stockmanagement/stockiteminventory';
const GATEWAY_PAGE = { type: 'status', status: 200, body: { message: 'Service under maintenance' } } as const;
const PCM = { system: 'https://www.gs1.org/gtin', code: '10860012300065' };
const DAY = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const report = (over: Partial<StockReport>): StockReport => ({
  identifier: { system: 'urn:test:odd-list', value: 'ODD-1' },
  status: 'active',
  countType: 'difference',
  operation: 'subtraction',
  reason: { code: 'Expired' },
  reportedAt: '2026-12-01T11:00:00Z',
  facility: { id: LOC.mwangaza },
  lines: [{ product: PCM, quantity: { value: 10, unit: 'dispensing-unit' }, lot: { number: 'PCM-2401' } }],
  ...over,
});

async function withPage(t: Test) {
  const { sb, c } = await sandboxConnector(t);
  const rule = sb.faults.add({ method: 'GET', path: INVENTORY, action: GATEWAY_PAGE });
  return { sb, c, answer: () => sb.faults.remove(rule.id) };
}

t.test('the inventory read answered by a JSON page: held, not a facility without stock', async (t) => {
  const { c, answer } = await withPage(t);
  const err = await failure(c.stock!.search({ facility: LOC.mwangaza }));
  t.ok(isTransient(err), `held: ${err.message}`);
  t.match(err.message, /stockiteminventory answered without a results list/);
  t.notMatch(err.message, /maintenance/, 'the page is not quoted');
  answer();
  const [inv] = (await c.stock!.search({ facility: LOC.mwangaza })).items;
  t.ok(
    inv.lines.some((l) => l.lot?.number === 'PCM-2401'),
    'the stock once OpenMRS answers',
  );
});

t.test('an adjustment whose on-hand read is answered by a JSON page: held, not "holds 0"', async (t) => {
  const { sb, c, answer } = await withPage(t);
  const err = await failure(c.stock!.precheck!(report({}), []));
  t.ok(isTransient(err), `held, not refused: ${err.message}`);
  t.same(sb.store.writes, {}, 'nothing reached OpenMRS');
  answer();
  await c.stock!.precheck!(report({}), []);
  t.pass('taken once the batch is read');
});

t.test('a count of a batch at its expiry, answered by a JSON page: held, not "expired"', async (t) => {
  const { sb, c, answer } = await withPage(t);
  // PCM-2401 expires on our date; the server is a day behind, so its own filter still lists it
  const expiry = dayOf(Date.now());
  for (const b of sb.stock.batches.values()) if (b.batchNo === 'PCM-2401') b.expiration = expiry;
  for (const r of sb.stock.onHand.values()) if (r.batchNo === 'PCM-2401') r.expiration = expiry;
  sb.store.clockOffsetMs = -DAY;
  const count = report({
    countType: 'snapshot',
    operation: undefined,
    reason: undefined,
    lines: [{ product: PCM, quantity: { value: 1900, unit: 'dispensing-unit' }, lot: { number: 'PCM-2401' } }],
  });
  const err = await failure(c.stock!.report(count, memoryJournal()));
  t.ok(isTransient(err), `held, not refused: ${err.message}`);
  t.same(sb.store.writes, {}, 'nothing reached OpenMRS');
  answer();
  t.equal((await c.stock!.report(count, memoryJournal())).status, 'COMPLETED');
});
