import fs from 'node:fs';
import t, { type Test } from 'tap';
import { ADMIN_PASSWORD, DRUGS, LOC } from '../../../../sandbox/openmrs/index.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { DEFAULT_REGISTRY_CODE_SYSTEM } from '../../../../src/systems/openmrs/settings.js';
import { memoryJournal } from './journal.js';
import { failure, sandboxConnector } from './rig.js';

const GTIN = 'https://www.gs1.org/gtin';
const AMOXICILLIN = { system: GTIN, code: '10860012300058' };
const PARACETAMOL = { system: GTIN, code: '10860012300065' };
const BCG = { system: GTIN, code: '10860012300102' };

async function setup(t: Test) {
  const { sb, c } = await sandboxConnector(t);
  return { sb, stock: c.stock! };
}
const onHand = (r: StockReport) =>
  Object.fromEntries(r.lines.map((l) => [`${l.product.code}|${l.lot?.number}`, l.quantity.value]));
const count = (over: Partial<StockReport> = {}): StockReport => ({
  identifier: { system: 'urn:test:count', value: 'COUNT-2026-12-01' },
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2026-12-01T10:00:00Z',
  facility: { id: LOC.mwangaza },
  lines: [
    {
      product: AMOXICILLIN,
      quantity: { value: 940, unit: 'dispensing-unit' },
      lot: { number: 'AMX-2401', expiry: '2031-12-31' },
    },
  ],
  ...over,
});
const adjustment = (over: Partial<StockReport> = {}): StockReport => ({
  identifier: { system: 'urn:test:adj', value: 'ADJ-7' },
  status: 'active',
  countType: 'difference',
  operation: 'subtraction',
  reason: { code: 'Damaged' },
  reportedAt: '2026-12-01T11:00:00Z',
  facility: { id: LOC.mwangaza },
  lines: [{ product: PARACETAMOL, quantity: { value: 25, unit: 'dispensing-unit' }, lot: { number: 'PCM-2401' } }],
  ...over,
});

t.test(
  'inventory: one snapshot per location, by batch with expiry, products named through the catalogue',
  async (t) => {
    const { stock } = await setup(t);
    const [report] = (await stock.search({ facility: LOC.mwangaza })).items;
    t.equal(report.countType, 'snapshot');
    t.same(onHand(report), {
      '10860012300058|AMX-2401': 1000,
      '10860012300065|PCM-2401': 2000,
      '10860012300072|ORS-2312': 300,
    });
    t.same(report.lines.find((l) => l.lot?.number === 'ORS-2312')?.lot, { number: 'ORS-2312', expiry: '2025-12-31' });
    t.same(report.facility.identifier, { system: DEFAULT_REGISTRY_CODE_SYSTEM, value: 'SBX-10001' });
    t.same((await stock.get!(report.id!))?.lines.length, 3, 'read back by id');
    t.same(
      (await stock.search({ facility: LOC.mwangaza, item: AMOXICILLIN })).items[0].lines.map((l) => l.product.code),
      [AMOXICILLIN.code],
    );
    t.same((await stock.search({ facility: 'SBX-10001' })).items[0].facility.id, LOC.mwangaza, 'by registry code');
    t.same((await stock.search({ facility: LOC.lumley })).items, [], 'a location keeping no stock: no report');
    t.match(
      await stock.search({}).catch((err: unknown) => err),
      { status: 422, issues: [{ expression: ['location'], diagnostics: /read per location/ }] },
      'a search without a location is refused at the parameter it lacks',
    );
    t.same(
      (await stock.search({ facility: '00000000-0000-4000-8000-00000000abcd' })).items,
      [],
      "a location OpenMRS does not know (another system's): no match, not an error",
    );
  },
);

t.test('a count becomes a completed stocktake; the inventory reads back equal', async (t) => {
  const { sb, stock } = await setup(t);
  const r = await stock.report(count(), memoryJournal());
  t.equal(r.status, 'COMPLETED');
  const op = sb.stock.operations.get(r.ids.stockOperation)!;
  t.match(op, {
    operationType: 'stocktake',
    externalReference: 'urn:test:count|COUNT-2026-12-01',
    statusHistory: ['NEW', 'SUBMITTED', 'COMPLETED'],
  });
  t.equal(onHand((await stock.search({ facility: LOC.mwangaza })).items[0])['10860012300058|AMX-2401'], 940);
});

