import t from 'tap';
import { retractKey, staleValues, type IndicatorValue } from '../../../src/bridges/stock-changes.js';

const P = { system: 'x', code: 'p' };
const v = (productCode: string, measure: IndicatorValue['measure'], value: number): IndicatorValue => ({
  product: P,
  productCode,
  measure,
  value,
});

t.test('stale values: what DHIS2 holds that the LMIS no longer yields, a product or a measure', async (t) => {
  const current = new Map([
    ['EM_AMX250|stockOnHand', 10],
    ['EM_AMX250|monthsOfStock', 2],
    ['EM_CTX480|stockOnHand', 70],
  ]);
  t.same(staleValues([v('EM_AMX250', 'stockOnHand', 12)], current), [
    { productCode: 'EM_AMX250', measure: 'monthsOfStock', previous: 2 },
    { productCode: 'EM_CTX480', measure: 'stockOnHand', previous: 70 },
  ]);
  t.same(
    staleValues(
      [v('EM_AMX250', 'stockOnHand', 1), v('EM_AMX250', 'monthsOfStock', 1), v('EM_CTX480', 'stockOnHand', 0)],
      current,
    ),
    [],
    'a changed value is a change, not a stale one',
  );
  t.same(staleValues([], new Map()), []);
});

t.test('the retraction key names what is deleted: the same stale values, the same key', async (t) => {
  const parts = { dataSet: 'DS', period: '202710', orgUnit: 'LK-HC-103' };
  const a = [{ productCode: 'EM_CTX480', measure: 'stockOnHand', previous: 70 }];
  t.equal(retractKey(parts, a), retractKey(parts, [...a]));
  t.match(retractKey(parts, a), /^stock-to-dhis2-retract\|DS\|202710\|LK-HC-103\|[0-9a-f]{20}$/);
  t.not(
    retractKey(parts, a),
    retractKey(parts, [{ ...a[0], previous: 71 }]),
    'a value put back and gone again is a new retraction',
  );
  t.not(retractKey({ ...parts, period: '202709' }, a), retractKey(parts, a));
});
