/**
 * Open mSupply counts stock in packs of any fraction (numberOfPacks, countedNumberOfPacks are
 * Float: 30 tablets dispensed from 10 packs of 1000 leave 9.97 packs), so a count in tablets that
 * is not a whole number of packs is a count all the same, and an adjustment in tablets applies to
 * such a stock line.
 *
 * Open mSupply keeps a stock line after its last pack left (total_number_of_packs 0: an old
 * batch, used up), and the mediator's stock reads never show it (hasPacksInStore). A count or an
 * adjustment that names no lot — the usual case from systems that do not track lots — is for the
 * item's stock in the store: with one batch left holding packs it goes to that batch, not refused
 * because of a used-up one ("name the lot"). With two batches holding packs it is still refused,
 * saying which lot to name, and nothing is written. Through the real mediator, both store engines.
 */
import t from 'tap';
import { gtinOf, why } from '../../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore, type MsupplyRig } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };
const ITEM = 'item-pcm500';
const LIVE = `stock-hcn-pcm500t`;
const GTIN = gtinOf('EM-PCM500');
const PACK_UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';

/** A report of packs (or tablets) of paracetamol (1000 tablets a pack) in the store, naming no lot. */
const reportOf = (
  id: string,
  value: number,
  difference?: 'addition' | 'subtraction',
  unit: 'pack' | 'dispensing-unit' = 'pack',
) => ({
  resourceType: 'InventoryReport',
  status: 'active',
  countType: difference ? 'difference' : 'snapshot',
  identifier: [{ system: 'https://mobile.example.org/counts', value: id }],
  ...(difference ? { operationType: { coding: [{ code: difference, display: difference }] } } : {}),
  reportedDateTime: '2026-11-21T09:00:00Z',
  inventoryListing: [
    {
      location: { reference: `Location/${STORE}` },
      item: [
        {
          quantity: { value, unit, system: PACK_UNIT, code: unit },
          item: { concept: { coding: [{ system: 'https://www.gs1.org/gtin', code: GTIN }] } },
        },
      ],
    },
  ],
});

/** A second batch of the item in the store, as Open mSupply keeps it: `packs` 0 once used up. */
function addBatch(rig: MsupplyRig, batch: string, packs: number) {
  const live = rig.ms.state.stockLines.get(LIVE)!;
  rig.ms.state.stockLines.set(`stock-hcn-${batch}`, {
    ...live,
    id: `stock-hcn-${batch}`,
    batch,
    totalNumberOfPacks: packs,
    availableNumberOfPacks: packs,
  });
}

