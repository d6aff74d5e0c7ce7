import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { BusinessRuleError } from '../../../../src/domain/errors.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { cocFor, comboFrom } from '../../../../src/systems/dhis2/category-combos.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { MEASURE_SYSTEM, createStockCapability } from '../../../../src/systems/dhis2/stock.js';
import { amnesiacJournal, fixture, fixturesPresent, startHarness, type Harness } from './harness.js';

/**
 * Category option combos from the data element's category combo (issue 11 leftover 2): the
 * sandbox seeds FP_SOH and FP_CONS disaggregated by "Family planning commodities" (a COC per
 * commodity, code = the product's DHIS2 code; implants left out). Products mapped onto them get
 * their COC from DHIS2's metadata; a product the combo lacks is refused naming the product,
 * before anything is sent.
 */
const GTIN = 'https://www.gs1.org/gtin';
const LNG30 = { system: GTIN, code: '10860012300010' };
const DMPA = { system: GTIN, code: '10860012300027' };
const CONDOM = { system: GTIN, code: '10860012300034' };
const IMPLANT = { system: GTIN, code: '10860012300041' };
const ORS = { system: GTIN, code: '10860012300072' };
const du = (value: number) => ({ value, unit: 'dispensing-unit' as const });

function mappings(t: Test, products: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dhis2-coc-'));
  cpSync(path.resolve('fhir-mappings'), dir, { recursive: true });
  const file = path.join(dir, 'dhis2-indicators.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  doc.products = products;
  writeFileSync(file, JSON.stringify(doc));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const report = (lines: StockReport['lines']): StockReport => ({
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2024-02-03T10:00:00Z',
  period: { start: '2024-01-01T00:00:00Z', end: '2024-01-31T23:59:59Z' },
  facility: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-101' } },
  lines,
});

function stockFor(h: Harness, dir: string) {
  const products = loadDhis2Products({ 'mappings.dir': dir });
  return createStockCapability({ client: h.client, reader: createOrgUnitReader(h.client), products: () => products });
}

const SHARED = {
  FP_LNG30: { stockOnHand: { dataElement: 'FP_SOH' } },
  FP_DMPA: { stockOnHand: { dataElement: 'FP_SOH' } },
  FP_CNDM: { stockOnHand: { dataElement: 'FP_SOH' } },
  FP_IMPL: { stockOnHand: { dataElement: 'FP_SOH' } },
  // a COC named by code in the mapping, resolved to its UID from the metadata
  EM_ORS: { consumption: { dataElement: 'FP_CONS', categoryOptionCombo: 'FP_CNDM' } },
  // one the data element's combo does not have
  EM_ZNC20: { consumption: { dataElement: 'FP_CONS', categoryOptionCombo: 'HllvX50cXC0' } },
};

for (const version of ['2.39.1', '2.41.3', '2.43.0']) {
  t.test(`${version}: products sharing a disaggregated data element get their own COCs`, async (t) => {
    const h = await startHarness({ version }, { 'dhis2.dataSet': 'LkStockMnth' });
    t.teardown(h.close);
    const stock = stockFor(h, mappings(t, SHARED));
    const seeded = h.sandbox.state.summary();
    const written = await stock.report(
      report([
        { product: CONDOM, quantity: du(300) },
        { product: DMPA, quantity: du(45) },
        { product: LNG30, quantity: du(12) },
        { product: ORS, quantity: du(60), itemStatus: { system: MEASURE_SYSTEM, code: 'consumption' } },
      ]),
      amnesiacJournal(),
    );
    t.match(written.status, /^accepted 4 /);
    const value = (de: string, coc: string) =>
      h.sandbox.state.dataValues.get(
        h.sandbox.state.valueKey({
          dataElement: seeded.dataElements[de],
          period: '202401',
          orgUnit: seeded.orgUnits['LK-HC-101'],
          categoryOptionCombo: coc,
          attributeOptionCombo: 'HllvX50cXC0',
        }),
      )?.value;
    const coc = seeded.categoryOptionCombos;
    t.same(
      [value('FP_SOH', coc.FP_CNDM), value('FP_SOH', coc.FP_DMPA), value('FP_SOH', coc.FP_LNG30)],
      ['300', '45', '12'],
      'one data element, a COC per product',
    );
    t.equal(value('FP_SOH', 'HllvX50cXC0'), undefined, 'nothing under the default COC');
    t.equal(value('FP_CONS', coc.FP_CNDM), '60', 'the COC the mapping names by code');

    const [read] = (
      await stock.search({
        facility: seeded.orgUnits['LK-HC-101'],
        date: [{ from: '2024-01-01T00:00:00Z', to: '2024-01-31T23:59:59Z' }],
      })
    ).items;
    t.same(
      read.lines.map((l) => [l.product.code, l.quantity.value, l.itemStatus?.code ?? 'stockOnHand']).sort(),
      [
        [LNG30.code, 12, 'stockOnHand'],
        [DMPA.code, 45, 'stockOnHand'],
        [CONDOM.code, 300, 'stockOnHand'],
        [ORS.code, 60, 'consumption'],
      ].sort(),
      'read back: each value to its product by its COC',
    );

    const posts = h.sandbox.state.count('POST', '/api/dataValueSets');
    const refused = await stock
      .report(
        report([
          { product: CONDOM, quantity: du(1) },
          { product: IMPLANT, quantity: du(7) },
        ]),
        amnesiacJournal(),
      )
      .catch((e: unknown) => e);
    t.ok(refused instanceof BusinessRuleError, 'a product the combo lacks');
    t.match(
      (refused as Error).message,
      /^product FP_IMPL: data element FP_SOH \(stockOnHand\) is disaggregated by category combo Family planning commodities \(LkFpCommCmb\), and none of its category option combos has the code FP_IMPL/,
    );
    t.same((refused as BusinessRuleError).issues[0].expression, ['StockReport.lines[1].product']);
    const wrong = await stock
      .report(
        {
          ...report([
            { product: { system: GTIN, code: '10860012300089' }, quantity: du(-3), reason: { code: 'consumed' } },
          ]),
          countType: 'difference',
        },
        amnesiacJournal(),
      )
      .catch((e: unknown) => e);
    t.equal(
      (wrong as Error).message,
      "product EM_ZNC20: dhis2-indicators.json names category option combo HllvX50cXC0 for consumption, which is not one of data element FP_CONS's category combo Family planning commodities (LkFpCommCmb)",
    );
    t.equal(h.sandbox.state.count('POST', '/api/dataValueSets'), posts, 'refused before anything was sent');
  });
}

t.test('the sandbox refuses a COC outside the data element combo, as DHIS2 does', async (t) => {
  const h = await startHarness({ version: '2.41.3' });
  t.teardown(h.close);
  const res = await h.client.send<any>({
    method: 'POST',
    path: '/api/dataValueSets',
    accept: [409],
    query: { dataElementIdScheme: 'CODE', orgUnitIdScheme: 'CODE' },
    body: {
      dataSet: 'LkStockMnth',
      period: '202401',
      orgUnit: 'LK-HC-101',
      dataValues: [
        { dataElement: 'FP_SOH', categoryOptionCombo: 'HllvX50cXC0', value: '1' },
        {
          dataElement: 'FP_CNDM_SOH',
          categoryOptionCombo: h.sandbox.state.summary().categoryOptionCombos.FP_CNDM,
          value: '1',
        },
        { dataElement: 'FP_CNDM_SOH', categoryOptionCombo: 'NoSuchCoc01', value: '1' },
      ],
    },
  });
  t.same(
    res.body.response.conflicts.map((c: any) => [c.errorCode, c.indexes]).sort(),
    [
      ['E7613', [2]],
      ['E7634', [0]],
      ['E7634', [1]],
    ],
    'each refusal with the index of its value',
  );
  t.same(
    res.body.response.conflicts.map((c: any) => c.errorCode).sort(),
    ['E7613', 'E7634', 'E7634'],
    'not in the combo: E7634 (twice, one per COC); unknown: E7613',
  );
  t.equal(res.body.response.importCount.ignored, 3);
});

t.test('cocFor: default combos (old servers without isDefault), names, fallbacks', async (t) => {
  const base = { product: 'FP_CNDM', measure: 'stockOnHand', dataElement: 'X', fallback: 'HllvX50cXC0', where: 'w' };
  t.equal(cocFor({ ...base }), 'HllvX50cXC0', 'DHIS2 said nothing: the file default');
  const oldDefault = comboFrom({ id: 'p0KPaWEg3cf', name: 'default', categoryOptionCombos: [{ id: 'bRowv6yZOF2' }] });
  t.equal(oldDefault?.isDefault, true, 'named "default" without isDefault: the default combo');
  t.equal(cocFor({ ...base, combo: oldDefault }), 'bRowv6yZOF2', "the server's own default COC, not a hard-coded one");
  t.throws(() => cocFor({ ...base, named: 'Nope', combo: oldDefault }), BusinessRuleError);
  t.equal(comboFrom({ id: 'x' }), undefined, 'no COC list: nothing known');
  if (fixturesPresent) {
    const [births] = fixture('metadata/category-combos.json').categoryCombos;
    const combo = comboFrom(births)!;
    t.equal(combo.isDefault, false);
    t.equal(cocFor({ ...base, product: 'COC_359668', combo }), 'DwrQJzeChWp', 'the fixture combo: by COC code');
    t.throws(() => cocFor({ ...base, product: 'NONE', combo }), /has COC_359669, COC_359668/);
  }
});
