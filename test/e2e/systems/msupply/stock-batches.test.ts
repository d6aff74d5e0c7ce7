/**
 * Open mSupply keeps a stock line after its last pack left (total_number_of_packs 0: an old
 * batch, used up), and the mediator's stock reads never show it (hasPacksInStore). A count or an
 * adjustment that names no lot — the usual case from systems that do not track lots — is for the
 * item's stock in the store: with one batch left holding packs it goes to that batch, not refused
 * because of a used-up one ("name the lot"). With two batches holding packs it is still refused,
 * saying which lot to name, and nothing is written. Through the real mediator, both store engines.
 */
import t from 'tap';
import { gtinOf, why } from '../../../support/openlmis-e2e.js';
import { startMsupplyRig, toStore, type MsupplyRig } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const ITEM = 'item-pcm500';
const LIVE = `stock-hcn-pcm500t`;
const GTIN = gtinOf('EM-PCM500');
const PACK_UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';

/** A report of packs of paracetamol (1000 tablets a pack) in the store, naming no lot. */
const reportOf = (id: string, packs: number, difference?: 'addition' | 'subtraction') => ({
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
          quantity: { value: packs, unit: 'pack', system: PACK_UNIT, code: 'pack' },
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
      const db = await engine.freshDatabase();
      const rig = await startMsupplyRig(
        { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } },
        { OPENLMIS_BASE_URL: '', DATABASE_URL: db.databaseUrl },
      );
      t.teardown(async () => {
        await rig.close();
        await db.drop();
      });
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
