import t from 'tap';
import { BusinessRuleError } from '../../../../src/domain/errors.js';
import type { StockLine, StockReport } from '../../../../src/domain/index.js';
import { createStockCapability } from '../../../../src/systems/openlmis/stock/stock.js';
import { FACILITY_CODE_SYSTEM, GTIN_SYSTEM } from '../../../../src/systems/openlmis/identifiers.js';
import { failure } from './client-harness.js';
import { amnesiacJournal, gtinOf, startDepsHarness } from './stock-harness.js';

const today = () => new Date().toISOString();
const hc101 = { identifier: { system: FACILITY_CODE_SYSTEM, value: 'LK-HC-101' } };
const line = (code: string, value: number, extra: Partial<StockLine> = {}): StockLine => ({
  product: gtinOf(code),
  quantity: { value, unit: 'dispensing-unit' },
  ...extra,
});
const report = (over: Partial<StockReport>): StockReport => ({
  status: 'active',
  countType: 'snapshot',
  reportedAt: today(),
  facility: hc101,
  program: 'FP01',
  lines: [],
  ...over,
});

async function setup(t: { teardown: (fn: () => unknown) => void }, stockApi: 'auto' | 'code' | 'uuid' = 'auto') {
  const h = await startDepsHarness({ stockApi });
  t.teardown(h.close);
  return { h, stock: createStockCapability(h.deps) };
}

/** FP01 at LK-HC-101 as the summaries say: product code (+lot) → stock on hand. */
async function fp01(h: Awaited<ReturnType<typeof setup>>['h'], stock: ReturnType<typeof createStockCapability>) {
  const { items } = await stock.search({ facility: h.seed.facilities['LK-HC-101'] });
  const r = items.find((x) => x.program === 'FP01')!;
  return Object.fromEntries(
    r.lines.map((l) => [`${l.product.code}${l.lot ? `/${l.lot.number}` : ''}`, l.quantity.value]),
  );
}

t.test('summaries read as a snapshot per program, with lots and expiry', async (t) => {
  const { h, stock } = await setup(t);
  const { items } = await stock.search({ facility: h.seed.facilities['LK-HC-101'] });
  t.same(items.map((r) => r.program).sort(), ['EM01', 'FP01', 'IMM1']);
  const fp = items.find((r) => r.program === 'FP01')!;
  t.match(fp, {
    countType: 'snapshot',
    facility: { id: h.seed.facilities['LK-HC-101'], identifier: { value: 'LK-HC-101' } },
  });
  const lng = gtinOf('FP-LNG30').code;
  t.same(
    fp.lines
      .map((l) => [l.product.system, l.product.code, l.quantity, l.lot])
      .sort(
        (a, b) => String(a[1]).localeCompare(String(b[1])) || Number((a[2] as any).value) - Number((b[2] as any).value),
      ),
    [
      [GTIN_SYSTEM, lng, { value: 60, unit: 'dispensing-unit' }, { number: 'LNG-2301', expiry: '2027-03-31' }],
      [GTIN_SYSTEM, lng, { value: 120, unit: 'dispensing-unit' }, undefined],
      [GTIN_SYSTEM, gtinOf('FP-CNDM').code, { value: 1440, unit: 'dispensing-unit' }, undefined],
    ].sort(
      (a, b) => String(a[1]).localeCompare(String(b[1])) || Number((a[2] as any).value) - Number((b[2] as any).value),
    ),
  );
  t.same(await stock.get!(fp.id!), fp, 'get by id gives the same report');
  const filtered = await stock.search({ facility: h.seed.facilities['LK-HC-101'], item: gtinOf('FP-CNDM') });
  t.same(
    filtered.items.map((r) => r.lines.length),
    [1],
    'item filter',
  );
});

t.test('a search at a facility OpenLMIS does not know matches nothing (another system may hold it)', async (t) => {
  const { stock } = await setup(t);
  t.same(await stock.search({ facility: '00000000-0000-4000-8000-00000000dead' }), { items: [] });
  t.same(await stock.search({ facility: 'MSUPPLY-STORE-7' }), { items: [] });
});