const packsOf = (rig: MsupplyRig, id: string) => rig.ms.state.stockLines.get(id)!.totalNumberOfPacks;

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a report naming no lot goes to the one batch with packs`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' });
      t.equal(rig.ms.state.stockLines.get(LIVE)!.itemId, ITEM);
      addBatch(rig, 'OLD-2025', 0);

      const count = await rig.fhir('POST', '/fhir/R5/InventoryReport', reportOf('MS-BATCH-CNT', 7));
      t.equal(count.status, 201, why(count));
      t.equal(packsOf(rig, LIVE), 7, 'the count went to the batch with packs');
      t.equal(packsOf(rig, 'stock-hcn-OLD-2025'), 0, 'the used-up batch is untouched');

      const taken = await rig.fhir('POST', '/fhir/R5/InventoryReport', reportOf('MS-BATCH-ADJ', 2, 'subtraction'));
      t.equal(taken.status, 201, why(taken));
      t.equal(packsOf(rig, LIVE), 5, 'two packs taken from the batch with packs');
      t.equal(rig.ms.state.counts().finalisedStocktakes, 2);

      // two batches with packs: which one a lot-less count means is unknowable, so refused as before
      addBatch(rig, 'NEW-2026', 3);
      const refused = await rig.fhir('POST', '/fhir/R5/InventoryReport', reportOf('MS-BATCH-TWO', 4));
      t.equal(refused.status, 422, why(refused));
      t.match(refused.body.issue[0].diagnostics, /has 2 batches with stock in store HC-NORTH: name the lot/);
      t.equal(refused.body.issue[0].expression?.[0], 'InventoryReport.inventoryListing[0].item[0].extension');
      t.equal(packsOf(rig, LIVE), 5, 'nothing written');
      t.equal(packsOf(rig, 'stock-hcn-NEW-2026'), 3);
      t.equal(rig.ms.state.counts().finalisedStocktakes, 2);
    },
  );
}

for (const engine of engineCases()) {
  t.test(`${engine.name}: counts and changes in tablets that are not whole packs`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' });
    // 30 tablets dispensed from the store's 10 packs of 1000, as Open mSupply records it
    Object.assign(rig.ms.state.stockLines.get(LIVE)!, { totalNumberOfPacks: 9.97, availableNumberOfPacks: 9.97 });
    const units = async () => {
      const res = await rig.fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${STORE}`)}`);
      const items = res.body.entry[0].resource.inventoryListing[0].item;
      return items.find((i: any) => i.item.concept.coding[0].code === GTIN).quantity.value;
    };
    t.equal(await units(), 9970, 'the stock reads 9970 tablets');

    const count = await rig.fhir(
      'POST',
      '/fhir/R5/InventoryReport',
      reportOf('MS-TAB-CNT', 9950, undefined, 'dispensing-unit'),
    );
    t.equal(count.status, 201, why(count));
    t.equal(packsOf(rig, LIVE), 9.95, '9950 tablets counted: 9.95 packs');
    t.equal(await units(), 9950);

    const taken = await rig.fhir(
      'POST',
      '/fhir/R5/InventoryReport',
      reportOf('MS-TAB-ADJ', 450, 'subtraction', 'dispensing-unit'),
    );
    t.equal(taken.status, 201, why(taken));
    t.equal(packsOf(rig, LIVE), 9.5, '450 tablets taken: 9.5 packs left');
    t.equal(await units(), 9500);
    t.equal(rig.ms.state.counts().finalisedStocktakes, 2);

    const negative = await rig.fhir(
      'POST',
      '/fhir/R5/InventoryReport',
      reportOf('MS-TAB-NEG', 9501, 'subtraction', 'dispensing-unit'),
    );
    t.equal(negative.status, 422, why(negative));
    t.match(negative.body.issue[0].diagnostics, /would leave .* in store HC-NORTH \(NotEnoughStockForReduction\)/);
    t.equal(packsOf(rig, LIVE), 9.5, 'nothing written');
  });
}

for (const engine of engineCases()) {
  t.test(`${engine.name}: broken packs read as whole tablets, and post back`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' });
    // amoxicillin, 100 a pack: 1.15 packs are 114.99999999999999 tablets in floating point
    const AMX = 'stock-hcn-amx250t';
    Object.assign(rig.ms.state.stockLines.get(AMX)!, { totalNumberOfPacks: 1.15, availableNumberOfPacks: 1.15 });
    const res = await rig.fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${STORE}`)}`);
    t.equal(res.status, 200, why(res));
    const report = res.body.entry[0].resource;
    const line = report.inventoryListing[0].item.find(
      (i: any) => i.item.concept.coding[0].code === gtinOf('EM-AMX250'),
    );
    t.equal(line.quantity.value, 115, 'read as 115 tablets');

    // the app posts the report it read back as its count: taken, nothing changes
    const count = structuredClone(report);
    delete count.id;
    delete count.meta;
    count.identifier = [{ system: 'https://mobile.example.org/counts', value: 'MS-ROUND-1' }];
    count.inventoryListing[0].item = [line];
    const posted = await rig.fhir('POST', '/fhir/R5/InventoryReport', count);
    t.equal(posted.status, 201, why(posted));
    t.equal(packsOf(rig, AMX), 1.15, 'the count of what was read leaves 1.15 packs');
  });
}
