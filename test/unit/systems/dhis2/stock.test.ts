import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { BusinessRuleError, SearchNeedsParameterError } from '../../../../src/domain/errors.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { Dhis2RejectionError } from '../../../../src/systems/dhis2/errors.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { periodOf, periodStart } from '../../../../src/systems/dhis2/periods.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { MEASURE_SYSTEM, createStockCapability } from '../../../../src/systems/dhis2/stock.js';
import { amnesiacJournal, memoryJournal, startHarness, type Harness } from './harness.js';

const GTIN = 'https://www.gs1.org/gtin';
const CONDOM = { system: GTIN, code: '10860012300034' };
const DMPA = { system: GTIN, code: '10860012300027' };
const ORS = { system: GTIN, code: '10860012300072' };
const du = (value: number) => ({ value, unit: 'dispensing-unit' as const });
// the OpenLMIS facility code: the same national code the DHIS2 org unit carries
const hc101 = {
  identifier: { system: 'http://fhir-supply-mediator.org/fhir/identifier/openlmis-facility-code', value: 'LK-HC-101' },
};

const monthly = (lines: StockReport['lines'], extra: Partial<StockReport> = {}): StockReport => ({
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2024-02-03T10:00:00Z',
  period: { start: '2024-01-01T00:00:00Z', end: '2024-01-31T23:59:59Z' },
  facility: hc101,
  lines,
  ...extra,
});