t.test('a count that leaves out a product with stock is refused naming it', async (t) => {
  const { h, stock } = await setup(t);
  const before = h.sb.state.counts().stockEvents;
  const err = await failure(
    stock.report(
      report({ lines: [line('FP-LNG30', 100), line('FP-LNG30', 50, { lot: { number: 'LNG-2301' } })] }),
      amnesiacJournal(),
    ),
  );
  t.type(err, BusinessRuleError);
  t.match(err.message, /not counted: FP-CNDM has 1440/);
  t.equal(h.sb.state.counts().stockEvents, before, 'nothing posted');
});

t.test('a full count becomes one physical inventory; summaries read back match (packs converted)', async (t) => {
  const { h, stock } = await setup(t);
  const before = h.sb.state.counts().stockEventsByKind.physicalInventory;
  const result = await stock.report(
    report({
      identifier: { system: 'urn:test', value: 'COUNT-1' },
      lines: [
        line('FP-LNG30', 100),
        line('FP-LNG30', 0, { lot: { number: 'LNG-2301' } }),
        { product: gtinOf('FP-CNDM'), quantity: { value: 9, unit: 'pack' } },
        line('FP-DMPA', 25),
      ],
    }),
    amnesiacJournal(),
  );
  t.equal(result.status, 'completed');
  t.equal(result.ids.documentNumber, 'COUNT-1');
  t.equal(h.sb.state.counts().stockEventsByKind.physicalInventory, before + 1);
  const soh = await fp01(h, stock);
  t.same(soh, {
    [gtinOf('FP-LNG30').code]: 100,
    [`${gtinOf('FP-LNG30').code}/LNG-2301`]: 0,
    [gtinOf('FP-CNDM').code]: 9 * 144,
    [gtinOf('FP-DMPA').code]: 25,
  });

  const again = await stock.report(
    report({
      identifier: { system: 'urn:test', value: 'COUNT-1' },
      lines: [
        line('FP-LNG30', 100),
        line('FP-LNG30', 0, { lot: { number: 'LNG-2301' } }),
        { product: gtinOf('FP-CNDM'), quantity: { value: 9, unit: 'pack' } },
        line('FP-DMPA', 25),
      ],
    }),
    amnesiacJournal(),
  );
  t.equal(
    h.sb.state.counts().stockEventsByKind.physicalInventory,
    before + 1,
    'a retry with the same identifier posts nothing',
  );
  t.equal(again.ids.documentNumber, 'COUNT-1');
});

t.test('a difference becomes one adjustment with reasons by name; read back matches', async (t) => {
  const { h, stock } = await setup(t);
  const result = await stock.report(
    report({
      countType: 'difference',
      identifier: { system: 'urn:test', value: 'ADJ-1' },
      lines: [
        line('FP-LNG30', -10, { reason: { code: 'Damage' } }),
        line('FP-CNDM', 144, { reason: { code: 'facility return' } }),
        line('FP-DMPA', 0),
      ],
    }),
    amnesiacJournal(),
  );
  t.equal(result.status, 'completed');
  t.equal(h.sb.state.counts().stockEventsByKind.adjustment, 1);
  const soh = await fp01(h, stock);
  t.equal(soh[gtinOf('FP-LNG30').code], 110);
  t.equal(soh[gtinOf('FP-CNDM').code], 1584);
  const subtraction = await stock.report(
    report({
      countType: 'difference',
      operation: 'subtraction',
      reason: { code: 'Expired' },
      lines: [line('FP-LNG30', 5, { lot: { number: 'LNG-2301' } })],
    }),
    amnesiacJournal('k2'),
  );
  t.equal(subtraction.status, 'completed');
  t.equal((await fp01(h, stock))[`${gtinOf('FP-LNG30').code}/LNG-2301`], 55, 'operation=subtraction made +5 a debit');
});

