import t from 'tap';
import {
  baseUnits,
  CardFolder,
  movementKindOf,
  type TransactionRow,
} from '../../../../src/systems/openmrs/stock-ledger.js';

const row = (over: Partial<TransactionRow>): TransactionRow => ({
  uuid: 'tx-1',
  dateCreated: '2027-10-10T10:00:00.000+0000',
  quantity: -5,
  stockItemUuid: 'item-1',
  stockBatchNo: 'B1',
  expiration: '2028-01-01',
  ...over,
});

t.test('how an OpenMRS transaction counts', async (t) => {
  t.equal(movementKindOf(row({ isPatientTransaction: true }), undefined), 'consumption', 'dispensed to a patient');
  t.equal(movementKindOf(row({ quantity: -5 }), 'transferout'), 'consumption', 'transferred out');
  t.equal(movementKindOf(row({ quantity: 5 }), 'transferout'), 'receipt', 'transferred in');
  t.equal(movementKindOf(row({ quantity: 5 }), 'stockissue'), 'receipt', 'issued in');
  t.equal(movementKindOf(row({ quantity: 5 }), 'receipt'), 'receipt');
  t.equal(movementKindOf(row({ quantity: -5 }), 'stocktake'), 'adjustment');
  t.equal(movementKindOf(row({ quantity: -5 }), 'disposed'), 'adjustment');
  t.equal(movementKindOf(row({ quantity: 5 }), undefined), 'adjustment', 'an unknown type is an adjustment');
  const own = new Set(['Main Store', 'Pharmacy']);
  const move = { operationSourcePartyName: 'Main Store', operationDestinationPartyName: 'Pharmacy' };
  t.equal(movementKindOf(row({ quantity: -5, ...move }), 'transferout', own), 'adjustment', 'out to its own pharmacy');
  t.equal(movementKindOf(row({ quantity: 5, ...move }), 'transferout', own), 'adjustment', 'in from its own store');
  t.equal(
    movementKindOf(row({ quantity: -5, ...move, operationDestinationPartyName: 'Kilima' }), 'transferout', own),
    'consumption',
    'out to another facility',
  );
});

t.test('quantities in a packaging unit become base units', async (t) => {
  t.equal(baseUnits({ quantity: -3, packagingUomFactor: 100 }), -300);
  t.equal(baseUnits({ quantity: 7, packagingUomFactor: '10' }), 70);
  t.equal(baseUnits({ quantity: 7, packagingUomFactor: null }), 7);
  t.equal(baseUnits({ quantity: 7, packagingUomFactor: 0 }), 7, 'a zero factor is ignored, not a division');
});

t.test('rows fold into cards: opening before the window, movements in order, each row once', async (t) => {
  const folder = new CardFolder({ from: '2027-08-01', to: '2027-10-31' }, (name) =>
    name === 'Receipt' ? 'receipt' : undefined,
  );
  const product = async (item: string) => ({ system: 'x', code: item });
  // newest first, as the module lists them, with one row repeated by a page shift and one after the window
  const rows = [
    row({ uuid: 'late', dateCreated: '2027-11-02T08:00:00.000+0000', quantity: -1 }),
    row({ uuid: 'b', dateCreated: '2027-10-10T10:00:00.000+0000', quantity: -5, isPatientTransaction: true }),
    row({ uuid: 'a', dateCreated: '2027-09-01T10:00:00.000+0000', quantity: 40, stockOperationTypeName: 'Receipt' }),
    row({ uuid: 'a', dateCreated: '2027-09-01T10:00:00.000+0000', quantity: 40, stockOperationTypeName: 'Receipt' }),
    row({ uuid: 'open', dateCreated: '2026-01-01T10:00:00.000+0000', quantity: 10 }),
    row({ uuid: 'other', stockBatchNo: 'B2', quantity: 3 }),
  ];
  for (const r of rows) await folder.add(r, product);
  const cards = folder.result();
  t.equal(cards.length, 2, 'one card per batch');
  const b1 = cards.find((c) => c.lot?.number === 'B1')!;
  t.equal(b1.opening, 10);
  t.same(b1.movements, [
    { date: '2027-09-01', quantity: 40, kind: 'receipt' },
    { date: '2027-10-10', quantity: -5, kind: 'consumption' },
  ]);
  t.same(b1.lot, { number: 'B1', expiry: '2028-01-01' });
});
