/**
 * Open mSupply counts packs of any fraction (numberOfPacks is a Float). A prescription takes the
 * units prescribed, leaving a broken pack (its allocation allows partial packs); the sandbox used
 * to take whole packs, so 125 tablets of a 100-tablet batch took 2 packs (200 tablets) and the
 * stock read back 75 tablets short. A shipment line whose broken packs hold a fraction of a unit
 * (2.505 packs of 100: 250.5 tablets) cannot be stated as a whole number of packs or units, which
 * is all a FHIR quantity here takes: confirming it as read is refused saying so and how to get
 * through, and leaving the line out receives it as shipped.
 */
import t from 'tap';
import { dispense } from '../../../../sandbox/msupply/ledger.js';
import { BusinessRuleError } from '../../../../src/domain/errors.js';
import type { Delivery } from '../../../../src/domain/index.js';
import { AMOXICILLIN, MemoryJournal, ORS, order, startRig, failure } from './harness.js';

const STORE = 'store-hc-north';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** Units of amoxicillin the store holds, as the connector reads them. */
async function amoxicillinUnits(rig: Rig): Promise<number> {
  const [report] = (await rig.connector.stock!.search({ facility: STORE })).items;
  return report.lines
    .filter((l) => l.product.code === AMOXICILLIN)
    .reduce((n, l) => n + (l.quantity.unit === 'pack' ? NaN : l.quantity.value), 0);
}

t.test('a prescription takes the units prescribed: a broken pack, read back exactly', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const packs = () =>
    [...rig.sb.state.stockLines.values()]
      .filter((s) => s.storeId === STORE && s.itemId === 'item-amx250')
      .map((s) => [s.packSize, s.totalNumberOfPacks, s.availableNumberOfPacks]);
  const before = await amoxicillinUnits(rig);
  t.same(packs(), [[100, 10, 10]], 'one batch of 10 packs of 100');
  dispense(rig.sb.state, STORE, 'AMX250T', 125, rig.sb.state.iso());
  t.same(packs(), [[100, 8.75, 8.75]], '1.25 packs taken, not 2');
  t.equal(await amoxicillinUnits(rig), before - 125, '125 tablets fewer, not 200');
  const taken = rig.sb.state.ledger.entries.filter((e) => e.storeId === STORE && e.invoiceType === 'PRESCRIPTION');
  t.same(
    taken.map((e) => e.quantity),
    [-125],
    'one ledger row of 125 tablets',
  );
});

async function shippedInHalfTablets(rig: Rig) {
  await rig.connector.orders!.submit(
    order('FRAC-1', [
      { gtin: AMOXICILLIN, qty: 250 },
      { gtin: ORS, qty: 2, packs: true },
    ]),
    new MemoryJournal(),
  );
  const response = [...rig.sb.state.requisitions.values()].find(
    (r) => r.type === 'RESPONSE' && r.theirReference === 'FRAC-1',
  )!;
  // the warehouse issued 250.5 tablets (a half tablet): 2.505 packs of 100
  return rig.sb.state.shipResponseRequisition(response.id, { AMX250T: 2.505 }).inbound!;
}

t.test(
  'a line of broken packs holding half a tablet: read as packs; confirmed as read, refused saying why',
  async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    const inbound = await shippedInHalfTablets(rig);
    const d = (await rig.connector.deliveries!.get(inbound.id))!;
    const amx = d.lines.findIndex((l) => l.product.code === AMOXICILLIN);
    t.same(
      d.lines[amx].quantityShipped,
      { value: 2.505, unit: 'pack' },
      'no whole number of tablets: read as its packs',
    );
    const asRead: Delivery = {
      ...d,
      status: 'completed',
      lines: d.lines.map((l) => ({ ...l, quantityAccepted: l.quantityShipped })),
    };
    const err = await failure(rig.connector.deliveries!.confirm(asRead, new MemoryJournal()));
    t.ok(err instanceof BusinessRuleError, String(err));
    t.equal(err.status, 422);
    t.match(
      err.message,
      `Delivery.lines[${amx}].quantityAccepted: quantity 2.505 is not a whole, non-negative number of packs; the line of AMX250T holds 2.505 packs of 100 (250.5 dispensing units), which no whole number of packs or units states: leave the line out of the confirmation to receive it as shipped`,
    );
    t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'SHIPPED', 'nothing changed');

    const withoutIt: Delivery = { ...asRead, lines: asRead.lines.filter((_, i) => i !== amx) };
    const done = await rig.connector.deliveries!.confirm(withoutIt, new MemoryJournal());
    t.equal(done.status, 'completed');
    t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'RECEIVED');
    t.same(
      rig.sb.state
        .invoiceLinesOf(inbound.id)
        .map((l) => [rig.sb.state.items.get(l.itemId)!.code, l.numberOfPacks])
        .sort(),
      [
        ['AMX250T', 2.505],
        ['ORS205S', 2],
      ],
      'the broken packs received as shipped',
    );
  },
);
