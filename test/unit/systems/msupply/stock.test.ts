/**
 * InventoryReport ↔ Open mSupply stock against the sandbox: stock lines read as a snapshot with
 * lots and expiry; a count and a change each become one finalised stocktake; stock reads back
 * equal; a retry after a lost answer counts nothing twice; impossible reductions are refused first.
 */
import t from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import { createMsupplyApi } from '../../../../src/systems/msupply/api.js';
import { createMsupplyClient } from '../../../../src/systems/msupply/client.js';
import { msupplySettingsFrom } from '../../../../src/systems/msupply/settings.js';
import { AMOXICILLIN, GTIN, MemoryJournal, ORS, startRig, failure } from './harness.js';

const report = (id: string, countType: 'snapshot' | 'difference', lines: StockReport['lines']): StockReport => ({
  identifier: { system: 'https://mobile.example.org/counts', value: id },
  status: 'active',
  countType,
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines,
});

t.test(
  'stock reads as a snapshot; a count and an adjustment become finalised stocktakes and read back equal',
  async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    const stock = rig.connector.stock!;
    const [before] = (await stock.search({ facility: 'store-hc-north' })).items;
    const ors = before.lines.find((l) => l.product.code === ORS)!;
    t.same(
      ors,
      {
        product: { system: GTIN, code: ORS, display: 'Oral rehydration salts, sachet 20.5g' },
        quantity: { value: 500, unit: 'dispensing-unit' },
        lot: { number: 'N20262', expiry: '2027-12-31' },
        itemStats: { averageMonthlyConsumption: { value: 0, unit: 'dispensing-unit' } },
      },
      '10 packs of 50, its batch and expiry; nothing consumed yet (AMC 0, no months of stock)',
    );

    const count = report('CNT-1', 'snapshot', [
      { product: { system: GTIN, code: ORS }, quantity: { value: 350, unit: 'dispensing-unit' } },
    ]);
    t.same(await stock.report(count, new MemoryJournal()), {
      system: 'msupply',
      ids: { stocktake: [...rig.sb.state.stocktakes.keys()][0] },
      status: 'active',
    });
    const adjust = report('ADJ-1', 'difference', [
      { product: { system: GTIN, code: AMOXICILLIN }, quantity: { value: -2, unit: 'pack' } },
    ]);
    await stock.report(adjust, new MemoryJournal());
    t.equal(rig.sb.state.counts().finalisedStocktakes, 2, 'two finalised stocktakes');

    const [after] = (await stock.search({ facility: 'store-hc-north' })).items;
    t.equal(after.lines.find((l) => l.product.code === ORS)!.quantity.value, 350, 'the count reads back');
    t.equal(
      after.lines.find((l) => l.product.code === AMOXICILLIN)!.quantity.value,
      800,
      '10 packs of 100 less 2 packs',
    );
    t.same(
      after.lines.filter((l) => l.product.code !== ORS && l.product.code !== AMOXICILLIN),
      before.lines.filter((l) => l.product.code !== ORS && l.product.code !== AMOXICILLIN),
      'nothing else changed',
    );

    await stock.report(adjust, new MemoryJournal());
    t.equal(rig.sb.state.counts().stocktakes, 2, 'the adjustment again is the same stocktake: not applied twice');
    t.equal(
      (await stock.search({ facility: 'store-hc-north' })).items[0].lines.find((l) => l.product.code === AMOXICILLIN)!
        .quantity.value,
      800,
    );
  },
);

t.test('a lost answer to the finalisation: the retry finds it finalised and changes nothing', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'afterApply', answer: 'reset' }, times: 1 });
  const adjust = report('ADJ-2', 'difference', [
    { product: { system: GTIN, code: ORS }, quantity: { value: -3, unit: 'pack' } },
  ]);
  t.equal((await failure(rig.connector.stock!.report(adjust, new MemoryJournal()))).transient, true);
  await rig.connector.stock!.report(adjust, new MemoryJournal());
  const packs = [...rig.sb.state.stockLines.values()].find(
    (s) => s.storeId === 'store-hc-north' && s.itemId === 'item-ors',
  )!.totalNumberOfPacks;
  t.equal(packs, 7, '10 − 3, once');
  t.equal(rig.sb.state.applied.filter((a) => a.mutation === 'insertStocktake').length, 1);
});

t.test(
  'a reduction below zero is refused before any write; a count in units that are not whole packs is not',
  async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    const tooMuch = await failure(
      rig.connector.stock!.precheck!(
        report('ADJ-3', 'difference', [
          { product: { system: GTIN, code: ORS }, quantity: { value: -11, unit: 'pack' } },
        ]),
      ),
    );
    t.match(tooMuch.message, /would leave -1 in store HC-NORTH \(NotEnoughStockForReduction\)/);
    t.same(tooMuch.issues[0].expression, ['StockReport.lines[0].quantity']);
    // Open mSupply counts packs of any fraction (countedNumberOfPacks is Float): 75 units are 1.5 packs
    await rig.connector.stock!.precheck!(
      report('CNT-3', 'snapshot', [
        { product: { system: GTIN, code: ORS }, quantity: { value: 75, unit: 'dispensing-unit' } },
      ]),
    );
    t.equal(rig.sb.state.stocktakes.size, 0);
  },
);