t.test('a reason given by several codings: the first OpenLMIS knows wins (issue 16)', async (t) => {
  const { h, stock } = await setup(t);
  const result = await stock.report(
    report({
      countType: 'difference',
      identifier: { system: 'urn:test', value: 'ADJ-CODINGS' },
      reason: { system: 'urn:local:reasons', code: 'DMG-7', alternatives: [{ code: 'Expired' }, { code: 'Damage' }] },
      lines: [line('FP-LNG30', -4)],
    }),
    amnesiacJournal('codings'),
  );
  t.equal(result.status, 'completed');
  t.equal((await fp01(h, stock))[gtinOf('FP-LNG30').code], 116, 'the adjustment went through under Expired');
  const unknown = await stock
    .report(
      report({
        countType: 'difference',
        reason: { system: 'urn:local:reasons', code: 'DMG-7', alternatives: [{ code: 'Eaten by goats' }] },
        lines: [line('FP-LNG30', -4)],
      }),
      amnesiacJournal('codings-2'),
    )
    .catch((e) => e);
  t.type(unknown, BusinessRuleError);
  t.match(unknown.message, /reason 'DMG-7' is not valid here/, 'none known: the first coding is named');
});

t.test('lines of one product and lot are summed, in a count and in a change', async (t) => {
  const { h, stock } = await setup(t);
  // counted shelf by shelf: 60 + 40 of the unlotted pills, 0 of the lot, packs and units of condoms
  const count = await stock.report(
    report({
      identifier: { system: 'urn:test', value: 'COUNT-SHELVES' },
      lines: [
        line('FP-LNG30', 60),
        line('FP-LNG30', 0, { lot: { number: 'LNG-2301' } }),
        line('FP-LNG30', 40),
        { product: gtinOf('FP-CNDM'), quantity: { value: 2, unit: 'pack' } },
        line('FP-CNDM', 10),
        line('FP-DMPA', 25),
      ],
    }),
    amnesiacJournal(),
  );
  t.equal(count.status, 'completed');
  const soh = await fp01(h, stock);
  t.equal(soh[gtinOf('FP-LNG30').code], 100, '60 + 40');
  t.equal(soh[gtinOf('FP-CNDM').code], 2 * 144 + 10, 'packs and units added in units');
  // two damages of one product in one report: one change of -15 under that reason
  const change = await stock.report(
    report({
      countType: 'difference',
      identifier: { system: 'urn:test', value: 'ADJ-TWICE' },
      lines: [
        line('FP-LNG30', -10, { reason: { code: 'Damage' } }),
        line('FP-LNG30', -5, { reason: { code: 'damage' } }),
      ],
    }),
    amnesiacJournal('k-twice'),
  );
  t.equal(change.status, 'completed');
  t.equal((await fp01(h, stock))[gtinOf('FP-LNG30').code], 85);
  // two changes under different reasons stay two line items, and together may not go negative
  const both = await failure(
    stock.report(
      report({
        countType: 'difference',
        identifier: { system: 'urn:test', value: 'ADJ-TOO-MUCH' },
        lines: [
          line('FP-LNG30', -50, { reason: { code: 'Damage' } }),
          line('FP-LNG30', -50, { reason: { code: 'Expired' } }),
        ],
      }),
      amnesiacJournal('k-too-much'),
    ),
  );
  t.match(both.message, /stock on hand is 35, subtracting 50 would make it negative/);
});

