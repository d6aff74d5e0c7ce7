/**
 * Expired batches, as the stock management module treats them: its inventory search leaves them
 * out unless told not to (StockItemInventoryResource `excludeExpired`, default true; the DAO keeps
 * `sb.expiration > today`), so the SUBMIT check of an adjustment sees an expired batch as holding
 * none (validateStockInventoryAfterOperation; only the disposed type allowExpiredBatchNumbers) and a
 * stock take adds its whole count on top (calculateStockIssueAdjustments). The seed's ORS-2312
 * (300 sachets at Mwangaza) expired on 2025-12-31.
 */
import t, { type Test } from 'tap';
import { ADMIN_PASSWORD, DRUGS, LOC } from '../../../../sandbox/openmrs/index.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { memoryJournal } from './journal.js';
import { failure, sandboxConnector } from './rig.js';

const ORS = { system: 'https://www.gs1.org/gtin', code: '10860012300072' };
const MWANGAZA_PARTY = 'e5d4c3b2-0001-4a1b-8c2d-3e4f50617281';

async function setup(t: Test) {
  const { sb, c } = await sandboxConnector(t);
  const ors = [...sb.stock.items.values()].find((i) => i.drugUuid === DRUGS.ors)!;
  const held = () => sb.stock.quantity(MWANGAZA_PARTY, ors.uuid, 'ORS-2312');
  return { sb, c, ors, held };
}
const report = (over: Partial<StockReport>): StockReport => ({
  identifier: { system: 'urn:test:expired', value: 'EXP-1' },
  status: 'active',
  countType: 'difference',
  operation: 'subtraction',
  reason: { code: 'Expired' },
  reportedAt: '2026-12-01T11:00:00Z',
  facility: { id: LOC.mwangaza },
  lines: [{ product: ORS, quantity: { value: 10, unit: 'dispensing-unit' }, lot: { number: 'ORS-2312' } }],
  ...over,
});

t.test('sandbox: the inventory leaves expired batches out unless excludeExpired=false', async (t) => {
  const { sb, ors } = await setup(t);
  const auth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
  const rows = async (extra: string) => {
    const res = await fetch(
      `${sb.url}/ws/rest/v1/stockmanagement/stockiteminventory?partyUuid=${MWANGAZA_PARTY}&stockItemUuid=${ors.uuid}${extra}`,
      { headers: { authorization: auth } },
    );
    return ((await res.json()) as { results: { batchNumber: string; quantity: number }[] }).results;
  };
  t.same(await rows(''), [], 'left out by default, not answered as 0');
  t.same(await rows('&excludeExpired=true'), []);
  t.match(await rows('&excludeExpired=false'), [{ batchNumber: 'ORS-2312', quantity: 300 }]);
});

t.test('sandbox: a SUBMIT taking from an expired batch is refused; a disposal of it is not', async (t) => {
  const { sb, ors, held } = await setup(t);
  const admin = [...sb.store.users.values()][0];
  const op = (type: 'adjustment' | 'disposed', quantity: number) =>
    sb.stock.create(
      {
        operationTypeUuid: sb.stock.typeUuid(type),
        sourceUuid: MWANGAZA_PARTY,
        operationDate: '2026-12-01T00:00:00.000+0000',
        reasonUuid: 'c0a1b2c3-0002-4e5f-9a0b-1c2d3e4f5062',
        stockOperationItems: [{ stockItemUuid: ors.uuid, batchNo: 'ORS-2312', quantity }],
      },
      admin,
    );
  const adjustment = op('adjustment', -10);
  t.throws(() => sb.stock.act({ name: 'SUBMIT', uuid: adjustment.uuid }), /negative balance of -10/);
  const disposal = op('disposed', 10);
  sb.stock.act({ name: 'SUBMIT', uuid: disposal.uuid });
  sb.stock.act({ name: 'APPROVE', uuid: disposal.uuid });
  t.equal(held(), 290, 'disposed of: allowExpiredBatchNumbers');
});

t.test('an adjustment out of an expired batch: refused before anything is written', async (t) => {
  const { sb, c, held } = await setup(t);
  const refused = await failure(c.stock!.precheck!(report({}), []));
  t.equal(refused.status, 422);
  t.match(refused.message, /ORS-2312 holds 0 unexpired .* taking 10/);
  t.same(refused.issues[0].expression, ['InventoryReport.inventoryListing[0].item[0].quantity']);
  t.equal((await failure(c.stock!.report(report({}), memoryJournal()))).status, 422, 'and on delivery');
  t.same(sb.store.writes, {}, 'nothing reached OpenMRS');
  t.equal(held(), 300);
});