t.test('a batch counted on two lines is refused before any write, naming the earlier line', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const ors = { product: { system: GTIN, code: ORS }, lot: { number: 'N20262' } };
  const twice = await failure(
    rig.connector.stock!.precheck!(
      report('CNT-4', 'snapshot', [
        { ...ors, quantity: { value: 3, unit: 'pack' } },
        { product: { system: GTIN, code: AMOXICILLIN }, quantity: { value: 1, unit: 'pack' } },
        { ...ors, quantity: { value: 2, unit: 'pack' } },
      ]),
    ),
  );
  t.match(twice.message, /item \S+ batch N20262 is counted twice \(also StockReport\.lines\[0\]\)/);
  t.same(twice.issues[0].expression, ['StockReport.lines[2].product']);
  t.equal(rig.sb.state.stocktakes.size, 0);
});

t.test(
  'adjustment reasons: reason options found by name among active ones of the direction, required where the server has some',
  async (t) => {
    const rig = await startRig(
      {},
      {
        adjustmentReasons: [
          { id: 'reason-found', reason: 'Found', type: 'POSITIVE_INVENTORY_ADJUSTMENT', isActive: true },
          { id: 'reason-damaged', reason: 'Damaged', type: 'NEGATIVE_INVENTORY_ADJUSTMENT', isActive: true },
          { id: 'reason-old', reason: 'Old stock', type: 'NEGATIVE_INVENTORY_ADJUSTMENT', isActive: false },
        ],
      },
    );
    t.teardown(() => rig.close());
    const loss = (id: string, reason?: string): StockReport => ({
      ...report(id, 'difference', [
        {
          product: { system: GTIN, code: ORS },
          quantity: { value: -1, unit: 'pack' },
          ...(reason ? { reason: { code: reason } } : {}),
        },
      ]),
    });
    const none = await failure(rig.connector.stock!.precheck!(loss('R-1')));
    t.match(none.message, /requires a reason for a loss \(AdjustmentReasonNotProvided\): one of Damaged/);
    t.same(none.issues[0].expression, ['StockReport.lines[0].reason']);
    t.match(
      (await failure(rig.connector.stock!.precheck!(loss('R-2', 'Old stock')))).message,
      /'Old stock' is not an active Open mSupply negative adjustment reason \(Damaged\)/,
      'an inactive reason is not offered',
    );
    t.match(
      (await failure(rig.connector.stock!.precheck!(loss('R-3', 'Found')))).message,
      /'Found' is not an active Open mSupply negative adjustment reason/,
      'a gain reason does not explain a loss',
    );

    await rig.connector.stock!.report(loss('R-4', 'damaged'), new MemoryJournal());
    const [line] = [...rig.sb.state.stocktakeLines.values()];
    t.equal(line.reasonOptionId, 'reason-damaged', 'the reason option id the server gave for that name');
    // several codings (issue 16): a local code Open mSupply does not know, then its name
    const coded = loss('R-5');
    coded.lines[0].reason = { system: 'urn:local:reasons', code: 'LOSS-01', alternatives: [{ code: 'Damaged' }] };
    await t.resolves(rig.connector.stock!.precheck!(coded), 'the second coding names the reason');
    t.equal(rig.sb.state.counts().finalisedStocktakes, 1);

    // the rule is the server's: sent without a reason, the line is refused as Open mSupply types it
    const client = createMsupplyClient(() => msupplySettingsFrom(rig.settings));
    t.teardown(() => client.close());
    const api = createMsupplyApi(client);
    await api.insertStocktake('store-hc-north', { id: 'st-direct', createBlankStocktake: true });
    const refused = await failure(
      api.insertStocktakeLine('store-hc-north', {
        id: 'stl-direct',
        stocktakeId: 'st-direct',
        stockLineId: 'stock-hcn-ors205s',
        countedNumberOfPacks: 1,
      }),
    );
    t.equal(refused.reasonCode, 'AdjustmentReasonNotProvided');
  },
);

/**
 * Open mSupply refuses to finalise a stocktake whose line snapshot is no longer its stock line's
 * packs (SnapshotCountCurrentCountMismatch, service/src/stocktake/update/validate.rs). A report
 * whose finalisation was lost (the answer reset before it was applied) and whose stock was
 * dispensed before the retry was refused on every retry, for good, the stocktake left NEW (found
 * by helper F). The lines are now brought up to date (snapshot, then count) and finalised.
 */
t.test('stock dispensed between the lines and a retried finalisation: finalised as the client meant', async (t) => {
  for (const [id, countType, quantity, expected] of [
    // a count: what was counted is the stock, whatever was dispensed before it was recorded
    ['CNT-S', 'snapshot', 8, 8],
    // a change of −3 applied to the stock as it is now: 10 − 1 dispensed − 3
    ['ADJ-S', 'difference', -3, 6],
  ] as const) {
    const rig = await startRig();
    t.teardown(() => rig.close());
    rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'reset' }, times: 1 });
    const sent = report(id, countType, [
      { product: { system: GTIN, code: ORS }, quantity: { value: quantity, unit: 'pack' } },
    ]);
    t.equal((await failure(rig.connector.stock!.report(sent, new MemoryJournal()))).transient, true);
    const ors = [...rig.sb.state.stockLines.values()].find(
      (s) => s.storeId === 'store-hc-north' && s.itemId === 'item-ors',
    )!;
    ors.totalNumberOfPacks -= 1; // dispensed at the counter before the retry
    await rig.connector.stock!.report(sent, new MemoryJournal());
    t.equal(ors.totalNumberOfPacks, expected, `${countType}: ${expected} packs`);
    const stocktakes = [...rig.sb.state.stocktakes.values()];
    t.same(
      stocktakes.map((s) => s.status),
      ['FINALISED'],
      `${countType}: one stocktake, finalised`,
    );
  }
});