t.test('negative stock and wrong reasons are refused with a clear 422', async (t) => {
  const { h, stock } = await setup(t);
  const negative = await failure(
    stock.report(
      report({
        countType: 'difference',
        program: 'EM01',
        lines: [line('EM-ORS', -200, { reason: { code: 'Damage' } })],
      }),
      amnesiacJournal(),
    ),
  );
  t.type(negative, BusinessRuleError);
  t.match(negative.message, /EM-ORS: stock on hand is 150, subtracting 200 would make it negative/);
  t.same(negative.issues[0].expression, ['InventoryReport.inventoryListing[0].item[0].quantity']);
  const wrongSign = await failure(
    stock.report(
      report({ countType: 'difference', lines: [line('FP-LNG30', 5, { reason: { code: 'Damage' } })] }),
      amnesiacJournal(),
    ),
  );
  t.match(wrongSign.message, /reason 'Damage' is a DEBIT but the change is an addition/);
  const noReason = await failure(
    stock.report(report({ countType: 'difference', lines: [line('FP-LNG30', -5)] }), amnesiacJournal()),
  );
  t.match(noReason.message, /needs a reason; valid DEBIT reasons: .*Damage/);
  const unknownReason = await failure(
    stock.report(
      report({ countType: 'difference', lines: [line('FP-LNG30', -5, { reason: { code: 'Eaten by goats' } })] }),
      amnesiacJournal(),
    ),
  );
  t.match(unknownReason.message, /reason 'Eaten by goats' is not valid here/);
  const negativeCount = await failure(stock.report(report({ lines: [line('FP-LNG30', -1)] }), amnesiacJournal()));
  t.match(negativeCount.message, /cannot be negative/);
  const unmapped = await failure(
    stock.report(
      report({
        lines: [
          { product: { system: GTIN_SYSTEM, code: '00000000000017' }, quantity: { value: 1, unit: 'dispensing-unit' } },
        ],
      }),
      amnesiacJournal(),
    ),
  );
  t.equal(unmapped.status, 422);
  t.match(unmapped.message, /00000000000017 is not in products\.json/);
  const notWholePacks = await failure(
    stock.report(
      report({ lines: [{ product: gtinOf('FP-CNDM'), quantity: { value: 1.5, unit: 'pack' } }] }),
      amnesiacJournal(),
    ),
  );
  t.equal(notWholePacks.status, 422);
  t.equal(h.sb.state.counts().stockEventsByKind.adjustment ?? 0, 0, 'nothing was posted');
});

t.test('the program is inferred when all products share one', async (t) => {
  const { stock } = await setup(t);
  const result = await stock.report(
    report({
      countType: 'difference',
      program: undefined,
      lines: [line('EM-ORS', -10, { reason: { code: 'Damage' } })],
    }),
    amnesiacJournal(),
  );
  t.equal(result.status, 'completed');
});

t.test('stock API choice: code, uuid, and auto detected once', async (t) => {
  for (const api of ['code', 'uuid'] as const) {
    const { h, stock } = await setup(t, api);
    const pub = h.counter('POST', '/api/public/stockEvents');
    const uuid = h.counter('POST', '/api/stockEvents');
    await stock.report(
      report({ countType: 'difference', lines: [line('FP-LNG30', -1, { reason: { code: 'Damage' } })] }),
      amnesiacJournal(),
    );
    t.same([pub(), uuid()], api === 'code' ? [1, 0] : [0, 1], `stockApi=${api}`);
  }
  const { h, stock } = await setup(t, 'auto');
  const probe = h.counter('GET', '/api/public/stockCardSummaries');
  const pub = h.counter('POST', '/api/public/stockEvents');
  await stock.report(
    report({ countType: 'difference', lines: [line('FP-LNG30', -1, { reason: { code: 'Damage' } })] }),
    amnesiacJournal('a'),
  );
  await stock.report(
    report({ countType: 'difference', lines: [line('FP-LNG30', -1, { reason: { code: 'Damage' } })] }),
    amnesiacJournal('b'),
  );
  t.same([probe(), pub()], [1, 2], 'probed once, then the public API both times');

  const old = await setup(t, 'auto');
  old.h.sb.faults.add({ method: '*', path: '/api/public/**', action: { type: 'status', status: 404 } }); // a server before 5.2
  const uuid = old.h.counter('POST', '/api/stockEvents');
  await old.stock.report(
    report({ countType: 'difference', lines: [line('FP-LNG30', -1, { reason: { code: 'Damage' } })] }),
    amnesiacJournal(),
  );
  t.equal(uuid(), 1, 'no public API: the UUID API');
});