t.test('a stock take counting an expired batch: refused, not added on top of what it holds', async (t) => {
  const { sb, c, held } = await setup(t);
  const count = report({
    countType: 'snapshot',
    operation: undefined,
    reason: undefined,
    lines: [{ product: ORS, quantity: { value: 280, unit: 'dispensing-unit' }, lot: { number: 'ORS-2312' } }],
  });
  const refused = await failure(c.stock!.report(count, memoryJournal()));
  t.equal(refused.status, 422);
  t.match(refused.message, /ORS-2312 of Oral rehydration salts 20.5g expired on 2025-12-31/);
  t.same(refused.issues[0].expression, ['InventoryReport.inventoryListing[0].item[0].extension']);
  t.same(sb.store.writes, {}, 'nothing reached OpenMRS');
  t.equal(held(), 300, 'not 580');
});

t.test('the inventory read names expired batches with their expiry', async (t) => {
  const { c } = await setup(t);
  const [inv] = (await c.stock!.search({ facility: LOC.mwangaza })).items;
  t.match(
    inv.lines.find((l) => l.lot?.number === 'ORS-2312'),
    { quantity: { value: 300 }, lot: { expiry: '2025-12-31' } },
    'stock on the shelf, expired, still reported',
  );
});

/**
 * Near midnight our date and the server's differ. The module judges expiry on its own date
 * (DateUtil.today()), so the connector asks the server about a batch that expires within a day
 * of our date. The sandbox's clock is moved a day to stand for a server in another zone.
 */
const DAY = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The seed's PCM-2401 (2000 at Mwangaza) expiring on `expiry`, counted at 1900. */
async function countExpiring(t: Test, expiry: string, serverAheadDays: number) {
  const { sb, c } = await sandboxConnector(t);
  const pcm = [...sb.stock.items.values()].find((i) => i.drugUuid === DRUGS.paracetamol)!;
  for (const b of sb.stock.batches.values()) if (b.batchNo === 'PCM-2401') b.expiration = expiry;
  for (const r of sb.stock.onHand.values()) if (r.batchNo === 'PCM-2401') r.expiration = expiry;
  sb.store.clockOffsetMs = serverAheadDays * DAY;
  const held = () => sb.stock.quantity(MWANGAZA_PARTY, pcm.uuid, 'PCM-2401');
  const count = report({
    identifier: { system: 'urn:test:expired', value: `EXP-${expiry}` },
    countType: 'snapshot',
    operation: undefined,
    reason: undefined,
    lines: [
      {
        product: { system: 'https://www.gs1.org/gtin', code: '10860012300065' },
        quantity: { value: 1900, unit: 'dispensing-unit' },
        lot: { number: 'PCM-2401' },
      },
    ],
  });
  return { sb, c, held, count };
}

t.test("a batch expiring tomorrow by our date, today by the server's: refused", async (t) => {
  const { sb, c, held, count } = await countExpiring(t, dayOf(Date.now() + DAY), 1);
  const refused = await failure(c.stock!.report(count, memoryJournal()));
  t.equal(refused.status, 422);
  t.match(refused.message, /PCM-2401 .* expired on .* \(by the OpenMRS server's date\)/);
  t.same(sb.store.writes, {}, 'nothing reached OpenMRS');
  t.equal(held(), 2000, 'not 2000 + 1900');
});

t.test("a batch expiring today by our date, tomorrow by the server's: counted", async (t) => {
  const { c, held, count } = await countExpiring(t, dayOf(Date.now()), -1);
  const done = await c.stock!.report(count, memoryJournal());
  t.equal(done.status, 'COMPLETED');
  t.equal(held(), 1900, 'set to the count');
});

t.test('a batch far from its expiry is judged by the date alone: no extra read', async (t) => {
  const { sb, c, held, count } = await countExpiring(t, dayOf(Date.now() + 3 * DAY), 0);
  sb.faults.add({
    method: 'GET',
    path: '/openmrs/ws/rest/v1/stockmanagement/stockiteminventory',
    action: { type: 'status', status: 500 },
  });
  const done = await c.stock!.report(count, memoryJournal());
  t.equal(done.status, 'COMPLETED', 'the inventory was never asked');
  t.equal(held(), 1900);
});
