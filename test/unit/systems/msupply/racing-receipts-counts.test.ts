/**
 * Two attempts of one receipt or one stock count racing in Open mSupply (a job taken over from a
 * lapsed lease while the stale attempt still writes; racing-attempts.test.ts for orders): the later
 * write refused because the other's landed first (StocktakeAlreadyExists / StocktakeLineAlreadyExists
 * as "Bad user input", CannotEditStocktake once finalised; CannotReverseInvoiceStatus or
 * CannotEditInvoice once the shipment moved on: server/graphql/{stocktake,invoice} in
 * msupply-foundation/open-msupply) is the write done, under the same derived ids: both attempts end
 * with the one stocktake or receipt, each difference counted once, never a refusal.
 */
import t from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import { AMOXICILLIN, GTIN, MemoryJournal, ORS, shippedReceipt, startRig } from './harness.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

const outcome = (xs: PromiseSettledResult<unknown>[]) =>
  xs.map((x) => (x.status === 'rejected' ? String(x.reason) : 'ok')).join(' / ');

function raced(
  t: { same: (a: unknown, b: unknown, m: string) => void; ok: (a: unknown, m: string) => void },
  rig: Rig,
  operation: string,
  xs: PromiseSettledResult<unknown>[],
) {
  t.same(
    xs.map((x) => x.status),
    ['fulfilled', 'fulfilled'],
    `neither attempt is refused: ${outcome(xs)}`,
  );
  t.ok(rig.sb.calls.filter((c) => c.operation === operation).length >= 2, `both attempts sent ${operation}`);
}

const adjustment: StockReport = {
  identifier: { system: 'https://mobile.example.org/counts', value: 'RACE-ADJ-1' },
  status: 'active',
  countType: 'difference',
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [
    { product: { system: GTIN, code: AMOXICILLIN }, quantity: { value: -2, unit: 'pack' } },
    { product: { system: GTIN, code: ORS }, quantity: { value: -1, unit: 'pack' } },
  ],
};

for (const operation of ['insertStocktake', 'insertStocktakeLine', 'updateStocktake']) {
  t.test(`a stock change: the first ${operation} held back while a second attempt runs`, async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    rig.sb.faults.add({ operation, action: { type: 'delay', ms: 400 }, times: 1 });
    const xs = await Promise.allSettled([
      rig.connector.stock!.report(adjustment, new MemoryJournal()),
      rig.connector.stock!.report(adjustment, new MemoryJournal()),
    ]);
    raced(t, rig, operation, xs);
    t.equal(rig.sb.state.counts().stocktakes, 1, 'one stocktake');
    t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'finalised');
    const [after] = (await rig.connector.stock!.search({ facility: 'store-hc-north' })).items;
    t.equal(
      after.lines.find((l) => l.product.code === AMOXICILLIN)!.quantity.value,
      800,
      '10 packs of 100 less 2, once',
    );
    t.equal(after.lines.find((l) => l.product.code === ORS)!.quantity.value, 450, '10 packs of 50 less 1, once');
  });
}

for (const operation of ['updateInboundShipment', 'updateInboundShipmentLine']) {
  t.test(`a receipt: the first ${operation} held back while a second attempt runs`, async (t) => {
    const rig = await startRig({ 'msupply.verifyDeliveries': true });
    t.teardown(() => rig.close());
    const receipt = await shippedReceipt(rig, 'RACE-DLV-1');
    rig.sb.faults.add({ operation, action: { type: 'delay', ms: 400 }, times: 1 });
    const xs = await Promise.allSettled([
      rig.connector.deliveries!.confirm(receipt, new MemoryJournal()),
      rig.connector.deliveries!.confirm(receipt, new MemoryJournal()),
    ]);
    raced(t, rig, operation, xs);
    const inbound = rig.sb.state.invoices.get(receipt.id!)!;
    t.ok(['RECEIVED', 'VERIFIED'].includes(inbound.status), `received: ${inbound.status}`);
  });
}
