import t from 'tap';
import type { StockCardLedger } from '../../../src/domain/stock-ledger.js';
import {
  expiringWithin,
  facilityIndicators,
  ledgerWindow,
  monthsOfStock,
  productIndicators,
  stockOutDays,
} from '../../../src/bridges/stock-indicators.js';

const P = { system: 'https://www.gs1.org/gtin', code: '10860012300034' };
const NOV = { from: '2026-11-01', to: '2026-11-30' };
const card = (
  opening: number,
  movements: StockCardLedger['movements'],
  lot?: StockCardLedger['lot'],
): StockCardLedger => ({
  product: P,
  opening,
  movements,
  lot,
});

t.test('the ledger window reaches back over the AMC months, the period included', async (t) => {
  t.same(ledgerWindow(NOV), { from: '2026-09-01', to: '2026-11-30' });
  t.same(
    ledgerWindow({ from: '2027-01-01', to: '2027-01-31' }),
    { from: '2026-11-01', to: '2027-01-31' },
    'across a year',
  );
  t.same(ledgerWindow(NOV, 1), { from: '2026-11-01', to: '2026-11-30' });
});

t.test('months of stock: stock on hand over AMC, two decimals; none without consumption', async (t) => {
  t.equal(monthsOfStock(1100, 300), 3.67);
  t.equal(monthsOfStock(0, 50), 0);
  t.equal(monthsOfStock(100, 0), undefined);
  // AMC over three months: 90 consumed in September, none after → AMC 30, 60 left → 2 months
  const values = productIndicators([card(150, [{ date: '2026-09-10', quantity: -90, kind: 'consumption' }])], NOV);
  t.equal(values.monthsOfStock, 2);
  t.equal(values.consumption, 0, 'consumption is the period’s only');
});

t.test('stock-out days: days of the period closing at zero', async (t) => {
  t.equal(stockOutDays([card(10, [{ date: '2026-11-21', quantity: -10, kind: 'consumption' }])], NOV), 10, '21st–30th');
  t.equal(
    stockOutDays(
      [
        card(0, [
          { date: '2026-11-05', quantity: 20, kind: 'receipt' },
          { date: '2026-11-10', quantity: -20, kind: 'consumption' },
          { date: '2026-11-10', quantity: 5, kind: 'receipt' },
        ]),
      ],
      NOV,
    ),
    4,
    'out from the 1st to the 4th; a day that ends with stock is not out',
  );
  t.equal(
    stockOutDays([card(0, []), card(3, [], { number: 'L1' })], NOV),
    0,
    'the product is in stock while any of its lots is',
  );
  t.equal(
    stockOutDays([card(0, [{ date: '2026-10-30', quantity: 4, kind: 'receipt' }])], NOV),
    0,
    'movements before count',
  );
});

t.test('expiring within 90 days: lot stock at period end expiring after it and within 90 days', async (t) => {
  const lots = [
    card(60, [], { number: 'A', expiry: '2027-02-28' }), // 90 days after 30 November: in
    card(40, [], { number: 'B', expiry: '2027-03-01' }), // 91 days: out
    card(30, [], { number: 'C', expiry: '2026-11-30' }), // expires with the period: already expired stock, out
    card(20, [{ date: '2026-11-15', quantity: -20, kind: 'adjustment' }], { number: 'D', expiry: '2026-12-31' }), // none left
    card(10, [], { number: 'E' }), // no expiry known
  ];
  t.equal(expiringWithin(lots, NOV.to), 60);
  t.equal(productIndicators(lots, NOV).expiringWithin90Days, 60);
});

t.test('every indicator of a product over its lots; facilities grouped by product', async (t) => {
  const cards = [
    card(100, [
      { date: '2026-10-20', quantity: -30, kind: 'consumption' }, // before the period: in the AMC only
      { date: '2026-11-03', quantity: 50, kind: 'receipt' },
      { date: '2026-11-12', quantity: -40, kind: 'consumption' },
      { date: '2026-11-20', quantity: -5, kind: 'adjustment' },
      { date: '2026-11-25', quantity: 2, kind: 'adjustment' },
      { date: '2026-12-01', quantity: -50, kind: 'consumption' }, // after the period
    ]),
    card(10, [], { number: 'L', expiry: '2027-01-15' }),
  ];
  // 100 − 30 + 50 − 40 − 5 + 2, and the lot's 10; AMC (30 + 40) / 3, 87 / 23.33
  t.same(productIndicators(cards, NOV), {
    stockOnHand: 87,
    consumption: 40,
    quantityReceived: 50,
    adjustments: -3,
    stockOutDays: 0,
    monthsOfStock: 3.73,
    expiringWithin90Days: 10,
  });
  const other = { system: P.system, code: '10860012300027' };
  const byProduct = facilityIndicators(
    { facility: { id: 'f' }, cards: [...cards, { product: other, opening: 0, movements: [] }] },
    NOV,
  );
  t.same(
    byProduct.map((p) => [p.product.code, p.values.stockOnHand, p.values.stockOutDays]),
    [
      [P.code, 87, 0],
      [other.code, 0, 30],
    ],
  );
});