t.test('an adjustment with its reason: a completed adjustment, stock down by the difference', async (t) => {
  const { sb, stock } = await setup(t);
  const r = await stock.report(adjustment(), memoryJournal());
  const op = sb.stock.operations.get(r.ids.stockOperation)!;
  t.match(op, { operationType: 'adjustment', status: 'COMPLETED', reasonUuid: /.+/ });
  t.equal(op.items[0].quantity, -25, 'a subtraction is a negative quantity');
  t.equal(onHand((await stock.search({ facility: LOC.mwangaza })).items[0])['10860012300065|PCM-2401'], 1975);
  const found = await stock.report(
    adjustment({
      identifier: { system: 'urn:test:adj', value: 'ADJ-8' },
      operation: 'addition',
      reason: { code: 'Found' },
      lines: [{ product: PARACETAMOL, quantity: { value: 1, unit: 'pack' }, lot: { number: 'PCM-2401' } }],
    }),
    memoryJournal(),
  );
  t.equal(
    sb.stock.operations.get(found.ids.stockOperation)!.items[0].quantity,
    1000,
    'a pack is the catalogue pack size in tablets',
  );
});

t.test(
  'refused before anything is written: no reason, unknown reason, unmapped product, uncounted or unknown batch',
  async (t) => {
    const { sb, stock } = await setup(t);
    t.match(await failure(stock.report(adjustment({ reason: undefined }), memoryJournal())), {
      status: 422,
      message: /needs a reason/,
    });
    t.match(await failure(stock.report(adjustment({ reason: { code: 'Eaten by goats' } }), memoryJournal())), {
      status: 422,
      message: /not an adjustment reason/,
    });
    t.match(
      await failure(
        stock.report(
          count({ lines: [{ product: BCG, quantity: { value: 1, unit: 'dispensing-unit' } }] }),
          memoryJournal(),
        ),
      ),
      { status: 422, message: /\(BCG vaccine[^)]*\) has no OpenMRS drug uuid in products\.json \(codes\.openmrs\)/ },
    );
    // a product the catalogue does not list at all: said so, not "has no drug uuid"
    t.match(
      await failure(
        stock.report(
          count({
            lines: [
              { product: { system: GTIN, code: '00000000000017' }, quantity: { value: 1, unit: 'dispensing-unit' } },
            ],
          }),
          memoryJournal(),
        ),
      ),
      {
        status: 422,
        message:
          /gtin\|00000000000017 is not in products\.json: no row carries that code \(add the product, with codes\.openmrs\)/,
      },
    );
    t.match(
      await failure(
        stock.report(
          count({ lines: [{ product: AMOXICILLIN, quantity: { value: 1, unit: 'dispensing-unit' } }] }),
          memoryJournal(),
        ),
      ),
      { status: 422, message: /needs its lot number \(the item's lot-number extension\)/ },
    );
    // the module names an adjusted batch by its uuid: a number it never received is no batch
    t.match(
      await failure(
        stock.report(
          adjustment({
            lines: [
              { product: PARACETAMOL, quantity: { value: 5, unit: 'dispensing-unit' }, lot: { number: 'PCM-9999' } },
            ],
          }),
          memoryJournal(),
        ),
      ),
      { status: 422, message: /no batch PCM-9999 of Paracetamol/ },
    );
    // a batch-kept drug adjusted without its lot: the answer says where the lot goes
    t.match(
      await failure(
        stock.report(
          adjustment({ lines: [{ product: AMOXICILLIN, quantity: { value: 5, unit: 'dispensing-unit' } }] }),
          memoryJournal(),
        ),
      ),
      {
        status: 422,
        message: /is kept by batch in OpenMRS: the line needs its lot number \(its lot-number extension\)/,
      },
    );
    t.match(await failure(stock.precheck!(count({ facility: { id: LOC.lumley } }))), {
      status: 422,
      message: /not a stock party/,
    });
    t.same(sb.store.writes, {}, 'nothing written');
  },
);

t.test('an adjustment taking more than the batch holds is refused before anything is written', async (t) => {
  // OpenMRS refuses its SUBMIT (validateStockInventoryAfterOperation) after the create succeeded:
  // checked first, or a NEW operation would be left behind for every such report
  const { sb, stock } = await setup(t);
  const err = await failure(
    stock.report(
      adjustment({
        lines: [
          { product: PARACETAMOL, quantity: { value: 1500, unit: 'dispensing-unit' }, lot: { number: 'PCM-2401' } },
          { product: PARACETAMOL, quantity: { value: 600, unit: 'dispensing-unit' }, lot: { number: 'PCM-2401' } },
        ],
      }),
      memoryJournal(),
    ),
  );
  t.match(err, { status: 422, message: /PCM-2401.*2000.*negative/ });
  t.match(JSON.stringify(err), /inventoryListing\[0\]\.item\[1\]\.quantity/, 'the line that overdraws');
  t.same(sb.store.writes, {}, 'nothing written');
});

t.test('a lost create answer: the retry finds the operation by its external reference, one operation', async (t) => {
  const { sb, stock } = await setup(t);
  sb.faults.add({
    method: 'POST',
    path: '/openmrs/ws/rest/v1/stockmanagement/stockoperation',
    action: { type: 'afterApply', answer: { type: 'reset' } },
    times: 1,
  });
  t.equal((await failure(stock.report(count(), memoryJournal()))).transient, true);
  const r = await stock.report(count(), memoryJournal());
  t.equal(r.status, 'COMPLETED');
  t.same(sb.store.writes, {
    'stockoperation.create.stocktake': 1,
    'stockoperation.submit.stocktake': 1,
    'stockoperation.approve.stocktake': 1,
  });
});

t.test('a crash after the submit: the rerun approves once and never submits again', async (t) => {
  const { sb, stock } = await setup(t);
  const journal = memoryJournal();
  sb.faults.add({
    method: 'POST',
    path: '/openmrs/ws/rest/v1/stockmanagement/stockoperationaction',
    action: { type: 'afterApply', answer: { type: 'reset' } },
    times: 1,
  });
  await failure(stock.report(count(), journal));
  t.same([...journal.steps.keys()], ['create-operation'], 'the submit was applied but its answer lost');
  const r = await stock.report(count(), journal);
  t.equal(r.status, 'COMPLETED');
  t.same(sb.store.writes, {
    'stockoperation.create.stocktake': 1,
    'stockoperation.submit.stocktake': 1,
    'stockoperation.approve.stocktake': 1,
  });
  t.equal(
    sb.stock.quantity(
      'e5d4c3b2-0001-4a1b-8c2d-3e4f50617281',
      [...sb.stock.items.values()].find((i) => i.drugUuid === DRUGS.amoxicillin)!.uuid,
      'AMX-2401',
    ),
    940,
  );
});

t.test('the inventory is asked per catalogue drug: the module lists nothing for a party alone', async (t) => {
  const { sb, stock } = await setup(t);
  const party = 'e5d4c3b2-0001-4a1b-8c2d-3e4f50617281'; // Mwangaza Health Centre's party in the sandbox seed
  const ask = async (query: string) =>
    (
      await sb.app.inject({
        method: 'GET',
        url: `/openmrs/ws/rest/v1/stockmanagement/stockiteminventory?${query}`,
        headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
      })
    ).json().results as unknown[];
  t.same(await ask(`partyUuid=${party}`), [], 'a party alone: an empty result, as StockItemInventoryResource answers');
  t.ok((await ask(`partyUuid=${party}&drugUuid=${DRUGS.amoxicillin}`)).length > 0, 'a party and a drug: its rows');

  const calls = sb.faults.add({
    path: '/openmrs/ws/rest/v1/stockmanagement/stockiteminventory',
    action: { type: 'delay', ms: 0 },
  });
  const report = (await stock.search({ facility: LOC.mwangaza })).items[0];
  const products = JSON.parse(fs.readFileSync('fhir-mappings/products.json', 'utf8')) as {
    products: { codes: Record<string, string> }[];
  };
  t.equal(
    sb.faults.list().find((r) => r.id === calls.id)?.hits,
    products.products.filter((p) => p.codes.openmrs).length,
    'one inventory call per drug the catalogue carries',
  );
  t.ok(report.lines.length > 1, 'the connector still reads the location stock');
  t.ok(new Set(report.lines.map((l) => l.product.code)).size > 1, 'of several drugs');
});

t.test('two reports sharing an identifier value under different systems are two operations', async (t) => {
  const { sb, stock } = await setup(t);
  // two apps number their counts alike: the business key is system and value, as in the outbox
  const first = await stock.report(
    count({ identifier: { system: 'urn:app:one', value: 'C-1' } }),
    memoryJournal('urn:app:one|C-1'),
  );
  const second = await stock.report(
    count({
      identifier: { system: 'urn:app:two', value: 'C-1' },
      lines: [{ product: AMOXICILLIN, quantity: { value: 900, unit: 'dispensing-unit' }, lot: { number: 'AMX-2401' } }],
    }),
    memoryJournal('urn:app:two|C-1'),
  );
  t.not(second.ids.stockOperation, first.ids.stockOperation, 'the second count is not taken for the first');
  t.equal(sb.store.writes['stockoperation.create.stocktake'], 2);
  const [report] = (await stock.search({ facility: LOC.mwangaza })).items;
  t.equal(onHand(report)['10860012300058|AMX-2401'], 900, 'the later count is what the stock shows');
});

t.test('a lot counted on two lines is refused at the second; nothing is written', async (t) => {
  const { sb, stock } = await setup(t);
  const shelf = (value: number) => ({
    product: AMOXICILLIN,
    quantity: { value, unit: 'dispensing-unit' as const },
    lot: { number: 'AMX-2401' },
  });
  const err = await failure(stock.report(count({ lines: [shelf(500), shelf(440)] }), memoryJournal()));
  t.equal(err.status, 422, err.message);
  t.same(err.issues[0].expression, ['InventoryReport.inventoryListing[0].item[1].item']);
  t.match(err.message, /counted twice \(also item 0\)/);
  t.same(sb.store.writes, {}, 'nothing reached OpenMRS');
  const [report] = (await stock.search({ facility: LOC.mwangaza })).items;
  t.equal(onHand(report)['10860012300058|AMX-2401'], 1000, 'the stock is as it was, not 440');
});

t.test("precheck: the same Bundle's earlier entries at the location count as applied", async (t) => {
  const { sb, stock } = await setup(t);
  const take = (value: string, n: number, facility = LOC.mwangaza) =>
    adjustment({
      identifier: { system: 'urn:test:adj', value },
      facility: { id: facility },
      lines: [{ product: AMOXICILLIN, quantity: { value: n, unit: 'dispensing-unit' }, lot: { number: 'AMX-2401' } }],
    });
  await stock.precheck!(take('A', 600), []);
  await stock.precheck!(take('B', 600), []); // alone, each fits in the 1000 held
  const both = await failure(stock.precheck!(take('B', 600), [take('A', 600)]));
  t.equal(both.status, 422);
  t.match(both.message, /holds 400 unexpired at this location after this Bundle's earlier entries: taking 600/);
  t.same(both.issues[0].expression, ['InventoryReport.inventoryListing[0].item[0].quantity']);
  const counted = await failure(
    stock.precheck!(take('C', 600), [
      count({ lines: [{ ...count().lines[0], quantity: { value: 500, unit: 'dispensing-unit' } }] }),
    ]),
  );
  t.match(counted.message, /holds 500 unexpired/, 'an earlier count sets the batch');
  await stock.precheck!(take('D', 600), [take('E', 600, LOC.kilima)]);
  t.pass('an earlier entry at another location does not count');
  t.same(sb.store.writes, {}, 'nothing written');
});