function mappingsWith(edit: (indicators: any) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dhis2-mappings-'));
  cpSync(path.resolve('fhir-mappings'), dir, { recursive: true });
  const file = path.join(dir, 'dhis2-indicators.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  edit(doc);
  writeFileSync(file, JSON.stringify(doc));
  return dir;
}

function stockFor(h: Harness, settings: Record<string, unknown> = {}) {
  const products = loadDhis2Products(settings);
  return createStockCapability({ client: h.client, reader: createOrgUnitReader(h.client), products: () => products });
}

const stored = (h: Harness, de: string, period: string, ouCode = 'LK-HC-101') => {
  const s = h.sandbox.state.summary();
  return h.sandbox.state.dataValues.get(
    h.sandbox.state.valueKey({
      dataElement: s.dataElements[de],
      period,
      orgUnit: s.orgUnits[ouCode],
      categoryOptionCombo: 'HllvX50cXC0',
      attributeOptionCombo: 'HllvX50cXC0',
    }),
  )?.value;
};

t.test('period strings per period type', async (t) => {
  t.equal(periodOf('Monthly', '2024-01-15T10:00:00Z'), '202401');
  t.equal(periodOf('Weekly', '2024-01-01T00:00:00Z'), '2024W1');
  t.equal(periodOf('Weekly', '2021-01-03T12:00:00Z'), '2020W53', 'ISO week-year');
  t.equal(periodOf('Daily', '2024-03-05T00:00:00Z'), '20240305');
  t.equal(periodOf('Quarterly', '2024-08-01T00:00:00Z'), '2024Q3');
  t.equal(periodOf('BiMonthly', '2024-04-30T00:00:00Z'), '202402B');
  t.equal(periodOf('SixMonthly', '2024-07-01T00:00:00Z'), '2024S2');
  t.throws(() => periodOf('FinancialApril', '2024-07-01T00:00:00Z'), BusinessRuleError);
  t.same(periodStart('202402'), { start: '2024-02-01T00:00:00.000Z', end: '2024-02-29T23:59:59.999Z' });
  t.equal(periodStart('2024W1')!.start, '2024-01-01T00:00:00.000Z');
});

t.test('a period is the calendar day the client wrote, not that instant in UTC', async (t) => {
  // 1 March at midnight in Nairobi is still 29 February in UTC
  t.equal(periodOf('Monthly', '2024-03-01T00:00:00+03:00'), '202403');
  t.equal(periodOf('Monthly', '2024-03-31T23:30:00-05:00'), '202403', 'west of Greenwich too');
  t.equal(periodOf('Weekly', '2024-01-08T00:00:00+03:00'), '2024W2', 'the Monday as written');
  t.equal(periodOf('Daily', '2024-03-05'), '20240305', 'a date');
  t.equal(periodOf('Monthly', '2024-03'), '202403', 'a month');
  t.throws(() => periodOf('Monthly', '2024-02-30T00:00:00Z'), BusinessRuleError, 'no 30 February');

  const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
  t.teardown(() => h.close());
  await stockFor(h).report(
    monthly([{ product: CONDOM, quantity: du(41) }], {
      period: { start: '2024-03-01T00:00:00+03:00', end: '2024-03-31T23:59:59+03:00' },
    }),
    memoryJournal(),
  );
  t.equal(stored(h, 'FP_CNDM_SOH', '202403'), '41', "March's report is March's value");
  t.equal(stored(h, 'FP_CNDM_SOH', '202402'), undefined, 'February is left alone');
});

t.test('a reporting period spanning two DHIS2 periods is refused at it; nothing is sent', async (t) => {
  const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
  t.teardown(() => h.close());
  const stock = stockFor(h);
  const two = monthly([{ product: CONDOM, quantity: du(60) }], {
    period: { start: '2024-03-01T00:00:00Z', end: '2024-04-30T23:59:59Z' },
  });
  const err = await stock.report(two, memoryJournal()).catch((e) => e);
  t.ok(err instanceof BusinessRuleError, String(err));
  t.same(err.issues[0].expression, ['StockReport.period']);
  t.match(err.message, /202403 to 202404.*Monthly/);
  t.equal(stored(h, 'FP_CNDM_SOH', '202403'), undefined, 'two months are not written as March');
  // an end at the next period's first midnight is the usual exclusive end: still one month
  await stock.report(
    monthly([{ product: CONDOM, quantity: du(61) }], {
      period: { start: '2024-03-01T00:00:00Z', end: '2024-04-01T00:00:00Z' },
    }),
    memoryJournal(),
  );
  t.equal(stored(h, 'FP_CNDM_SOH', '202403'), '61');
});

for (const version of ['2.39.1', '2.41.3', '2.43.0']) {
  t.test(
    `${version}: a month's report becomes the right values, reads back equal, and a re-post changes nothing`,
    async (t) => {
      const h = await startHarness({ version }, { 'dhis2.dataSet': 'LkStockMnth' });
      t.teardown(h.close);
      const stock = stockFor(h);
      const report = monthly([
        { product: CONDOM, quantity: du(1200) },
        { product: DMPA, quantity: du(40.4) },
        { product: DMPA, quantity: du(9.8), lot: { number: 'L2' } },
      ]);
      const first = await stock.report(report, amnesiacJournal());
      t.same(first.ids, { dataValueSet: `${h.sandbox.state.summary().orgUnits['LK-HC-101']}/202401` });
      t.match(first.status, /^accepted 2 /);
      t.equal(stored(h, 'FP_CNDM_SOH', '202401'), '1200');
      t.equal(stored(h, 'FP_DMPA_SOH', '202401'), '50', 'two lots summed, rounded for an integer data element');

      const [read] = (
        await stock.search({
          facility: h.sandbox.state.summary().orgUnits['LK-HC-101'],
          date: [{ from: '2024-01-01T00:00:00Z', to: '2024-01-31T23:59:59Z' }],
        })
      ).items;
      t.match(read, {
        countType: 'snapshot',
        period: { start: '2024-01-01T00:00:00.000Z' },
        facility: { identifier: { value: 'LK-HC-101' } },
      });
      t.same(read.lines.map((l) => [l.product.code, l.quantity.value, l.itemStatus]).sort(), [
        [DMPA.code, 50, undefined],
        [CONDOM.code, 1200, undefined],
      ]);

      const before = [...h.sandbox.state.dataValues.values()].map((v) => ({ ...v }));
      const again = await stock.report(report, amnesiacJournal());
      t.match(
        again.status,
        version === '2.43.0'
          ? /^accepted 2 \(imported 0, updated 2/
          : /^accepted 0 \(imported 0, updated 0, unchanged 2\)/,
        'a re-post is not an error, whatever the version counts it as',
      );
      t.same([...h.sandbox.state.dataValues.values()], before, 'the same report again changes nothing');
      const last = h.sandbox.state.imports.at(-1)!;
      if (version === '2.43.0')
        t.same([last.imported, last.updated, last.ignored], [0, 2, 0], '2.43 counts every accepted value as updated');
      else t.same([last.imported, last.updated, last.ignored], [0, 0, 2], 'unchanged values are ignored before 2.43');
    },
  );
}

t.test(
  'differences: consumption, receipts and adjustments by reason; measures named by the line category',
  async (t) => {
    const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
    t.teardown(h.close);
    const stock = stockFor(h);
    await stock.report(
      monthly(
        [
          { product: ORS, quantity: du(-30), reason: { code: 'consumed' } },
          { product: ORS, quantity: du(-12), reason: { code: 'dispensed' } },
          { product: ORS, quantity: du(200), reason: { code: 'received' } },
          { product: ORS, quantity: du(-3), reason: { code: 'damaged' } },
          { product: ORS, quantity: du(2), itemStatus: { system: MEASURE_SYSTEM, code: 'stockOutDays' } },
          { product: ORS, quantity: du(1.25), itemStatus: { system: MEASURE_SYSTEM, code: 'monthsOfStock' } },
        ],
        { countType: 'difference' },
      ),
      amnesiacJournal(),
    );
    t.same(
      ['CONS', 'RCVD', 'ADJ', 'SOD', 'MOS'].map((m) => stored(h, `EM_ORS_${m}`, '202401')),
      ['42', '200', '-3', '2', '1.25'],
    );

    await stock.report(
      monthly([{ product: ORS, quantity: du(5) }], {
        countType: 'difference',
        operation: 'subtraction',
        reason: { code: 'expired' },
      }),
      amnesiacJournal(),
    );
    t.equal(
      stored(h, 'EM_ORS_ADJ', '202401'),
      '-8',
      "a subtraction report makes its quantities negative, added to the month's adjustments (-3)",
    );
  },
);

t.test('a conflict (unknown data element) points at its line; the other values are kept before 2.43', async (t) => {
  for (const [version, code] of [
    ['2.41.3', 'E7610'],
    ['2.43.0', 'E8103'],
    ['2.37.9', 'conflict'],
  ] as const) {
    const h = await startHarness({ version }, { 'dhis2.dataSet': 'LkStockMnth' });
    const dir = mappingsWith((doc) => {
      doc.products = { FP_DMPA: { stockOnHand: { dataElement: 'FP_DMPA_NOPE' } } };
    });
    t.teardown(async () => {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const stock = stockFor(h, { 'mappings.dir': dir });
    const err = await stock
      .report(
        monthly([
          { product: CONDOM, quantity: du(10) },
          { product: DMPA, quantity: du(20) },
        ]),
        amnesiacJournal(),
      )
      .catch((e) => e);
    t.ok(err instanceof Dhis2RejectionError, version);
    t.equal(err.status, 422);
    // 2.43 decodes every key first and refuses the whole import at the first unknown one, naming
    // the value by position only in its words (index -1): still the line
    const sql = version === '2.43.0';
    t.match(err.message, sql ? /accepted 0 of 2 data values/ : /accepted 1 of 2 data values/);
    t.same(
      err.issues.map((i: { expression: string[] }) => i.expression),
      [['StockReport.lines[1].product']],
      `${version}: the line of the unknown data element`,
    );
    t.match(
      err.issues[0].diagnostics,
      new RegExp(
        sql ? 'DHIS2 E8103: Value #1 data element not found: `FP_DMPA_NOPE`' : `DHIS2 ${code}: Data element not found`,
      ),
    );
    if (sql) t.equal(stored(h, 'FP_CNDM_SOH', '202401'), undefined, '2.43: nothing is stored');
    else t.equal(stored(h, 'FP_CNDM_SOH', '202401'), '10', 'the valid value is stored');
  }
});

t.test('UID schemes; refusals before anything is sent', async (t) => {
  const h = await startHarness(
    {},
    { 'dhis2.dataSet': 'LkStockMnth', 'dhis2.dataElementIdScheme': 'UID', 'dhis2.orgUnitIdScheme': 'UID' },
  );
  t.teardown(h.close);
  const stock = stockFor(h);
  const s = h.sandbox.state.summary();
  await stock.report(
    monthly([{ product: CONDOM, quantity: du(7) }], { facility: { id: s.orgUnits['LK-HC-102'] } }),
    amnesiacJournal(),
  );
  t.equal(stored(h, 'FP_CNDM_SOH', '202401', 'LK-HC-102'), '7', 'a Location id that is a UID names the org unit');

  const posts = () => h.sandbox.state.count('POST', '/api/dataValueSets');
  const n = posts();
  const dir = mappingsWith((doc) => {
    doc.products = { FP_DMPA: { stockOnHand: { dataElement: 'FP_DMPA_NOPE' } } };
  });
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const missing = await stockFor(h, { 'mappings.dir': dir })
    .report(monthly([{ product: DMPA, quantity: du(1) }]), amnesiacJournal())
    .catch((e) => e);
  t.same(
    missing.issues[0].expression,
    ['StockReport.lines[0].product'],
    'with UIDs an unknown data element is known before sending',
  );
  const cases: [StockReport, string][] = [
    [
      monthly([{ product: CONDOM, quantity: du(1) }], {
        facility: { identifier: { system: 'urn:x', value: 'NOWHERE' } },
      }),
      'StockReport.facility',
    ],
    [monthly([{ product: { system: GTIN, code: '10860012300102' }, quantity: du(1) }]), 'StockReport.lines[0].product'],
    [monthly([{ product: CONDOM, quantity: du(-4) }], { countType: 'difference', reason: { code: 'received' } }), ''],
    [
      monthly(
        [
          { product: CONDOM, quantity: du(5) },
          { product: CONDOM, quantity: du(-9) },
        ],
        { countType: 'difference', reason: { code: 'damaged' } },
      ),
      '',
    ],
  ];
  const soh = await stock.report(monthly([{ product: CONDOM, quantity: du(-1) }]), amnesiacJournal()).catch((e) => e);
  t.same(
    soh.issues[0].expression,
    ['StockReport.lines[0].quantity'],
    'a negative stock on hand is refused at its line',
  );
  for (const [report, where] of cases.slice(0, 2)) {
    const err = await stock.report(report, amnesiacJournal()).catch((e) => e);
    t.ok(err instanceof BusinessRuleError, where);
    t.same(err.issues[0].expression, [where]);
  }
  // a product listed without codes.dhis2, and one not listed at all: the refusal says which
  const [listed, unlisted] = await Promise.all(
    ['10860012300102', '00000000000017'].map((code) =>
      stock.report(monthly([{ product: { system: GTIN, code }, quantity: du(1) }]), amnesiacJournal()).catch((e) => e),
    ),
  );
  t.match(listed.issues[0], {
    diagnostics: `product ${GTIN}|10860012300102 (BCG vaccine, 20-dose vial) has no DHIS2 data element/item code in products.json (codes.dhis2)`,
    expression: ['StockReport.lines[0].product'],
  });
  t.match(unlisted.issues[0], {
    diagnostics: `product ${GTIN}|00000000000017 is not in products.json: no row carries that code (add the product, with codes.dhis2)`,
    expression: ['StockReport.lines[0].product'],
  });
  t.equal(posts(), n, 'nothing sent for a refused report');
  // received is counted positive whatever its sign; adjustments may go negative
  await stock.report(cases[2][0], amnesiacJournal());
  await stock.report(cases[3][0], amnesiacJournal());
  t.equal(stored(h, 'FP_CNDM_RCVD', '202401'), '4');
  t.equal(stored(h, 'FP_CNDM_ADJ', '202401'), '-4');
});

t.test('weekly data set: the period follows its periodType; chunks are journalled steps', async (t) => {
  const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockWkly', 'dhis2.chunkSize': 2 });
  t.teardown(h.close);
  const stock = stockFor(h);
  const products = ['10860012300010', '10860012300027', '10860012300034', '10860012300041', '10860012300058'];
  const report = monthly(
    products.map((code, i) => ({ product: { system: GTIN, code }, quantity: du(i + 1) })),
    { period: { start: '2024-03-06T00:00:00Z' } },
  );
  const journal = memoryJournal();
  const first = await stock.report(report, journal);
  t.equal(h.sandbox.state.count('POST', '/api/dataValueSets'), 3, '5 values in chunks of 2');
  t.match(first.status, /^accepted 5 /);
  t.equal(stored(h, 'FP_IMPL_SOH', '2024W10'), '4', 'ISO week 10 of 2024');
  await stock.report(report, journal);
  t.equal(h.sandbox.state.count('POST', '/api/dataValueSets'), 3, 'completed chunks are not sent again');

  // a retry whose journal has the first chunk: the next one fails (twice: the client retries once), then resumes there
  const resumed = memoryJournal();
  h.sandbox.faults.add({
    method: 'POST',
    path: '/api/dataValueSets',
    times: 2,
    action: { type: 'status', status: 503 },
  });
  resumed.steps.set('data-values-0', {
    status: 'SUCCESS',
    imported: 2,
    updated: 0,
    ignored: 0,
    deleted: 0,
    accepted: 2,
    conflicts: [],
    rejectedIndexes: [],
  });
  t.equal((await stock.report(report, resumed).catch((e) => e)).transient, true, 'a 503 is transient');
  await stock.report(report, resumed);
  t.equal(
    h.sandbox.state.count('POST', '/api/dataValueSets'),
    3 + 2 + 2,
    'the retry sends only the chunks not yet answered',
  );
});

t.test('stock search: a facility DHIS2 does not have gives nothing; none is a 422; an outage fails it', async (t) => {
  const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
  t.teardown(h.close);
  const stock = stockFor(h);
  t.same(
    (await stock.search({ facility: 'not-a-dhis2-location', date: [{ from: '2024-01-01T00:00:00Z' }] })).items,
    [],
  );
  // no facility: nothing DHIS2 can ask, said as OpenLMIS and OpenMRS say it (routing answers from
  // a system that can, if one is configured)
  const unasked = await stock.search({ date: [{ from: '2024-01-01T00:00:00Z' }] }).catch((e) => e);
  t.ok(unasked instanceof SearchNeedsParameterError, 'no facility: a search DHIS2 cannot answer');
  t.match(unasked.issues, [{ expression: ['location'], diagnostics: /^DHIS2 stock is read per org unit/ }]);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
  h.sandbox.faults.add({
    method: 'GET',
    path: `/api/organisationUnits/${hc}`,
    times: 5,
    action: { type: 'status', status: 503 },
  });
  const err = await stock.search({ facility: hc }).catch((e) => e);
  t.equal(err.transient, true, 'not mistaken for "no reports"');
});

t.test('2.43 checks the group against its data set before importing any value', async (t) => {
  const district = { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LKL-N-MBR' } };
  const lines = [{ product: CONDOM, quantity: du(10) }];
  for (const version of ['2.41.3', '2.43.0']) {
    // a district is not among the monthly data set's org units
    const h = await startHarness({ version }, { 'dhis2.dataSet': 'LkStockMnth' });
    t.teardown(h.close);
    const report = monthly(lines, { facility: district });
    if (version === '2.41.3') {
      await stockFor(h).report(report, amnesiacJournal());
      t.equal(stored(h, 'FP_CNDM_SOH', '202401', 'LKL-N-MBR'), '10', '2.41: org unit assignment is not checked');
      continue;
    }
    const err = (await stockFor(h)
      .report(report, amnesiacJournal())
      .catch((e: unknown) => e)) as Dhis2RejectionError;
    t.ok(err instanceof Dhis2RejectionError, '2.43: refused');
    t.same(
      err.issues.map((i) => i.expression),
      [['StockReport.facility']],
      'at the facility',
    );
    t.match(err.issues[0].diagnostics, /DHIS2 E8022: Data set \w+ not usable with org unit\(s\)/);
    t.equal(stored(h, 'FP_CNDM_SOH', '202401', 'LKL-N-MBR'), undefined, 'nothing stored');
  }

  // no data set named: 2.43 finds it from the data elements, which here are in two
  const h = await startHarness({ version: '2.43.0' });
  t.teardown(h.close);
  const err = (await stockFor(h)
    .report(monthly(lines), amnesiacJournal())
    .catch((e: unknown) => e)) as Dhis2RejectionError;
  t.ok(err instanceof Dhis2RejectionError);
  t.same(
    err.issues.map((i) => i.expression),
    [['StockReport']],
  );
  t.match(
    err.issues[0].diagnostics,
    /DHIS2 E8002: Data set detection failed, found multiple sets: .*\(set dhis2\.dataSet/,
  );
  t.equal(stored(h, 'FP_CNDM_SOH', '202401'), undefined, 'nothing stored');
});

t.test('stock read by id: a report a search returned reads back by its id', async (t) => {
  const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
  t.teardown(h.close);
  const stock = stockFor(h);
  await stock.report(monthly([{ product: CONDOM, quantity: du(120) }]), memoryJournal());
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
  const found = (await stock.search({ facility: hc, date: [{ from: '2024-01-01T00:00:00Z' }] })).items;
  const january = found.find((r) => r.period?.start?.startsWith('2024-01'));
  t.ok(january?.id, 'the search returns January with an id');
  const read = await stock.get!(january!.id!);
  t.same(read, january, 'read by that id: the same report, as DHIS2 holds it now');
  t.same(
    read?.lines.map((l) => l.quantity.value),
    [120],
  );

  t.equal(await stock.get!(january!.id!.replace('202401', '202402')), undefined, 'a period with no values: not found');
  t.equal(await stock.get!(january!.id!.replace(hc, 'Xx123456789')), undefined, 'an org unit DHIS2 lacks: not found');
  t.equal(await stock.get!('3f2a9c0d1e4b5a6f7081920a3b4c5d6e'), undefined, 'not a DHIS2 report id: not found');
});
