import t from 'tap';
import { BusinessRuleError } from '../../../../src/domain/errors.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { MEASURE_SYSTEM, createStockCapability } from '../../../../src/systems/dhis2/stock.js';
import { RTS } from '../../../../sandbox/dhis2/index.js';
import { amnesiacJournal, memoryJournal, startHarness, type Harness } from './harness.js';

/**
 * A stock report with status entered-in-error retracts its data values (helper E's contract for
 * the stock bridge's stale values, notes/E-to-H.md): `POST /api/dataValueSets?importStrategy=
 * DELETE`, chunked and journalled like a write, answered with the deleted count; the capability
 * says so with `retractsValues: true`.
 */
const GTIN = 'https://www.gs1.org/gtin';
const CONDOM = { system: GTIN, code: '10860012300034' };
const ORS = { system: GTIN, code: '10860012300072' };
const du = (value: number) => ({ value, unit: 'dispensing-unit' as const });
const products = loadDhis2Products({});
const stockFor = (h: Harness) =>
  createStockCapability({ client: h.client, reader: createOrgUnitReader(h.client), products: () => products });

const report = (lines: StockReport['lines'], status: StockReport['status'] = 'active'): StockReport => ({
  status,
  countType: 'snapshot',
  reportedAt: '2024-02-03T10:00:00Z',
  period: { start: '2024-01-01T00:00:00Z', end: '2024-01-31T23:59:59Z' },
  facility: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-101' } },
  lines,
});
const adjustments = { system: MEASURE_SYSTEM, code: 'adjustments' };

for (const version of ['2.39.1', '2.43.0']) {
  t.test(`${version}: an entered-in-error report deletes its values, once`, async (t) => {
    const h = await startHarness({ version }, { 'dhis2.dataSet': 'LkStockMnth' });
    t.teardown(h.close);
    const stock = stockFor(h);
    t.equal(stock.retractsValues, true, 'the capability says it can retract');
    await stock.report(
      report([
        { product: CONDOM, quantity: du(300) },
        { product: ORS, quantity: du(80) },
        { product: ORS, quantity: du(-4), itemStatus: adjustments },
      ]),
      amnesiacJournal(),
    );
    t.equal(h.sandbox.state.dataValues.size, 3);

    const stale = report(
      [
        { product: ORS, quantity: du(80) },
        { product: ORS, quantity: du(-4), itemStatus: adjustments },
      ],
      'entered-in-error',
    );
    await stock.precheck!(stale);
    const journal = memoryJournal('retract-1');
    const gone = await stock.report(stale, journal);
    t.equal(gone.status, 'deleted 2 (not there 0)');
    t.same([...journal.steps.keys()], ['delete-values-0'], 'a journalled step of its own');
    const left = [...h.sandbox.state.dataValues.values()].map((v) => v.value);
    t.same(left, ['300'], 'only the condom stock on hand is left');

    const again = await stock.report(stale, amnesiacJournal());
    t.equal(again.status, 'deleted 0 (not there 2)', 'deleting again changes nothing and is no error');
    t.equal(h.sandbox.state.dataValues.size, 1);
  });
}

t.test('RTS target: an entered-in-error report is refused, nothing sent', async (t) => {
  const h = await startHarness({}, { 'dhis2.rtsProgram': RTS.program, 'dhis2.stockTarget': 'rts' });
  t.teardown(h.close);
  const err = await stockFor(h)
    .report(report([{ product: CONDOM, quantity: du(3) }], 'entered-in-error'), amnesiacJournal())
    .catch((e: unknown) => e);
  t.ok(err instanceof BusinessRuleError);
  t.same((err as BusinessRuleError).issues[0].expression, ['StockReport.status']);
  t.equal(h.sandbox.state.count('POST', '/api/tracker'), 0);
});
