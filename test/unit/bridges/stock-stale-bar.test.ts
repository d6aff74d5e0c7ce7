/**
 * A value DHIS2 holds is keyed `productCode|measure` (stock-changes.ts valueKey). A measure is one
 * of the bridge's indicator names and holds no bar; a product's DHIS2 code is free text
 * (products.json codes.dhis2) and may (`EM|AMX250`). A stale value split at the first bar was
 * retracted as product `EM`, measure `AMX250|stockOnHand`: a product the bridge has no ref for
 * and a measure DHIS2 has no data element for, so it was never deleted.
 */
import t from 'tap';
import { staleValues, type IndicatorValue } from '../../../src/bridges/stock-changes.js';

const P = { system: 'x', code: 'p' };
const v = (productCode: string, measure: IndicatorValue['measure'], value: number): IndicatorValue => ({
  product: P,
  productCode,
  measure,
  value,
});

t.test('a stale value of a product code holding | is retracted under that code and its measure', async (t) => {
  const current = new Map([
    ['EM|AMX250|stockOnHand', 10],
    ['EM|AMX250|monthsOfStock', 2],
    ['TB_RHZ150|stockOnHand', 70],
  ]);
  t.same(staleValues([v('TB_RHZ150', 'stockOnHand', 12), v('EM|AMX250', 'stockOnHand', 9)], current), [
    { productCode: 'EM|AMX250', measure: 'monthsOfStock', previous: 2 },
  ]);
  t.same(staleValues([], current), [
    { productCode: 'EM|AMX250', measure: 'monthsOfStock', previous: 2 },
    { productCode: 'EM|AMX250', measure: 'stockOnHand', previous: 10 },
    { productCode: 'TB_RHZ150', measure: 'stockOnHand', previous: 70 },
  ]);
});
