/**
 * How each LMIS's ledger becomes neutral movements for the stock indicators: which OpenLMIS line
 * items and Open mSupply transactions count as receipts, consumption or adjustments, and the
 * opening balance before the window.
 */
import t from 'tap';
import { cardLedger, movementKindOf as lmisKind } from '../../../src/systems/openlmis/stock/stock-ledger.js';
import { movementKindOf as msupplyKind, storeCards } from '../../../src/systems/msupply/stock-ledger.js';
import type { LedgerRow } from '../../../src/systems/msupply/api.js';

const WINDOW = { from: '2026-11-01', to: '2027-01-31' };
const reason = (name: string, reasonType: string, reasonCategory: string) => ({ name, reasonType, reasonCategory });

t.test('OpenLMIS line items: receipts, consumption, adjustments', async (t) => {
  t.equal(lmisKind({ sourceId: 'node', reason: reason('Transfer In', 'CREDIT', 'TRANSFER') }), 'receipt');
  t.equal(lmisKind({ reason: reason('Receipts', 'CREDIT', 'ADJUSTMENT') }), 'receipt', 'the Receipts reason');
  t.equal(lmisKind({ destinationId: 'node' }), 'consumption', 'issued onward');
  t.equal(lmisKind({ reason: reason('Consumed', 'DEBIT', 'ADJUSTMENT') }), 'consumption');
  t.equal(lmisKind({ reason: reason('Transfer Out', 'DEBIT', 'TRANSFER') }), 'consumption');
  t.equal(lmisKind({ reason: reason('Damage', 'DEBIT', 'ADJUSTMENT') }), 'adjustment');
  t.equal(lmisKind({ reason: null }), 'adjustment', 'a physical inventory');
});

t.test('an OpenLMIS card: the balance before the window, signed movements within it', async (t) => {
  const items = [
    { occurredDate: '2026-10-01', quantity: 100, quantityWithSign: 100, stockOnHand: 100, reason: null },
    {
      occurredDate: '2026-10-20',
      quantity: 30,
      quantityWithSign: -30,
      stockOnHand: 70,
      reason: reason('Consumed', 'DEBIT', 'ADJUSTMENT'),
    },
    { occurredDate: '2026-12-03', quantity: 65, quantityWithSign: -5, stockOnHand: 65, reason: null },
    { occurredDate: '2027-01-10', quantity: 20, quantityWithSign: 20, stockOnHand: 85, sourceId: 'wh' },
    {
      occurredDate: '2027-02-01',
      quantity: 10,
      quantityWithSign: -10,
      stockOnHand: 75,
      reason: reason('Consumed', 'DEBIT', 'ADJUSTMENT'),
    },
  ];
  t.same(cardLedger(items, WINDOW), {
    opening: 70,
    movements: [
      { date: '2026-12-03', quantity: -5, kind: 'adjustment' },
      { date: '2027-01-10', quantity: 20, kind: 'receipt' },
    ],
  });
});

t.test('Open mSupply transactions and stock lines', async (t) => {
  t.equal(msupplyKind('INBOUND_SHIPMENT'), 'receipt');
  t.equal(msupplyKind('OUTBOUND_SHIPMENT'), 'consumption');
  t.equal(msupplyKind('PRESCRIPTION'), 'consumption');
  t.equal(msupplyKind('INVENTORY_REDUCTION'), 'adjustment');
  t.equal(msupplyKind('CUSTOMER_RETURN'), 'adjustment');
  const line = (id: string, code: string) => ({
    id,
    batch: `B-${id}`,
    expiryDate: '2027-03-01',
    item: { id: code, code, name: code },
  });
  const row = (
    stockLineId: string,
    code: string,
    datetime: string,
    quantity: number,
    invoiceType: string,
  ): LedgerRow => ({
    id: `${stockLineId}-${datetime}`,
    itemId: code,
    stockLineId,
    datetime,
    quantity,
    invoiceType,
    stockLine: line(stockLineId, code),
  });
  const products = {
    productOf: (code: string) =>
      code === 'AMX250T' ? { system: 'https://www.gs1.org/gtin', code: '10860012300058' } : undefined,
    itemCode: () => '',
    packSizeOf: () => undefined,
  };
  const cards = storeCards(
    [
      row('s1', 'AMX250T', '2026-01-01T00:00:00Z', 1000, 'INVENTORY_ADDITION'),
      row('s1', 'AMX250T', '2026-12-10T09:00:00Z', -300, 'PRESCRIPTION'),
      row('s2', 'AMX250T', '2027-01-05T09:00:00Z', 200, 'INBOUND_SHIPMENT'),
      row('s3', 'LOCAL1', '2026-06-01T00:00:00Z', 50, 'INVENTORY_ADDITION'),
      row('s1', 'AMX250T', '2027-02-02T09:00:00Z', -100, 'PRESCRIPTION'),
    ],
    WINDOW,
    products,
  );
  t.same(
    cards.map((c) => [c.product.code, c.lot?.number, c.opening, c.movements.map((m) => [m.date, m.quantity, m.kind])]),
    [
      ['10860012300058', 'B-s1', 1000, [['2026-12-10', -300, 'consumption']]],
      ['10860012300058', 'B-s2', 0, [['2027-01-05', 200, 'receipt']]],
      ['LOCAL1', 'B-s3', 50, []],
    ],
    'one card per stock line; an item the catalogue lacks keeps its own code; after the window: left out',
  );
});
